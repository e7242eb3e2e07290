/**
 * What the business questions share: parameter kinds (days, lists), the cost of returned goods,
 * each customer's acquisition, and small conversions. Money is integer minor units throughout;
 * days are whole UTC days (window.ts).
 */
import { z } from 'zod';
import { ClienteleError } from '../../../domain/error-codes.ts';
import { qualified } from '../../schema.ts';
import { param } from '../question.ts';

/** 64-bit integers arrive as strings (store.ts); the figures here fit a JS number. */
export const num = (value: unknown): number => Number(value);

/** `part / whole`, or null when there is no whole. */
export const ratio = (part: number, whole: number): number | null =>
  whole === 0 ? null : part / whole;

/** `total / count` rounded to the nearest minor unit (halves away from zero), or null. */
export const average = (total: number, count: number): number | null =>
  count === 0 ? null : Math.sign(total) * Math.round(Math.abs(total) / count);

/** A refusal naming the parameter, as every transport reports it. */
export function invalid(field: string, message: string): ClienteleError {
  return new ClienteleError('invalid_request', [{ field, message }]);
}

/** A day, `YYYY-MM-DD` (UTC). */
export const day = (description: string) =>
  param(
    z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day, YYYY-MM-DD')
      .refine(
        (s) => new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s,
        'is not a day of the calendar',
      )
      .optional(),
    description,
  );

/** A comma-separated list of names (`s1,s2`), absent when not given. */
export const names = (description: string) =>
  param(
    z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== ''),
      )
      .refine((list) => list.length > 0, 'must name at least one')
      .optional(),
    description,
  );

/** An amount of minor units (or points) as a bound, absent when not given. */
export const bound = (description: string, min = -1e15) =>
  param(z.coerce.number().int().min(min).max(1e15).optional(), description);

/** A list bound as one String parameter: `has(JSONExtract({p:String}, 'Array(String)'), col)`. */
export const jsonList = (values: readonly string[]): string => JSON.stringify(values);
export const inList = (column: string, paramName: string): string =>
  `has(JSONExtract({${paramName}:String}, 'Array(String)'), ${column})`;

/**
 * Returned lines matching `where` (conditions on `return_lines`), each with the cost of the
 * goods it gave back: the quantity × the unit cost of the sale line it names, stored with the
 * return line at insert (returned-cost.ts; 0 when that sale line is not stored, so its whole
 * refund is margin lost). Columns: customer_id, store_id, transaction_id, occurred_at, sku,
 * quantity, refund_minor, cost_minor.
 */
export function returnedLinesSql(db: string, where: string): string {
  return `SELECT customer_id, store_id, transaction_id, occurred_at, sku, quantity,
    refund_amount AS refund_minor, quantity * unit_cost AS cost_minor
  FROM ${qualified(db, 'return_lines')} WHERE ${where}`;
}

/**
 * Every customer acquired by `{asOfDay:Date}`, in one pass (one GROUP BY; joining the members to
 * their days cost several times as much at a million customers): registered by then (their
 * latest `customers` row), or, if not, with a sale or return by then in `customer_days`.
 * Columns: customer_id; source (the acquisition source; '' when unregistered or not given);
 * acq_month (the registration's month, else the first purchase's, else the first return's);
 * sales; margin_minor (net sales less cost of sales, plus, with `margins`, the cost of the
 * goods returned from `{returnsFrom:Date}`: the margin, returns taken off); and with `months`,
 * one figure of their months i = 0, 1, … from `{firstMonth:Date}` (at most 64): `active`, a
 * bitmask of the months with a sale (bit i; half the time of collecting every day's figures
 * per customer at a million customers), or `month_margins`, (i, margin) of each of their days in
 * them.
 */
export function acquiredCustomersSql(
  db: string,
  options: { margins: boolean; months?: 'active' | 'margins' },
): string {
  const returned = returnedLinesSql(
    db,
    "customer_id != '' AND toDate(occurred_at) BETWEEN {returnsFrom:Date} AND {asOfDay:Date}",
  );
  // kind 0: the member's row; 1: a day of sales and returns; 2: goods returned (their cost).
  const rows = [
    `SELECT customer_id, 0 AS kind, toDate(registered_at) AS m_registered,
      acquisition_source AS m_source, updated_at AS m_updated,
      toDate(0) AS d_day, toUInt64(0) AS d_sales, toInt64(0) AS d_margin
    FROM ${qualified(db, 'customers')}`,
    `SELECT customer_id, 1, toDate(0), '', toDateTime64(0, 3, 'UTC'), day, sales,
      net_minor - cost_minor
    FROM ${qualified(db, 'customer_days')} WHERE day <= {asOfDay:Date}`,
    ...(options.margins
      ? [
          `SELECT customer_id, 2, toDate(0), '', toDateTime64(0, 3, 'UTC'), toDate(occurred_at),
            0, cost_minor
          FROM (${returned})`,
        ]
      : []),
  ].join(' UNION ALL ');
  // Rows outside the window (and the member's row, day 0) are left out by the If; the clamp
  // only keeps their shift valid.
  const month = "greatest(0, dateDiff('month', {firstMonth:Date}, d_day))";
  const inMonths = 'kind != 0 AND d_day >= {firstMonth:Date}';
  const months =
    options.months === 'active'
      ? `, groupBitOrIf(bitShiftLeft(toUInt64(1), least(63, ${month})), ${inMonths} AND d_sales > 0)
          AS active`
      : options.months === 'margins'
        ? `, groupArrayIf((toUInt8(${month}), d_margin), ${inMonths}) AS month_margins`
        : '';
  return `SELECT customer_id,
      argMaxIf(m_registered, m_updated, kind = 0) AS registered_on,
      countIf(kind = 0) > 0 AND registered_on <= {asOfDay:Date} AS registered,
      if(registered, argMaxIf(m_source, m_updated, kind = 0), '') AS source,
      sumIf(d_sales, kind = 1) AS sales,
      sumIf(d_margin, kind != 0) AS margin_minor,
      toStartOfMonth(multiIf(registered, registered_on,
        sales > 0, minIf(d_day, kind = 1 AND d_sales > 0), minIf(d_day, kind = 1))) AS acq_month
      ${months}
    FROM (${rows})
    GROUP BY customer_id
    HAVING registered OR countIf(kind = 1) > 0`;
}

/** An acquisition source as shown: '' is `(none)`. */
export const sourceLabel = (source: string): string => (source === '' ? '(none)' : source);
