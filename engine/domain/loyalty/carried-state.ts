/**
 * The loyalty state as it crosses continue-as-new: plain JSON (no Map, no Date, no class), so it
 * passes Temporal's payload converter unchanged, in the form every recorded history carries.
 * Records keyed by outside ids are keyed by `key(id)`, so no id (`__proto__`, `constructor`)
 * collides with an object's own machinery. `carryState` and `restoreState` turn the state the
 * rules work on (`state.ts`) into this form and back.
 */
import { instantMs, isoOf, localDate, localMonth } from './arithmetic.ts';
import {
  type DayUsage,
  type EarlyReturn,
  type LineMemory,
  type LoyaltyState,
  NEVER_DUE,
  type RedemptionMemory,
  type SaleMemory,
  stateOf,
  useDay,
} from './state.ts';

/** Keys for records indexed by outside ids. */
const key = (id: string): string => `#${id}`;

/** A rule's points on a day in the carried form: `key('<day>|<ruleId>')`. */
function carryDayUsage(usage: DayUsage): Record<string, number> {
  const record: Record<string, number> = {};
  for (const [day, rules] of usage) {
    for (const [ruleId, points] of rules) record[key(`${day}|${ruleId}`)] = points;
  }
  return record;
}

function restoreDayUsage(record: Record<string, number>): DayUsage {
  const usage: DayUsage = new Map();
  for (const k of Object.keys(record)) {
    // `#YYYY-MM-DD|<ruleId>`: the day is fixed-width, rule ids never hold `|`.
    useDay(usage, k.slice(1, 11), k.slice(12), record[k] as number);
  }
  return usage;
}

/**
 * A sale's memory as carried: its lines by `key(lineId)`, in the sale's order in `lineOrder`,
 * with its local day and month (the rules read them from `occurredAt`).
 */
export type CarriedSaleMemory = Omit<SaleMemory, 'lines'> & {
  day: string;
  month: string;
  lines: Record<string, Omit<LineMemory, 'lineId'>>;
  lineOrder: string[];
};

/** The state as carried across continue-as-new: plain JSON, records keyed by `key(id)`. */
export type CarriedLoyaltyState = Omit<
  LoyaltyState,
  | 'sales'
  | 'earlyReturns'
  | 'redemptions'
  | 'seen'
  | 'dayUsage'
  | 'bonusesGranted'
  | 'dueMs'
  | 'clockMs'
  | 'latestEventMs'
> & {
  /** The cached due instant (`NEVER_DUE` when nothing is). */
  dueAt?: string;
  sales: Record<string, CarriedSaleMemory>;
  earlyReturns: Record<string, EarlyReturn[]>;
  redemptions: Record<string, RedemptionMemory>;
  seen: Record<string, 1>;
  dayUsage: Record<string, number>;
  bonusesGranted: Record<string, string>;
};

/** The id behind a `key(id)`. */
const unkey = (k: string): string => k.slice(1);

function recordOf<V, W = V>(map: Map<string, V>, as: (value: V) => W): Record<string, W> {
  const record: Record<string, W> = {};
  for (const [id, value] of map) record[key(id)] = as(value);
  return record;
}

function mapOf<V, W = V>(record: Record<string, V>, as: (value: V) => W): Map<string, W> {
  const map = new Map<string, W>();
  for (const k of Object.keys(record)) map.set(unkey(k), as(record[k] as V));
  return map;
}

const same = <V>(value: V): V => value;

const msOf = (instant: string | undefined): number | undefined =>
  instant === undefined ? undefined : instantMs(instant);

function carrySale(sale: SaleMemory): CarriedSaleMemory {
  const { lines, ...rest } = sale;
  const carried: CarriedSaleMemory = {
    ...rest,
    day: localDate(sale.occurredAt),
    month: localMonth(sale.occurredAt),
    lines: {},
    lineOrder: [],
  };
  for (const { lineId, ...line } of lines) {
    carried.lineOrder.push(key(lineId));
    carried.lines[key(lineId)] = line;
  }
  return carried;
}

function restoreSale(carried: CarriedSaleMemory): SaleMemory {
  const { lines, lineOrder, day: _day, month: _month, ...rest } = carried;
  const sale: SaleMemory = { ...rest, lines: [] };
  for (const k of lineOrder) {
    const line = lines[k];
    if (line) sale.lines.push({ lineId: unkey(k), ...line });
  }
  return sale;
}

/**
 * The state as plain JSON. It shares the lots, months and memories' objects with `state`: copy
 * it (the book does, through JSON) before `state` changes again.
 */
export function carryState(state: LoyaltyState): CarriedLoyaltyState {
  const { dueMs, clockMs: _clockMs, latestEventMs: _latestEventMs, ...rest } = state;
  return {
    ...rest,
    dueAt: dueMs === undefined ? undefined : dueMs === Infinity ? NEVER_DUE : isoOf(dueMs),
    sales: recordOf(state.sales, carrySale),
    saleOrder: state.saleOrder.map(key),
    earlyReturns: recordOf(state.earlyReturns, same),
    earlyReturnOrder: state.earlyReturnOrder.map(key),
    redemptions: recordOf(state.redemptions, same),
    redemptionOrder: state.redemptionOrder.map(key),
    // Plain JSON already (a short list, no record keyed by outside ids): carried as it is.
    poolGifts: state.poolGifts,
    seen: Object.fromEntries([...state.seen].map((id) => [key(id), 1 as const])),
    seenOrder: state.seenOrder.map(key),
    dayUsage: carryDayUsage(state.dayUsage),
    bonusesGranted: recordOf(state.bonusesGranted, same),
  };
}

/** The state the rules work on, from its carried form (whose objects it takes over: pass a copy). */
export function restoreState(carried: CarriedLoyaltyState): LoyaltyState {
  const { dueAt, ...rest } = carried;
  return stateOf(carried.customerId, {
    ...rest,
    dueMs: dueAt === undefined ? undefined : dueAt === NEVER_DUE ? Infinity : instantMs(dueAt),
    clockMs: msOf(carried.clockAt),
    latestEventMs: msOf(carried.latestEventAt),
    sales: mapOf(carried.sales, restoreSale),
    saleOrder: carried.saleOrder.map(unkey),
    earlyReturns: mapOf(carried.earlyReturns, same),
    earlyReturnOrder: carried.earlyReturnOrder.map(unkey),
    redemptions: mapOf(carried.redemptions, same),
    redemptionOrder: carried.redemptionOrder.map(unkey),
    // Absent in states carried from before pooling.
    poolGifts: carried.poolGifts,
    seen: new Set(Object.keys(carried.seen).map(unkey)),
    seenOrder: carried.seenOrder.map(unkey),
    dayUsage: restoreDayUsage(carried.dayUsage),
    bonusesGranted: mapOf(carried.bonusesGranted, same),
  });
}
