/**
 * `not-seen`: customers not seen (no sale or return) for N days, from the daily aggregate
 * `customer_days`: how many, and the most valuable of them.
 */
import { z } from 'zod';
import { qualified } from '../../schema.ts';
import type { AnalyticsStore } from '../../store.ts';
import { type Answer, integer } from '../question.ts';
import { addDays, dayOf } from '../window.ts';
import { col, limit, num } from './common.ts';

export const notSeenParams = z.object({
  days: integer('not seen for at least this many days before the as-of day (90)', 90, 1, 36_600),
  limit: limit(),
});

/**
 * Customers whose last visit (a sale or a return, up to the as-of day) was at least `days`
 * days before the as-of day; those who never came are not counted. Most valuable first.
 */
export async function notSeen(
  store: AnalyticsStore,
  params: z.output<typeof notSeenParams>,
  asOf: Date,
): Promise<Answer> {
  const to = dayOf(asOf);
  const rows = await store.query<Record<string, string>>(
    `SELECT customer_id, toString(last_day) AS last_visit, dateDiff('day', last_day, {to:Date}) AS days_since,
       lifetime, count() OVER () AS total
     FROM (
       SELECT customer_id, max(day) AS last_day, sum(net_minor) AS lifetime
       FROM ${qualified(store.database, 'customer_days')}
       WHERE day <= {to:Date}
       GROUP BY customer_id
       HAVING last_day <= {cutoff:Date}
     )
     ORDER BY lifetime DESC, customer_id LIMIT {limit:UInt32}`,
    { to, cutoff: addDays(to, -params.days), limit: params.limit },
  );
  return {
    columns: [
      col('customer_id', 'text'),
      col('last_visit', 'date'),
      col('days_since', 'count'),
      col('lifetime_spend', 'money'),
    ],
    rows: rows.map((row) => ({
      customer_id: row.customer_id as string,
      last_visit: row.last_visit as string,
      days_since: num(row.days_since),
      lifetime_spend: num(row.lifetime),
    })),
    summary: {
      columns: [col('customers', 'count'), col('not_seen_days', 'count')],
      values: { customers: num(rows[0]?.total ?? 0), not_seen_days: params.days },
    },
  };
}
