/**
 * The console's live socket: what is happening now, pushed once a second to rooms, one for all
 * stores (`figures:all`) and one per store (`figures:store:<storeId>`).
 *
 * A browser connects with its session cookie (checked in the handshake: `unauthorized`
 * otherwise), then asks to `watch` all stores or some (`{ stores?: string[] }`): the server
 * joins it to the rooms its role and stores allow, and refuses the rest (`forbidden`). The
 * figures come from plain NATS subscriptions on the events, ledger and cue subjects (costing
 * the streams' consumers nothing); each push says which stores changed since the last, so pages
 * ask again for the stored figures they show.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import { z } from 'zod';
import { cue, ledgerEntry } from '../../engine/domain/effects.ts';
import { ClienteleError, connectError } from '../../engine/domain/error-codes.ts';
import { retailEvent, storeId } from '../../engine/domain/events.ts';
import { may, reachesAllStores, reachesStore } from '../../engine/domain/staff/roles.ts';
import type { SignedIn } from '../../engine/staff/sessions.ts';
import { CUE_SUBJECTS, EVENT_SUBJECTS, LEDGER_SUBJECTS } from '../../engine/streams/topology.ts';
import { type Figures, LiveFigures } from './live-figures.ts';
import { forbiddenFor, type StaffAuthDeps, sessionToken, signedInBy } from './staff-auth.ts';

export const ALL_STORES_ROOM = 'figures:all';
export const storeRoom = (store: string) => `figures:store:${store}`;

const watchRequest = z.strictObject({ stores: z.array(storeId).min(1).max(100).optional() });

/** What a room is sent each second. */
export interface LivePush {
  /** All stores, or the one store of the room. */
  scope: 'all' | string;
  figures: Figures;
  /** Events, ledger lines or cues arrived since the previous push: the stored figures moved. */
  changed: boolean;
}

export interface LiveRooms {
  /** The figures of a scope now (all stores, or one). */
  figures(scope: 'all' | string): Figures;
  stop(): Promise<void>;
}

export interface LiveRoomsDeps {
  io: Server;
  nc: NatsConnection;
  auth: StaffAuthDeps;
  logger: Logger;
  /** Milliseconds between two pushes (1000). */
  intervalMs?: number;
  /** The clock (Date.now); the figures themselves never read one. */
  now?: () => number;
}

export async function startLiveRooms(deps: LiveRoomsDeps): Promise<LiveRooms> {
  const { io, nc, logger } = deps;
  const now = deps.now ?? Date.now;
  const scopes = new Map<string, { live: LiveFigures; changed: boolean }>();
  const scope = (name: string) => {
    let found = scopes.get(name);
    if (!found) {
      found = { live: new LiveFigures(), changed: false };
      scopes.set(name, found);
    }
    return found;
  };
  scope('all');

  io.use(async (socket, next) => {
    const signedIn = await signedInBy(deps.auth, sessionToken(socket.handshake.headers.cookie));
    if (!signedIn) {
      const issues = [{ field: 'session', message: 'sign in first' }];
      next(connectError(new ClienteleError('unauthorized', issues)));
      return;
    }
    socket.data.signedIn = signedIn;
    next();
  });

  io.on('connection', (socket: Socket) => {
    socket.on('watch', async (payload: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const answer = await watch(socket, socket.data.signedIn as SignedIn, payload);
      ack(answer);
    });
  });

  async function watch(socket: Socket, signedIn: SignedIn, payload: unknown) {
    const request = watchRequest.safeParse(payload ?? {});
    if (!request.success) {
      return new ClienteleError('invalid_request', [
        { field: 'stores', message: 'must be a list of store ids' },
      ]).toAnswer();
    }
    const { member } = signedIn;
    // A session that ended since the socket connected watches nothing more.
    if (!(await signedInBy(deps.auth, sessionToken(socket.handshake.headers.cookie)))) {
      return new ClienteleError('unauthorized', [
        { field: 'session', message: 'has ended' },
      ]).toAnswer();
    }
    if (!may(member, 'figures')) return forbiddenFor(member, 'does not watch figures').toAnswer();
    const stores = request.data.stores;
    if (stores === undefined && !reachesAllStores(member)) {
      return forbiddenFor(
        member,
        `watches only its stores (${member.stores?.join(', ')})`,
      ).toAnswer();
    }
    const foreign = (stores ?? []).filter((s) => !reachesStore(member, s));
    if (foreign.length > 0) {
      return new ClienteleError('forbidden', [
        { field: 'stores', message: `${foreign.join(', ')}: not among this user's stores` },
      ]).toAnswer();
    }
    for (const room of socket.rooms) if (room !== socket.id) await socket.leave(room);
    const rooms = stores === undefined ? [ALL_STORES_ROOM] : stores.map(storeRoom);
    await socket.join(rooms);
    for (const name of stores ?? ['all']) {
      socket.emit('figures', push(name, false));
    }
    return { ok: true as const, rooms };
  }

  const push = (name: string, changed: boolean): LivePush => ({
    scope: name,
    figures: scope(name).live.figures(now()),
    changed,
  });

  const subscribe = <T>(
    subject: string,
    schema: z.ZodType<T>,
    add: (live: LiveFigures, value: T, at: number) => boolean,
  ): Subscription =>
    nc.subscribe(subject, {
      callback: (err: Error | null, msg: Msg) => {
        if (err) {
          logger.warn({ err, subject }, 'console subscription error');
          return;
        }
        let json: unknown;
        try {
          json = msg.json();
        } catch {
          return; // not JSON: the router dead-letters it; nothing to count
        }
        const parsed = schema.safeParse(json);
        if (!parsed.success) return;
        // events.<store>, ledger.<store>, cues.<store>.<till>
        const store = msg.subject.split('.')[1] ?? '';
        const at = now();
        for (const name of ['all', store]) {
          const target = scope(name);
          if (add(target.live, parsed.data, at)) target.changed = true;
        }
      },
    });
  const subscriptions = [
    subscribe(EVENT_SUBJECTS, retailEvent, (live, e, at) => live.addEvent(e, at)),
    subscribe(LEDGER_SUBJECTS, ledgerEntry, (live, e) => live.addLedgerEntry(e)),
    subscribe(CUE_SUBJECTS, cue, (live, c) => live.addCue(c)),
  ];
  await nc.flush();

  const timer = setInterval(() => {
    if (io.engine.clientsCount === 0) return;
    for (const [name, target] of scopes) {
      const room = name === 'all' ? ALL_STORES_ROOM : storeRoom(name);
      if ((io.sockets.adapter.rooms.get(room)?.size ?? 0) > 0) {
        io.to(room).emit('figures', push(name, target.changed));
        target.changed = false;
      }
    }
  }, deps.intervalMs ?? 1000);
  timer.unref();

  return {
    figures: (name) => scope(name).live.figures(now()),
    async stop() {
      clearInterval(timer);
      for (const sub of subscriptions) sub.unsubscribe();
    },
  };
}
