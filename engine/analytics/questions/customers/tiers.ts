/**
 * `tiers`: members by loyalty tier as of a moment: each member's latest tier change by then
 * (`tier_changes`), and `base` for members (`customers`) never moved. How many in each, and their
 * share of all members.
 */
import { z } from 'zod';
import { toClickHouseTime } from '../../rows.ts';
import { qualified } from '../../schema.ts';
import type { AnalyticsStore } from '../../store.ts';
import type { Answer } from '../question.ts';
import { col, num } from './common.ts';

export const tiersParams = z.object({});

/** The tier of a member never moved (as cross-sell names it). */
const BASE = 'base';

export async function tiers(
  store: AnalyticsStore,
  _params: z.output<typeof tiersParams>,
  asOf: Date,
): Promise<Answer> {
  const t = (table: string) => qualified(store.database, table);
  const rows = await store.query<{ tier: string; customers: string }>(
    `SELECT if(moved.tier = '', {base:String}, moved.tier) AS tier, count() AS customers
     FROM (
       SELECT customer_id FROM ${t('customers')} FINAL
       WHERE registered_at <= {asOf:DateTime64(3, 'UTC')}
     ) AS members
     LEFT JOIN (
       SELECT customer_id, argMax(to_tier, (at, to_tier)) AS tier
       FROM ${t('tier_changes')}
       WHERE at <= {asOf:DateTime64(3, 'UTC')}
       GROUP BY customer_id
     ) AS moved USING customer_id
     GROUP BY tier
     ORDER BY customers DESC, tier`,
    { asOf: toClickHouseTime(asOf), base: BASE },
  );
  const total = rows.reduce((s, r) => s + num(r.customers), 0);
  return {
    columns: [col('tier', 'text'), col('customers', 'count'), col('share', 'ratio')],
    rows: rows.map((r) => ({
      tier: r.tier,
      customers: num(r.customers),
      share: total > 0 ? num(r.customers) / total : 0,
    })),
    summary: { columns: [col('members', 'count')], values: { members: total } },
  };
}
