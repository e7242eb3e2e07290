/**
 * Row mappers: from the validated messages (engine/domain) to the rows of the analytics tables
 * (schema.ts). Pure functions, no I/O. Column names are the tables' snake_case names, so a row is
 * inserted as JSONEachRow as it is.
 */

import {
  type Cue,
  type LedgerEntry,
  type LifecycleTriggerMessage,
  lifecycleTriggerId,
  type SegmentChangeMessage,
  type TierChangeMessage,
} from '../domain/effects.ts';
import {
  type CustomerRegisteredEvent,
  lineNet,
  type ProfileChangedEvent,
  type RetailEvent,
  type SaleEvent,
  withoutPersonalData,
} from '../domain/events.ts';
import { type FraudFlag, flagPlace } from '../domain/fraud/messages.ts';
import type { AuditEntry } from '../domain/staff/audit.ts';
import type { ProfileColumn } from './profile-changes.ts';
import type { TableName } from './schema.ts';

export interface EventRow {
  event_id: string;
  type: RetailEvent['type'];
  occurred_at: string;
  store_id: string;
  till_id: string;
  channel: string;
  customer_id: string;
  transaction_id: string;
  /** The staff member at the till ('' when not given). */
  associate_id: string;
  currency: string;
  total_minor: number;
  cost_minor: number;
  line_count: number;
  payload: string;
  stream_seq: number;
  received_at: string;
}

export interface SaleLineRow {
  event_id: string;
  line_id: string;
  transaction_id: string;
  sku: string;
  category: string;
  brand: string;
  quantity: number;
  unit_price: number;
  full_price: number;
  discount: number;
  unit_cost: number;
  customer_id: string;
  store_id: string;
  occurred_at: string;
}

export interface ReturnLineRow {
  event_id: string;
  line_id: string;
  transaction_id: string;
  original_transaction_id: string;
  sku: string;
  quantity: number;
  refund_amount: number;
  /**
   * The unit cost of the sale line given back (0 when that line is not stored): filled at insert
   * from `sale_lines` (returned-cost.ts), so margin questions need no join.
   */
  unit_cost: number;
  customer_id: string;
  store_id: string;
  occurred_at: string;
}

export interface LedgerRow {
  entry_id: string;
  customer_id: string;
  event_id: string;
  transaction_id: string;
  kind: LedgerEntry['kind'];
  revision: number;
  points: number;
  balance_after: number;
  store_id: string;
  occurred_at: string;
  program_version: string;
  partner_id: string;
  reason: string;
  operator_id: string;
}

export interface CueRow {
  cue_id: string;
  customer_id: string;
  event_id: string;
  store_id: string;
  till_id: string;
  channel: string;
  occurred_at: string;
  points_earned: number;
  points_balance: number;
  visits_this_month: number;
  message: string;
}

export interface DeadLetterRow {
  stream: string;
  seq: number;
  subject: string;
  reason: string;
  payload: string;
  at: string;
}

export interface LifecycleTriggerRow {
  trigger_id: string;
  customer_id: string;
  rule_id: string;
  kind: string;
  occasion: string;
  due_at: string;
  fired_at: string;
  cue_message: string;
  cue_until: string | null;
}

export interface FraudFlagRow {
  flag_id: string;
  rule: string;
  at: string;
  store_id: string;
  till_id: string;
  card_number: string;
  customer_id: string;
  action: string;
  message: string;
  evidence: number;
  distance_km: number | null;
  speed_kmh: number | null;
}

export interface StoreRow {
  store_id: string;
  name: string;
  format: string;
  city: string;
  region: string;
  country: string;
  latitude: number;
  longitude: number;
  /** `YYYY-MM-DD`. */
  opened_on: string;
  updated_at: string;
}

export interface ProductRow {
  sku: string;
  name: string;
  category: string;
  brand: string;
  full_price: number;
  unit_cost: number;
  currency: string;
  updated_at: string;
}

export interface StaffRow {
  staff_id: string;
  store_id: string;
  role: string;
  /** `YYYY-MM-DD`. */
  hired_on: string;
  updated_at: string;
}

/** A member, for cohorts and demographic cuts. birth_year and gender are personal data. */
export interface CustomerRow {
  customer_id: string;
  registered_at: string;
  acquisition_source: string;
  home_store_id: string;
  household_id: string;
  customer_type: string;
  birth_year: number | null;
  gender: string;
  updated_at: string;
}

export interface TierChangeRow {
  customer_id: string;
  at: string;
  from_tier: string;
  to_tier: string;
  reason: string;
}

/** Tags a registration added (`replaces` 0) or a profile change set (1), for segments over SQL. */
export interface CustomerTagsRow {
  customer_id: string;
  at: string;
  event_id: string;
  replaces: 0 | 1;
  tags: string[];
}

/**
 * A sale receipt (migration 7, baskets.ts): its figures, and per distinct category, sorted by
 * byte order, the category's net and lines (aligned arrays); its distinct brands and SKUs, sorted.
 */
export interface BasketRow {
  customer_id: string;
  occurred_at: string;
  store_id: string;
  transaction_id: string;
  lines: number;
  net_minor: number;
  cost_minor: number;
  /** Net of the lines sold at full price: unit price at least the full price, no discount. */
  full_price_net_minor: number;
  categories: string[];
  category_net_minor: number[];
  category_lines: number[];
  brands: string[];
  skus: string[];
}

export interface SegmentChangeRow {
  customer_id: string;
  segment_id: string;
  change: 'entered' | 'exited';
  at: string;
  cause: string;
  event_id: string;
  program_version: string;
}

/** A field a profile change set (profile-changes.ts): its `customers` column and new value. */
export interface ProfileChangeRow {
  customer_id: string;
  at: string;
  event_id: string;
  field: ProfileColumn;
  /** '' when the change cleared it. */
  value: string;
}

/** A staff action on a customer (engine/domain/staff/audit.ts). */
export interface AuditRow {
  audit_id: string;
  at: string;
  user_id: string;
  role: string;
  action: string;
  /** '' for an action on no one customer. */
  customer_id: string;
  detail: string;
}

export function auditRow(entry: AuditEntry): AuditRow {
  return {
    audit_id: entry.auditId,
    at: toClickHouseTime(entry.at),
    user_id: entry.userId,
    role: entry.role,
    action: entry.action,
    customer_id: entry.customerId ?? '',
    detail: entry.detail,
  };
}

/** The row type of each table. */
export interface TableRows {
  events: EventRow;
  sale_lines: SaleLineRow;
  return_lines: ReturnLineRow;
  ledger: LedgerRow;
  cues: CueRow;
  dead_letters: DeadLetterRow;
  lifecycle_triggers: LifecycleTriggerRow;
  fraud_flags: FraudFlagRow;
  stores: StoreRow;
  products: ProductRow;
  staff: StaffRow;
  customers: CustomerRow;
  tier_changes: TierChangeRow;
  segment_changes: SegmentChangeRow;
  customer_tags: CustomerTagsRow;
  baskets: BasketRow;
  profile_changes: ProfileChangeRow;
  audit_log: AuditRow;
}

/** Rows for several tables, as one message produces them. */
export type RowBatch = { [T in TableName]?: TableRows[T][] };

/**
 * An instant as ClickHouse parses it into DateTime64(3, 'UTC') in every version and setting:
 * `YYYY-MM-DD hh:mm:ss.sss` in UTC. ISO input with an offset is converted to UTC first.
 */
export function toClickHouseTime(instant: string | Date | number): string {
  const date = instant instanceof Date ? instant : new Date(instant);
  if (Number.isNaN(date.getTime())) throw new Error(`not a valid instant: ${String(instant)}`);
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/** The reverse of toClickHouseTime: `2025-01-01 10:00:00.123` → `2025-01-01T10:00:00.123Z`. */
export function fromClickHouseTime(value: string): string {
  const iso = `${value.replace(' ', 'T')}${value.includes('.') ? '' : '.000'}Z`;
  return new Date(iso).toISOString();
}

export interface StreamPosition {
  /** The message's sequence in its JetStream stream. */
  streamSeq: number;
  /** When JetStream stored it (the same on every redelivery, so re-inserted rows are identical). */
  receivedAt: Date | string | number;
}

/**
 * The rows one retail event becomes: its `events` row, its sale or return lines, and a sale's
 * receipt (`baskets`).
 *
 * The payload is the validated event (defaults filled) without personal data
 * (`withoutPersonalData`: a registration's or profile change's personal fields, a service
 * contact's note), so nothing personal reaches analytics. If it ever does, erasure must run
 * `ALTER TABLE … DELETE` on this table.
 */
export function eventRows(
  event: RetailEvent,
  position: StreamPosition,
): Pick<Required<RowBatch>, 'events' | 'sale_lines' | 'return_lines'> &
  Pick<RowBatch, 'customers' | 'customer_tags' | 'baskets' | 'profile_changes'> {
  const occurredAt = toClickHouseTime(event.occurredAt);
  const customerId = event.customerId ?? '';
  const common = {
    event_id: event.eventId,
    type: event.type,
    occurred_at: occurredAt,
    store_id: event.storeId,
    till_id: event.tillId ?? '',
    channel: event.channel,
    customer_id: customerId,
    associate_id: (event.type === 'sale' || event.type === 'return' ? event.associateId : '') ?? '',
    payload: JSON.stringify(withoutPersonalData(event)),
    stream_seq: position.streamSeq,
    received_at: toClickHouseTime(position.receivedAt),
  };
  /** The rows of an event that moves no money: its `events` row alone. */
  const withoutMoney = (transactionId: string) => ({
    events: [
      {
        ...common,
        transaction_id: transactionId,
        currency: '',
        total_minor: 0,
        cost_minor: 0,
        line_count: 0,
      },
    ],
    sale_lines: [],
    return_lines: [],
  });
  switch (event.type) {
    case 'sale':
      return {
        events: [
          {
            ...common,
            transaction_id: event.transactionId,
            currency: event.currency,
            total_minor: event.lines.reduce((sum, line) => sum + lineNet(line), 0),
            cost_minor: event.lines.reduce((sum, line) => sum + line.quantity * line.unitCost, 0),
            line_count: event.lines.length,
          },
        ],
        sale_lines: event.lines.map((line) => ({
          event_id: event.eventId,
          line_id: line.lineId,
          transaction_id: event.transactionId,
          sku: line.sku,
          category: line.category,
          brand: line.brand ?? '',
          quantity: line.quantity,
          unit_price: line.unitPrice,
          full_price: line.fullPrice,
          discount: line.discount,
          unit_cost: line.unitCost,
          customer_id: customerId,
          store_id: event.storeId,
          occurred_at: occurredAt,
        })),
        return_lines: [],
        baskets: [basketRow(event, occurredAt)],
      };
    case 'return':
      return {
        events: [
          {
            ...common,
            transaction_id: event.transactionId,
            currency: event.currency,
            total_minor: -event.lines.reduce((sum, line) => sum + line.refundAmount, 0),
            cost_minor: 0,
            line_count: event.lines.length,
          },
        ],
        sale_lines: [],
        return_lines: event.lines.map((line) => ({
          event_id: event.eventId,
          line_id: line.lineId,
          transaction_id: event.transactionId,
          original_transaction_id: event.originalTransactionId,
          sku: line.sku,
          quantity: line.quantity,
          refund_amount: line.refundAmount,
          unit_cost: 0,
          customer_id: customerId,
          store_id: event.storeId,
          occurred_at: occurredAt,
        })),
      };
    case 'partner.accrual':
      return {
        events: [
          {
            ...common,
            transaction_id: event.transactionId,
            currency: event.currency,
            // Spend at a partner is not the retailer's revenue.
            total_minor: 0,
            cost_minor: 0,
            line_count: 0,
          },
        ],
        sale_lines: [],
        return_lines: [],
      };
    case 'customer.registered':
      return {
        ...withoutMoney(ownId(event)),
        customers: [customerRow(event)],
        customer_tags: tagsOf(event),
      };
    case 'profile.changed':
      return {
        ...withoutMoney(ownId(event)),
        customer_tags: tagsOf(event),
        profile_changes: profileChangeRows(event),
      };
    case 'points.adjusted':
    case 'service.interaction':
    case 'campaign.response':
      return {
        ...withoutMoney(ownId(event)),
      };
  }
}

/** ClickHouse's order of strings (bytes), which `arraySort` in migration 7's backfill uses. */
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
const sortedDistinct = (values: Iterable<string>): string[] => [...new Set(values)].sort(byBytes);

/** A sale's receipt row: what migration 7 computes from its stored lines (baskets.ts). */
function basketRow(event: SaleEvent, occurredAt: string): BasketRow {
  const byCategory = new Map<string, { net: number; lines: number }>();
  let net = 0;
  let cost = 0;
  let fullPrice = 0;
  for (const line of event.lines) {
    const value = lineNet(line);
    net += value;
    cost += line.quantity * line.unitCost;
    if (line.unitPrice >= line.fullPrice && line.discount === 0) fullPrice += value;
    const category = byCategory.get(line.category) ?? { net: 0, lines: 0 };
    category.net += value;
    category.lines += 1;
    byCategory.set(line.category, category);
  }
  const categories = sortedDistinct(byCategory.keys());
  return {
    customer_id: event.customerId ?? '',
    occurred_at: occurredAt,
    store_id: event.storeId,
    transaction_id: event.transactionId,
    lines: event.lines.length,
    net_minor: net,
    cost_minor: cost,
    full_price_net_minor: fullPrice,
    categories,
    category_net_minor: categories.map((c) => byCategory.get(c)?.net ?? 0),
    category_lines: categories.map((c) => byCategory.get(c)?.lines ?? 0),
    brands: sortedDistinct(event.lines.map((line) => line.brand ?? '')),
    skus: sortedDistinct(event.lines.map((line) => line.sku)),
  };
}

/**
 * The tags a registration adds or a profile change sets, as the customer's record applies them
 * (engine/domain/loyalty: a registration's are added to any held, a change replaces them).
 */
function tagsOf(event: CustomerRegisteredEvent | ProfileChangedEvent): CustomerTagsRow[] {
  const at = toClickHouseTime(event.occurredAt);
  const row = { customer_id: event.customerId, at, event_id: event.eventId };
  if (event.type === 'customer.registered') {
    const tags = event.tags ?? event.profile?.tags;
    return tags ? [{ ...row, replaces: 0, tags: [...tags] }] : [];
  }
  const tags = event.changes.tags;
  return tags === undefined ? [] : [{ ...row, replaces: 1, tags: [...(tags ?? [])] }];
}

/**
 * The member figures a profile change sets, one row per field, in `customers`' terms: the year
 * of the birth date, the preferred store as home store (personal data, like the registration's:
 * see profile-changes.ts on erasure).
 */
function profileChangeRows(event: ProfileChangedEvent): ProfileChangeRow[] {
  const { changes } = event;
  const row = (field: ProfileColumn, value: string | null | undefined): ProfileChangeRow[] =>
    value === undefined
      ? []
      : [
          {
            customer_id: event.customerId,
            at: toClickHouseTime(event.occurredAt),
            event_id: event.eventId,
            field,
            value: value ?? '',
          },
        ];
  return [
    ...row('home_store_id', changes.preferredStoreId),
    ...row('customer_type', changes.customerType),
    ...row(
      'birth_year',
      changes.birthDate === undefined ? undefined : (changes.birthDate?.slice(0, 4) ?? null),
    ),
    ...row('gender', changes.gender),
  ];
}

/**
 * A registration's member row: how they came, their home store, and from the profile the birth
 * year and gender (personal data, for demographic cuts; see layout-v3.ts on erasure).
 */
function customerRow(event: CustomerRegisteredEvent): CustomerRow {
  const at = toClickHouseTime(event.occurredAt);
  const birthYear = event.profile?.birthDate ? Number(event.profile.birthDate.slice(0, 4)) : null;
  return {
    customer_id: event.customerId,
    registered_at: at,
    acquisition_source: event.acquisitionSource ?? '',
    home_store_id: event.profile?.preferredStoreId ?? event.storeId,
    household_id: '',
    customer_type: event.profile?.customerType ?? '',
    birth_year: birthYear,
    gender: event.profile?.gender ?? '',
    updated_at: at,
  };
}

/** The id an event without a transaction names itself by (the same resent is the same row). */
function ownId(event: RetailEvent): string {
  switch (event.type) {
    case 'points.adjusted':
      return event.adjustmentId;
    case 'service.interaction':
      return event.interactionId;
    case 'campaign.response':
      return event.responseId;
    // A profile change has no id of its own: each event is a change.
    case 'profile.changed':
      return event.eventId;
    // One registration per customer (and store): sent again, it is the same.
    default:
      return '';
  }
}

export function ledgerRow(entry: LedgerEntry): LedgerRow {
  return {
    entry_id: entry.entryId,
    customer_id: entry.customerId,
    event_id: entry.eventId,
    transaction_id: entry.transactionId,
    kind: entry.kind,
    revision: entry.revision,
    points: entry.points,
    balance_after: entry.balanceAfter,
    store_id: entry.storeId,
    occurred_at: toClickHouseTime(entry.occurredAt),
    program_version: entry.programVersion,
    partner_id: entry.partnerId ?? '',
    reason: entry.reason ?? '',
    operator_id: entry.operatorId ?? '',
  };
}

export function tierChangeRow(change: TierChangeMessage): TierChangeRow {
  return {
    customer_id: change.customerId,
    at: toClickHouseTime(change.at),
    from_tier: change.from,
    to_tier: change.to,
    reason: change.reason,
  };
}

export function segmentChangeRow(change: SegmentChangeMessage): SegmentChangeRow {
  return {
    customer_id: change.customerId,
    segment_id: change.segmentId,
    change: change.change,
    at: toClickHouseTime(change.at),
    cause: change.cause,
    event_id: change.eventId ?? '',
    program_version: change.programVersion,
  };
}

export function lifecycleTriggerRow(fired: LifecycleTriggerMessage): LifecycleTriggerRow {
  return {
    trigger_id: lifecycleTriggerId(fired),
    customer_id: fired.customerId,
    rule_id: fired.ruleId,
    kind: fired.on,
    occasion: fired.occasion,
    due_at: toClickHouseTime(fired.dueAt),
    fired_at: toClickHouseTime(fired.firedAt),
    cue_message: fired.cue?.message ?? '',
    cue_until: fired.cue ? toClickHouseTime(fired.cue.until) : null,
  };
}

/** A flag as raised (its resolution stays in the flag store). */
export function fraudFlagRow(flag: FraudFlag): FraudFlagRow {
  const place = flagPlace(flag);
  return {
    flag_id: flag.flagId,
    rule: flag.rule,
    at: toClickHouseTime(flag.at),
    store_id: place.storeId,
    till_id: place.tillId ?? '',
    card_number: flag.cardNumber ?? '',
    customer_id: flag.customerId ?? '',
    action: flag.action,
    message: flag.message,
    evidence: flag.evidence.length,
    distance_km: flag.travel?.distanceKm ?? null,
    speed_kmh: flag.travel?.speedKmh ?? null,
  };
}

export function cueRow(cue: Cue): CueRow {
  return {
    cue_id: cue.cueId,
    customer_id: cue.customerId,
    event_id: cue.eventId,
    store_id: cue.storeId,
    till_id: cue.tillId ?? '',
    channel: cue.channel,
    occurred_at: toClickHouseTime(cue.occurredAt),
    points_earned: cue.pointsEarned,
    points_balance: cue.pointsBalance,
    visits_this_month: cue.visitsThisMonth,
    message: cue.message,
  };
}

/** Payloads kept in dead_letters are cut here: enough to diagnose, never a 4 MB row. */
export const DEAD_LETTER_PAYLOAD_LIMIT = 64 * 1024;

/**
 * A message nobody could process. Its payload is kept as text for diagnosis; if it is a JSON
 * object, a top-level `profile` (personal details of a registration) is removed first.
 */
export function deadLetterRow(input: {
  stream: string;
  seq: number;
  subject: string;
  reason: string;
  payload: Uint8Array | string;
  at: Date | string | number;
}): DeadLetterRow {
  const text =
    typeof input.payload === 'string' ? input.payload : new TextDecoder().decode(input.payload);
  return {
    stream: input.stream,
    seq: input.seq,
    subject: input.subject,
    reason: input.reason.slice(0, 4096),
    payload: withoutProfile(text).slice(0, DEAD_LETTER_PAYLOAD_LIMIT),
    at: toClickHouseTime(input.at),
  };
}

function withoutProfile(text: string): string {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value) && 'profile' in value) {
      const { profile: _profile, ...rest } = value as Record<string, unknown>;
      return JSON.stringify(rest);
    }
  } catch {
    // not JSON: kept as it is
  }
  return text;
}
