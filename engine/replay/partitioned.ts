/**
 * Every customer's log replayed on worker threads (replay-worker.ts), for `clientele simulate` and
 * `clientele backfill`. Customers are split into partitions by a hash of their id; each
 * partition's events stream out of the analytics store (`stream`, raw text chunks, no parsing on
 * this thread) to one worker with the partition's granted redemptions, and the worker answers
 * with the partition's result once it is whole. Worker w takes partitions w, w + W, …, so while
 * one worker replays, the next partition is read for another; a partition is sized so a worker
 * holds a few hundred thousand events at most.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fromClickHouseTime, toClickHouseTime } from '../analytics/rows.ts';
import { qualified } from '../analytics/schema.ts';
import type { AnalyticsStore, QueryParams } from '../analytics/store.ts';
import type { Timeline } from '../domain/customer/rebuild.ts';
import type { FromWorker, JobResult, ReplayJob, RequestRow, ToWorker } from './worker-messages.ts';

/** Events a worker holds at most at once (about 1 KB of text each, several times that parsed). */
const EVENTS_PER_PARTITION = 250_000;

export interface ReplayProgress {
  customers: number;
  /** Events and requests replayed so far. */
  inputs: number;
}

export interface PartitionedOptions<J extends ReplayJob> {
  store: AnalyticsStore;
  job: J;
  /** Events up to this instant on `timeline`: received by then, or occurred by then. */
  until: string;
  timeline: Timeline;
  /** How many events there are to replay (sizes the partitions). */
  events: number;
  /** Only these customers: a condition on `customer_id`, with its parameters. */
  customers?: { sql: string; params: QueryParams };
  /** Worker threads (every core by default). */
  workers?: number;
  onProgress?: (progress: ReplayProgress) => void;
  /** Each partition's result, in turn; the next partition is read meanwhile. */
  onResult: (
    result: JobResult<J>,
    partition: { index: number; where: string; params: QueryParams },
  ) => Promise<void> | void;
}

/**
 * One use of the store at a time (a stream, or what the caller does with a result): the workers
 * take turns, and the store reads at full speed.
 */
function oneAtATime() {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = last.then(work, work);
    last = run.catch(() => undefined);
    return run;
  };
}

/** A worker thread (through replay-worker.mjs, which loads the TypeScript), one partition at a time. */
function startWorker<J extends ReplayJob>(job: J, onProgress: (p: ReplayProgress) => void) {
  const worker = new Worker(new URL('./replay-worker.mjs', import.meta.url));
  let waiting: { resolve: (r: JobResult<J>) => void; reject: (e: Error) => void } | undefined;
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure = err;
    waiting?.reject(err);
    waiting = undefined;
  };
  worker.on('message', (message: FromWorker) => {
    if (message.type === 'progress') onProgress(message);
    else if (message.type === 'result') {
      waiting?.resolve(message.result as JobResult<J>);
      waiting = undefined;
    } else fail(new Error(`a replay worker failed: ${message.message}`));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (code !== 0) fail(new Error(`a replay worker exited with code ${code}`));
  });
  const send = (message: ToWorker, transfer: ArrayBuffer[] = []) => {
    if (failure) throw failure;
    worker.postMessage(message, transfer);
  };
  send({ type: 'setup', job });
  return {
    send,
    result: () =>
      new Promise<JobResult<J>>((resolve, reject) => {
        if (failure) return reject(failure);
        waiting = { resolve, reject };
        send({ type: 'end' });
      }),
    stop: () => worker.terminate(),
  };
}

export async function replayPartitioned<J extends ReplayJob>(
  options: PartitionedOptions<J>,
): Promise<{ workers: number; partitions: number; progress: ReplayProgress }> {
  const { store } = options;
  const t = (table: string) => qualified(store.database, table);
  const workers = Math.max(1, options.workers ?? availableParallelism());
  const partitions = Math.max(workers, Math.ceil(options.events / EVENTS_PER_PARTITION));
  const only = options.customers ? `AND ${options.customers.sql}` : '';
  const params: QueryParams = {
    ...(options.customers?.params ?? {}),
    until: toClickHouseTime(options.until),
  };
  const timeColumn = options.timeline === 'received' ? 'received_at' : 'occurred_at';
  const progress: ReplayProgress = { customers: 0, inputs: 0 };
  const onProgress = (p: ReplayProgress) => {
    progress.customers += p.customers;
    progress.inputs += p.inputs;
    options.onProgress?.(progress);
  };
  const pool = Array.from({ length: workers }, () => startWorker(options.job, onProgress));
  const reading = oneAtATime();
  try {
    await Promise.all(
      pool.map(async (worker, w) => {
        for (let index = w; index < partitions; index += workers) {
          const where = `cityHash64(customer_id) % ${partitions} = {partition:UInt32} ${only}`;
          const partition = { ...params, partition: index };
          await reading(async () => {
            const rows = await store.query<{
              customer_id: string;
              kind: RequestRow['kind'];
              transaction_id: string;
              points: string;
              store_id: string;
              partner_id: string;
              at: string;
              program_version: string;
            }>(
              `SELECT customer_id, kind, transaction_id, toString(points) AS points, store_id,
                      partner_id, toString(occurred_at) AS at, program_version
               FROM ${t('ledger')} FINAL
               WHERE kind IN ('redeem', 'partner-burn', 'redeem-cancel')
                 AND occurred_at <= {until:DateTime64(3)} AND ${where}`,
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
                partnerId: r.partner_id,
                at: fromClickHouseTime(r.at),
                version: r.program_version,
              })),
            });
            for await (const chunk of store.stream(
              `SELECT customer_id, payload, toUnixTimestamp64Milli(received_at)
               FROM ${t('events')}
               WHERE customer_id != '' AND ${timeColumn} <= {until:DateTime64(3)} AND ${where}`,
              partition,
            )) {
              // A copy the worker owns (the store may reuse its buffer).
              const owned = chunk.slice();
              worker.send({ type: 'events', chunk: owned }, [owned.buffer as ArrayBuffer]);
            }
          });
          const result = await worker.result();
          // (chDB runs one statement beside a stream at most: what the caller writes waits its turn)
          await reading(async () => options.onResult(result, { index, where, params: partition }));
        }
      }),
    );
  } finally {
    await Promise.all(pool.map((worker) => worker.stop()));
  }
  return { workers, partitions, progress };
}
