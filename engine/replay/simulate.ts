/**
 * `clientele simulate`: a period's events through a candidate program next to the versions that
 * were in force, for every customer (or a segment's), replayed in partitions on worker threads
 * (partitioned.ts), the partitions' totals added up.
 */

import { toClickHouseTime } from '../analytics/rows.ts';
import { qualified } from '../analytics/schema.ts';
import type { AnalyticsStore, QueryParams } from '../analytics/store.ts';
import { addTotals, noTotals, type WhatIfTotals } from '../domain/customer/what-if.ts';
import type { CompiledSegment } from '../segments/sql.ts';
import { type ReplayProgress, replayPartitioned } from './partitioned.ts';
import type { WhatIfJob } from './worker-messages.ts';

export interface SimulateOptions extends Omit<WhatIfJob, 'kind'> {
  store: AnalyticsStore;
  /** Only these customers (a segment, as of `from`). */
  segment?: CompiledSegment;
  /** Worker threads (all cores by default). */
  workers?: number;
  onProgress?: (progress: ReplayProgress) => void;
  /** Told how much there is to do, before the work starts. */
  onScope?: (scope: Simulation['scope']) => void;
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

export async function simulate(options: SimulateOptions): Promise<Simulation> {
  const started = performance.now();
  const { store } = options;
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
     FROM ${qualified(store.database, 'events')}
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
  const totals = noTotals();
  const run = await replayPartitioned({
    store,
    job: {
      kind: 'what-if',
      base: options.base,
      baseline: options.baseline,
      candidate: options.candidate,
      from: options.from,
      to: options.to,
    },
    until: options.to,
    timeline: 'occurred',
    events,
    ...(options.segment
      ? { customers: { sql: `customer_id IN (${options.segment.sql})`, params } }
      : {}),
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    onResult: (partition) => addTotals(totals, partition),
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    totals,
    scope: { customers, events, periodEvents },
    workers: run.workers,
    partitions: run.partitions,
    seconds,
    eventsPerSecond: run.progress.inputs / seconds,
  };
}
