/**
 * `demographics`: customers, active customers, spend, margin and average basket by age band,
 * gender, acquisition source or customer type, from the members as of the moment (`customers`
 * with their profile changes, profile-changes.ts) and the daily aggregate `customer_days`.
 */
import { z } from 'zod';
import { membersAsOfSql } from '../../profile-changes.ts';
import { qualified } from '../../schema.ts';
import type { AnalyticsStore } from '../../store.ts';
import { type Answer, param } from '../question.ts';
import { onDays, windowOf, windowParams } from '../window.ts';
import { averageMoney, col, days, num } from './common.ts';

/** Age bands as of the as-of year, youngest first. */
export const AGE_BANDS = ['under 25', '25-34', '35-44', '45-54', '55-64', '65+'] as const;

const CUTS = {
  age: `if(birth_year IS NULL, '', multiIf(age < 25, 'under 25', age < 35, '25-34', age < 45, '35-44', age < 55, '45-54', age < 65, '55-64', '65+'))`,
  gender: 'gender',
  source: 'acquisition_source',
  type: 'customer_type',
} as const;

export const demographicsParams = z.object({
  days: days(365),
  by: param(
    z.enum(['age', 'gender', 'source', 'type']).default('age'),
    'the cut: age (band from the birth year), gender, source (acquisition), type (customer type)',
  ),
});

/**
 * By age band, gender, acquisition source or customer type: members (registered by the as-of
 * moment, plus anyone who bought without a member row, under 'unknown'), active ones (a sale
 * in the window), their net spend, margin (spend less cost) and average basket (spend per
 * sale). A missing value is 'unknown'.
 */
export async function demographics(
  store: AnalyticsStore,
  params: z.output<typeof demographicsParams>,
  asOf: Date,
): Promise<Answer> {
  const rows = await store.query<Record<string, string>>(
    `SELECT if(d.cut = '', 'unknown', d.cut) AS cut, count() AS customers,
       countIf(a.sales > 0) AS active, sum(a.net) AS spend, sum(a.net - a.cost) AS margin,
       sum(a.sales) AS sales
     FROM (
       SELECT customer_id, ${CUTS[params.by]} AS cut
       FROM (
         SELECT customer_id, gender, acquisition_source, customer_type, birth_year,
           toInt32({year:UInt16}) - toInt32(assumeNotNull(birth_year)) AS age
         FROM (${membersAsOfSql(store.database)})
       )
     ) AS d
     FULL OUTER JOIN (
       SELECT customer_id, sum(sales) AS sales, sum(net_minor) AS net, sum(cost_minor) AS cost
       FROM ${qualified(store.database, 'customer_days')}
       WHERE ${onDays()}
       GROUP BY customer_id
     ) AS a ON a.customer_id = d.customer_id
     GROUP BY cut`,
    {
      ...windowParams(windowOf(asOf, params.days)),
      year: asOf.getUTCFullYear(),
      asOf: asOf.toISOString().replace('T', ' ').replace('Z', ''),
    },
  );
  const rank = (cut: string) =>
    cut === 'unknown'
      ? Number.MAX_SAFE_INTEGER
      : params.by === 'age'
        ? (AGE_BANDS as readonly string[]).indexOf(cut)
        : 0;
  rows.sort(
    (x, y) =>
      rank(x.cut as string) - rank(y.cut as string) ||
      (x.cut as string).localeCompare(y.cut as string),
  );
  return {
    columns: [
      col(params.by, 'text'),
      col('customers', 'count'),
      col('active', 'count'),
      col('spend', 'money'),
      col('margin', 'money'),
      col('avg_basket', 'money'),
    ],
    rows: rows.map((row) => ({
      [params.by]: row.cut as string,
      customers: num(row.customers),
      active: num(row.active),
      spend: num(row.spend),
      margin: num(row.margin),
      avg_basket: averageMoney(num(row.spend), num(row.sales)),
    })),
  };
}
