/**
 * Drives real Socket.io tills with a prepared list of events and records, per event, when it was
 * emitted, when the gateway acknowledged it and when its cue came back to the till.
 */
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { RetailEvent } from '../engine/domain/events.ts';
import type { CueMessage } from '../gateways/till/protocol.ts';

export interface Tills {
  send(event: RetailEvent): void;
  /** Emit time (performance.now ms) by event id. */
  readonly emittedAt: Map<string, number>;
  /** When the gateway acknowledged the event as stored (performance.now ms), by event id. */
  readonly ackedAt: Map<string, number>;
  /** Cue arrival times by event id (more than one means a duplicated cue). */
  readonly cuesAt: Map<string, number[]>;
  readonly refused: string[];
  acked(): number;
  outstanding(): number;
  close(): void;
}

export async function connectTills(
  url: string,
  stores: Record<string, string>,
  tillsPerStore: number,
): Promise<Tills> {
  const sockets = new Map<string, Socket>();
  const emittedAt = new Map<string, number>();
  const ackedAt = new Map<string, number>();
  const cuesAt = new Map<string, number[]>();
  const refused: string[] = [];
  let acked = 0;
  let outstanding = 0;
  for (const [storeId, token] of Object.entries(stores)) {
    for (let t = 1; t <= tillsPerStore; t++) {
      const socket = io(url, {
        auth: { storeId, tillId: `T${t}`, token },
        transports: ['websocket'],
        reconnection: false,
      });
      socket.on('cue', (m: CueMessage) => {
        const now = performance.now();
        const times = cuesAt.get(m.cue.eventId);
        if (times) times.push(now);
        else cuesAt.set(m.cue.eventId, [now]);
      });
      sockets.set(`${storeId}/T${t}`, socket);
    }
  }
  await Promise.all(
    [...sockets.values()].map(
      (s) =>
        new Promise<void>((resolve, reject) => {
          s.once('connect', () => resolve());
          s.once('connect_error', reject);
        }),
    ),
  );
  return {
    emittedAt,
    ackedAt,
    cuesAt,
    refused,
    acked: () => acked,
    outstanding: () => outstanding,
    send(event) {
      const socket = sockets.get(`${event.storeId}/${event.tillId}`);
      if (!socket) throw new Error(`no till ${event.storeId}/${event.tillId} in the benchmark`);
      emittedAt.set(event.eventId, performance.now());
      outstanding += 1;
      socket
        .timeout(60_000)
        .emitWithAck('event', event)
        .then(
          (ack: { ok: boolean; error?: { message: string } }) => {
            if (ack.ok) {
              acked += 1;
              ackedAt.set(event.eventId, performance.now());
            } else refused.push(`${event.eventId}: ${ack.error?.message}`);
          },
          () => refused.push(`${event.eventId}: no acknowledgement within 60 s`),
        )
        .finally(() => {
          outstanding -= 1;
        });
    },
    close() {
      for (const s of sockets.values()) s.disconnect();
    },
  };
}

/**
 * Sends the events as fast as the gateway acknowledges, keeping `window` unacknowledged at most.
 * Resolves with how many it sent (all of them).
 */
export async function sendClosedLoop(
  tills: Tills,
  events: readonly RetailEvent[],
  window: number,
): Promise<number> {
  for (const event of events) {
    while (tills.outstanding() >= window) await new Promise((r) => setImmediate(r));
    tills.send(event);
  }
  return events.length;
}

/**
 * Sends the events at a fixed rate (open loop), whatever the system does, until they run out or
 * `stop()` says so (asked before each event). Resolves with how many it sent: the first n.
 */
export async function sendAtRate(
  tills: Tills,
  events: readonly RetailEvent[],
  perSecond: number,
  stop?: () => boolean,
): Promise<number> {
  const start = performance.now();
  for (const [i, event] of events.entries()) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (stop?.()) return i;
    tills.send(event);
  }
  return events.length;
}

/** Waits until every expected cue has arrived, or nothing new came for `idleMs`. */
export async function waitForCues(tills: Tills, expected: ReadonlySet<string>, idleMs: number) {
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    let arrived = 0;
    for (const id of expected) if (tills.cuesAt.has(id)) arrived += 1;
    if (arrived === expected.size) return;
    if (arrived !== last) {
      last = arrived;
      lastChange = performance.now();
    } else if (performance.now() - lastChange > idleMs) {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
