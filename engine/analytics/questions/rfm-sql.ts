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
 * (Computed from the quintile boundaries, below, without ranking every customer.)
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

/**
 * The segment of each (r, f) cell, looked up in a 25-name array: r and f are lambdas' results,
 * and a multiIf naming them in every branch computed them again for each.
 */
const segmentExpression = (): string => {
  const cells: string[] = [];
  for (let r = 1; r <= 5; r++) {
    for (let f = 1; f <= 5; f++) {
      const rule = RULES.find((x) => r >= x.r[0] && r <= x.r[1] && f >= x.f[0] && f <= x.f[1]);
      cells.push(`'${rule?.id ?? 'unscored'}'`);
    }
  }
  return `[${cells.join(', ')}][(r - 1) * 5 + f]`;
};

/**
 * One measure's four quintile boundaries, for its array `v` in customer order (`ids`), higher
 * is better, ties ranked by customer id: boundary s (1–4) is the customer at 0-based rank
 * t = ⌈s × n / 5⌉, as (value, id), or '' for the id when there is no such customer. A customer
 * scores 1 + the boundaries it reaches: exactly ⌊rank × 5 / n⌋ + 1 (ntile), found by one numeric
 * sort of the values and a sort of the ids tied at a boundary value, not by sorting every
 * customer by (value, id) three times, which took most of the time.
 */
const boundaries = (v: string) =>
  `arrayMap(s -> (
     sorted_${v}[intDiv(s * n + 4, 5) + 1] AS value_${v},
     if(intDiv(s * n + 4, 5) < n,
       arraySort(arrayFilter((i, x) -> x = value_${v}, ids, ${v}))[
         intDiv(s * n + 4, 5) - arrayCount(x -> x < value_${v}, ${v}) + 1],
       '')), [1, 2, 3, 4])`;

/** Each customer's score on one measure, in customer order: 1 + the boundaries it reaches. */
const scores = (v: string) =>
  `arrayMap((id, x) -> toUInt8(1 + arrayCount(b -> b.2 != '' AND (x > b.1 OR (x = b.1 AND id >= b.2)), bounds_${v})), ids, ${v})`;

/**
 * Every scored customer, as one row of arrays in customer order: `customer_ids, recency,
 * frequency, monetary, r, f, m, segment`, and `hashes_unique` (1 when no two of the customers'
 * ids share a `cityHash64`; rfm-scores.ts). One row, as the scores are kept, rather than a row
 * per customer gathered again. Parameters are named with `prefix`.
 */
export function rfmScoresSql(
  database: string,
  window: Window,
  prefix: string,
): { sql: string; params: QueryParams } {
  // The customers' measures as arrays (recency negated: higher is better), scored with array
  // functions.
  const sql = `SELECT ids AS customer_ids, arrayMap(x -> -x, rv) AS recency, fv AS frequency,
  mv AS monetary, ${scores('rv')} AS r, ${scores('fv')} AS f, ${scores('mv')} AS m,
  arrayMap((r, f) -> ${segmentExpression()}, r, f) AS segment,
  length(arrayDistinct(arrayMap(id -> cityHash64(id), ids))) = n AS hashes_unique
FROM (
  SELECT groupArray(customer_id) AS ids, length(ids) AS n,
    groupArray(-recency) AS rv, groupArray(frequency) AS fv, groupArray(monetary) AS mv,
    arraySort(rv) AS sorted_rv, arraySort(fv) AS sorted_fv, arraySort(mv) AS sorted_mv,
    ${boundaries('rv')} AS bounds_rv, ${boundaries('fv')} AS bounds_fv, ${boundaries('mv')} AS bounds_mv
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
