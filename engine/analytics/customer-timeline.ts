/**
 * One customer's timeline (engine/domain/customer/timeline.ts) from the analytics store: the
 * newest `limit` items of each table before the moment asked, merged and cut to `limit`. Each
 * table is sorted by customer first, so each read is a few granules.
 */
import type { TimelineItem, TimelineRequest } from '../domain/customer/timeline.ts';
import { fromClickHouseTime, toClickHouseTime } from './rows.ts';
import { qualified } from './schema.ts';
import type { AnalyticsStore } from './store.ts';

type Row = Record<string, string | number | null>;
const text = (v: unknown) => String(v ?? '');
const int = (v: unknown) => Number(v ?? 0);
const at = (v: unknown) => fromClickHouseTime(text(v));

export async function customerTimeline(
  store: AnalyticsStore,
  request: TimelineRequest,
  now: Date,
): Promise<{ items: TimelineItem[]; more: boolean }> {
  const t = (table: string) => qualified(store.database, table);
  const params = {
    customer: request.customerId,
    before: toClickHouseTime(request.before ?? now),
    limit: request.limit + 1,
  };
  const recent = (sql: string) => store.query<Row>(sql, params);
  const [events, ledger, cues, triggers, tiers, segments] = await Promise.all([
    recent(`SELECT type, occurred_at, store_id, channel, event_id, transaction_id, total_minor
      FROM ${t('events')}
      WHERE customer_id = {customer:String} AND occurred_at < {before:DateTime64(3, 'UTC')}
      ORDER BY occurred_at DESC LIMIT {limit:UInt32}`),
    recent(`SELECT kind, occurred_at, points, balance_after, store_id, transaction_id, program_version
      FROM ${t('ledger')} FINAL
      WHERE customer_id = {customer:String} AND occurred_at < {before:DateTime64(3, 'UTC')}
      ORDER BY occurred_at DESC, entry_id LIMIT {limit:UInt32}`),
    recent(`SELECT occurred_at, store_id, till_id, message FROM ${t('cues')}
      WHERE customer_id = {customer:String} AND occurred_at < {before:DateTime64(3, 'UTC')}
      ORDER BY occurred_at DESC LIMIT {limit:UInt32}`),
    recent(`SELECT fired_at, rule_id, kind, cue_message FROM ${t('lifecycle_triggers')} FINAL
      WHERE customer_id = {customer:String} AND fired_at < {before:DateTime64(3, 'UTC')}
      ORDER BY fired_at DESC LIMIT {limit:UInt32}`),
    recent(`SELECT at, from_tier, to_tier FROM ${t('tier_changes')} FINAL
      WHERE customer_id = {customer:String} AND at < {before:DateTime64(3, 'UTC')}
      ORDER BY at DESC LIMIT {limit:UInt32}`),
    recent(`SELECT at, segment_id, change FROM ${t('segment_changes')} FINAL
      WHERE customer_id = {customer:String} AND at < {before:DateTime64(3, 'UTC')}
      ORDER BY at DESC LIMIT {limit:UInt32}`),
  ]);
  const items: TimelineItem[] = [
    ...events.map((r) => ({
      kind: 'event' as const,
      at: at(r.occurred_at),
      type: text(r.type),
      storeId: text(r.store_id),
      channel: text(r.channel),
      eventId: text(r.event_id),
      transactionId: text(r.transaction_id),
      totalMinor: int(r.total_minor),
    })),
    ...ledger.map((r) => ({
      kind: 'ledger' as const,
      at: at(r.occurred_at),
      entryKind: text(r.kind),
      points: int(r.points),
      balanceAfter: int(r.balance_after),
      storeId: text(r.store_id),
      transactionId: text(r.transaction_id),
      programVersion: text(r.program_version),
    })),
    ...cues.map((r) => ({
      kind: 'cue' as const,
      at: at(r.occurred_at),
      storeId: text(r.store_id),
      tillId: text(r.till_id),
      message: text(r.message),
    })),
    ...triggers.map((r) => ({
      kind: 'trigger' as const,
      at: at(r.fired_at),
      ruleId: text(r.rule_id),
      triggerKind: text(r.kind),
      message: text(r.cue_message),
    })),
    ...tiers.map((r) => ({
      kind: 'tier' as const,
      at: at(r.at),
      from: text(r.from_tier),
      to: text(r.to_tier),
    })),
    ...segments.map((r) => ({
      kind: 'segment' as const,
      at: at(r.at),
      segmentId: text(r.segment_id),
      change: text(r.change),
    })),
  ];
  // Newest first; at one instant, what happened before what it caused.
  const order = ['segment', 'tier', 'trigger', 'cue', 'ledger', 'event'];
  items.sort((a, b) =>
    a.at === b.at ? order.indexOf(a.kind) - order.indexOf(b.kind) : a.at < b.at ? 1 : -1,
  );
  return { items: items.slice(0, request.limit), more: items.length > request.limit };
}
