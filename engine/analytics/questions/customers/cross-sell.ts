/**
 * `cross-sell`: by loyalty tier, baskets, categories per basket and attach rate, or the top
 * category pairs; from the members' receipts (`baskets`) and tiers (`tier_changes`).
 */
import { z } from 'zod';
import { qualified } from '../../schema.ts';
import type { AnalyticsStore } from '../../store.ts';
import { type Answer, flag, integer } from '../question.ts';
import { onFacts, windowOf, windowParams } from '../window.ts';
import { categoryPlace, col, days, num, ratio, windowCategories } from './common.ts';

export const crossSellParams = z.object({
  days: days(365),
  pairs: flag("list each tier's top category pairs instead of the basket figures"),
  top: integer('with --pairs: pairs per tier (5)', 5, 1, 1000),
});

/** Each member's tier as of the moment: the latest change's `to_tier` ('base' without any). */
const tiersSql = (store: AnalyticsStore) =>
  `SELECT customer_id, argMax(to_tier, (at, to_tier)) AS tier
   FROM ${qualified(store.database, 'tier_changes')}
   WHERE at <= {asOf:DateTime64(3, 'UTC')}
   GROUP BY customer_id`;

/**
 * Members' receipts in the window (`baskets`: one row each), each as the set of its categories in
 * a bit mask, counted by tier and mask: equal sets count in one row. Masks rather than the
 * category arrays: a number crosses the join to the tiers cheaply, arrays cost seconds there.
 */
const basketMasksSql = (store: AnalyticsStore, mask: string) =>
  `SELECT if(t.tier = '', 'base', t.tier) AS tier, b.mask AS mask, count() AS baskets
   FROM (
     SELECT customer_id,
       arraySum(arrayMap(c -> bitShiftLeft(to${mask}(1), ${categoryPlace('c')}), categories)) AS mask
     FROM ${qualified(store.database, 'baskets')}
     WHERE customer_id != '' AND ${onFacts()}
   ) AS b
   LEFT JOIN (${tiersSql(store)}) AS t ON t.customer_id = b.customer_id
   GROUP BY tier, mask`;

/**
 * By tier: baskets, their average number of distinct categories, the attach rate (share of
 * baskets with two categories or more); with `pairs`, for each category A and other category
 * B, the share of baskets holding A that also hold B (top by baskets holding both).
 */
export async function crossSell(
  store: AnalyticsStore,
  params: z.output<typeof crossSellParams>,
  asOf: Date,
): Promise<Answer> {
  const window = windowParams(windowOf(asOf, params.days));
  const cats = await windowCategories(store, window);
  if (cats.length > 256) {
    throw new Error(`cross-sell handles at most 256 categories; the window has ${cats.length}`);
  }
  const mask = cats.length <= 64 ? 'UInt64' : 'UInt256';
  const bound = {
    ...window,
    cats,
    asOf: `${asOf.toISOString().replace('T', ' ').replace('Z', '')}`,
  };
  if (!params.pairs) {
    const rows = await store.query<Record<string, string>>(
      `SELECT tier, sum(baskets) AS all_baskets, sum(baskets * bitCount(mask)) AS categories,
         sumIf(baskets, bitCount(mask) >= 2) AS multi
       FROM (${basketMasksSql(store, mask)}) GROUP BY tier ORDER BY tier`,
      bound,
    );
    return {
      columns: [
        col('tier', 'text'),
        col('baskets', 'count'),
        col('avg_categories', 'ratio'),
        col('attach_rate', 'ratio'),
      ],
      rows: rows.map((row) => ({
        tier: row.tier as string,
        baskets: num(row.all_baskets),
        avg_categories: ratio(num(row.categories), num(row.all_baskets)),
        attach_rate: ratio(num(row.multi), num(row.all_baskets)),
      })),
    };
  }
  // Every ordered pair of a basket's categories, (A, A) included: that one counts baskets with A.
  // Pairs are summed as places; names are looked up for the sums alone, not for every pair.
  const rows = await store.query<Record<string, string>>(
    `SELECT tier, {cats:Array(String)}[x + 1] AS a, {cats:Array(String)}[y + 1] AS b, with_both
     FROM (
       SELECT tier, pair.1 AS x, pair.2 AS y, sum(baskets) AS with_both
       FROM (
         SELECT tier, baskets,
           arrayFilter(i -> bitAnd(bitShiftRight(mask, i), 1) = 1, range(length({cats:Array(String)}))) AS bits
         FROM (${basketMasksSql(store, mask)})
       )
       ARRAY JOIN arrayFlatten(arrayMap(x -> arrayMap(y -> (x, y), bits), bits)) AS pair
       GROUP BY tier, x, y
     )`,
    bound,
  );
  const withA = new Map<string, number>();
  for (const row of rows) {
    if (row.a === row.b) withA.set(`${row.tier}\u0000${row.a}`, num(row.with_both));
  }
  const pairs = rows
    .filter((row) => row.a !== row.b)
    .map((row) => {
      const both = num(row.with_both);
      const holdingA = withA.get(`${row.tier}\u0000${row.a}`) ?? 0;
      return {
        tier: row.tier as string,
        category: row.a as string,
        also_bought: row.b as string,
        baskets_with_both: both,
        baskets_with_category: holdingA,
        attach_rate: ratio(both, holdingA),
      };
    })
    .sort(
      (x, y) =>
        x.tier.localeCompare(y.tier) ||
        y.baskets_with_both - x.baskets_with_both ||
        (y.attach_rate ?? 0) - (x.attach_rate ?? 0) ||
        x.category.localeCompare(y.category) ||
        x.also_bought.localeCompare(y.also_bought),
    );
  const shown = new Map<string, number>();
  return {
    columns: [
      col('tier', 'text'),
      col('category', 'text'),
      col('also_bought', 'text'),
      col('baskets_with_both', 'count'),
      col('baskets_with_category', 'count'),
      col('attach_rate', 'ratio'),
    ],
    rows: pairs.filter((pair) => {
      const n = shown.get(pair.tier) ?? 0;
      shown.set(pair.tier, n + 1);
      return n < params.top;
    }),
  };
}
