/**
 * `category-affinity`: each category's share of a population's (or each RFM segment's) spend
 * against everyone's, as an index, from the receipts (`baskets`).
 */
import type { z } from 'zod';
import { qualified } from '../../schema.ts';
import type { AnalyticsStore } from '../../store.ts';
import type { Answer } from '../question.ts';
import { onFacts, windowOf, windowParams } from '../window.ts';
import {
  categoryPlace,
  col,
  groupingFor,
  num,
  ratio,
  type windowAndPopulation,
  windowCategories,
} from './common.ts';

/**
 * For each group (a population, or each RFM segment) and category it bought: the category's
 * share of the group's spend against its share of all customers' spend (member sales):
 * index = 100 × group share / everyone's share.
 */
export async function categoryAffinity(
  store: AnalyticsStore,
  params: z.output<typeof windowAndPopulation>,
  asOf: Date,
): Promise<Answer> {
  const grouping = await groupingFor(store, params.population, asOf, params.days);
  const window = windowParams(windowOf(asOf, params.days));
  const cats = await windowCategories(store, window);
  // Each receipt with its customer's group, then its categories' spend summed by group and
  // category: rows only for categories with lines. Groups and categories cross as their places
  // in the lists (small numbers), not names: a group by its place from 1, so 0 is a customer in
  // no group; each customer is in one group (ANY). The group is looked up by the customer's id
  // hash where the grouping allows it (half the cost of the join at a million customers).
  const receipts = `SELECT customer_id, arrayMap(c -> toUInt16(${categoryPlace('c')}), categories) AS places,
           category_net_minor AS nets
         FROM ${qualified(store.database, 'baskets')}
         WHERE customer_id != '' AND ${onFacts()}`;
  const grouped = grouping.lookup
    ? `SELECT transform(cityHash64(customer_id), lookup.1, lookup.2, toUInt8(0)) AS gi, places, nets
       FROM (${receipts})`
    : `SELECT g.gi AS gi, s.places AS places, s.nets AS nets
       FROM (${receipts}) AS s
       ANY LEFT JOIN (
         SELECT customer_id, toUInt8(indexOf({groups:Array(String)}, grp)) AS gi
         FROM (${grouping.sql})
       ) AS g ON g.customer_id = s.customer_id`;
  const sums =
    cats.length === 0
      ? []
      : await store.query<{ gi: number; place: number; net: string }>(
          `${grouping.lookup ? `WITH (${grouping.lookup}) AS lookup` : ''}
     SELECT gi, place, sum(net) AS net
     FROM (${grouped})
     ARRAY JOIN places AS place, nets AS net
     GROUP BY gi, place`,
          { ...window, cats, groups: [...grouping.groups], ...grouping.params },
        );
  const rows = sums.map((sum) => ({
    grp: grouping.groups[num(sum.gi) - 1] ?? '',
    category: cats[num(sum.place)] as string,
    net: sum.net,
  }));
  const everyone = new Map<string, number>();
  const groupTotal = new Map<string, number>();
  let total = 0;
  for (const row of rows) {
    const net = num(row.net);
    everyone.set(row.category as string, (everyone.get(row.category as string) ?? 0) + net);
    groupTotal.set(row.grp as string, (groupTotal.get(row.grp as string) ?? 0) + net);
    total += net;
  }
  const order = new Map(grouping.groups.map((g, i) => [g, i]));
  const answerRows = rows
    .filter((row) => order.has(row.grp as string))
    .map((row) => {
      const net = num(row.net);
      const share = ratio(net, groupTotal.get(row.grp as string) ?? 0);
      const everyoneShare = ratio(everyone.get(row.category as string) ?? 0, total);
      return {
        group: row.grp as string,
        category: row.category as string,
        spend: net,
        share,
        everyone_share: everyoneShare,
        index: share === null || !everyoneShare ? null : (100 * share) / everyoneShare,
      };
    })
    .sort(
      (x, y) =>
        (order.get(x.group) ?? 0) - (order.get(y.group) ?? 0) ||
        y.spend - x.spend ||
        x.category.localeCompare(y.category),
    );
  return {
    columns: [
      col('group', 'text'),
      col('category', 'text'),
      col('spend', 'money'),
      col('share', 'ratio'),
      col('everyone_share', 'ratio'),
      col('index', 'ratio'),
    ],
    rows: answerRows,
  };
}
