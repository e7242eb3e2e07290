/**
 * `full-price-index`: a population's (or each RFM segment's) share of spend at full price against
 * all customers', as an index (100 = the same), from the receipts (`baskets`).
 */
import type { z } from 'zod';
import { qualified } from '../../schema.ts';
import type { AnalyticsStore } from '../../store.ts';
import type { Answer, AnswerRow } from '../question.ts';
import { onFacts, windowOf, windowParams } from '../window.ts';
import { col, groupingFor, num, ratio, type windowAndPopulation } from './common.ts';

/**
 * Each group's (a population's, or each RFM segment's) share of its spend bought at full price
 * (unit price at least the full price, no discount: a receipt's `full_price_net_minor`), against
 * all customers' share (member sales): index = 100 × group share / everyone's share.
 */
export async function fullPriceIndex(
  store: AnalyticsStore,
  params: z.output<typeof windowAndPopulation>,
  asOf: Date,
): Promise<Answer> {
  const grouping = await groupingFor(store, params.population, asOf, params.days);
  const rows = await store.query<Record<string, string>>(
    `SELECT g.grp AS grp, sum(s.net) AS net, sum(s.full) AS full
     FROM (
       SELECT customer_id, sum(net_minor) AS net, sum(full_price_net_minor) AS full
       FROM ${qualified(store.database, 'baskets')}
       WHERE customer_id != '' AND ${onFacts()}
       GROUP BY customer_id
     ) AS s
     LEFT JOIN (${grouping.sql}) AS g ON g.customer_id = s.customer_id
     GROUP BY grp`,
    { ...windowParams(windowOf(asOf, params.days)), ...grouping.params },
  );
  const all = rows.reduce(
    (acc, row) => ({ net: acc.net + num(row.net), full: acc.full + num(row.full) }),
    { net: 0, full: 0 },
  );
  const allShare = ratio(all.full, all.net);
  const byGroup = new Map(rows.map((row) => [row.grp, row]));
  const line = (group: string, net: number, full: number): AnswerRow => {
    const share = ratio(full, net);
    return {
      group,
      spend: net,
      full_price_spend: full,
      full_price_share: share,
      index: share === null || !allShare ? null : (100 * share) / allShare,
    };
  };
  return {
    columns: [
      col('group', 'text'),
      col('spend', 'money'),
      col('full_price_spend', 'money'),
      col('full_price_share', 'ratio'),
      col('index', 'ratio'),
    ],
    rows: [
      ...grouping.groups.map((group) => {
        const row = byGroup.get(group);
        return line(group, num(row?.net ?? 0), num(row?.full ?? 0));
      }),
      line('all customers', all.net, all.full),
    ],
  };
}
