/**
 * `cross-sell`: by loyalty tier, baskets, categories per basket and attach rate, or the top
 * category pairs; from the members' receipts (`baskets`) and tiers (`tier_changes`).
 */
import { z } from 'zod';
import { ClienteleError } from '../../../domain/error-codes.ts';
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

/** The tier of a member never moved. */
const BASE = 'base';

/** The tiers members have been moved to, but base: a tier's number is its place from 1 here. */
const tierNamesSql = (store: AnalyticsStore) =>
  `SELECT DISTINCT to_tier AS tier FROM ${qualified(store.database, 'tier_changes')}
   WHERE at <= {asOf:DateTime64(3, 'UTC')} AND to_tier != '${BASE}' ORDER BY tier`;

/** Each member's tier number as of the moment, from the latest change (0: base, or none). */
const tiersSql = (store: AnalyticsStore) =>
  `SELECT customer_id, toUInt8(indexOf({tiers:Array(String)}, argMax(to_tier, (at, to_tier)))) AS ti
   FROM ${qualified(store.database, 'tier_changes')}
   WHERE at <= {asOf:DateTime64(3, 'UTC')}
   GROUP BY customer_id`;

/**
 * Members' receipts in the window (`baskets`: one row each), each as the set of its categories in
 * a bit mask, counted by tier number and mask: equal sets count in one row. Numbers rather than
 * tier names and category arrays cross the join: each costs several times more there. A
 * customer never moved has no tier row, so the join's default 0 is base.
 */
const basketMasksSql = (store: AnalyticsStore, mask: string) =>
  `SELECT t.ti AS ti, b.mask AS mask, count() AS baskets
   FROM (
     SELECT customer_id,
       arraySum(arrayMap(c -> bitShiftLeft(to${mask}(1), ${categoryPlace('c')}), categories)) AS mask
     FROM ${qualified(store.database, 'baskets')}
     WHERE customer_id != '' AND ${onFacts()}
   ) AS b
   ANY LEFT JOIN (${tiersSql(store)}) AS t ON t.customer_id = b.customer_id
   GROUP BY ti, mask`;

/** Categories a mask holds at most: a pair's places are packed in a byte each. */
const MAX_CATEGORIES = 256;

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
  if (cats.length > MAX_CATEGORIES) {
    throw new ClienteleError('invalid_request', [
      {
        field: 'days',
        message: `the ${params.days} days hold ${cats.length} categories; cross-sell compares at most ${MAX_CATEGORIES}: ask for fewer days`,
      },
    ]);
  }
  const mask = cats.length <= 64 ? 'UInt64' : 'UInt256';
  const at = { asOf: `${asOf.toISOString().replace('T', ' ').replace('Z', '')}` };
  const named = await store.query<{ tier: string }>(tierNamesSql(store), at);
  const tiers = named.map((row) => row.tier);
  const tierOf = (ti: unknown): string => tiers[num(ti) - 1] ?? BASE;
  const bound = { ...window, cats, tiers, ...at };
  if (!params.pairs) {
    const rows = await store.query<Record<string, string>>(
      `SELECT ti, sum(baskets) AS all_baskets, sum(baskets * bitCount(mask)) AS categories,
         sumIf(baskets, bitCount(mask) >= 2) AS multi
       FROM (${basketMasksSql(store, mask)}) GROUP BY ti`,
      bound,
    );
    return {
      columns: [
        col('tier', 'text'),
        col('baskets', 'count'),
        col('avg_categories', 'ratio'),
        col('attach_rate', 'ratio'),
      ],
      rows: rows
        .map((row) => ({
          tier: tierOf(row.ti),
          baskets: num(row.all_baskets),
          avg_categories: ratio(num(row.categories), num(row.all_baskets)),
          attach_rate: ratio(num(row.multi), num(row.all_baskets)),
        }))
        .sort((x, y) => x.tier.localeCompare(y.tier)),
    };
  }
  // Every ordered pair of a basket's categories, (A, A) included: that one counts baskets with A.
  // A pair is summed as one number (tier, A's place, B's place, a byte each below the tier);
  // names are looked up for the sums alone.
  const sums = await store.query<{ k: string; with_both: string }>(
    `SELECT k, sum(baskets) AS with_both
     FROM (
       SELECT ti, baskets,
         arrayFilter(i -> bitTest(mask, i), range(length({cats:Array(String)}))) AS bits
       FROM (${basketMasksSql(store, mask)})
     )
     ARRAY JOIN arrayFlatten(arrayMap(x -> arrayMap(y -> toUInt32(ti) * 65536 + x * 256 + y, bits), bits)) AS k
     GROUP BY k`,
    bound,
  );
  const rows = sums.map((sum) => {
    const k = num(sum.k);
    return {
      tier: tierOf(Math.floor(k / 65536)),
      a: cats[Math.floor(k / 256) % 256] as string,
      b: cats[k % 256] as string,
      with_both: sum.with_both,
    };
  });
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
