/**
 * `category-affinity`: each category's share of a population's (or each RFM segment's) spend
 * against everyone's, as an index, from the sale lines.
 */
import type { z } from 'zod';
import { qualified } from '../../schema.ts';
import type { AnalyticsStore } from '../../store.ts';
import type { Answer } from '../question.ts';
import { onFacts, windowOf, windowParams } from '../window.ts';
import {
  CATEGORY_PLACE,
  col,
  groupingFor,
  LINE_NET,
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
  const grouping = groupingFor(store, params.population, asOf, params.days);
  const window = windowParams(windowOf(asOf, params.days));
  const cats = await windowCategories(store, window);
  // Per customer, spend and lines by category place in two arrays (one hash entry per customer,
  // not per customer and category), summed by group; a category is listed when it had lines.
  // No category sold, no line: and -Resample refuses an empty range.
  const groups =
    cats.length === 0
      ? []
      : await store.query<{ grp: string; nets: string[]; lines: string[] }>(
          `SELECT g.grp AS grp, sumForEach(s.nets) AS nets, sumForEach(s.lines) AS lines
     FROM (
       SELECT customer_id,
         sumResample(0, length({cats:Array(String)}), 1)(${LINE_NET}, ${CATEGORY_PLACE}) AS nets,
         countResample(0, length({cats:Array(String)}), 1)(${CATEGORY_PLACE}) AS lines
       FROM ${qualified(store.database, 'sale_lines')}
       WHERE customer_id != '' AND ${onFacts()}
       GROUP BY customer_id
     ) AS s
     LEFT JOIN (${grouping.sql}) AS g ON g.customer_id = s.customer_id
     GROUP BY grp`,
          { ...window, cats, ...grouping.params },
        );
  const rows = groups.flatMap((group) =>
    cats.flatMap((category, i) =>
      num(group.lines[i] ?? 0) > 0 ? [{ grp: group.grp, category, net: group.nets[i] }] : [],
    ),
  );
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
