/**
 * Lifecycle timers at scale: many customers with a lifecycle occasion due at one instant, each
 * fired by its own workflow's timer and published on the TRIGGERS stream.
 *
 * The benchmark publishes the next version of the program it follows with one lifecycle rule, a
 * lapse after a day without a purchase (`LAPSE_RULE`), and gives each of N new customers one sale
 * dated a day before the chosen instant T (an `occurredAt` in the past is accepted): every one of
 * them lapses at T, and each workflow sets its timer for it when the sale is applied. What is
 * measured per trigger is the lag from its `dueAt` to the JetStream message's timestamp (the
 * server's clock when it stored it, the same machine's clock as Temporal's): Temporal firing the
 * timer and handing the workflow task to the worker (`firedAt` is that task's time), then the
 * clock's local activity publishing it. Nothing here asserts a time: the caller quotes the
 * figures beside the sales' cue latency of the same run.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { lifecycleTrigger } from '../engine/domain/effects.ts';
import type { Program } from '../engine/domain/loyalty/program-schema.ts';
import type { ProgramCatalog } from '../engine/domain/loyalty/versions.ts';
import { loadProgramFile } from '../engine/programs/load-program.ts';
import { openProgramStore } from '../engine/programs/program-store.ts';
import { TRIGGERS_STREAM, TRIGGERS_SUBJECTS } from '../engine/streams/topology.ts';
import { checkDelivery, roundedPercentiles } from './checker.ts';

export const DAY_MS = 86_400_000;

/** The rule the benchmark's version adds: lapsed after one day without a purchase. */
export const LAPSE_RULE = { id: 'lapsed', on: 'lapsed', afterDays: 1 } as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Publishes the program in `file` again as its next version, in force from `effectiveFrom`, with
 * `LAPSE_RULE` as its lifecycle section (each customer's occasion spread over `spreadMinutes`); resolves once `catalog` (the stack's, kept by the
 * program store's watch) has it, so the router names it for sales dated from then on.
 */
export async function publishLapseVersion(
  nc: NatsConnection,
  catalog: ProgramCatalog,
  {
    file,
    effectiveFrom,
    replicas,
    spreadMinutes = 0,
  }: { file: string; effectiveFrom: string; replicas: number; spreadMinutes?: number },
): Promise<Program> {
  const { input } = await loadProgramFile(file);
  const store = await openProgramStore(nc, { replicas });
  const program = await store.publish(
    {
      ...(input as Record<string, unknown>),
      effectiveFrom,
      lifecycle: { timeZone: 'UTC', spreadMinutes, rules: [LAPSE_RULE] },
    },
    new Date(),
    `${file} with a lapse rule`,
  );
  const deadline = Date.now() + 30_000;
  while (!catalog.get(program.version)) {
    if (Date.now() > deadline) throw new Error(`${program.version} never reached the catalog`);
    await sleep(50);
  }
  return program;
}

/** One lifecycle trigger as read back from the stream: its instants in ms. */
interface SeenTrigger {
  customerId: string;
  dueMs: number;
  firedMs: number;
  /** The JetStream message's timestamp: when the server stored it. */
  publishedMs: number;
}

export interface TriggerWatch {
  /** Triggers of the watched customers seen so far. */
  readonly seen: readonly SeenTrigger[];
  /** When (wall clock, ms) the latest of them arrived; undefined before the first. */
  lastArrivalMs(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Reads the TRIGGERS stream from its start with an ordered consumer, keeping the lifecycle
 * triggers of customers whose ids start with `customerPrefix`.
 */
export async function watchTriggers(
  js: JetStreamClient,
  customerPrefix: string,
): Promise<TriggerWatch> {
  const consumer = await js.consumers.get(TRIGGERS_STREAM, { filter_subjects: TRIGGERS_SUBJECTS });
  const messages = await consumer.consume();
  const seen: SeenTrigger[] = [];
  let lastArrival: number | undefined;
  const reading = (async () => {
    for await (const msg of messages) {
      const trigger = lifecycleTrigger.parse(msg.json());
      if (!trigger.customerId.startsWith(customerPrefix)) continue;
      seen.push({
        customerId: trigger.customerId,
        dueMs: Date.parse(trigger.dueAt),
        firedMs: Date.parse(trigger.firedAt),
        publishedMs: Number(msg.timestampNanos / 1_000n) / 1000,
      });
      lastArrival = Date.now();
    }
  })();
  return {
    seen,
    lastArrivalMs: () => lastArrival,
    async stop() {
      messages.stop();
      await reading;
    },
  };
}

/**
 * What the burst came to: every expected customer's trigger once (lost and duplicated checked as
 * for events), the lag from due to published with its two parts, and how long the burst took.
 */
export function summariseBurst(
  customers: readonly string[],
  seen: readonly SeenTrigger[],
  dueMs: number,
  /** Each customer's offset from the due instant under the program's spread (ms). */
  offsetOf: (customerId: string) => number = () => 0,
) {
  const check = checkDelivery(
    customers,
    seen.map((s) => s.customerId),
  );
  const last = seen.reduce((at, s) => Math.max(at, s.publishedMs), dueMs);
  const first = seen.reduce((at, s) => Math.min(at, s.publishedMs), last);
  const seconds = (ms: number) => Math.round(ms / 10) / 100;
  return {
    triggers_expected: customers.length,
    triggers_published: seen.length,
    lost: check.lost,
    duplicated: check.duplicated,
    /** Triggers whose `dueAt` is not the chosen instant (none when every sale was on time). */
    due_elsewhere: seen.filter((s) => s.dueMs !== dueMs).length,
    due_to_published_ms: roundedPercentiles(seen.map((s) => s.publishedMs - s.dueMs)),
    /** From the instant the customer's timer was set for (due plus their spread offset). */
    scheduled_to_published_ms: roundedPercentiles(
      seen.map((s) => s.publishedMs - s.dueMs - offsetOf(s.customerId)),
    ),
    /** Temporal firing the timer and the worker taking the workflow task (`firedAt`). */
    due_to_fired_ms: roundedPercentiles(seen.map((s) => s.firedMs - s.dueMs)),
    /** The clock's local activity publishing it, to the server's timestamp. */
    fired_to_published_ms: roundedPercentiles(seen.map((s) => s.publishedMs - s.firedMs)),
    /** From the due instant to the last trigger published. */
    burst_s: seconds(last - dueMs),
    /** From the first trigger published to the last, and the rate over that span. */
    first_to_last_published_s: seconds(last - first),
    published_per_s: last > first ? Math.round((seen.length / (last - first)) * 10_000) / 10 : null,
    examples: check.examples,
  };
}
