/**
 * Migration 7: `baskets`, one row per sale receipt, and `line_days`, daily figures by category,
 * brand and SKU. Released once shipped: never edit these statements (the database records their
 * checksum); a change is a new migration.
 *
 * Why
 * ---
 * Cross-sell, category affinity and the full-price index group 20M sale lines by receipt or by
 * customer and category; `sales` by category, brand or SKU counts distinct receipts per value.
 * Each cost seconds at that size. A receipt's figures and its sorted set of categories, brands
 * and SKUs, stored once per receipt, make the first a scan of a fifth as many rows; daily sums by
 * value make the second a scan of a few hundred thousand.
 *
 * - `baskets` (ReplacingMergeTree, sorted like `sale_lines`) is written by the row mapping of a
 *   sale (rows.ts `basketRow`), once per receipt by its natural key (facts.ts), so the sink and
 *   the generator write it as they write the lines. The arrays are aligned, one place per distinct
 *   category, sorted by byte order: what ClickHouse's `arraySort` gives, so the backfill below
 *   writes the same rows.
 * - `line_days` (SummingMergeTree: read with sum() and GROUP BY, never FINAL) holds, per day,
 *   dimension ('category' | 'brand' | 'sku') and value: receipts, lines, units, net and cost. Two
 *   views fill it: lines, units, net and cost from each inserted sale line; receipts from each
 *   inserted basket, one per distinct value it holds. So a receipt with the same SKU on two lines
 *   counts once, however its lines were split into insert blocks.
 *
 * The backfill, from the stored sale lines, runs only while the baskets' view does not exist (the
 * last statement creates it): a run that died half way truncates both tables and starts again.
 * Like migration 3's aggregates, it assumes nothing is inserted while it runs.
 */
import type { Statement } from './statement.ts';

/** A sale line's net, and the full-price rule full-price-index reads (as rows.ts `basketRow`). */
const LINE_NET = '(quantity * unit_price - discount)';
const FULL_PRICE = 'unit_price >= full_price AND discount = 0';

/** Each inserted row's (dimension, value) pairs, for `ARRAY JOIN … AS dv`. */
const LINE_VALUES = "[('category', toString(category)), ('brand', toString(brand)), ('sku', sku)]";
const BASKET_VALUES = `arrayConcat(
    arrayMap(c -> ('category', toString(c)), categories),
    arrayMap(b -> ('brand', toString(b)), brands),
    arrayMap(s -> ('sku', s), skus))`;

/** Migration 7's statements, for the database `db` (a validated identifier). */
export function basketStatements(db: string): Statement[] {
  const backfilling = `SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM system.tables WHERE database = '${db}' AND name = 'line_days_baskets_mv')`;
  const linesSelect = `SELECT toDate(occurred_at) AS day, dv.1 AS dimension, dv.2 AS value,
  toUInt64(0) AS receipts, count() AS lines, sum(quantity) AS units,
  sum(${LINE_NET}) AS net_minor, sum(quantity * unit_cost) AS cost_minor
FROM ${db}.sale_lines ARRAY JOIN ${LINE_VALUES} AS dv
GROUP BY day, dimension, value`;
  const basketsSelect = `SELECT toDate(occurred_at) AS day, dv.1 AS dimension, dv.2 AS value,
  count() AS receipts, toUInt64(0) AS lines, toInt64(0) AS units,
  toInt64(0) AS net_minor, toInt64(0) AS cost_minor
FROM ${db}.baskets ARRAY JOIN ${BASKET_VALUES} AS dv
GROUP BY day, dimension, value`;
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.baskets (
  customer_id String,
  occurred_at DateTime64(3, 'UTC'),
  store_id LowCardinality(String),
  transaction_id String,
  lines UInt32,
  net_minor Int64,
  cost_minor Int64,
  full_price_net_minor Int64,
  categories Array(LowCardinality(String)),
  category_net_minor Array(Int64),
  category_lines Array(UInt32),
  brands Array(LowCardinality(String)),
  skus Array(String)
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (customer_id, toDate(occurred_at), store_id, transaction_id)`,
    `CREATE TABLE IF NOT EXISTS ${db}.line_days (
  day Date,
  dimension LowCardinality(String),
  value String,
  receipts UInt64,
  lines UInt64,
  units Int64,
  net_minor Int64,
  cost_minor Int64
) ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (dimension, day, value)`,
    // A run that died after creating the lines' view must not count the backfill's lines twice.
    { sql: `DROP TABLE IF EXISTS ${db}.line_days_lines_mv`, onlyIf: backfilling },
    { sql: `TRUNCATE TABLE ${db}.baskets`, onlyIf: backfilling },
    { sql: `TRUNCATE TABLE ${db}.line_days`, onlyIf: backfilling },
    {
      // Grouped in two steps: lines by receipt, then each receipt's categories from its lines.
      sql: `INSERT INTO ${db}.baskets (customer_id, occurred_at, store_id, transaction_id, lines,
  net_minor, cost_minor, full_price_net_minor, categories, category_net_minor, category_lines,
  brands, skus)
SELECT customer_id, at, store_id, transaction_id, lines, net_minor, cost_minor,
  full_price_net_minor, cats,
  arrayMap(c -> arraySum(arrayFilter((net, cat) -> cat = c, per.2, per.1)), cats),
  arrayMap(c -> toUInt32(countEqual(per.1, c)), cats),
  brands, skus
FROM (
  SELECT customer_id, toDate(occurred_at) AS day, store_id, transaction_id,
    min(occurred_at) AS at, toUInt32(count()) AS lines,
    sum(${LINE_NET}) AS net_minor, sum(quantity * unit_cost) AS cost_minor,
    sumIf(${LINE_NET}, ${FULL_PRICE}) AS full_price_net_minor,
    groupArray((toString(category), ${LINE_NET})) AS per,
    arraySort(arrayDistinct(per.1)) AS cats,
    arraySort(arrayDistinct(groupArray(toString(brand)))) AS brands,
    arraySort(arrayDistinct(groupArray(sku))) AS skus
  FROM ${db}.sale_lines
  GROUP BY customer_id, day, store_id, transaction_id
)`,
      onlyIf: backfilling,
    },
    { sql: `INSERT INTO ${db}.line_days ${linesSelect}`, onlyIf: backfilling },
    { sql: `INSERT INTO ${db}.line_days ${basketsSelect}`, onlyIf: backfilling },
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.line_days_lines_mv TO ${db}.line_days AS ${linesSelect}`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.line_days_baskets_mv TO ${db}.line_days AS ${basketsSelect}`,
  ];
}
