/**
 * Named analytic queries, shared by tests, dashboards and the API. Every query reads with FINAL,
 * so a row inserted twice (a retried insert, a redelivered or re-published message) counts once;
 * see schema.ts. Values are bound as `{name:Type}` parameters, never spliced into the SQL.
 */
import type { LedgerEntry } from '../domain/effects.ts';
import type { EventType } from '../domain/events.ts';
import { fromClickHouseTime } from './rows.ts';
import { qualified, type TableName } from './schema.ts';
import type { AnalyticsStore } from './store.ts';

/** A stored event, as eventById returns it. */
export interface StoredEvent {
  eventId: string;
  type: EventType;
  occurredAt: string;
  storeId: string;
  tillId: string | undefined;
  channel: string;
  customerId: string | undefined;
  transactionId: string;
  currency: string;
  totalMinor: number;
  costMinor: number;
  lineCount: number;
  /** The validated event as stored (without personal data). */
  payload: unknown;
  streamSeq: number;
  receivedAt: string;
}

export interface StoredCue {
  cueId: string;
  customerId: string;
  eventId: string;
  storeId: string;
  tillId: string;
  channel: string;
  occurredAt: string;
  pointsEarned: number;
  pointsBalance: number;
  visitsThisMonth: number;
  message: string;
}

export interface CustomerPoints {
  customerId: string;
  points: number;
}

/** 64-bit integers arrive as strings (see store.ts); the figures here fit a JS number. */
const num = (value: unknown): number => Number(value);

/** Rows of a table as queries see them (duplicates collapsed). */
export async function countRows(store: AnalyticsStore, table: TableName): Promise<number> {
  const [row] = await store.query<{ n: string }>(
    `SELECT count() AS n FROM ${qualified(store.database, table)} FINAL`,
  );
  return num(row?.n ?? 0);
}

/** How many distinct events are stored: with FINAL, one row per event id. */
export function countDistinctEvents(store: AnalyticsStore): Promise<number> {
  return countRows(store, 'events');
}

export async function eventById(
  store: AnalyticsStore,
  eventId: string,
): Promise<StoredEvent | undefined> {
  const rows = await store.query<Record<string, string>>(
    `SELECT * FROM ${qualified(store.database, 'events')} FINAL WHERE event_id = {eventId:String}`,
    { eventId },
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    eventId: String(row.event_id),
    type: row.type as EventType,
    occurredAt: fromClickHouseTime(String(row.occurred_at)),
    storeId: String(row.store_id),
    tillId: row.till_id || undefined,
    channel: String(row.channel),
    customerId: row.customer_id || undefined,
    transactionId: String(row.transaction_id),
    currency: String(row.currency),
    totalMinor: num(row.total_minor),
    costMinor: num(row.cost_minor),
    lineCount: num(row.line_count),
    payload: JSON.parse(String(row.payload)),
    streamSeq: num(row.stream_seq),
    receivedAt: fromClickHouseTime(String(row.received_at)),
  };
}

/** A customer's ledger entries, oldest first. */
export async function ledgerForCustomer(
  store: AnalyticsStore,
  customerId: string,
): Promise<LedgerEntry[]> {
  const rows = await store.query<Record<string, string>>(
    `SELECT * FROM ${qualified(store.database, 'ledger')} FINAL
     WHERE customer_id = {customerId:String}
     ORDER BY occurred_at, entry_id`,
    { customerId },
  );
  return rows.map((row) => ({
    entryId: String(row.entry_id),
    customerId: String(row.customer_id),
    eventId: String(row.event_id),
    transactionId: String(row.transaction_id),
    kind: row.kind as LedgerEntry['kind'],
    revision: num(row.revision),
    points: num(row.points),
    balanceAfter: num(row.balance_after),
    storeId: String(row.store_id),
    occurredAt: fromClickHouseTime(String(row.occurred_at)),
    programVersion: String(row.program_version),
    ...(row.partner_id ? { partnerId: String(row.partner_id) } : {}),
    ...(row.reason ? { reason: String(row.reason) } : {}),
    ...(row.operator_id ? { operatorId: String(row.operator_id) } : {}),
  }));
}

/** Each customer's points: the sum of their ledger, by customer id. */
export async function pointsBalanceByCustomer(store: AnalyticsStore): Promise<CustomerPoints[]> {
  const rows = await store.query<{ customer_id: string; points: string }>(
    `SELECT customer_id, sum(points) AS points
     FROM ${qualified(store.database, 'ledger')} FINAL
     GROUP BY customer_id
     ORDER BY customer_id`,
  );
  return rows.map((row) => ({ customerId: row.customer_id, points: num(row.points) }));
}

/**
 * The cues of one till, oldest first. Without `since`: the latest `limit`. With `since` (an ISO
 * instant): the first `limit` after it, so a reconnecting till pages through what it missed.
 */
export async function cuesForTill(
  store: AnalyticsStore,
  storeId: string,
  tillId: string,
  options: { since?: string; limit?: number } = {},
): Promise<StoredCue[]> {
  const limit = Math.max(1, Math.min(Math.trunc(options.limit ?? 100), 10_000));
  const sinceMs = options.since === undefined ? undefined : Date.parse(options.since);
  if (sinceMs !== undefined && Number.isNaN(sinceMs)) {
    throw new Error(`since: "${options.since}" is not an ISO 8601 instant`);
  }
  const table = qualified(store.database, 'cues');
  const where = 'store_id = {storeId:String} AND till_id = {tillId:String}';
  const rows =
    sinceMs === undefined
      ? (
          await store.query<Record<string, string>>(
            `SELECT * FROM ${table} FINAL WHERE ${where}
             ORDER BY occurred_at DESC, cue_id DESC LIMIT {limit:UInt32}`,
            { storeId, tillId, limit },
          )
        ).reverse()
      : await store.query<Record<string, string>>(
          `SELECT * FROM ${table} FINAL
           WHERE ${where} AND occurred_at > fromUnixTimestamp64Milli({sinceMs:Int64}, 'UTC')
           ORDER BY occurred_at, cue_id LIMIT {limit:UInt32}`,
          { storeId, tillId, sinceMs, limit },
        );
  return rows.map((row) => ({
    cueId: String(row.cue_id),
    customerId: String(row.customer_id),
    eventId: String(row.event_id),
    storeId: String(row.store_id),
    tillId: String(row.till_id),
    channel: String(row.channel),
    occurredAt: fromClickHouseTime(String(row.occurred_at)),
    pointsEarned: num(row.points_earned),
    pointsBalance: num(row.points_balance),
    visitsThisMonth: num(row.visits_this_month),
    message: String(row.message),
  }));
}
