/**
 * Merging two customers' loyalty states: an anonymous card or web shopper found to be a
 * registered customer. Everything the absorbed customer earned and remembers moves into the
 * survivor's state, once (the caller records merge ids); the inputs are never changed.
 *
 * - Lots move under their own ids (a return of a sale finds the sale's lot by its transaction
 *   id), or under `merged:<absorbedCustomerId>:<oldId>` where the survivor already uses the id
 *   (both registered, both had an opening balance); the lots stay oldest first by earning time (ties by id, as `lots.ts`
 *   orders them), and the absorbed customer's debt joins the survivor's. The redemptions'
 *   `consumed[].lotId` are renamed alike, so a later cancellation gives points back as lots like
 *   the moved ones.
 * - Memories (sales, returns held for their sale, redemptions) move; on a clashing id the
 *   survivor's stands. Their orders are merged by time and trimmed to `loyaltyLimits`, oldest
 *   dropped (a dropped sale stays known among the ids seen, as `forgetOldestSale` does).
 * - Ids seen: the union, taken newest first from each side in turn, so when the ring is full
 *   each customer keeps their newest ids.
 * - Month buckets and day counters are summed; one-off bonuses, tags: the union (the survivor's
 *   bonus stands). Registration and first event: the earliest; activity, clock, latest event:
 *   the latest. The inactivity warning stands only if the last activity did not move. The due
 *   instant is forgotten: the clock works it out again.
 * - Tier: the higher tier stands, level, base and peak each the higher of the two (so level
 *   stays max(base, peak)). The next review is the survivor's (the absorbed customer's if the
 *   survivor has no tier). A grace period stands only if it is the survivor's and the survivor's
 *   level is the one kept: a grace period threatens a level, and the absorbed customer's level
 *   may be higher. The merged months may now qualify for more: the next sale reassesses.
 *
 * The absorbed state keeps its memories (its history stays readable, its ids stay duplicates)
 * but holds no points: no lots, no debt.
 */
import { instantMs } from './arithmetic.ts';
import { forgetOldestSale } from './posting.ts';
import {
  balanceOf,
  type DayUsage,
  type EarlyReturn,
  type Lot,
  type LoyaltyState,
  loyaltyLimits,
  type MonthBucket,
  type RedemptionMemory,
  stateOf,
  type TierState,
  useDay,
} from './state.ts';

export interface LoyaltyMerge {
  mergeId: string;
  /** When the merge happens (for the caller's ledger lines; the states carry their own times). */
  at: string;
}

export interface MergedLoyalty {
  survivor: LoyaltyState;
  absorbed: LoyaltyState;
  /** Points that moved: the absorbed customer's balance (negative if they owed points). */
  moved: number;
}

/** The id a lot of the absorbed customer takes in the survivor's state when its own is taken. */
export const mergedLotId = (absorbedCustomerId: string, lotId: string): string =>
  `merged:${absorbedCustomerId}:${lotId}`;

export function mergeLoyalty(
  survivor: LoyaltyState,
  absorbed: LoyaltyState,
  _merge: LoyaltyMerge,
): MergedLoyalty {
  const from = absorbed.customerId;
  // Lots keep their ids (a return finds its sale's lot by the transaction id) unless the
  // survivor already uses the id: a registration bonus, an opening balance, a sale it remembers.
  const taken = new Set([...survivor.lots.map((lot) => lot.id), ...survivor.sales.keys()]);
  for (const redemption of survivor.redemptions.values()) {
    for (const part of redemption.consumed) taken.add(part.lotId);
  }
  const rename = (lotId: string) => (taken.has(lotId) ? mergedLotId(from, lotId) : lotId);

  const lots = [
    ...survivor.lots.map(copyPlain),
    ...absorbed.lots.map((lot) => ({ ...copyPlain(lot), id: rename(lot.id) })),
  ].sort(byEarning);
  let lotPoints = 0;
  let pendingSpanMs = 0;
  for (const lot of lots) {
    lotPoints += lot.points;
    pendingSpanMs = Math.max(pendingSpanMs, instantMs(lot.availableAt) - instantMs(lot.earnedAt));
  }

  const sales = mergeMemories(
    survivor.sales,
    survivor.saleOrder,
    absorbed.sales,
    absorbed.saleOrder,
    (sale) => sale.occurredAt,
    copyPlain,
  );
  const earlyReturns = mergeMemories(
    survivor.earlyReturns,
    survivor.earlyReturnOrder,
    absorbed.earlyReturns,
    absorbed.earlyReturnOrder,
    (held) => held[0]?.occurredAt,
    (held: EarlyReturn[]) => held.map(copyPlain),
  );
  const redemptions = mergeMemories(
    survivor.redemptions,
    survivor.redemptionOrder,
    absorbed.redemptions,
    absorbed.redemptionOrder,
    (r) => r.at,
    copyPlain,
    (r: RedemptionMemory): RedemptionMemory => {
      const moved = copyPlain(r);
      for (const taken of moved.consumed) taken.lotId = rename(taken.lotId);
      return moved;
    },
  );
  dropOldest(redemptions.memory, redemptions.order, loyaltyLimits.redemptions);
  dropOldest(earlyReturns.memory, earlyReturns.order, loyaltyLimits.earlyReturns);

  const seenOrder = mergeSeen(survivor, absorbed);
  const lastActivityAt = latest(survivor.lastActivityAt, absorbed.lastActivityAt);
  const clockAt = latest(survivor.clockAt, absorbed.clockAt);
  const latestEventAt = latest(survivor.latestEventAt, absorbed.latestEventAt);

  const merged = stateOf(survivor.customerId, {
    lots,
    debt: survivor.debt + absorbed.debt,
    lotPoints,
    pendingSpanMs,
    tier: mergeTiers(survivor.tier, absorbed.tier),
    months: mergeMonths(survivor.months, absorbed.months),
    sales: sales.memory,
    saleOrder: sales.order,
    earlyReturns: earlyReturns.memory,
    earlyReturnOrder: earlyReturns.order,
    redemptions: redemptions.memory,
    redemptionOrder: redemptions.order,
    seen: new Set(seenOrder),
    seenOrder,
    seenNext: undefined,
    salesInSeen: survivor.salesInSeen || absorbed.salesInSeen ? true : undefined,
    dayUsage: mergeDayUsage(survivor.dayUsage, absorbed.dayUsage),
    bonusesGranted: new Map([...absorbed.bonusesGranted, ...survivor.bonusesGranted]),
    tags: [...new Set([...survivor.tags, ...absorbed.tags])].sort(),
    birthMonthDay: survivor.birthMonthDay ?? absorbed.birthMonthDay,
    registeredAt: earliest(survivor.registeredAt, absorbed.registeredAt),
    firstEventAt: earliest(survivor.firstEventAt, absorbed.firstEventAt),
    lastActivityAt,
    inactivityWarnedFor:
      lastActivityAt === survivor.lastActivityAt ? survivor.inactivityWarnedFor : undefined,
    dueMs: undefined,
    dueVersion: undefined,
    clockAt,
    clockMs: clockAt === undefined ? undefined : instantMs(clockAt),
    latestEventAt,
    latestEventMs: latestEventAt === undefined ? undefined : instantMs(latestEventAt),
    poolGifts: survivor.poolGifts?.map(copyPlain),
  });
  // A sale pushed out stays known among the ids seen, so it is still a duplicate.
  while (merged.saleOrder.length > loyaltyLimits.sales) forgetOldestSale(merged);

  return { survivor: merged, absorbed: emptied(absorbed), moved: balanceOf(absorbed) };
}

/** The absorbed customer's state without its points: a copy, memories kept. */
export function emptied(state: LoyaltyState): LoyaltyState {
  const copy = <V>(map: Map<string, V>) => new Map([...map].map(([id, v]) => [id, copyPlain(v)]));
  return stateOf(state.customerId, {
    ...state,
    lots: [],
    debt: 0,
    lotPoints: 0,
    pendingSpanMs: 0,
    tier: state.tier ? { ...state.tier } : undefined,
    months: state.months.map(copyPlain),
    sales: copy(state.sales),
    saleOrder: [...state.saleOrder],
    earlyReturns: copy(state.earlyReturns),
    earlyReturnOrder: [...state.earlyReturnOrder],
    redemptions: copy(state.redemptions),
    redemptionOrder: [...state.redemptionOrder],
    seen: new Set(state.seen),
    seenOrder: [...state.seenOrder],
    dayUsage: new Map([...state.dayUsage].map(([day, rules]) => [day, new Map(rules)])),
    bonusesGranted: new Map(state.bonusesGranted),
    tags: [...state.tags],
    // Nothing left to expire: the clock works out what is still due.
    dueMs: undefined,
    dueVersion: undefined,
  });
}

/** A deep copy of a plain memory (objects and arrays); any key, `__proto__` too, stays data. */
function copyPlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyPlain) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyPlain(v)])) as T;
  }
  return value;
}

/** Oldest first by earning time, ties by id: the order `lots.ts` keeps. */
function byEarning(a: Lot, b: Lot): number {
  return instantMs(a.earnedAt) - instantMs(b.earnedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Both sides' memories of one kind, the survivor's standing on a clashing id, each copied. The
 * order: the two orders merged by the memories' times, each side's own order kept (the
 * survivor's first on a tie).
 */
function mergeMemories<V>(
  survivor: ReadonlyMap<string, V>,
  survivorOrder: readonly string[],
  absorbed: ReadonlyMap<string, V>,
  absorbedOrder: readonly string[],
  timeOf: (value: V) => string | undefined,
  copy: (value: V) => V,
  move: (value: V) => V = copy,
): { memory: Map<string, V>; order: string[] } {
  const memory = new Map<string, V>();
  for (const id of survivorOrder) {
    const value = survivor.get(id);
    if (value !== undefined) memory.set(id, copy(value));
  }
  const moved: string[] = [];
  for (const id of absorbedOrder) {
    const value = absorbed.get(id);
    if (value === undefined || memory.has(id)) continue;
    memory.set(id, move(value));
    moved.push(id);
  }
  const kept = survivorOrder.filter((id) => survivor.has(id));
  const ms = (id: string) => {
    const at = timeOf(memory.get(id) as V);
    return at === undefined ? Number.NEGATIVE_INFINITY : instantMs(at);
  };
  const order: string[] = [];
  let i = 0;
  let j = 0;
  while (i < kept.length || j < moved.length) {
    const takeSurvivor =
      j >= moved.length || (i < kept.length && ms(kept[i] as string) <= ms(moved[j] as string));
    order.push((takeSurvivor ? kept[i++] : moved[j++]) as string);
  }
  return { memory, order };
}

function dropOldest<V>(memory: Map<string, V>, order: string[], limit: number) {
  const over = order.length - limit;
  if (over <= 0) return;
  for (const id of order.splice(0, over)) memory.delete(id);
}

/** A state's ids seen, oldest first (the ring read from its oldest slot). */
function seenOldestFirst(state: LoyaltyState): string[] {
  const order = state.seenOrder;
  const next = state.seenNext ?? 0;
  return next === 0 ? [...order] : [...order.slice(next), ...order.slice(0, next)];
}

/**
 * The union of both rings, oldest first, at most `loyaltyLimits.seen`: taken from the newest end
 * of each side in turn. Their times are not kept, so neither side's ids can be said to be newer
 * than the other's: each keeps its newest half when the two do not fit.
 */
function mergeSeen(survivor: LoyaltyState, absorbed: LoyaltyState): string[] {
  const a = seenOldestFirst(survivor);
  const b = seenOldestFirst(absorbed);
  const kept = new Set<string>();
  let i = a.length - 1;
  let j = b.length - 1;
  let fromSurvivor = true;
  while ((i >= 0 || j >= 0) && kept.size < loyaltyLimits.seen) {
    if ((fromSurvivor && i >= 0) || j < 0) kept.add(a[i--] as string);
    else kept.add(b[j--] as string);
    fromSurvivor = !fromSurvivor;
  }
  return [...kept].reverse();
}

function mergeMonths(a: readonly MonthBucket[], b: readonly MonthBucket[]): MonthBucket[] {
  const byMonth = new Map<string, MonthBucket>();
  for (const bucket of [...a, ...b]) {
    const sum = byMonth.get(bucket.month);
    if (!sum) byMonth.set(bucket.month, { ...bucket });
    else {
      sum.spendMinor += bucket.spendMinor;
      sum.points += bucket.points;
      sum.visits += bucket.visits;
    }
  }
  return [...byMonth.values()].sort((x, y) => (x.month < y.month ? -1 : x.month > y.month ? 1 : 0));
}

function mergeDayUsage(a: DayUsage, b: DayUsage): DayUsage {
  const usage: DayUsage = new Map();
  for (const side of [a, b]) {
    for (const [day, rules] of side) {
      for (const [ruleId, points] of rules) useDay(usage, day, ruleId, points);
    }
  }
  return usage;
}

function mergeTiers(s: TierState | undefined, a: TierState | undefined): TierState | undefined {
  if (!s) return a ? { ...a, graceUntil: undefined } : undefined;
  if (!a) return { ...s };
  const level = Math.max(s.level, a.level);
  return {
    level,
    base: Math.max(s.base, a.base),
    peak: Math.max(s.peak, a.peak),
    reviewAt: s.reviewAt,
    graceUntil: s.level === level ? s.graceUntil : undefined,
    // Since when the kept level's holder has been at it.
    since: s.level === level ? s.since : a.since,
  };
}

function earliest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return instantMs(b) < instantMs(a) ? b : a;
}

function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return instantMs(b) > instantMs(a) ? b : a;
}
