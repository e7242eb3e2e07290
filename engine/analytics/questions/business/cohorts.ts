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
 * they bought in, and for margins, their margin in each month of the window. ClickHouse's
 * `retention` does not fit: a customer's month k is counted from their acquisition month, itself
 * an aggregate of their rows (registration, else first purchase), so its conditions could only
 * be evaluated in a second pass over a join, which cost more than the whole question here.
 */
import { z } from 'zod';
import { qualified } from '../../schema.ts';
import type { AnalyticsStore } from '../../store.ts';
import { type Answer, type Column, defineQuestion, integer, param } from '../question.ts';
import { dayOf } from '../window.ts';
import { cohortExpression } from './clv.ts';
import { acquiredCustomersSql, average, num, returnedLinesSql } from './common.ts';
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
    const n = params.months;
    const asOfDay = dayOf(asOf);
    const asOfMonth = startOf('month', asOfDay);
    const firstMonth = shift('month', asOfMonth, -(n - 1));
    const ks = Array.from({ length: n }, (_, k) => k);
    const { eligible, cells, customers, order } =
      params.matrix === 'retention'
        ? await retention(store, params.by, n, { asOfDay, asOfMonth, firstMonth })
        : await margins(store, params.by, n, { asOfDay, asOfMonth, firstMonth });
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
      rows: order.map((cohort) => {
        const values = ks.map((k) => {
          const whole = eligible.get(cohort)?.[k] ?? 0;
          const value = cells.get(cohort)?.[k] ?? 0;
          if (whole === 0) return null;
          return params.matrix === 'retention' ? value / whole : average(value, whole);
        });
        return {
          cohort,
          customers: customers.get(cohort) ?? 0,
          ...Object.fromEntries(ks.map((k) => [`m${k}`, values[k] ?? null])),
        };
      }),
    };
  },
});

type Bounds = { asOfDay: string; asOfMonth: string; firstMonth: string };

/** Per cohort: its customers, and for each k the customers eligible and the cell's total. */
interface Matrix {
  order: string[];
  customers: Map<string, number>;
  eligible: Map<string, number[]>;
  cells: Map<string, number[]>;
}

/** Month k of a customer is month acq + k of the window (acq: their acquisition's index). */
async function retention(
  store: AnalyticsStore,
  by: 'source' | 'month',
  n: number,
  bounds: Bounds,
): Promise<Matrix> {
  const acquired = acquiredCustomersSql(store.database, { margins: false, months: 'active' });
  const rows = await store.query<{
    cohort: string;
    customers: string;
    eligible: string[];
    cells: string[];
  }>(
    `SELECT cohort, count() AS customers,
      sumForEach(arrayMap(k -> toUInt64(k <= age), range(${n}))) AS eligible,
      sumForEach(arrayMap(k -> toInt64(k <= age AND bitTest(active, least(63, acq + k))),
        range(${n}))) AS cells
    FROM (
      SELECT ${cohortExpression(by)} AS cohort, active,
        dateDiff('month', {firstMonth:Date}, acq_month) AS acq,
        dateDiff('month', acq_month, {asOfMonth:Date}) AS age
      FROM (${acquired})
      WHERE acq_month >= {firstMonth:Date}
    )
    GROUP BY cohort
    ORDER BY cohort`,
    { ...bounds, returnsFrom: bounds.firstMonth },
  );
  return {
    order: rows.map((row) => row.cohort),
    customers: new Map(rows.map((row) => [row.cohort, num(row.customers)])),
    eligible: new Map(rows.map((row) => [row.cohort, row.eligible.map(num)])),
    cells: new Map(rows.map((row) => [row.cohort, row.cells.map(num)])),
  };
}

/**
 * Margins: each customer's margin in each month of the window as n plain sums (collecting their
 * days' (month, margin) pairs per customer cost twice as much), summed by cohort and acquisition
 * month. A customer acquired in month acq of the window has age n − 1 − acq, so that pair fixes
 * which cells they are eligible for; the cumulative cells are added up here.
 */
async function margins(
  store: AnalyticsStore,
  by: 'source' | 'month',
  n: number,
  bounds: Bounds,
): Promise<Matrix> {
  const months = Array.from({ length: n }, (_, i) => i);
  const rows = await store.query<Record<string, string>>(
    `SELECT ${cohortExpression(by)} AS cohort,
      dateDiff('month', {firstMonth:Date}, acq_month) AS acq, count() AS customers,
      ${months.map((i) => `sum(m${i}) AS s${i}`).join(', ')}
    FROM (${monthlyMarginsSql(store.database, n)})
    WHERE acq_month >= {firstMonth:Date}
    GROUP BY cohort, acq
    ORDER BY cohort, acq`,
    { ...bounds, returnsFrom: bounds.firstMonth },
  );
  const matrix: Matrix = { order: [], customers: new Map(), eligible: new Map(), cells: new Map() };
  for (const row of rows) {
    const cohort = String(row.cohort);
    const acq = num(row.acq);
    const count = num(row.customers);
    if (!matrix.customers.has(cohort)) {
      matrix.order.push(cohort);
      matrix.eligible.set(cohort, Array(n).fill(0));
      matrix.cells.set(cohort, Array(n).fill(0));
    }
    matrix.customers.set(cohort, (matrix.customers.get(cohort) ?? 0) + count);
    const eligible = matrix.eligible.get(cohort) as number[];
    const cells = matrix.cells.get(cohort) as number[];
    let cumulative = 0;
    // Month k is eligible while k ≤ age = n − 1 − acq, so acq + k stays in the window.
    for (let k = 0; acq + k < n; k++) {
      cumulative += num(row[`s${acq + k}`]);
      eligible[k] = (eligible[k] ?? 0) + count;
      cells[k] = (cells[k] ?? 0) + cumulative;
    }
  }
  return matrix;
}

/**
 * acquiredCustomersSql's customers (registered by `{asOfDay:Date}`, or with a sale or return by
 * then), with their source and acquisition month, and `m0` … `m(n−1)`: their margin (net sales
 * less cost of sales, less the cost of goods returned) in each month from `{firstMonth:Date}`.
 */
function monthlyMarginsSql(db: string, n: number): string {
  const returned = returnedLinesSql(
    db,
    "customer_id != '' AND toDate(occurred_at) BETWEEN {returnsFrom:Date} AND {asOfDay:Date}",
  );
  // kind 0: the member's row; 1: a day of sales and returns; 2: goods returned (their cost).
  const rows = `SELECT customer_id, 0 AS kind, toDate(registered_at) AS m_registered,
      acquisition_source AS m_source, updated_at AS m_updated,
      toDate(0) AS d_day, toUInt64(0) AS d_sales, toInt64(0) AS d_margin
    FROM ${qualified(db, 'customers')}
    UNION ALL SELECT customer_id, 1, toDate(0), '', toDateTime64(0, 3, 'UTC'), day, sales,
      net_minor - cost_minor
    FROM ${qualified(db, 'customer_days')} WHERE day <= {asOfDay:Date}
    UNION ALL SELECT customer_id, 2, toDate(0), '', toDateTime64(0, 3, 'UTC'), toDate(occurred_at),
      0, cost_minor
    FROM (${returned})`;
  // The month of the window a day is in, -1 outside it (and for the member's row).
  const month =
    "if(kind != 0 AND d_day >= {firstMonth:Date}, toInt8(dateDiff('month', {firstMonth:Date}, d_day)), -1)";
  return `SELECT
      argMaxIf(m_registered, m_updated, kind = 0) AS registered_on,
      countIf(kind = 0) > 0 AND registered_on <= {asOfDay:Date} AS registered,
      if(registered, argMaxIf(m_source, m_updated, kind = 0), '') AS source,
      sumIf(d_sales, kind = 1) AS sales,
      toStartOfMonth(multiIf(registered, registered_on,
        sales > 0, minIf(d_day, kind = 1 AND d_sales > 0), minIf(d_day, kind = 1))) AS acq_month,
      ${Array.from({ length: n }, (_, i) => `sumIf(d_margin, month = ${i}) AS m${i}`).join(', ')}
    FROM (SELECT *, ${month} AS month FROM (${rows}))
    GROUP BY customer_id
    HAVING registered OR countIf(kind = 1) > 0`;
}
