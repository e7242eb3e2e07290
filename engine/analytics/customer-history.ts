/**
 * One customer's long history from the analytics store (`CustomerHistory`, the 360 view's part
 * that the customer's own state does not keep), over their own id and the ids of the customers
 * merged into them. Every table is read with FINAL, so a row stored
 * twice counts once; the customer's rows are found through the tables' customer_id indexes.
 */
import type { CustomerHistory } from '../domain/customer/history.ts';
import { fromClickHouseTime, toClickHouseTime } from './rows.ts';
import { qualified } from './schema.ts';
import type { AnalyticsStore } from './store.ts';

const num = (value: unknown): number => Number(value ?? 0);
const LIST = 10;

type Row = Record<string, string>;

/** The customer's history as of `asOf` (an ISO instant): the last 12 months end there. */
export async function customerHistory(
  store: AnalyticsStore,
  customerIds: readonly string[],
  asOf: string,
): Promise<CustomerHistory> {
  const t = (table: string) => qualified(store.database, table);
  const since = new Date(asOf);
  since.setUTCFullYear(since.getUTCFullYear() - 1);
  // Customer ids hold letters, digits, '-' and '_' only (the event contract): a list of them
  // travels as one string.
  const params = {
    customerIds: customerIds.join(','),
    since: toClickHouseTime(since),
    asOf: toClickHouseTime(asOf),
  };
  const upTo = 'occurred_at <= {asOf:DateTime64(3)}';
  const recent = 'occurred_at >= {since:DateTime64(3)}';

  const [totals, costs, categories, stores, channels, transactions, records, points] =
    await Promise.all([
      store.query<Row>(
        `SELECT
           sum(total_minor) AS spend, sumIf(cost_minor, type = 'sale') AS cost,
           countIf(type = 'sale') AS sales, countIf(type = 'return') AS returns,
           sumIf(total_minor, ${recent}) AS spend12,
           sumIf(cost_minor, type = 'sale' AND ${recent}) AS cost12,
           countIf(type = 'sale' AND ${recent}) AS sales12,
           countIf(type = 'return' AND ${recent}) AS returns12
         FROM ${t('events')} FINAL
         WHERE has(splitByChar(',', {customerIds:String}), customer_id) AND type IN ('sale', 'return') AND ${upTo}`,
        params,
      ),
      // What returned goods had cost: back in the margin (their refund is already out of spend).
      store.query<Row>(
        `SELECT sum(r.quantity * s.unit_cost) AS returned,
                sumIf(r.quantity * s.unit_cost, r.occurred_at >= {since:DateTime64(3)}) AS returned12
         FROM (SELECT * FROM ${t('return_lines')} FINAL
               WHERE has(splitByChar(',', {customerIds:String}), customer_id) AND occurred_at <= {asOf:DateTime64(3)}) AS r
         INNER JOIN (SELECT transaction_id, line_id, unit_cost FROM ${t('sale_lines')} FINAL
                     WHERE has(splitByChar(',', {customerIds:String}), customer_id)) AS s
           ON s.transaction_id = r.original_transaction_id AND s.line_id = r.line_id`,
        params,
      ),
      store.query<Row>(
        `SELECT category, sum(quantity * unit_price - discount) AS spend
         FROM ${t('sale_lines')} FINAL
         WHERE has(splitByChar(',', {customerIds:String}), customer_id) AND ${upTo}
         GROUP BY category ORDER BY spend DESC, category LIMIT ${LIST}`,
        params,
      ),
      store.query<Row>(
        `SELECT store_id, count() AS sales FROM ${t('events')} FINAL
         WHERE has(splitByChar(',', {customerIds:String}), customer_id) AND type = 'sale' AND ${upTo}
         GROUP BY store_id ORDER BY sales DESC, store_id LIMIT ${LIST}`,
        params,
      ),
      store.query<Row>(
        `SELECT channel, countIf(type = 'sale') AS sales, sum(total_minor) AS spend
         FROM ${t('events')} FINAL
         WHERE has(splitByChar(',', {customerIds:String}), customer_id) AND type IN ('sale', 'return') AND ${upTo}
         GROUP BY channel ORDER BY sales DESC, channel`,
        params,
      ),
      store.query<Row>(
        `SELECT transaction_id, type, occurred_at, store_id, channel, total_minor
         FROM ${t('events')} FINAL
         WHERE has(splitByChar(',', {customerIds:String}), customer_id) AND type IN ('sale', 'return') AND ${upTo}
         ORDER BY occurred_at DESC, event_id DESC LIMIT ${LIST}`,
        params,
      ),
      store.query<Row>(
        `SELECT type, occurred_at, store_id, channel, payload FROM (
           SELECT *, row_number() OVER (PARTITION BY type ORDER BY occurred_at DESC, event_id DESC) AS n
           FROM ${t('events')} FINAL
           WHERE has(splitByChar(',', {customerIds:String}), customer_id)
             AND type IN ('service.interaction', 'campaign.response') AND ${upTo})
         WHERE n <= ${LIST} ORDER BY occurred_at DESC, event_id DESC`,
        params,
      ),
      store.query<Row>(
        `SELECT kind, sum(points) AS points FROM ${t('ledger')} FINAL
         WHERE has(splitByChar(',', {customerIds:String}), customer_id) AND ${upTo} GROUP BY kind`,
        params,
      ),
    ]);

  const total = totals[0] ?? {};
  const returned = costs[0] ?? {};
  const categorySpend = categories.reduce((sum, row) => sum + num(row.spend), 0);
  const storeSales = stores.reduce((sum, row) => sum + num(row.sales), 0);
  const byKind = new Map(points.map((row) => [row.kind, num(row.points)]));
  const kinds = (...names: string[]) => names.reduce((sum, k) => sum + (byKind.get(k) ?? 0), 0);
  const shareOf = (part: number, whole: number) =>
    whole > 0 ? Math.round((part / whole) * 1000) / 1000 : 0;

  return {
    asOf,
    lifetime: {
      spendMinor: num(total.spend),
      marginMinor: num(total.spend) - num(total.cost) + num(returned.returned),
      sales: num(total.sales),
      returns: num(total.returns),
    },
    last12Months: {
      spendMinor: num(total.spend12),
      marginMinor: num(total.spend12) - num(total.cost12) + num(returned.returned12),
      sales: num(total.sales12),
      returns: num(total.returns12),
    },
    categories: categories.map((row) => ({
      category: String(row.category),
      spendMinor: num(row.spend),
      share: shareOf(num(row.spend), categorySpend),
    })),
    stores: stores.map((row) => ({
      storeId: String(row.store_id),
      sales: num(row.sales),
      share: shareOf(num(row.sales), storeSales),
    })),
    channels: channels.map((row) => ({
      channel: row.channel as CustomerHistory['channels'][number]['channel'],
      sales: num(row.sales),
      spendMinor: num(row.spend),
    })),
    recentTransactions: transactions.map((row) => ({
      transactionId: String(row.transaction_id),
      type: row.type as 'sale' | 'return',
      occurredAt: fromClickHouseTime(String(row.occurred_at)),
      storeId: String(row.store_id),
      channel: row.channel as CustomerHistory['channels'][number]['channel'],
      totalMinor: num(row.total_minor),
    })),
    serviceInteractions: records
      .filter((row) => row.type === 'service.interaction')
      .map((row) => {
        const payload = JSON.parse(String(row.payload));
        return {
          interactionId: payload.interactionId,
          occurredAt: fromClickHouseTime(String(row.occurred_at)),
          storeId: String(row.store_id),
          channel: payload.channel,
          reason: payload.reason,
          outcome: payload.outcome,
        };
      }),
    campaignResponses: records
      .filter((row) => row.type === 'campaign.response')
      .map((row) => {
        const payload = JSON.parse(String(row.payload));
        return {
          responseId: payload.responseId,
          occurredAt: fromClickHouseTime(String(row.occurred_at)),
          campaignId: payload.campaignId,
          action: payload.action,
          ...(payload.offerId !== undefined ? { offerId: payload.offerId } : {}),
        };
      }),
    points: {
      accrued: kinds('earn', 'bonus', 'partner-earn', 'restore', 'redeem-cancel'),
      spent: -kinds('redeem', 'partner-burn'),
      expired: -kinds('expire'),
      reversed: -kinds('reverse'),
      adjusted: kinds('adjust'),
      merged: kinds('merge-in', 'merge-out'),
      pooled: kinds('pool-in', 'pool-out'),
    },
  };
}
