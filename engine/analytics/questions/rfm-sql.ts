/**
 * RFM scoring as SQL, shared by the `rfm` question, the `rfm:<segment>` populations and the
 * questions that compare the segments.
 *
 * Over a window (window.ts), each customer with at least one sale in it gets:
 * - recency: days from their last sale day in the window to the as-of day;
 * - frequency: their sales (transactions) in the window;
 * - monetary: their net spend in the window (sales less refunds), minor units.
 * From `customer_days` only (the daily aggregate), never the fact tables.
 *
 * Each is scored 1–5 in ntile style: customers ranked (recency descending, frequency and
 * monetary ascending; ties by customer id, so the scores are reproducible), score =
 * ⌊(rank − 1) × 5 / customers⌋ + 1. So 5 is the most recent, most frequent, biggest spender.
 *
 * The named segments are the widely used R × F grid (monetary is reported, not mapped):
 *
 * | R \ F | 1           | 2                  | 3                  | 4         | 5           |
 * | ----- | ----------- | ------------------ | ------------------ | --------- | ----------- |
 * | 5     | new         | potential-loyalist | potential-loyalist | champions | champions   |
 * | 4     | promising   | potential-loyalist | potential-loyalist | loyal     | loyal       |
 * | 3     | about-to-sleep | about-to-sleep  | needs-attention    | loyal     | loyal       |
 * | 2     | hibernating | hibernating        | at-risk            | at-risk   | cannot-lose |
 * | 1     | lost        | hibernating        | at-risk            | at-risk   | cannot-lose |
 */
import { qualified } from '../schema.ts';
import type { QueryParams } from '../store.ts';
import { onDays, type Window, windowParams } from './window.ts';

/** A segment and the R and F scores it covers (inclusive ranges), first match wins. */
interface SegmentRule {
  id: string;
  r: [number, number];
  f: [number, number];
}

const RULES: SegmentRule[] = [
  { id: 'champions', r: [5, 5], f: [4, 5] },
  { id: 'loyal', r: [3, 4], f: [4, 5] },
  { id: 'potential-loyalist', r: [4, 5], f: [2, 3] },
  { id: 'new', r: [5, 5], f: [1, 1] },
  { id: 'promising', r: [4, 4], f: [1, 1] },
  { id: 'needs-attention', r: [3, 3], f: [3, 3] },
  { id: 'about-to-sleep', r: [3, 3], f: [1, 2] },
  { id: 'cannot-lose', r: [1, 2], f: [5, 5] },
  { id: 'at-risk', r: [1, 2], f: [3, 4] },
  { id: 'lost', r: [1, 1], f: [1, 1] },
  { id: 'hibernating', r: [1, 2], f: [1, 2] },
];

/** The segments, best first (the order answers list them in). */
export const RFM_SEGMENTS = [
  'champions',
  'loyal',
  'potential-loyalist',
  'new',
  'promising',
  'needs-attention',
  'about-to-sleep',
  'at-risk',
  'cannot-lose',
  'hibernating',
  'lost',
] as const;
export type RfmSegment = (typeof RFM_SEGMENTS)[number];

const segmentExpression = (): string =>
  `multiIf(${RULES.map(
    (rule) =>
      `r BETWEEN ${rule.r[0]} AND ${rule.r[1]} AND f BETWEEN ${rule.f[0]} AND ${rule.f[1]}, '${rule.id}'`,
  ).join(', ')}, 'unscored')`;

const score = (order: string) =>
  `intDiv((row_number() OVER (ORDER BY ${order}, customer_id) - 1) * 5, count() OVER ()) + 1`;

/**
 * Every scored customer: `customer_id, recency, frequency, monetary, r, f, m, segment`.
 * Parameters are named with `prefix` (a population's must start with `pop_`).
 */
export function rfmScoresSql(
  database: string,
  window: Window,
  prefix: string,
): { sql: string; params: QueryParams } {
  const sql = `SELECT customer_id, recency, frequency, monetary, r, f, m, ${segmentExpression()} AS segment
FROM (
  SELECT customer_id, recency, frequency, monetary,
    ${score('recency DESC')} AS r,
    ${score('frequency')} AS f,
    ${score('monetary')} AS m
  FROM (
    SELECT customer_id,
      dateDiff('day', maxIf(day, sales > 0), {${prefix}to:Date}) AS recency,
      toInt64(sum(sales)) AS frequency,
      sum(net_minor) AS monetary
    FROM ${qualified(database, 'customer_days')}
    WHERE ${onDays(prefix)}
    GROUP BY customer_id
    HAVING frequency > 0
  )
)`;
  return { sql, params: windowParams(window, prefix) };
}
