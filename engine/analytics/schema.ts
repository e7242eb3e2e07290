/**
 * The analytics tables, as ClickHouse DDL: the statements of migration 1 (migrations.ts), which
 * `migrate()` on either store runs with the others. They are released: never edit them (the
 * database records their checksum); a change to a table is a new migration.
 *
 * How duplicates are kept out of the figures
 * ------------------------------------------
 * Every row has a natural key (a sale line's store, transaction and line; a ledger line's entry
 * and revision; a cue's id), and the same key always describes the same fact. Two things keep a
 * second copy out:
 * - At insert, the sink writes only rows whose key the table does not hold yet (facts.ts). That
 *   is what makes plain reads and the daily aggregates of migration 3 (layout-v3.ts) exact.
 * - Each table is a ReplacingMergeTree sorted by that key, so a copy that got in anyway (a second
 *   writer) collapses when parts merge, and FINAL collapses it at read time. Reads of one
 *   customer or one till may use FINAL cheaply; questions over everyone read plainly.
 *
 * Why not insert de-duplication (`insert_deduplication_token`, `non_replicated_deduplication_window`)?
 * It only drops a *byte-identical block*. Our duplicates rarely come as identical blocks: a message
 * nak'ed after a failed insert is redelivered mixed with new messages into a different batch, and
 * an event re-published after the NATS duplicate window arrives in a later batch altogether. Only a
 * key on the row itself catches those. Block de-duplication also has a trap for erasure (RELIABILITY.md):
 * a mutation does not clear the stored block checksums, so an identical block re-inserted later is
 * silently dropped.
 *
 * Money columns are Int64 minor units; so are counts the event contract does not bound (quantity):
 * ClickHouse silently wraps an out-of-range value in a narrower integer column (5e9 in UInt32 is
 * stored as 705032704). Times are DateTime64(3, 'UTC').
 *
 * Personal data: none in these tables. `customer_id` is the pseudonymous id (see
 * engine/domain/events.ts); the `profile` of customer.registered is stripped before the payload is
 * stored (rows.ts). Migration 3's `customers` holds a birth year and gender (layout-v3.ts).
 */

/** The tables of migration 1 (released: this list is part of its statements). */
const BASELINE_TABLES = [
  'events',
  'sale_lines',
  'return_lines',
  'ledger',
  'cues',
  'dead_letters',
  'lifecycle_triggers',
  'fraud_flags',
] as const;
type BaselineTable = (typeof BASELINE_TABLES)[number];

/**
 * Every table rows are inserted into: the baseline's, migration 3's dimensions (layout-v3.ts),
 * migration 4's, 6's, 7's receipts (baskets.ts), 9's profile changes (profile-changes.ts) and
 * 11's audit log.
 */
export const TABLES = [
  ...BASELINE_TABLES,
  'stores',
  'products',
  'staff',
  'customers',
  'tier_changes',
  'segment_changes',
  'customer_tags',
  'baskets',
  'profile_changes',
  'audit_log',
] as const;
export type TableName = (typeof TABLES)[number];

const time = "DateTime64(3, 'UTC')";

function tableStatements(db: string): Record<BaselineTable, string> {
  return {
    // One row per retail event. customer_id and till_id are '' when absent (anonymous sale, web).
    // total_minor is signed: a return is negative, so sum(total_minor) is net sales.
    // cost_minor is the cost of the goods sold (sales only; a return's cost is in return_lines'
    // original sale line).
    events: `CREATE TABLE IF NOT EXISTS ${db}.events (
  event_id String,
  type LowCardinality(String),
  occurred_at ${time},
  store_id LowCardinality(String),
  till_id String,
  channel LowCardinality(String),
  customer_id String,
  transaction_id String,
  currency LowCardinality(String),
  total_minor Int64,
  cost_minor Int64,
  line_count UInt32,
  payload String,
  stream_seq UInt64,
  received_at ${time},
  INDEX occurred_at_idx occurred_at TYPE minmax GRANULARITY 4,
  INDEX customer_idx customer_id TYPE bloom_filter GRANULARITY 4
) ENGINE = ReplacingMergeTree
ORDER BY event_id`,

    // One row per sale line, for margin, category and RFM analysis.
    sale_lines: `CREATE TABLE IF NOT EXISTS ${db}.sale_lines (
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
  occurred_at ${time},
  INDEX customer_idx customer_id TYPE bloom_filter GRANULARITY 4
) ENGINE = ReplacingMergeTree
ORDER BY (event_id, line_id)`,

    // One row per returned line; original_transaction_id + line_id find the sale line (and cost).
    return_lines: `CREATE TABLE IF NOT EXISTS ${db}.return_lines (
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
ORDER BY (event_id, line_id)`,

    // Points ledger: one line per (customer, transaction, kind), revised as returns come in; the
    // highest revision is the line's value (ReplacingMergeTree(revision) + FINAL), so sum(points)
    // is the balance. customer_id is a function of entry_id (`<customerId>/<tx>/<kind>`), so keying
    // by (customer_id, entry_id) de-duplicates exactly and reads one customer fast.
    ledger: `CREATE TABLE IF NOT EXISTS ${db}.ledger (
  entry_id String,
  customer_id String,
  event_id String,
  transaction_id String,
  kind LowCardinality(String),
  revision UInt64,
  points Int64,
  balance_after Int64,
  store_id LowCardinality(String),
  occurred_at ${time},
  program_version LowCardinality(String)
) ENGINE = ReplacingMergeTree(revision)
ORDER BY (customer_id, entry_id)`,

    // Cues shown at tills. store_id and till_id are functions of cue_id (`<eventId>:cue`).
    cues: `CREATE TABLE IF NOT EXISTS ${db}.cues (
  cue_id String,
  customer_id String,
  event_id String,
  store_id LowCardinality(String),
  till_id String,
  channel LowCardinality(String),
  occurred_at ${time},
  points_earned Int64,
  points_balance Int64,
  visits_this_month Int64,
  message String
) ENGINE = ReplacingMergeTree
ORDER BY (store_id, till_id, cue_id)`,

    // Lifecycle rules fired: one row per occasion (trigger_id is `<customerId>/<ruleId>@<occasion>`).
    lifecycle_triggers: `CREATE TABLE IF NOT EXISTS ${db}.lifecycle_triggers (
  trigger_id String,
  customer_id String,
  rule_id LowCardinality(String),
  kind LowCardinality(String),
  occasion String,
  due_at ${time},
  fired_at ${time},
  cue_message String,
  cue_until Nullable(${time})
) ENGINE = ReplacingMergeTree
ORDER BY (customer_id, trigger_id)`,

    // Anti-fraud flags as raised: one row per flag (flag_id is `<rule>-<activity seq>`).
    fraud_flags: `CREATE TABLE IF NOT EXISTS ${db}.fraud_flags (
  flag_id String,
  rule LowCardinality(String),
  at ${time},
  store_id LowCardinality(String),
  till_id LowCardinality(String),
  card_number String,
  customer_id String,
  action LowCardinality(String),
  message String,
  evidence UInt32,
  distance_km Nullable(Float64),
  speed_kmh Nullable(Float64)
) ENGINE = ReplacingMergeTree
ORDER BY (store_id, flag_id)`,

    // Messages nobody could process. (stream, seq) is the message's place in its source stream,
    // so the same poison message dead-lettered by two consumers is one row.
    dead_letters: `CREATE TABLE IF NOT EXISTS ${db}.dead_letters (
  stream LowCardinality(String),
  seq UInt64,
  subject String,
  reason String,
  payload String,
  at ${time}
) ENGINE = ReplacingMergeTree
ORDER BY (stream, seq)`,
  };
}

/** Migration 1: the database and its tables. `db` is validated by the settings schema. */
export function baselineStatements(db: string): string[] {
  assertIdentifier(db);
  const tables = tableStatements(db);
  return [`CREATE DATABASE IF NOT EXISTS ${db}`, ...BASELINE_TABLES.map((t) => tables[t])];
}

/** `db.table`, refusing anything that is not a plain identifier (names are spliced into SQL). */
export function qualified(db: string, table: string): string {
  assertIdentifier(db);
  assertIdentifier(table);
  return `${db}.${table}`;
}

function assertIdentifier(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`"${name}" is not a valid ClickHouse identifier`);
  }
}
