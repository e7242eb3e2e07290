/**
 * Sends a generated history through a running stack's gateways, as its tills and web shop would
 * have: each till's events over its own Socket.io connection (the till gateway takes from a
 * connection only events of that store and till), web-shop events to the web gateway over HTTP
 * (the till gateway refuses them: they name no till). Open loop at a set rate, as
 * bench/load.ts's sendAtRate, with a cap on events in flight so a slow stack slows the sending
 * rather than filling memory. Every answer is checked: a refusal is counted under its error code
 * and kept as an example, never dropped.
 *
 * The gateways and the router refuse events dated more than `events.maxClockSkewSeconds` ahead
 * of their clock or before `events.earliestOccurredAt` (engine/domain/event-time.ts). A history
 * that breaks either limit is refused before anything is sent, naming the limit; `shiftToNow`
 * moves a period so it ends yesterday.
 */
import { io, type Socket } from 'socket.io-client';
import type { EventTimeLimits } from '../domain/event-time.ts';
import type { RetailEvent } from '../domain/events.ts';
import type { PublishOutcome } from '../streams/publish-event.ts';
import { DAY_MS, dayMs } from './calendar.ts';
import { WEB_STORE_ID } from './catalog.ts';
import { orderGeneratedEvents } from './events.ts';
import { type GeneratorOptions, generateDimensions } from './generate.ts';

export interface SendTarget {
  /** The till gateway, `http://host:port`. */
  tillUrl: string;
  /** The web gateway, `http://host:port`, for the web shop's events. */
  webUrl: string;
  /** Each store's token (the settings' `stores`). */
  tokens: Record<string, string>;
  /** Events per second, whatever the stack does (up to `maxInFlight` unanswered). */
  rate: number;
  /** The gateways' limits on `occurredAt`; checked before anything is sent. */
  limits: EventTimeLimits;
  maxInFlight?: number;
  /** How long an event may wait for its answer before it counts as refused (`no_answer`). */
  answerTimeoutMs?: number;
  /** Stops sending; the events in flight are still waited for. */
  signal?: AbortSignal;
  /** Wall clock (ms): paces the sending and is what the time limits are checked against. */
  now?: () => number;
}

export interface SendProgress {
  /** Events the run makes. */
  total: number;
  sent: number;
  /** Stored by the stack (`ok: true`), duplicates included. */
  acked: number;
  /** Acked as already stored (the same id sent before, within JetStream's duplicate window). */
  duplicates: number;
  refused: number;
  inFlight: number;
  /** Events answered per second since the first was sent. */
  eventsPerSecond: number;
}

export interface SendResult extends SendProgress {
  seconds: number;
  /** Refusals by error code. */
  refusals: Record<string, number>;
  /** The first refusals, `eventId: code: message`. */
  examples: string[];
  /** True when `signal` stopped the sending before the last event. */
  stopped: boolean;
}

/** Nothing can be sent: the gateway is unreachable, a token is missing or wrong, a date refused. */
export class SendError extends Error {
  override name = 'SendError';
}

const MAX_EXAMPLES = 10;

/**
 * The same options over a period of the same length ending yesterday (UTC), the last whole day:
 * a period ending today would date some events later today, ahead of the gateways' clock.
 */
export function shiftToNow(options: GeneratorOptions, nowMs: number): GeneratorOptions {
  const span = dayMs(options.to) - dayMs(options.from);
  const to = Math.floor(nowMs / DAY_MS) * DAY_MS - DAY_MS;
  const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { ...options, from: date(to - span), to: date(to) };
}

/** Why the gateways would refuse events dated from `firstMs` to `lastMs`; undefined if they would not. */
export function eventTimeProblem(
  firstMs: number,
  lastMs: number,
  limits: EventTimeLimits,
  nowMs: number,
): string | undefined {
  const iso = (ms: number) => new Date(ms).toISOString();
  if (lastMs > nowMs + limits.maxClockSkewSeconds * 1000) {
    return `the generated history runs to ${iso(lastMs)}, ahead of now (${iso(nowMs)}); the gateways refuse events dated more than ${limits.maxClockSkewSeconds} s ahead (events.maxClockSkewSeconds): pass --shift-to-now to move the period so it ends yesterday, or end it (--to) before today`;
  }
  if (firstMs < Date.parse(limits.earliestOccurredAt)) {
    return `the generated history starts at ${iso(firstMs)} (members who joined before the period register up to two years before --from); the gateways refuse events before ${limits.earliestOccurredAt} (events.earliestOccurredAt): choose a later --from`;
  }
  return undefined;
}

type Answer = PublishOutcome | { ok: false; error: { code: string; message: string } };

/** One Socket.io connection per till, opened when its first event is sent. */
class TillConnections {
  private readonly sockets = new Map<string, Promise<Socket>>();

  constructor(
    private readonly url: string,
    private readonly tokens: Record<string, string>,
  ) {}

  get(storeId: string, tillId: string): Promise<Socket> {
    const key = `${storeId}/${tillId}`;
    let socket = this.sockets.get(key);
    if (!socket) {
      socket = this.connect(storeId, tillId);
      this.sockets.set(key, socket);
      // A connection that drops is opened again for the till's next event.
      void socket.then(
        (s) => s.once('disconnect', () => this.sockets.delete(key)),
        () => {},
      );
    }
    return socket;
  }

  private connect(storeId: string, tillId: string): Promise<Socket> {
    const socket = io(this.url, {
      auth: { storeId, tillId, token: this.tokens[storeId] },
      transports: ['websocket'],
      reconnection: false,
      timeout: 10_000,
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once(
        'connect_error',
        (err: Error & { data?: { code?: string; message?: string } }) => {
          socket.disconnect();
          reject(
            err.data?.code === 'unauthorized'
              ? badToken('till', this.url, storeId, err.data.message ?? 'unauthorized')
              : new SendError(`cannot reach the till gateway at ${this.url}: ${err.message}`),
          );
        },
      );
    });
  }

  async close() {
    const all = await Promise.allSettled(this.sockets.values());
    for (const s of all) if (s.status === 'fulfilled') s.value.disconnect();
    this.sockets.clear();
  }
}

/**
 * The web gateway answers, and takes the store's token: it checks the token on every /v1 path
 * before anything else, so a GET of the events path (which has only POST) tells without sending.
 */
async function checkWebGateway(url: string, storeId: string, token: string) {
  let status: number;
  try {
    const response = await fetch(`${url}/v1/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    status = response.status;
  } catch (err) {
    throw new SendError(`cannot reach the web gateway at ${url}: ${causeOf(err)}`);
  }
  if (status === 401) throw badToken('web', url, storeId, 'unknown token');
}

const badToken = (gateway: 'till' | 'web', url: string, storeId: string, why: string) =>
  new SendError(
    `the ${gateway} gateway at ${url} refused the token of store ${storeId} (${why}): set the store's token in the settings (stores, CLIENTELE_STORES) to the one the stack uses`,
  );

const causeOf = (err: unknown): string => {
  const e = err as Error & { cause?: Error & { code?: string } };
  return e.cause ? `${e.message} (${e.cause.code ?? e.cause.message})` : e.message;
};

/**
 * Generates the history `options` describe and sends it, in time order, at `target.rate`
 * events/s. Resolves when every event sent is answered; throws SendError when nothing more can be
 * sent (unreachable gateway, missing or wrong token, dates the gateways refuse).
 */
export async function sendGenerated(
  options: GeneratorOptions,
  target: SendTarget,
  onProgress?: (progress: SendProgress) => void,
): Promise<SendResult> {
  const now = target.now ?? Date.now;
  const maxInFlight = target.maxInFlight ?? 5000;
  const answerTimeoutMs = target.answerTimeoutMs ?? 60_000;
  if (!(target.rate > 0))
    throw new SendError(`the rate must be above 0 events/s, not ${target.rate}`);

  const storeIds = generateDimensions(options).stores.map((s) => s.store_id);
  const untokened = storeIds.filter((id) => !target.tokens[id]);
  if (untokened.length > 0) {
    throw new SendError(
      `no token for store${untokened.length > 1 ? 's' : ''} ${untokened.join(', ')} in the settings (stores, CLIENTELE_STORES): the generated stores are ${storeIds[0]}…${storeIds.at(-1)}; give each its token, or generate fewer stores (--stores)`,
    );
  }
  const ordered = orderGeneratedEvents(options);
  const problem =
    ordered.total > 0
      ? eventTimeProblem(ordered.firstMs, ordered.lastMs, target.limits, now())
      : undefined;
  if (problem) throw new SendError(problem);

  const progress: SendProgress = {
    total: ordered.total,
    sent: 0,
    acked: 0,
    duplicates: 0,
    refused: 0,
    inFlight: 0,
    eventsPerSecond: 0,
  };
  const refusals: Record<string, number> = {};
  const examples: string[] = [];
  let fatal: SendError | undefined;
  let started = now();
  const report = () => {
    const seconds = (now() - started) / 1000;
    const answered = progress.acked + progress.refused;
    progress.eventsPerSecond = seconds > 0 ? Math.round((answered / seconds) * 10) / 10 : 0;
    onProgress?.({ ...progress });
  };
  const settle = (event: RetailEvent, answer: Answer) => {
    progress.inFlight -= 1;
    if (answer.ok) {
      progress.acked += 1;
      if (answer.duplicate) progress.duplicates += 1;
    } else {
      const { code, message } = answer.error;
      progress.refused += 1;
      refusals[code] = (refusals[code] ?? 0) + 1;
      if (examples.length < MAX_EXAMPLES) examples.push(`${event.eventId}: ${code}: ${message}`);
    }
    report();
  };
  const noAnswer = (err: unknown): Answer => ({
    ok: false,
    error: {
      code: 'no_answer',
      message: `no answer within ${answerTimeoutMs} ms: ${causeOf(err)}`,
    },
  });

  const tills = new TillConnections(target.tillUrl, target.tokens);
  // Each gateway reachable and each token right before the first event: nothing half sent.
  const checks = async () => {
    await checkWebGateway(target.webUrl, WEB_STORE_ID, target.tokens[WEB_STORE_ID] as string);
    const physical = storeIds.filter((id) => id !== WEB_STORE_ID);
    await Promise.all(physical.map((id) => tills.get(id, 'T1')));
  };
  const sendToTill = async (event: RetailEvent) => {
    const socket = await tills.get(event.storeId, event.tillId ?? '');
    progress.inFlight += 1;
    socket
      .timeout(answerTimeoutMs)
      .emitWithAck('event', event)
      .then(
        (answer: Answer) => settle(event, answer),
        (err) => settle(event, noAnswer(err)),
      );
  };
  const webToken = (storeId: string) => target.tokens[storeId] as string;
  const sendToWeb = (event: RetailEvent) => {
    progress.inFlight += 1;
    fetch(`${target.webUrl}/v1/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${webToken(event.storeId)}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(answerTimeoutMs),
    })
      .then(async (response) => {
        const answer = ((await response.json().catch(() => undefined)) as Answer | undefined) ?? {
          ok: false,
          error: { code: `http_${response.status}`, message: 'the answer was not JSON' },
        };
        if (response.status === 401) {
          fatal ??= badToken('web', target.webUrl, event.storeId, 'unknown token');
        }
        settle(event, answer);
      })
      .catch((err) => {
        fatal ??= new SendError(`the web gateway at ${target.webUrl} failed: ${causeOf(err)}`);
        settle(event, noAnswer(err));
      });
  };

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let stopped = false;
  try {
    await checks();
    started = now();
    let i = 0;
    for (const event of ordered.events) {
      if (target.signal?.aborted) {
        stopped = true;
        break;
      }
      const wait = started + (i * 1000) / target.rate - now();
      if (wait > 1) await sleep(wait);
      while (progress.inFlight >= maxInFlight && !fatal) await sleep(5);
      if (fatal) throw fatal;
      if (event.channel === 'till') await sendToTill(event);
      else sendToWeb(event);
      progress.sent += 1;
      i += 1;
      if (i % 100 === 0) report();
    }
    while (progress.inFlight > 0) await sleep(10);
    if (fatal) throw fatal;
  } finally {
    await tills.close();
  }
  report();
  return {
    ...progress,
    seconds: (now() - started) / 1000,
    refusals,
    examples,
    stopped,
  };
}
