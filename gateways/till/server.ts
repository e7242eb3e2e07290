/**
 * The till gateway: tills connect over Socket.io with their store's token, send events that are
 * acknowledged only once JetStream has stored them, and receive the cues for their own till. Its
 * HTTP server also serves the till screen (page.ts) and the Socket.io client the screen uses.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { Server, type Socket } from 'socket.io';
import type { z } from 'zod';
import { cue as cueSchema } from '../../engine/domain/effects.ts';
import { ClienteleError, connectError, issuesOf } from '../../engine/domain/error-codes.ts';
import { flagPlace, fraudFlag } from '../../engine/domain/fraud/messages.ts';
import { type EventTime, publishEvent } from '../../engine/streams/publish-event.ts';
import {
  CANCEL_SUBJECT,
  CUES_STREAM,
  cueSubject,
  FRAUD_STREAM,
  IDENTIFY_SUBJECT,
  REDEEM_SUBJECT,
  REGISTER_SUBJECT,
  VIEW_SUBJECT,
} from '../../engine/streams/topology.ts';
import { askService } from '../shared/ask-service.ts';
import type { LookupLimit } from '../shared/lookup-limit.ts';
import type { StoreTokens } from '../shared/store-tokens.ts';
import { createTillPageApp } from './page.ts';
import {
  ACK_ANSWERS,
  type CueMessage,
  cuesMissedRequest,
  type FraudAlert,
  type TillError,
  tillAuth,
} from './protocol.ts';

export interface TillGatewayDeps {
  /** For the loyalty services (redeem points) the gateway relays to. */
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  tokens: StoreTokens;
  logger: Logger;
  maxMessageBytes: number;
  eventTime: EventTime;
  /** How many `customer:identify` each till may send; unlimited when absent. */
  lookups?: LookupLimit;
}

export interface TillGateway {
  /** `http://host:port` where tills connect; the till screen is this address itself (`/`). */
  readonly url: string;
  connectedTills(): number;
  readonly stats: { eventsAccepted: number; eventsRefused: number; cuesRelayed: number };
  close(): Promise<void>;
}

interface TillIdentity {
  storeId: string;
  tillId: string;
}

const tillRoom = (storeId: string, tillId: string) => `till:${storeId}:${tillId}`;
const decoder = new TextDecoder();

type Ack = (answer: unknown) => void;

/**
 * A message that needs an acknowledgement came without one. It is not acted on, as the till could
 * never learn the outcome (an event stored or not, points granted unseen); the till is told why.
 */
function refuseWithoutAck(socket: Socket, name: keyof typeof ACK_ANSWERS, payload: unknown) {
  const eventId = name === 'event' ? (payload as { eventId?: unknown } | null)?.eventId : undefined;
  const error = new ClienteleError(
    'ack_required',
    [],
    `\`${name}\` needs an acknowledgement callback: the answer says ${ACK_ANSWERS[name]}`,
  );
  const message: TillError = {
    ...error.body,
    ...(typeof eventId === 'string' && eventId.length <= 64 ? { eventId } : {}),
  };
  socket.emit('error', message);
}

export async function startTillGateway(
  deps: TillGatewayDeps,
  listen: { host: string; port: number },
): Promise<TillGateway> {
  const { js, jsm, tokens, logger } = deps;
  const stats = { eventsAccepted: 0, eventsRefused: 0, cuesRelayed: 0 };
  const http = createServer(getRequestListener(createTillPageApp().fetch));
  const io = new Server(http, {
    // Serves /socket.io/socket.io.min.js from the socket.io package itself, for the till screen.
    serveClient: true,
    maxHttpBufferSize: deps.maxMessageBytes,
    // No connection-state recovery: a recovered socket would skip the auth middleware
    // (socket.io #5491). Tills catch up with `cues:missed` instead.
  });

  io.use((socket, next) => {
    const auth = tillAuth.safeParse(socket.handshake.auth);
    if (!auth.success) {
      const issues = issuesOf(auth.error.issues, 'auth');
      const fields = issues.map((i) => i.field).join(', ');
      const message = `the auth payload needs storeId, tillId and token (bad: ${fields})`;
      next(connectError(new ClienteleError('unauthorized', issues, message)));
      return;
    }
    if (!tokens.verify(auth.data.storeId, auth.data.token)) {
      const issues = [{ field: 'token', message: 'is not the token of this store' }];
      next(
        connectError(new ClienteleError('unauthorized', issues, 'unknown store or wrong token')),
      );
      return;
    }
    // Rooms come from verified claims only, never from what the client asks for later.
    socket.data = { storeId: auth.data.storeId, tillId: auth.data.tillId } satisfies TillIdentity;
    next();
  });

  io.on('connection', (socket: Socket) => {
    const till = socket.data as TillIdentity;
    void socket.join([`store:${till.storeId}`, tillRoom(till.storeId, till.tillId)]);

    socket.on('event', async (payload: unknown, ack: unknown) => {
      if (typeof ack !== 'function') {
        stats.eventsRefused += 1;
        refuseWithoutAck(socket, 'event', payload);
        return;
      }
      const outcome = await publishEvent(js, payload, till, deps.eventTime);
      if (outcome.ok) stats.eventsAccepted += 1;
      else stats.eventsRefused += 1;
      (ack as Ack)(outcome);
    });

    // Requests to the engine's services (redemptions, identity): the store and till come from
    // the verified connection, never from the payload.
    // `set`: fields the gateway decides (the view's scope), over whatever the payload says.
    const relayRequest = (
      event: keyof typeof ACK_ANSWERS,
      subject: string,
      set: Record<string, unknown> = {},
    ) =>
      socket.on(event, async (payload: unknown, ack: unknown) => {
        if (typeof ack !== 'function') return refuseWithoutAck(socket, event, payload);
        if ((event === 'customer:identify' || event === 'customer:view') && deps.lookups) {
          const refused = await deps.lookups.refusal(`${till.storeId}/${till.tillId}`);
          if (refused) return (ack as Ack)(refused.toAnswer());
        }
        const caller = { storeId: till.storeId, tillId: till.tillId, channel: 'till' as const };
        const request = isObject(payload) ? { ...payload, ...set } : payload;
        (ack as Ack)(await askService(deps.nc, subject, request, caller));
      });
    relayRequest('points:redeem', REDEEM_SUBJECT);
    relayRequest('points:cancel', CANCEL_SUBJECT);
    // Identity: a card scanned (or a number typed) before the sale, a new member signed up.
    relayRequest('customer:identify', IDENTIFY_SUBJECT);
    relayRequest('customer:register', REGISTER_SUBJECT);
    // The customer's 360 view as a till may see it: no profile.
    relayRequest('customer:view', VIEW_SUBJECT, { scope: 'till' });

    socket.on('cues:missed', async (payload: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return refuseWithoutAck(socket, 'cues:missed', payload);
      const request = cuesMissedRequest.safeParse(payload);
      if (!request.success) {
        (ack as Ack)(
          new ClienteleError('invalid_request', issuesOf(request.error.issues)).toAnswer(),
        );
        return;
      }
      try {
        const cues = await missedCues(js, jsm, till, request.data.afterSeq, request.data.limit);
        (ack as Ack)({ ok: true, cues });
      } catch (err) {
        const message = `could not read missed cues: ${(err as Error).message}`;
        (ack as Ack)(new ClienteleError('unavailable', [], message).toAnswer());
      }
    });
  });

  /** Relays each new message of `stream` its schema accepts, as `send` says; until closed. */
  const relayNew = async <T>(
    stream: string,
    schema: z.ZodType<T>,
    what: string,
    send: (value: T, seq: number) => void,
  ) => {
    const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.New });
    const messages = await consumer.consume();
    const relaying = (async () => {
      for await (const msg of messages) {
        const parsed = schema.safeParse(safeJson(decoder.decode(msg.data)));
        if (!parsed.success) {
          logger.warn({ seq: msg.seq, subject: msg.subject }, `skipping a malformed ${what}`);
          continue;
        }
        send(parsed.data, msg.info.streamSequence);
      }
    })();
    return {
      async close() {
        await messages.close();
        await relaying;
      },
    };
  };
  // Every new cue goes to its till's room, and to no other.
  const cues = await relayNew(CUES_STREAM, cueSchema, 'cue', (cue, seq) => {
    const message: CueMessage = { seq, cue };
    io.to(tillRoom(cue.storeId, cue.tillId ?? cue.channel)).emit('cue', message);
    stats.cuesRelayed += 1;
  });
  // An anti-fraud flag goes to the till where the use that tripped it happened, at once.
  const alerts = await relayNew(FRAUD_STREAM, fraudFlag, 'fraud flag', (flag) => {
    const where = flagPlace(flag);
    const { flagId, rule, at, message, cardNumber, customerId, action } = flag;
    const alert: FraudAlert = { flagId, rule, at, message, cardNumber, customerId, action };
    io.to(tillRoom(where.storeId, where.tillId ?? where.channel)).emit('fraud:alert', alert);
  });

  await new Promise<void>((resolve) => http.listen(listen.port, listen.host, resolve));
  const address = http.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;
  logger.info({ url }, 'till gateway listening');

  return {
    url,
    stats,
    connectedTills: () => io.of('/').sockets.size,
    async close() {
      await Promise.all([cues.close(), alerts.close()]);
      await io.close(); // also closes the HTTP server
    },
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function missedCues(
  js: JetStreamClient,
  jsm: JetStreamManager,
  till: TillIdentity,
  afterSeq: number,
  limit: number,
): Promise<CueMessage[]> {
  const subject = cueSubject(till.storeId, till.tillId);
  // Nothing newer for this till: answer at once rather than wait out a fetch.
  const last = await jsm.streams
    .getMessage(CUES_STREAM, { last_by_subj: subject })
    .catch(() => null);
  if (!last || last.seq <= afterSeq) return [];
  const info = await jsm.streams.info(CUES_STREAM);
  const consumer = await js.consumers.get(CUES_STREAM, {
    filter_subjects: subject,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(afterSeq + 1, info.state.first_seq),
  });
  const out: CueMessage[] = [];
  const batch = await consumer.fetch({ max_messages: limit, expires: 2000 });
  for await (const msg of batch) {
    const parsed = cueSchema.safeParse(safeJson(decoder.decode(msg.data)));
    if (parsed.success) out.push({ seq: msg.info.streamSequence, cue: parsed.data });
    if (msg.info.pending === 0 || out.length >= limit) break;
  }
  await consumer.delete().catch(() => {});
  return out;
}
