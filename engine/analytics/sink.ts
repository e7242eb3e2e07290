/**
 * The analytics sink: JetStream → ClickHouse, in batches, exactly once as queries see it.
 *
 * It reads the streams of SINK_STREAMS (events, ledger, tiers, cues, triggers, segments, fraud,
 * the audit log, dead letters) through one durable pull consumer each (named SINK_CONSUMER, explicit ack),
 * buffers up to `batchSize` messages or `flushMs`, inserts each table's rows, and acks the
 * messages only after every insert of the batch succeeded.
 * A segment change waits at most `segmentsFlushMs` and its table is written first, so the live
 * segment counts follow the sale that caused it closely (the benchmark's target: p99 ≤ 1 s).
 *
 * - Delivery is at-least-once (a lost ack, a crash between two inserts or between insert and ack,
 *   an event re-published after the duplicate window): each table's rows are inserted once by
 *   their natural key (facts.ts), so a second copy changes no figure, plain or aggregated.
 * - A failed insert naks the batch with a growing delay and the sink keeps running.
 * - A malformed message (not JSON, or refused by its zod schema) goes to `dead_letters` and is
 *   terminated: it never blocks its stream.
 * - When the store refuses the rows themselves (a data error), the batch is split until the refused
 *   message is alone; the rest is stored at once. The refused message is retried, and after
 *   SUSPECT_AFTER deliveries dead-lettered. So one row the database refuses cannot stall the sink;
 *   an unreachable store or a missing table never dead-letters anything, it only delays.
 * - The consumers' ack wait exceeds the worst time a message can spend here (buffer wait, plus
 *   the flush in progress, plus its own flush), so no message is redelivered while it is held.
 *
 * The sink never creates streams: engine/streams declares them. It creates or updates only its
 * own consumers.
 */
import { performance } from 'node:perf_hooks';
import { type Consumer, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  cue,
  ledgerEntry,
  lifecycleTrigger,
  segmentChange,
  tierChange,
} from '../domain/effects.ts';
import { describeIssues, formatPath, parseRetailEvent } from '../domain/events.ts';
import { fraudFlag } from '../domain/fraud/messages.ts';
import { auditEntry } from '../domain/staff/audit.ts';
import { DEAD_LETTER_HEADERS } from '../streams/dead-letter.ts';
import { declareSinkConsumer } from '../streams/declare.ts';
import {
  AUDIT_STREAM,
  CUES_STREAM,
  DEAD_LETTER_STREAM,
  EVENTS_STREAM,
  FRAUD_STREAM,
  LEDGER_STREAM,
  LOYALTY_STREAM,
  SEGMENTS_STREAM,
  SINK_CONSUMER,
  TIER_SUBJECTS,
  TRIGGERS_STREAM,
} from '../streams/topology.ts';
import { insertOnce } from './facts.ts';
import { withReturnedCost } from './returned-cost.ts';
import {
  auditRow,
  cueRow,
  deadLetterRow,
  eventRows,
  fraudFlagRow,
  ledgerRow,
  lifecycleTriggerRow,
  type ReturnLineRow,
  type RowBatch,
  segmentChangeRow,
  type TableRows,
  tierChangeRow,
} from './rows.ts';
import { TABLES, type TableName } from './schema.ts';
import type { AnalyticsStore } from './store.ts';

/** The streams the sink reads. */
export const SINK_STREAMS = [
  EVENTS_STREAM,
  LEDGER_STREAM,
  LOYALTY_STREAM,
  CUES_STREAM,
  TRIGGERS_STREAM,
  SEGMENTS_STREAM,
  FRAUD_STREAM,
  AUDIT_STREAM,
  DEAD_LETTER_STREAM,
] as const;
type SinkStream = (typeof SINK_STREAMS)[number];

/** Of a stream that carries more than the sink stores, the subjects it reads. */
const SINK_FILTERS: Partial<Record<SinkStream, string>> = { [LOYALTY_STREAM]: TIER_SUBJECTS };

/** Streams whose rows are watched live: a message of theirs shortens its batch's wait. */
const PROMPT_STREAMS: ReadonlySet<SinkStream> = new Set([SEGMENTS_STREAM]);

/** A pull request waits at most this long for messages; stop() waits for it to end. */
const FETCH_EXPIRES_MS = 1_000;
/** Deliveries after which a message whose rows the store refuses is dead-lettered. */
const SUSPECT_AFTER = 3;
const MAX_NAK_DELAY_MS = 30_000;
/**
 * Tables are written children first and `events` last, so an event is visible only once its lines
 * are (dashboards that count events then join lines see whole events); a sale's receipt
 * (`baskets`) right after its lines. `segment_changes`, watched live and joined to nothing, goes
 * before them all.
 */
const INSERT_ORDER: readonly TableName[] = [
  'segment_changes',
  'sale_lines',
  'baskets',
  ...TABLES.filter(
    (t) => t !== 'segment_changes' && t !== 'sale_lines' && t !== 'baskets' && t !== 'events',
  ),
  'events',
];

export type SinkLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface SinkOptions {
  nc: NatsConnection;
  store: AnalyticsStore;
  /** Messages per insert batch (all streams together). */
  batchSize: number;
  /** Longest time a message waits in the buffer before its batch is inserted. */
  flushMs: number;
  /** The same for a segment change (at most flushMs; default flushMs). */
  segmentsFlushMs?: number;
  logger: SinkLogger;
  /** A flush that takes longer is abandoned and its messages nak'ed (default 30 s). */
  flushTimeoutMs?: number;
  /** Told of every batch written (or refused), for measurements. */
  onFlush?: (flush: FlushReport) => void;
}

/** One batch: its messages, how long the oldest waited in the buffer, how long the writes took. */
export interface FlushReport {
  messages: number;
  waitedMs: number;
  writeMs: number;
  ok: boolean;
}

/** Rows written so far (duplicates included), for progress display. */
export interface SinkProgress {
  events: number;
  ledger: number;
  cues: number;
  deadLetters: number;
  /** Batches whose insert failed and were nak'ed. */
  failedFlushes: number;
}

export interface Sink {
  start(): Promise<void>;
  /** Stops pulling, inserts and acks what is buffered, and returns. Idempotent. */
  stop(): Promise<void>;
  readonly processed: Readonly<SinkProgress>;
  /** The ack wait of the sink's consumers. */
  readonly ackWaitMs: number;
}

interface Pending {
  stream: SinkStream;
  msg: JsMsg;
  rows: RowBatch;
  /** When the sink took it in (performance.now()). */
  receivedAt: number;
  /** Set for a message that goes to dead_letters: it is terminated, not acked. */
  poison?: string;
}

export function createSink(options: SinkOptions): Sink {
  return new JetStreamSink(options);
}

class JetStreamSink implements Sink {
  readonly processed: SinkProgress = {
    events: 0,
    ledger: 0,
    cues: 0,
    deadLetters: 0,
    failedFlushes: 0,
  };
  readonly ackWaitMs: number;
  private readonly nc: NatsConnection;
  private readonly store: AnalyticsStore;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly segmentsFlushMs: number;
  private readonly flushTimeoutMs: number;
  private readonly onFlush: ((flush: FlushReport) => void) | undefined;
  private readonly log: SinkLogger;
  private pending: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer fires (performance.now()). */
  private timerDue = 0;
  private flushChain: Promise<void> = Promise.resolve();
  private loops: Promise<void>[] = [];
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(options: SinkOptions) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new Error(`batchSize must be a positive integer, not ${options.batchSize}`);
    }
    if (!(options.flushMs >= 1))
      throw new Error(`flushMs must be positive, not ${options.flushMs}`);
    this.nc = options.nc;
    this.store = options.store;
    this.batchSize = options.batchSize;
    this.flushMs = options.flushMs;
    this.segmentsFlushMs = Math.min(options.segmentsFlushMs ?? options.flushMs, options.flushMs);
    if (!(this.segmentsFlushMs >= 1))
      throw new Error(`segmentsFlushMs must be positive, not ${options.segmentsFlushMs}`);
    this.flushTimeoutMs = options.flushTimeoutMs ?? 30_000;
    this.onFlush = options.onFlush;
    this.log = options.logger;
    // Worst stay of a message here: waiting for its batch (flushMs), the flush in progress, then
    // its own flush (each at most flushTimeoutMs), plus a margin for the ack to reach the server.
    this.ackWaitMs = this.flushMs + 2 * this.flushTimeoutMs + 10_000;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('the sink was already started');
    this.state = 'running';
    const jsm = await jetstreamManager(this.nc);
    for (const stream of SINK_STREAMS) {
      await declareSinkConsumer(jsm, stream, {
        ackWaitMs: this.ackWaitMs,
        batchSize: this.batchSize,
        filterSubject: SINK_FILTERS[stream],
      });
    }
    const js = jetstream(this.nc);
    const consumers = await Promise.all(
      SINK_STREAMS.map((stream) => js.consumers.get(stream, SINK_CONSUMER)),
    );
    this.loops = SINK_STREAMS.map((stream, i) => this.pull(stream, consumers[i] as Consumer));
    this.log.info(
      {
        streams: SINK_STREAMS,
        batchSize: this.batchSize,
        flushMs: this.flushMs,
        segmentsFlushMs: this.segmentsFlushMs,
      },
      'analytics sink started',
    );
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    await Promise.allSettled(this.loops);
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    // Acks are fire-and-forget publishes: a round trip makes sure the server has them.
    if (!this.nc.isClosed()) await this.nc.flush().catch(() => undefined);
    this.state = 'stopped';
    this.log.info({ processed: this.processed }, 'analytics sink stopped');
  }

  /**
   * One stream's pull loop. Each fetch is a bounded request (at most FETCH_EXPIRES_MS), so on stop
   * every message the server already sent is taken in, and none waits for its ack wait to end.
   */
  private async pull(stream: SinkStream, consumer: Consumer): Promise<void> {
    while (this.state === 'running') {
      try {
        const messages = await consumer.fetch({
          max_messages: this.batchSize,
          expires: FETCH_EXPIRES_MS,
        });
        for await (const msg of messages) await this.accept(stream, msg);
      } catch (err) {
        if (this.state !== 'running') break;
        if (this.nc.isClosed()) {
          this.log.error(
            { stream },
            'analytics sink: the NATS connection is closed; stopping pulls',
          );
          break;
        }
        this.log.warn({ err, stream }, 'analytics sink: pull failed, retrying');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  private async accept(stream: SinkStream, msg: JsMsg): Promise<void> {
    this.pending.push({ ...decode(stream, msg), receivedAt: performance.now() });
    if (this.pending.length >= this.batchSize) {
      await this.flush();
      return;
    }
    const wait = PROMPT_STREAMS.has(stream) ? this.segmentsFlushMs : this.flushMs;
    const due = performance.now() + wait;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  /** Inserts and acks what is buffered. Flushes run one at a time; never rejects. */
  private flush(): Promise<void> {
    const run = this.flushChain.then(() => this.flushOnce());
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  private async flushOnce(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const started = performance.now();
    const failedBefore = this.processed.failedFlushes;
    await this.settle(batch, Date.now() + this.flushTimeoutMs, true);
    this.onFlush?.({
      messages: batch.length,
      waitedMs: started - Math.min(...batch.map((p) => p.receivedAt)),
      writeMs: performance.now() - started,
      ok: this.processed.failedFlushes === failedBefore,
    });
  }

  /**
   * Writes the rows of `items` and acks them. When the store refuses the rows themselves (a data
   * error, not a failure to reach it), splits the group in halves until the refused messages are
   * alone, so every other message of the batch is stored now. A message refused alone is nak'ed,
   * and dead-lettered once it has been delivered more than SUSPECT_AFTER times. Any other failure
   * naks the whole group: it is redelivered after a growing delay.
   */
  private async settle(items: Pending[], deadline: number, top = false): Promise<void> {
    const error = await this.write(items, deadline);
    if (error === undefined) return;
    if (top) this.processed.failedFlushes += 1;
    if (!isDataError(error)) {
      this.log.error(
        { err: error, messages: items.length },
        'analytics sink: insert failed; the messages will be redelivered',
      );
      this.nak(items);
      return;
    }
    if (items.length > 1) {
      const half = Math.ceil(items.length / 2);
      await this.settle(items.slice(0, half), deadline);
      await this.settle(items.slice(half), deadline);
      return;
    }
    const item = items[0] as Pending;
    const { deliveryCount, streamSequence } = item.msg.info;
    if (deliveryCount > SUSPECT_AFTER && item.poison === undefined) {
      const reason = `the analytics store refused its rows (delivery ${deliveryCount}): ${messageOf(error)}`;
      this.log.warn(
        { stream: item.stream, seq: streamSequence, reason },
        'analytics sink: dead-lettering',
      );
      const dead: Pending = {
        ...item,
        poison: reason,
        rows: { dead_letters: [deadLetterOf(item.stream, item.msg, reason)] },
      };
      if ((await this.write([dead], deadline)) !== undefined) this.nak([item]);
      return;
    }
    this.log.warn(
      { stream: item.stream, seq: streamSequence, deliveryCount, err: error },
      'analytics sink: the store refused the rows of one message; retrying it later',
    );
    this.nak([item]);
  }

  /**
   * Inserts the rows of `items`, table by table, then acks (or terms) them. Returns the error if an
   * insert failed, leaving the messages unacknowledged. Inserting again after a partial failure is
   * safe: rows a table already holds are not inserted again (facts.ts).
   */
  private async write(items: Pending[], deadline: number): Promise<unknown> {
    const merged: RowBatch = {};
    for (const item of items) for (const table of TABLES) append(merged, item.rows, table);
    const insert = async <T extends TableName>(table: T): Promise<void> => {
      const rows = merged[table];
      if (!rows || rows.length === 0) return;
      const write = async () => {
        // A return line carries its sale line's cost: the batch's sale lines are stored by now.
        const ready =
          table === 'return_lines'
            ? ((await withReturnedCost(this.store, rows as ReturnLineRow[])) as TableRows[T][])
            : rows;
        await insertOnce(this.store, table, ready);
      };
      await withDeadline(write(), deadline, `insert into ${table}`);
    };
    try {
      for (const table of INSERT_ORDER) await insert(table);
    } catch (err) {
      return err;
    }
    for (const item of items) {
      if (item.poison !== undefined) item.msg.term(item.poison.slice(0, 200));
      else item.msg.ack();
    }
    this.processed.events += merged.events?.length ?? 0;
    this.processed.ledger += merged.ledger?.length ?? 0;
    this.processed.cues += merged.cues?.length ?? 0;
    this.processed.deadLetters += merged.dead_letters?.length ?? 0;
    return undefined;
  }

  private nak(items: Pending[]): void {
    for (const { msg } of items) {
      const delay = Math.min(MAX_NAK_DELAY_MS, 250 * 2 ** (msg.info.deliveryCount - 1));
      msg.nak(delay);
    }
  }
}

/**
 * ClickHouse error codes that mean "these rows are wrong", as opposed to "the store is unreachable
 * or misconfigured" (unknown table, timeouts, connection errors), which must never dead-letter.
 */
const DATA_ERROR_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  407, // DECIMAL_OVERFLOW
  469, // VIOLATED_CONSTRAINT
]);

/** The ClickHouse error code of an error from chDB (`clickhouseCode`) or the HTTP client (`code`). */
export function clickHouseErrorCode(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const { clickhouseCode, code, message } = err as Record<string, unknown>;
  for (const candidate of [clickhouseCode, code]) {
    const n = typeof candidate === 'string' ? Number(candidate) : candidate;
    if (typeof n === 'number' && Number.isInteger(n) && n > 0) return n;
  }
  const match = typeof message === 'string' ? /\bCode: (\d+)\b/.exec(message) : null;
  return match ? Number(match[1]) : undefined;
}

function isDataError(err: unknown): boolean {
  const code = clickHouseErrorCode(err);
  return code !== undefined && DATA_ERROR_CODES.has(code);
}

function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 1_000);
}

function append<T extends TableName>(into: RowBatch, from: RowBatch, table: T): void {
  const rows = from[table];
  if (!rows || rows.length === 0) return;
  const list: TableRows[T][] = into[table] ?? [];
  list.push(...rows);
  into[table] = list as RowBatch[T];
}

function withDeadline<T>(op: Promise<T>, deadline: number, what: string): Promise<T> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) {
    op.catch(() => undefined);
    return Promise.reject(new Error(`flush timed out before ${what}`));
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`flush timed out during ${what}`)), remaining);
  });
  op.catch(() => undefined);
  return Promise.race([op, timeout]).finally(() => clearTimeout(timer));
}

/** Turns a message into the rows it becomes, or into a dead letter. Never throws. */
function decode(stream: SinkStream, msg: JsMsg): Omit<Pending, 'receivedAt'> {
  const poison = (reason: string): Omit<Pending, 'receivedAt'> => ({
    stream,
    msg,
    poison: reason,
    rows: { dead_letters: [deadLetterOf(stream, msg, reason)] },
  });
  try {
    if (stream === DEAD_LETTER_STREAM) {
      return { stream, msg, rows: { dead_letters: [fromDeadLetterStream(msg)] } };
    }
    let value: unknown;
    try {
      value = JSON.parse(msg.string());
    } catch (err) {
      return poison(`not JSON: ${(err as Error).message}`);
    }
    if (stream === EVENTS_STREAM) {
      const parsed = parseRetailEvent(value);
      if (!parsed.ok) return poison(`not a valid retail event: ${describeIssues(parsed.issues)}`);
      const position = { streamSeq: msg.info.streamSequence, receivedAt: msg.time };
      return { stream, msg, rows: eventRows(parsed.event, position) };
    }
    if (stream === LEDGER_STREAM) {
      const parsed = ledgerEntry.safeParse(value);
      if (!parsed.success) return poison(`not a valid ledger entry: ${issues(parsed.error)}`);
      return { stream, msg, rows: { ledger: [ledgerRow(parsed.data)] } };
    }
    if (stream === SEGMENTS_STREAM) {
      const parsed = segmentChange.safeParse(value);
      if (!parsed.success) return poison(`not a valid segment change: ${issues(parsed.error)}`);
      return { stream, msg, rows: { segment_changes: [segmentChangeRow(parsed.data)] } };
    }
    if (stream === LOYALTY_STREAM) {
      const parsed = tierChange.safeParse(value);
      if (!parsed.success) return poison(`not a valid tier change: ${issues(parsed.error)}`);
      return { stream, msg, rows: { tier_changes: [tierChangeRow(parsed.data)] } };
    }
    if (stream === TRIGGERS_STREAM) {
      const parsed = lifecycleTrigger.safeParse(value);
      if (!parsed.success) return poison(`not a valid lifecycle trigger: ${issues(parsed.error)}`);
      return { stream, msg, rows: { lifecycle_triggers: [lifecycleTriggerRow(parsed.data)] } };
    }
    if (stream === AUDIT_STREAM) {
      const parsed = auditEntry.safeParse(value);
      if (!parsed.success) return poison(`not a valid audit entry: ${issues(parsed.error)}`);
      return { stream, msg, rows: { audit_log: [auditRow(parsed.data)] } };
    }
    if (stream === FRAUD_STREAM) {
      const parsed = fraudFlag.safeParse(value);
      if (!parsed.success) return poison(`not a valid fraud flag: ${issues(parsed.error)}`);
      return { stream, msg, rows: { fraud_flags: [fraudFlagRow(parsed.data)] } };
    }
    const parsed = cue.safeParse(value);
    if (!parsed.success) return poison(`not a valid cue: ${issues(parsed.error)}`);
    return { stream, msg, rows: { cues: [cueRow(parsed.data)] } };
  } catch (err) {
    // A mapper refusing a value the schema let through (an instant JavaScript cannot represent).
    return poison(`cannot be stored: ${(err as Error).message}`);
  }
}

function issues(error: z.ZodError): string {
  return describeIssues(
    error.issues.map((issue) => ({
      field: formatPath(issue.path) || '(message)',
      message: issue.message,
    })),
  );
}

function deadLetterOf(stream: SinkStream, msg: JsMsg, reason: string) {
  return deadLetterRow({
    stream,
    seq: msg.info.streamSequence,
    subject: msg.subject,
    reason,
    payload: msg.data,
    at: new Date(),
  });
}

/** A message published to DEADLETTER by another component, recorded as the message it names. */
function fromDeadLetterStream(msg: JsMsg) {
  const header = (name: string): string | undefined => msg.headers?.get(name) || undefined;
  const sourceSeq = Number(header(DEAD_LETTER_HEADERS.sourceSeq));
  const sourceStream = header(DEAD_LETTER_HEADERS.sourceStream);
  const named = sourceStream !== undefined && Number.isSafeInteger(sourceSeq) && sourceSeq > 0;
  return deadLetterRow({
    stream: named ? sourceStream : DEAD_LETTER_STREAM,
    seq: named ? sourceSeq : msg.info.streamSequence,
    subject: header(DEAD_LETTER_HEADERS.sourceSubject) ?? msg.subject,
    reason: header(DEAD_LETTER_HEADERS.reason) ?? '',
    payload: msg.data,
    at: msg.time,
  });
}
