/**
 * Migration 3: the tables laid out for the pattern questions (engine/analytics/questions), and the
 * dimension tables and daily aggregates they read. Released: never edit these statements (the
 * database records their checksum); a change is a new migration.
 *
 * Layout
 * ------
 * - `events`, `sale_lines`, `return_lines` are partitioned by month of `occurred_at` and sorted by
 *   customer, then day, then the fact's natural key (store, transaction, line). A question about a
 *   period reads its months; one about a customer reads a few granules; and the same till sale
 *   re-sent under a new event id (after the stream's duplicate window) has the same sorting key,
 *   so it is the same row to the engine. Migration 1 sorted them by event id, which keeps such a
 *   sale twice and makes every question by customer, period or store read everything.
 * - Daily aggregates, filled by materialized views as rows are inserted: `customer_days`
 *   (customer × day × store × channel), `store_days` (day × store × associate × channel) and
 *   `category_days` (day × store × category × brand). SummingMergeTree: read with sum() and
 *   GROUP BY, never FINAL.
 * - Dimensions: `stores` (with coordinates), `products` (category, brand, price, cost), `staff`,
 *   `customers` (acquisition source, home store, household, demographics) and `tier_changes`.
 *
 * Duplicates are kept out at insert (facts.ts: the sink inserts only rows whose natural key the
 * table does not hold), not by FINAL at read: FINAL cost 130–460 ms per question on 5M lines here,
 * more than the aggregates' whole budget at 20M. The aggregates can only be exact that way, since
 * a materialized view sees every inserted block, duplicates included. The tables stay
 * ReplacingMergeTree on the natural key, so a duplicate written by a second writer still
 * collapses when parts merge.
 *
 * Personal data: `customers.birth_year` and `customers.gender` (for demographic cuts). Erasure
 * deletes the customer's row (`ALTER TABLE customers DELETE WHERE customer_id = …`).
 */
import type { Statement } from './statement.ts';

const time = "DateTime64(3, 'UTC')";

/** The three fact tables rebuilt, with their new definition (for `db.<name>_v3`). */
function rebuiltTables(
  db: string,
): { name: string; oldKey: string; create: string; columns: string; select?: string }[] {
  return [
    {
      name: 'events',
      oldKey: 'event_id',
      columns:
        'event_id, type, occurred_at, store_id, till_id, channel, customer_id, transaction_id, currency, total_minor, cost_minor, line_count, payload, stream_seq, received_at',
      // A profile change is keyed by its event id (it has no id of its own): it had ''.
      select:
        "event_id, type, occurred_at, store_id, till_id, channel, customer_id, if(type = 'profile.changed' AND transaction_id = '', event_id, transaction_id), currency, total_minor, cost_minor, line_count, payload, stream_seq, received_at",
      create: `CREATE TABLE IF NOT EXISTS ${db}.events_v3 (
  event_id String,
  type LowCardinality(String),
  occurred_at ${time},
  store_id LowCardinality(String),
  till_id String,
  channel LowCardinality(String),
  customer_id String,
  transaction_id String,
  associate_id String DEFAULT '',
  currency LowCardinality(String),
  total_minor Int64,
  cost_minor Int64,
  line_count UInt32,
  payload String,
  stream_seq UInt64,
  received_at ${time}
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (customer_id, toDate(occurred_at), type, store_id, transaction_id)`,
    },
    {
      name: 'sale_lines',
      oldKey: 'event_id, line_id',
      columns:
        'event_id, line_id, transaction_id, sku, category, brand, quantity, unit_price, full_price, discount, unit_cost, customer_id, store_id, occurred_at',
      create: `CREATE TABLE IF NOT EXISTS ${db}.sale_lines_v3 (
  event_id String,
  line_id String,
  transaction_id String,
  sku String,
  category LowCardinality(String),
  brand LowCardinality(String),
  quantity Int64,
  unit_price Int64,
  full_price Int64,
  discount Int64,
  unit_cost Int64,
  customer_id String,
  store_id LowCardinality(String),
  occurred_at ${time}
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (customer_id, toDate(occurred_at), store_id, transaction_id, line_id)`,
    },
    {
      name: 'return_lines',
      oldKey: 'event_id, line_id',
      columns:
        'event_id, line_id, transaction_id, original_transaction_id, sku, quantity, refund_amount, customer_id, store_id, occurred_at',
      create: `CREATE TABLE IF NOT EXISTS ${db}.return_lines_v3 (
  event_id String,
  line_id String,
  transaction_id String,
  original_transaction_id String,
  sku String,
  quantity Int64,
  refund_amount Int64,
  customer_id String,
  store_id LowCardinality(String),
  occurred_at ${time}
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (customer_id, toDate(occurred_at), store_id, transaction_id, line_id)`,
    },
  ];
}

/**
 * Rebuilds a fact table in its new layout: create `<t>_v3`, copy the rows (one per natural key),
 * exchange the two, drop the old one. The copy and the exchange run only while the table still
 * has its old sorting key, so running the migration again after any statement is safe.
 */
function rebuild(db: string, table: ReturnType<typeof rebuiltTables>[number]): Statement[] {
  const stillOld = `SELECT 1 FROM system.tables WHERE database = '${db}' AND name = '${table.name}' AND sorting_key = '${table.oldKey}'`;
  const target = `${db}.${table.name}_v3`;
  return [
    { sql: table.create, onlyIf: stillOld },
    { sql: `TRUNCATE TABLE IF EXISTS ${target}`, onlyIf: stillOld },
    {
      sql: `INSERT INTO ${target} (${table.columns}) SELECT ${table.select ?? table.columns} FROM ${db}.${table.name} FINAL`,
      onlyIf: stillOld,
    },
    { sql: `EXCHANGE TABLES ${db}.${table.name} AND ${target}`, onlyIf: stillOld },
    `DROP TABLE IF EXISTS ${target}`,
  ];
}

/** A daily aggregate: its table, the view that fills it, and its backfill from existing rows. */
function aggregate(db: string, name: string, create: string, select: string): Statement[] {
  const noView = `SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM system.tables WHERE database = '${db}' AND name = '${name}_mv')`;
  return [
    create,
    // Backfilled before the view exists, so no row is counted twice; skipped once it does.
    { sql: `TRUNCATE TABLE ${db}.${name}`, onlyIf: noView },
    { sql: `INSERT INTO ${db}.${name} ${select}`, onlyIf: noView },
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${name}_mv TO ${db}.${name} AS ${select}`,
  ];
}

function aggregates(db: string): Statement[] {
  const saleOrReturn = "type IN ('sale', 'return')";
  return [
    ...aggregate(
      db,
      'customer_days',
      `CREATE TABLE IF NOT EXISTS ${db}.customer_days (
  customer_id String,
  day Date,
  store_id LowCardinality(String),
  channel LowCardinality(String),
  sales UInt64,
  returns UInt64,
  net_minor Int64,
  cost_minor Int64,
  lines UInt64
) ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (customer_id, day, store_id, channel)`,
      `SELECT customer_id, toDate(occurred_at) AS day, store_id, channel,
  countIf(type = 'sale') AS sales, countIf(type = 'return') AS returns,
  sum(total_minor) AS net_minor, sum(cost_minor) AS cost_minor,
  sumIf(line_count, type = 'sale') AS lines
FROM ${db}.events WHERE customer_id != '' AND ${saleOrReturn}
GROUP BY customer_id, day, store_id, channel`,
    ),
    ...aggregate(
      db,
      'store_days',
      `CREATE TABLE IF NOT EXISTS ${db}.store_days (
  day Date,
  store_id LowCardinality(String),
  associate_id String,
  channel LowCardinality(String),
  sales UInt64,
  member_sales UInt64,
  returns UInt64,
  net_minor Int64,
  cost_minor Int64,
  lines UInt64
) ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, store_id, associate_id, channel)`,
      `SELECT toDate(occurred_at) AS day, store_id, associate_id, channel,
  countIf(type = 'sale') AS sales, countIf(type = 'sale' AND customer_id != '') AS member_sales,
  countIf(type = 'return') AS returns,
  sum(total_minor) AS net_minor, sum(cost_minor) AS cost_minor,
  sumIf(line_count, type = 'sale') AS lines
FROM ${db}.events WHERE ${saleOrReturn}
GROUP BY day, store_id, associate_id, channel`,
    ),
    ...aggregate(
      db,
      'category_days',
      `CREATE TABLE IF NOT EXISTS ${db}.category_days (
  day Date,
  store_id LowCardinality(String),
  category LowCardinality(String),
  brand LowCardinality(String),
  lines UInt64,
  units Int64,
  net_minor Int64,
  cost_minor Int64,
  full_price_net_minor Int64
) ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, store_id, category, brand)`,
      `SELECT toDate(occurred_at) AS day, store_id, category, brand,
  count() AS lines, sum(quantity) AS units,
  sum(quantity * unit_price - discount) AS net_minor, sum(quantity * unit_cost) AS cost_minor,
  sumIf(quantity * unit_price - discount, unit_price >= full_price AND discount = 0) AS full_price_net_minor
FROM ${db}.sale_lines
GROUP BY day, store_id, category, brand`,
    ),
  ];
}

function dimensions(db: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.stores (
  store_id String,
  name String,
  format LowCardinality(String),
  city String,
  region LowCardinality(String),
  country LowCardinality(String),
  latitude Float64,
  longitude Float64,
  opened_on Date,
  updated_at ${time}
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY store_id`,
    `CREATE TABLE IF NOT EXISTS ${db}.products (
  sku String,
  name String,
  category LowCardinality(String),
  brand LowCardinality(String),
  full_price Int64,
  unit_cost Int64,
  currency LowCardinality(String),
  updated_at ${time}
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY sku`,
    `CREATE TABLE IF NOT EXISTS ${db}.staff (
  staff_id String,
  store_id LowCardinality(String),
  role LowCardinality(String),
  hired_on Date,
  updated_at ${time}
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY staff_id`,
    // birth_year and gender are personal data (see the file's header).
    `CREATE TABLE IF NOT EXISTS ${db}.customers (
  customer_id String,
  registered_at ${time},
  acquisition_source LowCardinality(String),
  home_store_id LowCardinality(String),
  household_id String,
  customer_type LowCardinality(String),
  birth_year Nullable(UInt16),
  gender LowCardinality(String),
  updated_at ${time}
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY customer_id`,
    `CREATE TABLE IF NOT EXISTS ${db}.tier_changes (
  customer_id String,
  at ${time},
  from_tier LowCardinality(String),
  to_tier LowCardinality(String),
  reason LowCardinality(String)
) ENGINE = ReplacingMergeTree
ORDER BY (customer_id, at, to_tier)`,
  ];
}

/** Migration 3's statements, for the database `db` (a validated identifier). */
export function layoutForQuestions(db: string): Statement[] {
  return [
    ...rebuiltTables(db).flatMap((table) => rebuild(db, table)),
    ...aggregates(db),
    ...dimensions(db),
  ];
}
