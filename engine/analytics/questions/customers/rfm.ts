/**
 * `rfm`: recency, frequency, monetary scores (1-5) and the named RFM segments (rfm-sql.ts), from
 * the daily aggregate `customer_days` (the kept scores: rfm-scores.ts): segment sizes, or
 * customers with their scores.
 */
import { z } from 'zod';
import type { AnalyticsStore, QueryParams } from '../../store.ts';
import { type Answer, flag, param } from '../question.ts';
import { keptRfmScores } from '../rfm-scores.ts';
import { RFM_SEGMENTS } from '../rfm-sql.ts';
import { windowOf } from '../window.ts';
import { averageMoney, col, days, limit, num, ratio } from './common.ts';

export const rfmParams = z.object({
  days: days(365),
  customers: flag('list customers with their scores instead of the segment sizes'),
  segment: param(
    z.enum(RFM_SEGMENTS).optional(),
    `with --customers: only this segment (${RFM_SEGMENTS.join(', ')})`,
  ),
  limit: limit(),
});

export async function rfm(
  store: AnalyticsStore,
  params: z.output<typeof rfmParams>,
  asOf: Date,
): Promise<Answer> {
  const scored = await keptRfmScores(store, windowOf(asOf, params.days), '');
  if (params.customers) {
    const where = params.segment === undefined ? '' : 'WHERE segment = {segment:String}';
    const bound: QueryParams = { ...scored.params, limit: params.limit };
    if (params.segment !== undefined) bound.segment = params.segment;
    const rows = await store.query<Record<string, string>>(
      `SELECT *, count() OVER () AS total FROM (${scored.sql}) ${where}
       ORDER BY monetary DESC, customer_id LIMIT {limit:UInt32}`,
      bound,
    );
    return {
      columns: [
        col('customer_id', 'text'),
        col('segment', 'text'),
        col('recency_days', 'count'),
        col('frequency', 'count'),
        col('monetary', 'money'),
        col('r', 'count'),
        col('f', 'count'),
        col('m', 'count'),
      ],
      rows: rows.map((row) => ({
        customer_id: row.customer_id as string,
        segment: row.segment as string,
        recency_days: num(row.recency),
        frequency: num(row.frequency),
        monetary: num(row.monetary),
        r: num(row.r),
        f: num(row.f),
        m: num(row.m),
      })),
      summary: {
        columns: [col('customers', 'count')],
        values: { customers: num(rows[0]?.total ?? 0) },
      },
    };
  }
  const rows = await store.query<Record<string, string>>(
    `SELECT segment, count() AS customers, sum(recency) AS recency, sum(frequency) AS frequency,
       sum(monetary) AS monetary
     FROM (${scored.sql}) GROUP BY segment`,
    scored.params,
  );
  const bySegment = new Map(rows.map((row) => [row.segment, row]));
  const total = rows.reduce((sum, row) => sum + num(row.customers), 0);
  return {
    columns: [
      col('segment', 'text'),
      col('customers', 'count'),
      col('share', 'ratio'),
      col('avg_recency_days', 'ratio'),
      col('avg_frequency', 'ratio'),
      col('avg_monetary', 'money'),
    ],
    rows: RFM_SEGMENTS.map((segment) => {
      const row = bySegment.get(segment);
      const n = num(row?.customers ?? 0);
      return {
        segment,
        customers: n,
        share: ratio(n, total),
        avg_recency_days: ratio(num(row?.recency ?? 0), n),
        avg_frequency: ratio(num(row?.frequency ?? 0), n),
        avg_monetary: averageMoney(num(row?.monetary ?? 0), n),
      };
    }),
  };
}
