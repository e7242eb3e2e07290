/**
 * `clientele backfill`: the tables the analytics store derives from the events (the points
 * ledger, tier changes, segment entries and exits, lifecycle occasions) derived again from the
 * raw event log with the current rules, after a fix. Every customer is replayed as the customer
 * workflow runs (`deriveCustomer`, domain/customer/rebuild.ts), each event under the version in
 * force at its time, on worker threads (partitioned.ts).
 *
 * The rows go to staging tables (`<table>_backfill`) first; only once every customer is derived
 * are the tables' rows replaced, one mutation per table (a mutation rewrites the table's parts,
 * so one per partition would rewrite the table as many times). Interrupted before that, nothing
 * changed; during it, run it again. The same log gives the same rows: a second run changes
 * nothing.
 *
 * The ledger's lines of granted requests (redemptions, cancellations, merges, household
 * transfers) are the log of what was granted, not derived: they are never deleted; the
 * rebuild's own line of one (the same key) replaces it when the table collapses its copies
 * (`OPTIMIZE … FINAL` at the end). Customers in a merge are rebuilt one by one with the other
 * side's log (customer-log.ts); customers with household transfers are left as they were
 * (pooling is not rebuilt), and counted.
 */

import {
  ledgerRow,
  lifecycleTriggerRow,
  segmentChangeRow,
  tierChangeRow,
  toClickHouseTime,
} from '../analytics/rows.ts';
import { qualified } from '../analytics/schema.ts';
import type { AnalyticsStore } from '../analytics/store.ts';
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
  /** Every customer is derived: the tables' rows are being replaced. */
  onReplacing?: () => void;
}

export interface Backfill {
  customers: number;
  events: number;
  /** Customers in a merge, rebuilt one by one. */
  merged: number;
  /** Customers with household transfers, left as they were. */
  leftAlone: number;
  /** Ledger lines of granted requests the rules no longer write (kept as they were). */
  requestsNotRederived: number;
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
  const staging = (table: string) => t(`${table}_backfill`);
  const special = await store.query<{ customer_id: string; pooled: number }>(
    `SELECT customer_id, max(kind IN ('pool-in', 'pool-out')) AS pooled FROM ${t('ledger')}
     WHERE kind IN ('merge-in', 'merge-out', 'pool-in', 'pool-out') GROUP BY customer_id`,
  );
  const aside = special.map((s) => s.customer_id);
  const pooled = special.filter((s) => Number(s.pooled) !== 0).map((s) => s.customer_id);
  const merged = special.filter((s) => Number(s.pooled) === 0).map((s) => s.customer_id);
  const [scope] = await store.query<{ customers: string; events: string }>(
    `SELECT uniqExact(customer_id) AS customers, count() AS events FROM ${t('events')}
     WHERE customer_id != '' AND NOT has({aside:Array(String)}, customer_id)`,
    { aside },
  );
  const events = Number(scope?.events ?? 0);
  const customers = Number(scope?.customers ?? 0);
  options.onScope?.({ customers: customers + merged.length, events });

  for (const table of DERIVED_TABLES) {
    await store.command(`DROP TABLE IF EXISTS ${staging(table)}`);
    await store.command(`CREATE TABLE ${staging(table)} AS ${t(table)}`);
  }
  const written: Backfill['rows'] = {
    ledger: 0,
    tier_changes: 0,
    segment_changes: 0,
    lifecycle_triggers: 0,
  };
  const stage = async (rows: DerivedRows) => {
    for (const table of DERIVED_TABLES) {
      const list = rows[table] as never[];
      for (let i = 0; i < list.length; i += INSERT_BATCH) {
        // (a staging table has its table's columns: the rows are that table's)
        await store.insert(`${table}_backfill` as never, list.slice(i, i + INSERT_BATCH));
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
    timeline: 'received',
    events,
    customers: { sql: 'NOT has({aside:Array(String)}, customer_id)', params: { aside } },
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    onResult: (rows) => stage(rows),
  });

  // Merges: each read with the other side's log, from the tables as they still are.
  const catalog = createProgramCatalog(options.versions);
  for (const customerId of merged) {
    const read = await readCustomerLog(store, customerId);
    const derived = deriveCustomer(read.log, { catalog, base: options.base, until: options.until });
    await stage({
      ledger: derived.ledger.map(ledgerRow),
      tier_changes: derived.tierChanges.map(tierChangeRow),
      segment_changes: derived.segments.map(segmentChangeRow),
      lifecycle_triggers: derived.lifecycle.map(lifecycleTriggerRow),
    });
    run.progress.customers += 1;
    options.onProgress?.(run.progress);
  }

  // Granted requests the rules refuse now (a redemption the rebuilt balance does not cover):
  // kept as the log of what was granted, and counted for the operator to look into.
  const [kept] = await store.query<{ n: string }>(
    `SELECT count() AS n FROM ${t('ledger')} FINAL
     WHERE kind IN {requestKinds:Array(String)} AND NOT has({pooled:Array(String)}, customer_id)
       AND occurred_at <= {until:DateTime64(3)}
       AND (customer_id, entry_id) NOT IN (SELECT customer_id, entry_id FROM ${staging('ledger')})`,
    { requestKinds: REQUEST_KINDS, pooled, until: toClickHouseTime(options.until) },
  );

  // Every customer derived: the rows are replaced, one mutation per table.
  options.onReplacing?.();
  for (const table of DERIVED_TABLES) {
    const derivedOnly = table === 'ledger' ? ' AND kind NOT IN {requestKinds:Array(String)}' : '';
    await store.command(
      `ALTER TABLE ${t(table)} DELETE WHERE NOT has({pooled:Array(String)}, customer_id)${derivedOnly}
       SETTINGS mutations_sync = 1`,
      { pooled, requestKinds: REQUEST_KINDS },
    );
    await store.command(`INSERT INTO ${t(table)} SELECT * FROM ${staging(table)}`);
    await store.command(`DROP TABLE ${staging(table)}`);
  }
  // The rebuild's lines of granted requests replace the stored ones (same key, written later).
  await store.command(`OPTIMIZE TABLE ${t('ledger')} FINAL`);
  return {
    customers: run.progress.customers,
    events,
    merged: merged.length,
    leftAlone: pooled.length,
    requestsNotRederived: Number(kept?.n ?? 0),
    rows: written,
    workers: run.workers,
    partitions: run.partitions,
    seconds: (performance.now() - started) / 1000,
  };
}
