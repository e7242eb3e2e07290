/**
 * Each table's natural key, and inserting rows once by it.
 *
 * The sink calls `insertOnce` for every table of a batch: it drops rows repeated within the batch
 * and rows whose key the table already holds, then appends the rest. So a batch redelivered after
 * a crash between two tables' inserts, a message nak'ed and redelivered into another batch, or a
 * sale re-sent under a new event id, all leave exactly one row per fact, and the daily aggregates
 * the materialized views fill from inserted blocks stay exact (layout-v3.ts).
 *
 * The look-up is narrowed by the table's sorting key or partition (the batch's customers, stores,
 * period), so it reads a few granules, not the table. It assumes one writer per table at a time,
 * which the sink is (its flushes run one after another); a second writer's copy would still
 * collapse when parts merge (ReplacingMergeTree on the same key).
 */
import type { TableRows } from './rows.ts';
import { qualified, type TableName } from './schema.ts';
import type { AnalyticsStore } from './store.ts';

interface FactKey<T extends TableName> {
  /** Columns that name the fact: rows with the same values are the same fact. */
  key: readonly (keyof TableRows[T] & string)[];
  /** A column whose batch values bound the look-up (a prefix of the sorting key). */
  among?: keyof TableRows[T] & string;
  /** A time column whose batch range bounds the look-up (partitions by month). */
  between?: keyof TableRows[T] & string;
}

export const FACT_KEYS: { [T in TableName]: FactKey<T> } = {
  // A till sale re-sent under a new event id is the same sale: its customer, store and
  // transaction. (Events without a transaction carry their own id there: rows.ts `ownId`.)
  events: {
    key: ['customer_id', 'type', 'store_id', 'transaction_id'],
    among: 'customer_id',
    between: 'occurred_at',
  },
  sale_lines: {
    key: ['store_id', 'transaction_id', 'line_id'],
    among: 'customer_id',
    between: 'occurred_at',
  },
  return_lines: {
    key: ['store_id', 'transaction_id', 'line_id'],
    among: 'customer_id',
    between: 'occurred_at',
  },
  // A revision of a ledger line is a new row; the highest revision is the line's value.
  ledger: { key: ['entry_id', 'revision'], among: 'customer_id' },
  cues: { key: ['cue_id'], among: 'store_id' },
  lifecycle_triggers: { key: ['trigger_id'], among: 'customer_id' },
  fraud_flags: { key: ['flag_id'], among: 'store_id' },
  dead_letters: { key: ['stream', 'seq'], among: 'stream' },
  // Dimensions are versioned by updated_at: a newer version is a new row.
  stores: { key: ['store_id', 'updated_at'] },
  products: { key: ['sku', 'updated_at'] },
  staff: { key: ['staff_id', 'updated_at'] },
  customers: { key: ['customer_id', 'updated_at'], among: 'customer_id' },
  tier_changes: { key: ['customer_id', 'at', 'to_tier'], among: 'customer_id' },
  segment_changes: { key: ['customer_id', 'segment_id', 'change', 'at'], among: 'customer_id' },
  customer_tags: { key: ['customer_id', 'event_id'], among: 'customer_id' },
  profile_changes: { key: ['customer_id', 'event_id', 'field'], among: 'customer_id' },
  audit_log: { key: ['audit_id'], among: 'customer_id' },
  // One row per receipt, as for its lines: a sale re-sent under a new event id is the same.
  baskets: {
    key: ['customer_id', 'store_id', 'transaction_id'],
    among: 'customer_id',
    between: 'occurred_at',
  },
};

/** Tokens in keys never hold this character (ids are letters, digits, `.`, `_`, `:`, `-`). */
const SEPARATOR = '\u001f';

function keyOf<T extends TableName>(table: T, row: TableRows[T]): string {
  return FACT_KEYS[table].key.map((column) => String(row[column])).join(SEPARATOR);
}

/**
 * Appends the rows of `rows` whose natural key neither an earlier row of `rows` nor the table
 * holds. Resolves with the number of rows appended.
 */
export async function insertOnce<T extends TableName>(
  store: Pick<AnalyticsStore, 'database' | 'query' | 'insert'>,
  table: T,
  rows: readonly TableRows[T][],
): Promise<number> {
  if (rows.length === 0) return 0;
  const fresh = new Map<string, TableRows[T]>();
  for (const row of rows) {
    const key = keyOf(table, row);
    if (!fresh.has(key)) fresh.set(key, row);
  }
  for (const key of await storedKeys(store, table, [...fresh.values()])) fresh.delete(key);
  const toInsert = [...fresh.values()];
  if (toInsert.length > 0) await store.insert(table, toInsert);
  return toInsert.length;
}

async function storedKeys<T extends TableName>(
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  table: T,
  rows: readonly TableRows[T][],
): Promise<string[]> {
  const spec = FACT_KEYS[table];
  // concat rather than concatWithSeparator, which servers before 22.x lack.
  const keyExpr = `concat(${spec.key.map((c) => `toString(${c})`).join(`, ${sqlString(SEPARATOR)}, `)})`;
  const where = [`${keyExpr} IN {keys:Array(String)}`];
  const params: Record<string, string | string[]> = { keys: rows.map((r) => keyOf(table, r)) };
  if (spec.among) {
    const column = spec.among;
    where.push(`${column} IN {among:Array(String)}`);
    params.among = [...new Set(rows.map((r) => String(r[column])))];
  }
  if (spec.between) {
    const column = spec.between;
    const times = rows.map((r) => String(r[column])).sort();
    where.push(`${column} BETWEEN {from:DateTime64(3, 'UTC')} AND {to:DateTime64(3, 'UTC')}`);
    params.from = times[0] as string;
    params.to = times[times.length - 1] as string;
  }
  const found = await store.query<{ k: string }>(
    `SELECT ${keyExpr} AS k FROM ${qualified(store.database, table)} WHERE ${where.join(' AND ')}`,
    params,
  );
  return found.map((row) => row.k);
}

/** A constant string literal (only for the fixed separator, never for a value). */
function sqlString(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}
