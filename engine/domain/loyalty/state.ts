/**
 * A customer's loyalty state: points as lots, the tier, what recent sales and redemptions caused
 * (so a return or a cancellation reverses exactly that), and the counters caps need.
 *
 * The rules work on `LoyaltyState`, whose memories keyed by outside ids (sales, redemptions, the
 * ids seen, day counters) are Maps and Sets: adding a new key to a plain object holding thousands
 * cost more than all the rest of a sale. Across continue-as-new it travels as plain JSON
 * (`carried-state.ts`).
 */

import { instantMs } from './arithmetic.ts';

/** Points from one accrual, spent oldest first. */
export interface Lot {
  /** The accrual's id: `<transactionId>`, `adjust:<id>`, `partner:<partner>:<tx>`, … */
  id: string;
  earnedAt: string;
  /** Pending until then (the return period), spendable after. */
  availableAt: string;
  /** Absent: the lot never expires by age. */
  expiresAt?: string;
  /** Points left in the lot. */
  points: number;
  /** Where it was earned, for the expiry's ledger line. */
  storeId: string;
  /** The program version that produced it. */
  version: string;
  /** The expiry warning has gone out. */
  warned?: boolean;
}

/** What one line of a sale earned, and how much of it a return has taken back. */
export interface LineMemory {
  lineId: string;
  netMinor: number;
  quantity: number;
  /** The line's tier-qualifying spend in program minor units. */
  qualifyingMinor: number;
  /** All points the line earned: base, tier extra and rules. */
  points: number;
  /** The part of `points` each rule gave (for the rule's caps). */
  rules?: Record<string, number>;
  refundedMinor: number;
  refundedQuantity: number;
  reversedPoints: number;
  reversedRules?: Record<string, number>;
  reversedQualifyingMinor: number;
}

/** Points a receipt earned as a whole: a basket bonus, a first-purchase or birthday bonus. */
export interface ReceiptBonus {
  /** The rule's or the one-off bonus's id. */
  id: string;
  kind: 'rule' | 'first-purchase' | 'first-web-purchase' | 'birthday';
  points: number;
  /** The lines whose presence gave it; it goes when all of them are fully refunded. */
  lineIds: string[];
  /** It goes when the unrefunded basket falls below this (program minor units). */
  minBasketMinor?: number;
  /** The one-off's key in `bonusesGranted`, freed when the bonus is taken back. */
  grantKey?: string;
  reversed: boolean;
}

export interface SaleMemory {
  transactionId: string;
  occurredAt: string;
  storeId: string;
  version: string;
  /** The basket's net in program minor units. */
  netProgramMinor: number;
  /** In the sale's order (a sale's line ids are distinct). */
  lines: LineMemory[];
  bonuses: ReceiptBonus[];
  /** All points the sale earned (lines and bonuses). */
  earned: number;
  /** Points the reversal line has taken back so far (what the ledger shows). */
  reversed: number;
  /** Points its returns should have taken back but the return policy let the customer keep. */
  forgiven: number;
  /** Revisions of the sale's reversal and restore lines. */
  reverseRevision: number;
  restoreRevision: number;
  /** The sale counted as a visit (for the visits metric) and is not fully returned. */
  visitCounted: boolean;
  /** Points the customer paid with: given back in proportion to what is refunded. */
  paidWithPoints?: { redemptionId?: string; amountMinor: number; restoredPoints: number };
}

/** What a redemption took from which lots, so a cancellation or a return gives exactly that back. */
export interface RedemptionMemory {
  redemptionId: string;
  at: string;
  points: number;
  valueMinor: number;
  currency: string;
  partnerId?: string;
  storeId: string;
  consumed: {
    lotId: string;
    earnedAt: string;
    availableAt: string;
    expiresAt?: string;
    points: number;
  }[];
  /** Points given back so far (a cancellation, or returns of what they paid for). */
  restored: number;
  cancelled: boolean;
  /** The sale whose points tender used it: a redemption pays for one sale only. */
  usedBy?: string;
}

/**
 * Points that left a lot to move to another member of the household (`pooling.ts`): what the
 * receiver needs to re-create the lot, so its expiry stays what it would have been.
 */
export interface PooledLot {
  earnedAt: string;
  availableAt: string;
  /** Absent: the lot never expires by age. */
  expiresAt?: string;
  points: number;
  /** The program version that produced the lot. */
  version: string;
  /** Where it was earned. */
  storeId: string;
}

/** Points given to another member of the household, so the transfer asked again gets the same lots. */
export interface PoolGift {
  transferId: string;
  /** The receiving customer. */
  to: string;
  at: string;
  points: number;
  /** Oldest first, as they left the lots. */
  lots: PooledLot[];
}

export interface MonthBucket {
  month: string;
  spendMinor: number;
  points: number;
  visits: number;
}

export interface TierState {
  /** Index into the program's levels: the tier now. */
  level: number;
  /** The level confirmed at the last review: kept until the next one. */
  base: number;
  /** The highest level the metric reached since the last review (upgrades at once). */
  peak: number;
  /** When the next review happens. */
  reviewAt: string;
  /** A review found the customer below their tier: the downgrade applies at this instant. */
  graceUntil?: string;
  /** When the customer reached the tier they are in (absent in states from before it was kept). */
  since?: string;
}

export interface LoyaltyState {
  customerId: string;
  /** Open lots, oldest first. */
  lots: Lot[];
  /** Points owed (a negative balance), paid first from later accruals. */
  debt: number;
  /**
   * Running totals over `lots`, kept by `lots.ts` (absent in states carried from before them:
   * counted once when first needed): the points they hold, and the longest span any lot was
   * pending, so no event walks every lot for the balance or the spendable points.
   */
  lotPoints?: number;
  pendingSpanMs?: number;
  tier?: TierState;
  /** Tier-qualifying totals by local month, oldest first, within the window. */
  months: MonthBucket[];
  /** Recent sales by transaction id, oldest first in `saleOrder`. */
  sales: Map<string, SaleMemory>;
  saleOrder: string[];
  /** Returns whose sale has not arrived (yet), by the sale's transaction id. */
  earlyReturns: Map<string, EarlyReturn[]>;
  earlyReturnOrder: string[];
  redemptions: Map<string, RedemptionMemory>;
  redemptionOrder: string[];
  /**
   * The latest points given to other members of the household, oldest first (`pooling.ts`,
   * at most `POOL_GIFTS_KEPT`). Absent in states from before pooling and for customers who never
   * gave any. Plain JSON: carried across continue-as-new as it is.
   */
  poolGifts?: PoolGift[];
  /**
   * Ids of the events applied other than the sales in `sales` (a sale the book forgets joins
   * them by its transaction, `saleKey`; redemptions are remembered in `redemptions`): an event
   * seen again is a duplicate.
   */
  seen: Set<string>;
  /** The same ids as a ring: oldest first until it is full, then from slot `seenNext` on. */
  seenOrder: string[];
  seenNext?: number;
  /** A sale has joined `seen`: until then a sale is looked for in `sales` only. */
  salesInSeen?: boolean;
  /** Points each rule gave per local day: by day, then by rule id (`dayUsed`, `useDay`). */
  dayUsage: DayUsage;
  /** One-off bonuses given (`registration`, `first-purchase`, `birthday:2026`, …) → by what. */
  bonusesGranted: Map<string, string>;
  tags: string[];
  birthMonthDay?: string;
  registeredAt?: string;
  firstEventAt?: string;
  /** The last sale or redemption (inactivity expiry counts from it). */
  lastActivityAt?: string;
  /** The inactivity warning went out for this `lastActivityAt`. */
  inactivityWarnedFor?: string;
  /**
   * The earliest instant at which something is due (expiry, warning, review) under the version
   * `dueVersion`, in ms; a cache: absent when not known, `Infinity` when nothing is.
   */
  dueMs?: number;
  dueVersion?: string;
  /**
   * The customer's clock: the latest instant the state has been brought to, by an event's own
   * time or by the workflow's timer. Never goes back; what falls due up to it has happened.
   * `clockMs` is the same instant in ms (not carried: read again from `clockAt`).
   */
  clockAt?: string;
  clockMs?: number;
  /**
   * The latest event time applied. Memory (remembered sales, day caps, month buckets) is trimmed
   * against it rather than the clock, so a timer never forgets what a late event still needs.
   * `latestEventMs`: the same instant in ms (not carried).
   */
  latestEventAt?: string;
  latestEventMs?: number;
}

export interface EarlyReturn {
  eventId: string;
  occurredAt: string;
  storeId: string;
  lines: { lineId: string; quantity: number; refundAmount: number }[];
}

/** The carried `dueAt` when nothing is due: the latest instant a date can hold. */
export const NEVER_DUE = '+275760-09-13T00:00:00.000Z';

/** The sale's line `lineId`, if it had one. */
export function lineOf(sale: SaleMemory, lineId: string): LineMemory | undefined {
  for (const line of sale.lines) if (line.lineId === lineId) return line;
  return undefined;
}

/** Points each rule gave per local day (`YYYY-MM-DD`), by day and then by rule id. */
export type DayUsage = Map<string, Map<string, number>>;

/** Points `ruleId` has given on `day`. */
export function dayUsed(
  usage: ReadonlyMap<string, ReadonlyMap<string, number>>,
  day: string,
  ruleId: string,
): number {
  return usage.get(day)?.get(ruleId) ?? 0;
}

/** Counts `points` more (or, negative, fewer) for `ruleId` on `day`; nothing left is forgotten. */
export function useDay(usage: DayUsage, day: string, ruleId: string, points: number) {
  let rules = usage.get(day);
  const left = (rules?.get(ruleId) ?? 0) + points;
  if (left > 0) {
    if (!rules) {
      rules = new Map();
      usage.set(day, rules);
    }
    rules.set(ruleId, left);
  } else if (rules) {
    rules.delete(ruleId);
    if (rules.size === 0) usage.delete(day);
  }
}

/** How many of each kind of memory a state keeps at most, whatever their age. */
export const loyaltyLimits = {
  sales: 5000,
  redemptions: 500,
  seen: 4000,
  earlyReturns: 500,
} as const;

export function initialLoyaltyState(customerId: string): LoyaltyState {
  return stateOf(customerId, {
    lots: [],
    debt: 0,
    lotPoints: 0,
    pendingSpanMs: 0,
    months: [],
    sales: new Map(),
    saleOrder: [],
    earlyReturns: new Map(),
    earlyReturnOrder: [],
    redemptions: new Map(),
    redemptionOrder: [],
    seen: new Set(),
    seenOrder: [],
    dayUsage: new Map(),
    bonusesGranted: new Map(),
    tags: [],
  });
}

/**
 * Every field present (the optional ones `undefined`), in one order: every state then has one
 * shape, and the rules' property accesses stay monomorphic (a field added later would fork it).
 */
export function stateOf(customerId: string, s: Omit<LoyaltyState, 'customerId'>): LoyaltyState {
  return {
    customerId,
    lots: s.lots,
    debt: s.debt,
    lotPoints: s.lotPoints,
    pendingSpanMs: s.pendingSpanMs,
    tier: s.tier,
    months: s.months,
    sales: s.sales,
    saleOrder: s.saleOrder,
    earlyReturns: s.earlyReturns,
    earlyReturnOrder: s.earlyReturnOrder,
    redemptions: s.redemptions,
    redemptionOrder: s.redemptionOrder,
    poolGifts: s.poolGifts,
    seen: s.seen,
    seenOrder: s.seenOrder,
    seenNext: s.seenNext,
    salesInSeen: s.salesInSeen,
    dayUsage: s.dayUsage,
    bonusesGranted: s.bonusesGranted,
    tags: s.tags,
    birthMonthDay: s.birthMonthDay,
    registeredAt: s.registeredAt,
    firstEventAt: s.firstEventAt,
    lastActivityAt: s.lastActivityAt,
    inactivityWarnedFor: s.inactivityWarnedFor,
    dueMs: s.dueMs,
    dueVersion: s.dueVersion,
    clockAt: s.clockAt,
    clockMs: s.clockMs,
    latestEventAt: s.latestEventAt,
    latestEventMs: s.latestEventMs,
  };
}

/** The balance: every point in a lot, pending or spendable, less any debt. */
export function balanceOf(state: LoyaltyState): number {
  return lotPointsOf(state) - state.debt;
}

/**
 * The points the lots hold: the running total, or (a state carried from before it, until its
 * lots next change) counted. Reading never changes the state.
 */
export function lotPointsOf(state: LoyaltyState): number {
  if (state.lotPoints !== undefined) return state.lotPoints;
  let total = 0;
  for (const lot of state.lots) total += lot.points;
  return total;
}

/** The longest any lot was pending: the running maximum, or (an older state) counted. */
export function pendingSpanOf(state: LoyaltyState): number {
  if (state.pendingSpanMs !== undefined) return state.pendingSpanMs;
  let span = 0;
  for (const lot of state.lots) {
    const times = timesOf(lot);
    span = Math.max(span, times.available - times.earned);
  }
  return span;
}

/**
 * A lot's instants as milliseconds, parsed once per lot object: the rules compare them for every
 * lot on every event (a customer of two years holds hundreds of lots), and parsing ISO strings
 * each time cost more than everything else the evaluator did. A cache, not state: lots carried
 * across continue-as-new are new objects and are parsed again.
 */
const lotTimes = new WeakMap<Lot, { earned: number; available: number; expires: number }>();

export function timesOf(lot: Lot): { earned: number; available: number; expires: number } {
  let times = lotTimes.get(lot);
  if (!times) {
    times = {
      earned: instantMs(lot.earnedAt),
      available: instantMs(lot.availableAt),
      expires: lot.expiresAt === undefined ? Number.POSITIVE_INFINITY : instantMs(lot.expiresAt),
    };
    lotTimes.set(lot, times);
  }
  return times;
}

export function isSpendable(lot: Lot, t: number): boolean {
  const times = timesOf(lot);
  return times.available <= t && times.expires > t;
}

/**
 * Points the customer can spend at `now`: lots no longer pending and not expired (even if the
 * expiry has not been applied yet), less any debt.
 *
 * Before the clock's next due instant no lot can have expired (it is never later than the first
 * expiry), so the spendable points are the lots' total less the pending ones, and a lot can only
 * be pending if it was earned within the longest pending span before `now`: the lots are kept
 * oldest first, so that is a walk over the newest few, not over every lot. At or past the due
 * instant (a request between the clock's runs) every lot is looked at.
 */
export function spendableAt(state: LoyaltyState, now: string): number {
  const t = instantMs(now);
  if (state.dueMs !== undefined && t < state.dueMs) {
    let total = lotPointsOf(state);
    const since = t - pendingSpanOf(state);
    for (let i = state.lots.length - 1; i >= 0; i--) {
      const lot = state.lots[i] as Lot;
      // Read, not cached: most of these lots are new, and are not walked again.
      if (instantMs(lot.earnedAt) <= since) break;
      if (instantMs(lot.availableAt) > t) total -= lot.points;
    }
    return Math.max(0, total - state.debt);
  }
  return spendableByScan(state, t);
}

/** `spendableAt` by looking at every lot: the reference the running totals are checked against. */
export function spendableByScan(state: LoyaltyState, t: number): number {
  let total = 0;
  for (const lot of state.lots) if (isSpendable(lot, t)) total += lot.points;
  return Math.max(0, total - state.debt);
}
