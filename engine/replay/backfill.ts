/**
 * `clientele backfill`: the tables the analytics store derives from the events (the points
 * ledger, tier changes, segment entries and exits, lifecycle occasions) derived again from the
 * raw event log with the current rules, after a fix. Every customer is replayed as the customer
 * workflow runs (`deriveCustomer`, domain/customer/rebuild.ts), each event under the version in
 * force at its time, on worker threads (partitioned.ts); then each partition's rows are replaced.
 *
 * Idempotent: the same log gives the same rows, and a second run replaces them with themselves.
 * Interrupted, a partition may be left without its rows: run it again.
 *
 * The ledger's lines of granted requests (redemptions, cancellations, merges, household
 * transfers) are the log of what was granted, not derived: each is replaced by the rebuild's
 * line when the rebuild writes it again, and otherwise kept as it is. Customers in a merge are
 * rebuilt one by one with the other side's log (customer-log.ts); customers with household
 * transfers are left alone (pooling is not rebuilt) and counted.
 */

import {
  ledgerRow,
  lifecycleTriggerRow,
  segmentChangeRow,
  tierChangeRow,
} from '../analytics/rows.ts';
import { qualified } from '../analytics/schema.ts';
import type { AnalyticsStore, QueryParams } from '../analytics/store.ts';
import { deriveCustomer } from '../domain/customer/rebuild.ts';
import { createProgramCatalog } from '../services/program-catalog.ts';
import { readCustomerLog } from './customer-log.ts';
import { type ReplayProgress, replayPartitioned } from './partitioned.ts';
import type { BackfillJob, DerivedRows } from './worker-messages.ts';

export const DERIVED_TABLES = [
  'ledger',
  'tier_changes',
  'segment_changes',
  'lifecycle_triggers',
] as const;

/** Ledger lines recording a granted request: kept unless the rebuild writes them again. */
const REQUEST_KINDS = [
  'redeem',
  'partner-burn',
  'redeem-cancel',
  'merge-in',
  'merge-out',
  'pool-in',
  'pool-out',
];

export interface BackfillOptions extends Omit<BackfillJob, 'kind'> {
  store: AnalyticsStore;
  workers?: number;
  onScope?: (scope: { customers: number; events: number }) => void;
  onProgress?: (progress: ReplayProgress) => void;
}

export interface Backfill {
  customers: number;
  events: number;
  /** Customers in a merge, rebuilt one by one. */
  merged: number;
  /** Customers with household transfers, left as they were. */
  leftAlone: number;
  /** Rows written per table. */
  rows: Record<(typeof DERIVED_TABLES)[number], number>;
  workers: number;
  partitions: number;
  seconds: number;
}

/** Inserts in batches of this many rows. */
const INSERT_BATCH = 50_000;

export async function backfill(options: BackfillOptions): Promise<Backfill> {
  const started = performance.now();
  const { store } = options;
  const t = (table: string) => qualified(store.database, table);
  const special = await store.query<{ customer_id: string; pooled: number }>(
    `SELECT customer_id, max(kind IN ('pool-in', 'pool-out')) AS pooled FROM ${t('ledger')}
     WHERE kind IN ('merge-in', 'merge-out', 'pool-in', 'pool-out') GROUP BY customer_id`,
  );
  const aside = special.map((s) => s.customer_id);
  const notAside = 'NOT has({aside:Array(String)}, customer_id)';
  const [scope] = await store.query<{ customers: string; events: string }>(
    `SELECT uniqExact(customer_id) AS customers, count() AS events FROM ${t('events')}
     WHERE customer_id != '' AND ${notAside}`,
    { aside },
  );
  const events = Number(scope?.events ?? 0);
  const customers = Number(scope?.customers ?? 0);
  options.onScope?.({ customers: customers + aside.length, events });
  const written: Backfill['rows'] = {
    ledger: 0,
    tier_changes: 0,
    segment_changes: 0,
    lifecycle_triggers: 0,
  };

  /** Replaces the derived rows `where` selects with `rows`. */
  const replace = async (rows: DerivedRows, where: string, params: QueryParams) => {
    const produced = rows.ledger
      .filter((r) => REQUEST_KINDS.includes(r.kind))
      .map((r) => r.entry_id);
    for (const table of DERIVED_TABLES) {
      const keep =
        table === 'ledger'
          ? ` AND (kind NOT IN {requestKinds:Array(String)} OR has({produced:Array(String)}, entry_id))`
          : '';
      await store.command(
        `ALTER TABLE ${t(table)} DELETE WHERE ${where}${keep} SETTINGS mutations_sync = 1`,
        { ...params, requestKinds: REQUEST_KINDS, produced },
      );
      const list = rows[table] as never[];
      for (let i = 0; i < list.length; i += INSERT_BATCH) {
        await store.insert(table, list.slice(i, i + INSERT_BATCH));
      }
      written[table] += list.length;
    }
  };

  const job: BackfillJob = {
    kind: 'backfill',
    base: options.base,
    versions: options.versions,
    until: options.until,
  };
  const run = await replayPartitioned({
    store,
    job,
    until: options.until,
    events,
    customers: { sql: notAside, params: { aside } },
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    onResult: (rows, partition) => replace(rows, partition.where, partition.params),
  });

  // Merges: every log read before any of their rows is replaced (each reads the other side's).
  const merged = special.filter((s) => Number(s.pooled) === 0).map((s) => s.customer_id);
  const logs = await Promise.all(merged.map((id) => readCustomerLog(store, id)));
  const catalog = createProgramCatalog(options.versions);
  for (const read of logs) {
    const derived = deriveCustomer(read.log, { catalog, base: options.base, until: options.until });
    await replace(
      {
        ledger: derived.ledger.map(ledgerRow),
        tier_changes: derived.tierChanges.map(tierChangeRow),
        segment_changes: derived.segments.map(segmentChangeRow),
        lifecycle_triggers: derived.lifecycle.map(lifecycleTriggerRow),
      },
      'customer_id = {customerId:String}',
      { customerId: read.log.customerId },
    );
    run.progress.customers += 1;
    options.onProgress?.(run.progress);
  }
  return {
    customers: run.progress.customers,
    events,
    merged: merged.length,
    leftAlone: aside.length - merged.length,
    rows: written,
    workers: run.workers,
    partitions: run.partitions,
    seconds: (performance.now() - started) / 1000,
  };
}
