/**
 * Every customer's RFM scores for a window, kept in `rfm_scores` so the questions that cut by
 * segment do not each score every customer again: scoring (rfm-sql.ts) is most of their time at a
 * million customers, and the scores only change when the window's days in `customer_days` do.
 *
 * A question first takes the fingerprint of the window's `customer_days` rows (a sum over them,
 * one scan without grouping). Scores kept for the same window and fingerprint are read as they
 * are; otherwise they are computed, kept with the fingerprint, and read. So the answer is always
 * the one scoring would give now: while the as-of day still takes sales, each question as of it
 * that follows a sale pays the scoring once more.
 *
 * The fingerprint adds each row's sales and net spend multiplied by hashes of its customer and
 * day (64-bit, wrapping): a change to any customer's day changes it (but for a 1 in 2⁶⁴ chance),
 * and the summing table's merges, which add rows of one key together, leave it as it is.
 *
 * One row per computation, the customers as arrays (a million rows written for every computation
 * cost more than the scoring). Rows expire a day after they are computed; a question as of an
 * older day computes its scores again.
 *
 * With the scores, whether the scored customers' ids have distinct 64-bit hashes (they do but for
 * a chance of about n² / 2⁶⁵). Every customer with a receipt in the window is scored (a receipt is
 * a sale), so when they do, a question over millions of receipts can find each receipt's segment
 * by its customer's hash in a lookup (`segmentLookup`), which costs about half of a join on the
 * ids; when they do not, it joins on the ids.
 */
import { qualified } from '../schema.ts';
import type { AnalyticsStore, QueryParams } from '../store.ts';
import { rfmScoresSql } from './rfm-sql.ts';
import { onDays, type Window, windowParams } from './window.ts';

export function rfmScoreStatements(db: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.rfm_scores (
  to_day Date,
  days UInt16,
  fingerprint UInt64,
  computed_at DateTime64(3, 'UTC'),
  customer_ids Array(String),
  recency Array(Int64),
  frequency Array(Int64),
  monetary Array(Int64),
  r Array(UInt8),
  f Array(UInt8),
  m Array(UInt8),
  segment Array(LowCardinality(String)),
  hashes_unique UInt8
) ENGINE = MergeTree
PARTITION BY toDate(computed_at)
ORDER BY (to_day, days, fingerprint)
TTL toDateTime(computed_at) + INTERVAL 1 DAY
SETTINGS ttl_only_drop_parts = 1`,
  ];
}

const daysIn = (window: Window): number =>
  Math.round((Date.parse(window.to) - Date.parse(window.from)) / 86_400_000) + 1;

/** The fingerprint of the window's `customer_days` rows, as a SQL expression over them. */
const FINGERPRINT = `sum(sales * (cityHash64(customer_id, day) AS h)
  + reinterpretAsUInt64(net_minor) * bitRotateLeft(h, 29))`;

export interface KeptScores {
  /** Every scored customer: `customer_id, recency, frequency, monetary, r, f, m, segment`. */
  sql: string;
  params: QueryParams;
  /**
   * When no two customers of the window share an id hash: a scalar subquery giving two arrays,
   * the scored customers' `cityHash64(customer_id)` and their segments' places (from 1) in
   * `{<groups>:Array(String)}`, for `transform`. Null otherwise.
   */
  segmentLookup: ((groups: string) => string) | null;
}

/**
 * Every scored customer of the window (scored as rfm-sql.ts says), read from the scores kept
 * for the window's current fingerprint, which this computes and keeps first when there are none.
 * Parameters are named with `prefix` (a population's must start with `pop_`).
 */
export async function keptRfmScores(
  store: AnalyticsStore,
  window: Window,
  prefix: string,
): Promise<KeptScores> {
  const table = qualified(store.database, 'rfm_scores');
  const bound = windowParams(window, prefix);
  const daily = qualified(store.database, 'customer_days');
  const days = daysIn(window);
  const [found] = await store.query<{ fingerprint: string; kept: string }>(
    `SELECT toString(fp) AS fingerprint,
       (SELECT count() FROM ${table}
        WHERE to_day = {${prefix}to:Date} AND days = {${prefix}days:UInt16} AND fingerprint = fp) AS kept
     FROM (SELECT ${FINGERPRINT} AS fp FROM ${daily} WHERE ${onDays(prefix)})`,
    { ...bound, [`${prefix}days`]: days },
  );
  const fingerprint = found?.fingerprint ?? '0';
  const kept = { ...bound, [`${prefix}days`]: days, [`${prefix}fp`]: fingerprint };
  const latest = `FROM ${table}
  WHERE to_day = {${prefix}to:Date} AND days = {${prefix}days:UInt16}
    AND fingerprint = {${prefix}fp:UInt64}
  ORDER BY computed_at DESC LIMIT 1`;
  if (Number(found?.kept ?? 0) === 0) {
    // Kept under the fingerprint just taken. A sale stored in between may be in the scores but
    // not in the fingerprint: the next question then finds another fingerprint and computes
    // again, so no question reads scores older than the days its fingerprint saw.
    const scored = rfmScoresSql(store.database, window, prefix);
    await store.command(
      `INSERT INTO ${table}
       SELECT {${prefix}to:Date}, {${prefix}days:UInt16}, {${prefix}fp:UInt64}, now64(3),
         customer_ids, recency, frequency, monetary, r, f, m, segment, hashes_unique
       FROM (${scored.sql})`,
      { ...scored.params, ...kept },
    );
  }
  const [row] = await store.query<{ unique: number }>(
    `SELECT hashes_unique AS unique ${latest}`,
    kept,
  );
  return {
    segmentLookup:
      Number(row?.unique ?? 0) === 1
        ? (groups) =>
            `SELECT arrayMap(id -> cityHash64(id), customer_ids),
             arrayMap(s -> toUInt8(indexOf({${groups}:Array(String)}, s)), segment)
           ${latest}`
        : null,
    sql: `SELECT customer_id, recency, frequency, monetary, r, f, m, segment
FROM (SELECT * ${latest})
ARRAY JOIN customer_ids AS customer_id, recency, frequency, monetary, r, f, m, segment`,
    params: kept,
  };
}
