/**
 * `clientele simulate`: a period's events through a candidate program next to the versions that
 * were in force, for every customer (or a segment's), in parallel on worker threads.
 *
 * Customers are split into partitions by a hash of their id; each partition's events are streamed
 * out of the analytics store (`stream`, raw text chunks, no parsing on this thread) to one worker,
 * which runs each customer's what-if once the partition is whole. Worker w takes partitions w,
 * w + W, …, so while one worker simulates, the next partition is read for another; a partition
 * is sized so a worker holds a few hundred thousand events at most.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fromClickHouseTime, toClickHouseTime } from '../analytics/rows.ts';
import { qualified } from '../analytics/schema.ts';
import type { AnalyticsStore, QueryParams } from '../analytics/store.ts';
import { addTotals, noTotals, type WhatIfTotals } from '../domain/customer/what-if.ts';
import type { CompiledSegment } from '../segments/sql.ts';
import type { FromWorker, RequestRow, ToWorker, WorkerSetup } from './simulate-messages.ts';

export interface SimulateOptions extends WorkerSetup {
  store: AnalyticsStore;
  /** Only these customers (a segment, as of `from`). */
  segment?: CompiledSegment;
  /** Worker threads (all cores by default). */
  workers?: number;
  onProgress?: (progress: SimulateProgress) => void;
  /** Told how much there is to do, before the work starts. */
  onScope?: (scope: Simulation['scope']) => void;
}

export interface SimulateProgress {
  customers: number;
  /** Events and requests replayed so far (each customer's history up to `to`). */
  inputs: number;
}

export interface Simulation {
  totals: WhatIfTotals;
  /** Customers and their events in the store up to `to` (the work), and in the period. */
  scope: { customers: number; events: number; periodEvents: number };
  workers: number;
  partitions: number;
  seconds: number;
  /** Events and requests replayed per second (both programs over the period count once). */
  eventsPerSecond: number;
}

/** A period with no events in it: there is nothing to simulate. */
export class EmptyPeriodError extends Error {
  override name = 'EmptyPeriodError';
}

/** Events a worker holds at most at once (about 1 KB of text each, several times that parsed). */
const EVENTS_PER_PARTITION = 250_000;

/** One stream out of the store at a time: the workers take turns, the store reads at full speed. */
function oneAtATime() {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = last.then(work, work);
    last = run.catch(() => undefined);
    return run;
  };
}

/** A worker thread running simulate-worker.ts (through simulate-worker.mjs), one partition at a time. */
function startWorker(setup: WorkerSetup, onProgress: (p: SimulateProgress) => void) {
  const worker = new Worker(new URL('./simulate-worker.mjs', import.meta.url));
  let waiting: { resolve: (t: WhatIfTotals) => void; reject: (e: Error) => void } | undefined;
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure = err;
    waiting?.reject(err);
    waiting = undefined;
  };
  worker.on('message', (message: FromWorker) => {
    if (message.type === 'progress') onProgress(message);
    else if (message.type === 'totals') {
      waiting?.resolve(message.totals);
      waiting = undefined;
    } else fail(new Error(`a simulation worker failed: ${message.message}`));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (code !== 0) fail(new Error(`a simulation worker exited with code ${code}`));
  });
  const send = (message: ToWorker, transfer: ArrayBuffer[] = []) => {
    if (failure) throw failure;
    worker.postMessage(message, transfer);
  };
  send({ type: 'setup', setup });
  return {
    send,
    totals: () =>
      new Promise<WhatIfTotals>((resolve, reject) => {
        if (failure) return reject(failure);
        waiting = { resolve, reject };
        send({ type: 'end' });
      }),
    stop: () => worker.terminate(),
  };
}

export async function simulate(options: SimulateOptions): Promise<Simulation> {
  const started = performance.now();
  const { store } = options;
  const t = (table: string) => qualified(store.database, table);
  const params: QueryParams = {
    ...(options.segment?.params ?? {}),
    asOf: toClickHouseTime(options.from),
    from: toClickHouseTime(options.from),
    to: toClickHouseTime(options.to),
  };
  const inSegment = options.segment ? `AND customer_id IN (${options.segment.sql})` : '';
  const [scope] = await store.query<{ customers: string; events: string; period: string }>(
    `SELECT uniqExact(customer_id) AS customers, count() AS events,
            countIf(occurred_at >= {from:DateTime64(3)}) AS period
     FROM ${t('events')}
     WHERE customer_id != '' AND occurred_at <= {to:DateTime64(3)} ${inSegment}`,
    params,
  );
  const periodEvents = Number(scope?.period ?? 0);
  if (periodEvents === 0) {
    throw new EmptyPeriodError(
      `no customer events between ${options.from} and ${options.to}${options.segment ? ' in the segment' : ''}: nothing to simulate`,
    );
  }
  const events = Number(scope?.events ?? 0);
  const customers = Number(scope?.customers ?? 0);
  options.onScope?.({ customers, events, periodEvents });
  const workers = Math.max(1, options.workers ?? availableParallelism());
  const partitions = Math.max(workers, Math.ceil(events / EVENTS_PER_PARTITION));
  const part = `cityHash64(customer_id) % ${partitions} = {partition:UInt32}`;

  const progress: SimulateProgress = { customers: 0, inputs: 0 };
  const onProgress = (p: SimulateProgress) => {
    progress.customers += p.customers;
    progress.inputs += p.inputs;
    options.onProgress?.(progress);
  };
  const setup: WorkerSetup = {
    base: options.base,
    baseline: options.baseline,
    candidate: options.candidate,
    from: options.from,
    to: options.to,
  };
  const pool = Array.from({ length: workers }, () => startWorker(setup, onProgress));
  const reading = oneAtATime();
  const totals = noTotals();
  try {
    await Promise.all(
      pool.map(async (worker, w) => {
        for (let p = w; p < partitions; p += workers) {
          const partition = { ...params, partition: p };
          await reading(async () => {
            const rows = await store.query<{
              customer_id: string;
              kind: RequestRow['kind'];
              transaction_id: string;
              points: string;
              store_id: string;
              at: string;
              program_version: string;
            }>(
              `SELECT customer_id, kind, transaction_id, toString(points) AS points, store_id,
                      toString(occurred_at) AS at, program_version
               FROM ${t('ledger')} FINAL
               WHERE kind IN ('redeem', 'partner-burn', 'redeem-cancel')
                 AND occurred_at <= {to:DateTime64(3)} AND ${part} ${inSegment}`,
              partition,
            );
            worker.send({
              type: 'requests',
              rows: rows.map((r) => ({
                customerId: r.customer_id,
                kind: r.kind,
                transactionId: r.transaction_id,
                points: Number(r.points),
                storeId: r.store_id,
                at: fromClickHouseTime(r.at),
                version: r.program_version,
              })),
            });
            for await (const chunk of store.stream(
              `SELECT customer_id, payload, toUnixTimestamp64Milli(received_at)
               FROM ${t('events')}
               WHERE customer_id != '' AND occurred_at <= {to:DateTime64(3)} AND ${part} ${inSegment}`,
              partition,
            )) {
              // A copy the worker owns (the store may reuse its buffer).
              const owned = chunk.slice();
              worker.send({ type: 'events', chunk: owned }, [owned.buffer as ArrayBuffer]);
            }
          });
          addTotals(totals, await worker.totals());
        }
      }),
    );
  } finally {
    await Promise.all(pool.map((worker) => worker.stop()));
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    totals,
    scope: { customers, events, periodEvents },
    workers,
    partitions,
    seconds,
    eventsPerSecond: progress.inputs / seconds,
  };
}
