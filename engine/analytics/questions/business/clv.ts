/**
 * `clv`: customer lifetime value as the margin each customer has brought to the as-of day: net
 * sales less the cost of the goods sold, less the margin of what they returned (the refund less
 * the returned goods' cost, which is their sale line's unit cost × the quantity returned).
 *
 * Every acquired customer counts (common.ts: registered by the as-of day, or with a purchase by
 * then), those who never bought with 0, so the average is per acquired customer. Percentiles are
 * exact: the value at place ⌊p·n⌋ of the n values sorted (quantileExact).
 *
 * SQL: one GROUP BY per customer over the `customers` dimension and the daily aggregate
 * `customer_days` (sales, refunds, cost of sales), with the facts only for the returned goods'
 * cost (the returns, and the sale lines they name; common.ts).
 */
import { z } from 'zod';
import { type Answer, defineQuestion, param } from '../question.ts';
import { dayOf } from '../window.ts';
import { acquiredCustomersSql, average, num } from './common.ts';

export const CLV_PERCENTILES = [0.1, 0.25, 0.5, 0.75, 0.9] as const;
const percentileName = (p: number) => `p${Math.round(p * 100)}`;

/** The cohort a customer is in, as SQL on acquiredCustomersSql's columns; never ''. */
export const cohortExpression = (by: 'source' | 'month'): string =>
  by === 'source' ? "if(source = '', '(none)', source)" : "formatDateTime(acq_month, '%Y-%m')";

export const clv = defineQuestion({
  name: 'clv',
  summary:
    'Customer lifetime value (margin to date: net sales less cost of goods, less the margin of returns): average and percentiles, overall and by acquisition cohort',
  params: z.object({
    by: param(
      z.enum(['all', 'source', 'month']).default('all'),
      'all: one row; source or month: a row for everyone, then one per acquisition source or month',
    ),
  }),
  async run(store, params, asOf): Promise<Answer> {
    const db = store.database;
    const cohort = params.by === 'all' ? "'all'" : cohortExpression(params.by);
    // With cohorts, the empty grouping set adds the row for everyone; its cohort is ''.
    const groupBy = params.by === 'all' ? 'cohort' : 'GROUPING SETS ((), (cohort))';
    const rows = await store.query<Record<string, string | string[]>>(
      `SELECT cohort, count() AS customers, countIf(sales > 0) AS buyers,
        sum(margin_minor) AS total_minor,
        quantilesExact(${CLV_PERCENTILES.join(', ')})(margin_minor) AS percentiles
      FROM (
        SELECT ${cohort} AS cohort, sales, margin_minor
        FROM (${acquiredCustomersSql(db, { margins: true })})
      )
      GROUP BY ${groupBy}
      ORDER BY cohort`,
      { asOfDay: dayOf(asOf), returnsFrom: '1970-01-01' },
    );
    return {
      columns: [
        { name: 'cohort', kind: 'text' },
        { name: 'customers', kind: 'count' },
        { name: 'buyers', kind: 'count' },
        { name: 'margin', kind: 'money' },
        { name: 'average', kind: 'money' },
        ...CLV_PERCENTILES.map((p) => ({ name: percentileName(p), kind: 'money' as const })),
      ],
      rows: rows.map((row) => {
        const customers = num(row.customers);
        const total = num(row.total_minor);
        const percentiles = row.percentiles as string[];
        return {
          cohort: row.cohort === '' ? 'all' : String(row.cohort),
          customers,
          buyers: num(row.buyers),
          margin: total,
          average: average(total, customers),
          ...Object.fromEntries(
            CLV_PERCENTILES.map((p, i) => [percentileName(p), num(percentiles[i])]),
          ),
        };
      }),
    };
  },
});
