/**
 * `cohorts`: customers grouped by how they were acquired (their acquisition source, or their
 * acquisition month: the registration's, else the first purchase's; common.ts), followed month
 * by month after acquisition. Month k of a customer is the k-th calendar month after their
 * acquisition month (k = 0 is that month).
 *
 * Cohorts are the customers acquired in the last `months` months up to the as-of day's month.
 * A cell (cohort, k) counts only the cohort's customers whose month k has begun by the as-of day
 * (`eligible`), so a young customer does not read as lost; a cell nobody has reached is empty.
 * - retention: the share of those customers with a sale in their month k.
 * - margin: their cumulative margin per customer through month k: net sales less cost of goods,
 *   less the margin of returns (a returned line costs its sale line's unit cost × quantity).
 *
 * SQL: one GROUP BY per customer over the `customers` dimension and the daily aggregate
 * `customer_days` (common.ts), each customer carrying, for retention, a bitmask of the months
 * they bought in, and for margins, (month, margin) of their days and returns. ClickHouse's
 * `retention` does not fit: a customer's month k is counted from their acquisition month, itself
 * an aggregate of their rows (registration, else first purchase), so its conditions could only
 * be evaluated in a second pass over a join, which cost more than the whole question here.
 */
import { z } from 'zod';
import { type Answer, type Column, defineQuestion, integer, param } from '../question.ts';
import { dayOf } from '../window.ts';
import { cohortExpression } from './clv.ts';
import { acquiredCustomersSql, average, num } from './common.ts';
import { shift, startOf } from './periods.ts';

/** Three years of months: beyond, a matrix is no longer read as one. */
export const MAX_COHORT_MONTHS = 36;

export const cohorts = defineQuestion({
  name: 'cohorts',
  summary:
    'Acquisition cohorts (by source or by month): share active and cumulative margin per customer in each month after acquisition',
  params: z.object({
    by: param(
      z.enum(['source', 'month']).default('month'),
      'source: one cohort per acquisition source; month: per acquisition month',
    ),
    months: integer(
      `months after acquisition shown (k = 0 … months − 1), and how far back cohorts are acquired (at most ${MAX_COHORT_MONTHS})`,
      12,
      1,
      MAX_COHORT_MONTHS,
    ),
    matrix: param(
      z.enum(['retention', 'margin']).default('retention'),
      'retention: share of the cohort with a sale in month k; margin: cumulative margin per customer through month k',
    ),
  }),
  async run(store, params, asOf): Promise<Answer> {
    const db = store.database;
    const n = params.months;
    const asOfDay = dayOf(asOf);
    const asOfMonth = startOf('month', asOfDay);
    const firstMonth = shift('month', asOfMonth, -(n - 1));
    const ks = Array.from({ length: n }, (_, k) => k);
    // Month k of a customer is month acq + k of the window (acq: their acquisition's index).
    const cells =
      params.matrix === 'retention'
        ? `arrayMap(k -> toInt64(k <= age AND bitTest(active, least(63, acq + k))), range(${n}))`
        : `arrayMap(k -> if(k <= age, arraySum(arrayMap(x -> if(x.1 BETWEEN acq AND acq + k, x.2, 0),
            month_margins)), 0), range(${n}))`;
    const acquired = acquiredCustomersSql(db, {
      margins: params.matrix === 'margin',
      months: params.matrix === 'retention' ? 'active' : 'margins',
    });
    const rows = await store.query<{
      cohort: string;
      customers: string;
      eligible: string[];
      cells: string[];
    }>(
      `SELECT cohort, count() AS customers,
        sumForEach(arrayMap(k -> toUInt64(k <= age), range(${n}))) AS eligible,
        sumForEach(${cells}) AS cells
      FROM (
        SELECT ${cohortExpression(params.by)} AS cohort,
          ${params.matrix === 'retention' ? 'active' : 'month_margins'},
          dateDiff('month', {firstMonth:Date}, acq_month) AS acq,
          dateDiff('month', acq_month, {asOfMonth:Date}) AS age
        FROM (${acquired})
        WHERE acq_month >= {firstMonth:Date}
      )
      GROUP BY cohort
      ORDER BY cohort`,
      { asOfDay, asOfMonth, firstMonth, returnsFrom: firstMonth },
    );
    const columns: Column[] = [
      { name: 'cohort', kind: 'text' },
      { name: 'customers', kind: 'count' },
      ...ks.map((k) => ({
        name: `m${k}`,
        kind: params.matrix === 'retention' ? ('ratio' as const) : ('money' as const),
      })),
    ];
    return {
      columns,
      rows: rows.map((row) => {
        const values = ks.map((k) => {
          const eligible = num(row.eligible[k]);
          const value = num(row.cells[k]);
          if (eligible === 0) return null;
          return params.matrix === 'retention' ? value / eligible : average(value, eligible);
        });
        return {
          cohort: row.cohort,
          customers: num(row.customers),
          ...Object.fromEntries(ks.map((k) => [`m${k}`, values[k] ?? null])),
        };
      }),
    };
  },
});
