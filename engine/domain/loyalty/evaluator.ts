/**
 * The loyalty evaluator: `(state, input, program, now) → (state, effects)`, deterministic, no
 * I/O, no clock (`now` is given). Inputs are the customer's events (sales, returns,
 * registrations, adjustments, partner accruals) and the till's requests (redeem, cancel a
 * redemption); the clock's passing (`advance`) expires lots, sends warnings and reviews tiers.
 *
 * Events run on their own time: applying one first brings the customer's clock to its
 * `occurredAt` (what fell due before it happens first), and every period (the return period,
 * pending days, expiry, the tier window, day caps) is measured between event times. `now`, the
 * receiving clock, is the time of the till's requests only. So an offline till's backlog, an
 * import of last year's history and a replay give the same points as live did.
 *
 * Every point that moves is a ledger line, and the balance is always the sum of the ledger (each
 * line at its highest revision). `applyLoyalty` changes the state in place (the workflow applies
 * every event of a long-lived customer); `evaluate` is the pure form, for tests and the what-if.
 */
import type { LedgerEntry } from '../effects.ts';
import type {
  CustomerRegistration,
  FieldIssue,
  PartnerAccrualEvent,
  PointsAdjustedEvent,
  ReturnEvent,
  SaleEvent,
} from '../events.ts';
import { addDays, addMonths, localDate, localMonth, mulDiv } from './arithmetic.ts';
import { earnForSale, toProgramMinor } from './earn.ts';
import { addLot, anyLot, isPendingAt, isSpendableAt, sumTaken, takeFromLots } from './lots.ts';
import type { Program } from './program.ts';
import {
  balanceOf,
  type EarlyReturn,
  initialLoyaltyState,
  key,
  type Lot,
  type LoyaltyState,
  loyaltyLimits,
  type RedemptionMemory,
  type SaleMemory,
  spendableAt,
  timesOf,
} from './state.ts';
import {
  bucketFor,
  nextTier,
  projectedTier,
  pruneMonths,
  reassess,
  reviewTiers,
  startTiers,
  type TierChange,
  tierId,
} from './tiers.ts';

/** A till or the web shop asks to pay part of a basket with points. */
export interface RedemptionRequest {
  type: 'redemption';
  /** Chosen by the till, unique: asking again with the same id gets the same answer. */
  redemptionId: string;
  customerId: string;
  points: number;
  /** The basket's total, in `currency`. */
  basketMinor: number;
  currency: string;
  channel: 'till' | 'web';
  storeId: string;
  tillId?: string;
  /** Spending at a partner rather than in the retailer's own shops. */
  partnerId?: string;
}

/** The till gives back a redemption it will not use (the customer paid otherwise). */
export interface RedemptionCancel {
  type: 'redemption.cancel';
  redemptionId: string;
  customerId: string;
}

export type LoyaltyInput =
  | SaleEvent
  | ReturnEvent
  | CustomerRegistration
  | PointsAdjustedEvent
  | PartnerAccrualEvent
  | RedemptionRequest
  | RedemptionCancel;

/** Why a redemption is refused, in the order the reasons are checked and listed. */
export const refusalReasons = [
  'not-positive',
  'channel-not-allowed',
  'unknown-partner',
  'currency-not-redeemable',
  'below-minimum',
  'insufficient-balance',
  'over-basket-share',
] as const;
export type RefusalReason = (typeof refusalReasons)[number];

export interface Refusal {
  /** The first reason that applies (`reasons[0]`). */
  reason: RefusalReason;
  /** For the person at the till: every reason's message, in order. */
  message: string;
  /** Every reason that applies, in the order of `refusalReasons`. */
  reasons: { reason: RefusalReason; message: string }[];
}

export type RedemptionCheck =
  | { ok: true; points: number; valueMinor: number }
  | ({ ok: false } & Refusal);

/** Something the customer's other rules, campaigns or messages may act on. */
export type LoyaltyTrigger =
  | { kind: 'points-expiring'; points: number; expiresAt: string }
  | { kind: 'points-expired'; points: number; at: string; cause: 'age' | 'inactivity' }
  | { kind: 'inactivity-expiry-coming'; points: number; expiresAt: string }
  | { kind: 'earn-refused'; eventId: string; cause: 'currency-not-in-program' | 'unknown-partner' }
  | { kind: 'adjustment-clipped'; eventId: string; asked: number; applied: number }
  /** A return dated after the sale's return period: it takes nothing back. */
  | { kind: 'return-after-period'; eventId: string; transactionId: string; periodDays: number }
  /** A return held for its sale could not be true of it once the sale came (more than sold). */
  | { kind: 'return-refused'; eventId: string; transactionId: string; issues: FieldIssue[] };

export interface LoyaltyEffects {
  ledger: LedgerEntry[];
  tierChanges: TierChange[];
  triggers: LoyaltyTrigger[];
}

export const noLoyaltyEffects = (): LoyaltyEffects => ({
  ledger: [],
  tierChanges: [],
  triggers: [],
});

/** What one input did, for the till's cue and the receipt. */
export interface LoyaltyResult {
  /**
   * `refused`: nothing was applied; a redemption says why in `refusal`, an event that cannot be
   * true of this customer (more returned than sold, a points tender no redemption granted) names
   * the fields in `issues`.
   */
  outcome: 'applied' | 'duplicate' | 'refused' | 'held';
  /** Points this input added (earned, restored) and took (reversed, redeemed), as positive numbers. */
  earned: number;
  redeemed: number;
  reversed: number;
  /** For a redemption: its value in the basket's currency; for a refusal, why. */
  valueMinor?: number;
  refusal?: Refusal;
  issues?: FieldIssue[];
}

/** What the customer sees: balances, tier, the next tier, points expiring soon. */
export interface LoyaltyOutlook {
  balance: number;
  spendable: number;
  pending: number;
  tier?: string;
  perks: string[];
  nextTier?: { id: string; missing: number; metric: 'spend' | 'points' | 'visits' };
  /** The tier after the next review (`at`) if the metric stays where it is. */
  projectedTier?: { id: string; at: string };
  expiringSoon?: { points: number; by: string };
  programVersion: string;
}

interface Run {
  state: LoyaltyState;
  program: Program;
  /** The input's time: an event's `occurredAt`, a request's receiving clock. */
  at: string;
  out: LoyaltyEffects;
}

/** The pure form: the input state is never changed. */
export function evaluate(
  state: LoyaltyState,
  input: LoyaltyInput,
  program: Program,
  now: string,
): { state: LoyaltyState; effects: LoyaltyEffects; result: LoyaltyResult } {
  const next = structuredClone(state);
  const effects = noLoyaltyEffects();
  const result = applyLoyalty(next, input, program, now, effects);
  return { state: next, effects, result };
}

/** The clock's passing alone, in its pure form. */
export function evaluateClock(
  state: LoyaltyState,
  program: Program,
  now: string,
): { state: LoyaltyState; effects: LoyaltyEffects } {
  const next = structuredClone(state);
  const effects = noLoyaltyEffects();
  advance(next, program, now, effects);
  return { state: next, effects };
}

export { initialLoyaltyState };

/** When an input happened: an event's own time; a request's, the receiving clock `now`. */
export const timeOf = (input: LoyaltyInput, now: string): string =>
  input.type === 'redemption' || input.type === 'redemption.cancel' ? now : input.occurredAt;

/**
 * Applies one input in place, on its own time: first what the clock makes due up to it, then the
 * input; effects go to `out`. An event that cannot be true of this customer is refused whole,
 * before anything changes. An event older than the customer's clock (a timer ran past its time)
 * is applied at its own time for everything measured from it; what the clock already did
 * between its time and the clock (points expired, a tier review) stands.
 */
export function applyLoyalty(
  state: LoyaltyState,
  input: LoyaltyInput,
  program: Program,
  now: string,
  out: LoyaltyEffects,
): LoyaltyResult {
  const issues = checkEvent(state, input);
  if (issues.length > 0) return { ...applied(), outcome: 'refused', issues };
  const at = timeOf(input, now);
  advance(state, program, at, out);
  const run: Run = { state, program, at, out };
  let result: LoyaltyResult;
  switch (input.type) {
    case 'sale':
      result = applySale(run, input);
      break;
    case 'return':
      result = applyReturn(run, input);
      break;
    case 'customer.registered':
      result = applyRegistration(run, input);
      break;
    case 'points.adjusted':
      result = applyAdjustment(run, input);
      break;
    case 'partner.accrual':
      result = applyPartnerAccrual(run, input);
      break;
    case 'redemption':
      result = applyRedemption(run, input);
      break;
    case 'redemption.cancel':
      result = applyCancel(run, input);
      break;
  }
  if (input.type !== 'redemption' && input.type !== 'redemption.cancel') {
    const latest = state.latestEventAt;
    if (latest === undefined || Date.parse(at) > Date.parse(latest)) {
      state.latestEventAt = at;
      // Once a day is enough: the horizons count in days and months.
      if (latest === undefined || at.slice(0, 10) !== latest.slice(0, 10)) {
        forgetOld(state, program, at);
      }
    }
  }
  // What the input made due (a late event's lot already past its expiry, a restored lot past
  // its expiry) happens at once: `credit` brought the due instant forward.
  advance(state, program, state.clockAt ?? at, out);
  return result;
}

/**
 * What makes an event impossible for this customer, each naming the field: a return of more
 * units, or more money, than its sale's line (counting earlier returns), of a line the sale did
 * not have; a points tender that no redemption granted to this customer pays (by id and amount),
 * or that another sale used. Empty when the event may be applied. Never changes the state.
 */
export function checkEvent(state: LoyaltyState, input: LoyaltyInput): FieldIssue[] {
  if (input.type === 'sale') return checkPointsTenders(state, input);
  if (input.type === 'return') {
    const sale = state.sales[key(input.originalTransactionId)];
    if (!sale || Object.hasOwn(state.seen, key(input.eventId))) return [];
    return checkReturnLines(sale, input.lines);
  }
  return [];
}

function checkPointsTenders(state: LoyaltyState, sale: SaleEvent): FieldIssue[] {
  if (Object.hasOwn(state.sales, key(sale.transactionId))) return [];
  const issues: FieldIssue[] = [];
  sale.tenders.forEach((tender, i) => {
    if (tender.type !== 'points') return;
    const field = `tenders[${i}].redemptionId`;
    const id = tender.redemptionId;
    const redemption = id !== undefined ? state.redemptions[key(id)] : undefined;
    if (id === undefined || !redemption) {
      issues.push({
        field,
        message: `names no redemption granted to this customer ("${id ?? ''}"): ask points:redeem first`,
      });
    } else if (redemption.cancelled) {
      issues.push({ field, message: `names redemption "${id}", which was cancelled` });
    } else if (redemption.usedBy !== undefined && redemption.usedBy !== sale.transactionId) {
      issues.push({
        field,
        message: `names redemption "${id}", which already paid for sale ${redemption.usedBy}`,
      });
    } else if (redemption.currency !== sale.currency || redemption.valueMinor !== tender.amount) {
      issues.push({
        field: `tenders[${i}].amount`,
        message: `is ${tender.amount} ${sale.currency}, but redemption "${id}" was granted for ${redemption.valueMinor} ${redemption.currency}`,
      });
    }
  });
  return issues;
}

/** A return's lines against its sale: never more units or money back than the line was sold for. */
function checkReturnLines(sale: SaleMemory, lines: EarlyReturn['lines']): FieldIssue[] {
  const issues: FieldIssue[] = [];
  lines.forEach((returned, i) => {
    const line = sale.lines[key(returned.lineId)];
    if (!line) {
      issues.push({
        field: `lines[${i}].lineId`,
        message: `names no line of sale ${sale.transactionId} ("${returned.lineId}")`,
      });
      return;
    }
    const before = line.refundedQuantity > 0 ? ` (${line.refundedQuantity} returned before)` : '';
    if (returned.quantity + line.refundedQuantity > line.quantity) {
      issues.push({
        field: `lines[${i}].quantity`,
        message: `returns ${returned.quantity} of line "${returned.lineId}", but ${line.quantity} were sold${before}`,
      });
    }
    const refundedBefore = line.refundedMinor > 0 ? ` (${line.refundedMinor} refunded before)` : '';
    if (returned.refundAmount + line.refundedMinor > line.netMinor) {
      issues.push({
        field: `lines[${i}].refundAmount`,
        message: `refunds ${returned.refundAmount} for line "${returned.lineId}", but it was paid ${line.netMinor}${refundedBefore}`,
      });
    }
  });
  return issues;
}

const applied = (earned = 0, redeemed = 0, reversed = 0): LoyaltyResult => ({
  outcome: 'applied',
  earned,
  redeemed,
  reversed,
});
const duplicate = (): LoyaltyResult => ({
  outcome: 'duplicate',
  earned: 0,
  redeemed: 0,
  reversed: 0,
});

function remember<V>(
  record: Record<string, V>,
  order: string[],
  id: string,
  value: V,
  limit: number,
) {
  const k = key(id);
  if (!Object.hasOwn(record, k)) order.push(k);
  record[k] = value;
  while (order.length > limit) {
    const oldest = order.shift() as string;
    delete record[oldest];
  }
}

/** Marks an id seen; false if it was seen before. */
function firstTime(state: LoyaltyState, id: string): boolean {
  if (Object.hasOwn(state.seen, key(id))) return false;
  remember(state.seen, state.seenOrder, id, 1 as const, loyaltyLimits.seen);
  return true;
}

function noteFirstEvent(run: Run, at: string) {
  const { state, program } = run;
  state.firstEventAt ??= at;
  if (program.tiers && !state.tier) {
    // Reviews count from the customer's first event under tiers (for a customer who had events
    // before the program had tiers, from this one), and the first review is now due sooner
    // than anything the clock knew of: let it look again.
    startTiers(state, program.tiers, at);
    state.dueAt = undefined;
  }
}

function ledgerLine(
  run: Run,
  line: Omit<LedgerEntry, 'customerId' | 'balanceAfter' | 'programVersion'> & {
    programVersion?: string;
  },
  balanceAfter = balanceOf(run.state),
): void {
  run.out.ledger.push({
    ...line,
    customerId: run.state.customerId,
    balanceAfter,
    programVersion: line.programVersion ?? run.program.version,
  });
}

function newLot(
  run: Run,
  id: string,
  earnedAt: string,
  points: number,
  storeId: string,
  pending = true,
): Lot {
  const { program } = run;
  const lotMonths = program.expiry.lotMonths;
  return {
    id,
    earnedAt,
    availableAt: pending ? addDays(earnedAt, program.pendingDays) : earnedAt,
    expiresAt: lotMonths !== undefined ? addMonths(earnedAt, lotMonths) : undefined,
    points,
    storeId,
    version: program.version,
  };
}

const DAY_MS = 86_400_000;

/**
 * Adds a lot (paying any debt first) and brings the clock's next due instant forward if the lot
 * expires, or is to be warned about, before it: the due instant is kept incrementally, so an
 * event costs no scan of every lot.
 */
function credit(run: Run, lot: Lot): number {
  const added = addLot(run.state, lot);
  const { state, program } = run;
  if (lot.expiresAt !== undefined && state.dueAt !== undefined) {
    const warnAt = Date.parse(lot.expiresAt) - program.expiry.warnDays * DAY_MS;
    if (warnAt < Date.parse(state.dueAt)) state.dueAt = new Date(warnAt).toISOString();
  }
  return added;
}

function noteActivity(state: LoyaltyState, at: string) {
  if (state.lastActivityAt === undefined || Date.parse(at) > Date.parse(state.lastActivityAt)) {
    state.lastActivityAt = at;
  }
}

// ---------------------------------------------------------------------------------- sales

function applySale(run: Run, sale: SaleEvent): LoyaltyResult {
  const { state, program } = run;
  if (Object.hasOwn(state.sales, key(sale.transactionId))) return duplicate();
  noteFirstEvent(run, sale.occurredAt);
  const tiers = program.tiers;
  const level = Math.min(state.tier?.level ?? 0, (tiers?.levels.length ?? 1) - 1);
  const day = localDate(sale.occurredAt);
  const earning = earnForSale(sale, program, {
    tierLevel: level,
    tierId: tiers?.levels[level]?.id,
    tags: state.tags,
    usedOnDay: (d, ruleId) => state.dayUsage[key(`${d}|${ruleId}`)] ?? 0,
    isGranted: (grantKey) => Object.hasOwn(state.bonusesGranted, key(grantKey)),
    birthMonthDay: state.birthMonthDay,
  });
  if (earning.refused) {
    run.out.triggers.push({ kind: 'earn-refused', eventId: sale.eventId, cause: earning.refused });
  }
  const memory: SaleMemory = {
    transactionId: sale.transactionId,
    occurredAt: sale.occurredAt,
    day,
    month: localMonth(sale.occurredAt),
    storeId: sale.storeId,
    version: program.version,
    netProgramMinor: earning.netProgramMinor,
    lines: {},
    lineOrder: [],
    bonuses: earning.bonuses,
    earned: earning.total,
    reversed: 0,
    forgiven: 0,
    reverseRevision: 0,
    restoreRevision: 0,
    visitCounted: true,
  };
  for (const { lineId, memory: line } of earning.lines) {
    const k = key(lineId);
    if (!Object.hasOwn(memory.lines, k)) memory.lineOrder.push(k);
    memory.lines[k] = line;
  }
  const pointsTenders = sale.tenders.filter((t) => t.type === 'points');
  for (const tender of pointsTenders) {
    const redemption =
      tender.redemptionId !== undefined ? state.redemptions[key(tender.redemptionId)] : undefined;
    if (redemption) redemption.usedBy = sale.transactionId;
  }
  if (pointsTenders.length > 0) {
    memory.paidWithPoints = {
      redemptionId: pointsTenders.find((t) => t.redemptionId !== undefined)?.redemptionId,
      amountMinor: pointsTenders.reduce((sum, t) => sum + t.amount, 0),
      restoredPoints: 0,
    };
  }
  for (const [ruleId, points] of Object.entries(earning.byRule)) {
    const k = key(`${day}|${ruleId}`);
    state.dayUsage[k] = (state.dayUsage[k] ?? 0) + points;
  }
  for (const bonus of earning.bonuses) {
    if (bonus.grantKey !== undefined)
      state.bonusesGranted[key(bonus.grantKey)] = sale.transactionId;
  }
  remember(state.sales, state.saleOrder, sale.transactionId, memory, loyaltyLimits.sales);

  if (earning.total > 0) {
    credit(run, newLot(run, sale.transactionId, sale.occurredAt, earning.total, sale.storeId));
    ledgerLine(run, {
      entryId: `${state.customerId}/${sale.transactionId}/earn`,
      eventId: sale.eventId,
      transactionId: sale.transactionId,
      kind: 'earn',
      revision: 0,
      points: earning.total,
      storeId: sale.storeId,
      occurredAt: sale.occurredAt,
    });
  }
  const bucket = bucketFor(state, memory.month);
  bucket.spendMinor += earning.netProgramMinor;
  bucket.points += earning.total;
  bucket.visits += 1;
  noteActivity(state, sale.occurredAt);
  if (tiers) {
    const change = reassess(state, tiers, run.at, 'sale');
    if (change) run.out.tierChanges.push(change);
  }

  let result = applied(earning.total);
  // Returns that overtook their sale are settled now.
  const early = state.earlyReturns[key(sale.transactionId)];
  if (early) {
    delete state.earlyReturns[key(sale.transactionId)];
    state.earlyReturnOrder = state.earlyReturnOrder.filter((k) => k !== key(sale.transactionId));
    for (const ret of early) {
      const issues = checkReturnLines(memory, ret.lines);
      if (issues.length > 0) {
        run.out.triggers.push({
          kind: 'return-refused',
          eventId: ret.eventId,
          transactionId: memory.transactionId,
          issues,
        });
        continue;
      }
      const r = reverseSale(run, memory, ret);
      result = applied(result.earned + r.earned, 0, result.reversed + r.reversed);
    }
  }
  return result;
}

// -------------------------------------------------------------------------------- returns

function applyReturn(run: Run, ret: ReturnEvent): LoyaltyResult {
  const { state } = run;
  if (!firstTime(state, ret.eventId)) return duplicate();
  const memory = state.sales[key(ret.originalTransactionId)];
  const early: EarlyReturn = {
    eventId: ret.eventId,
    occurredAt: ret.occurredAt,
    storeId: ret.storeId,
    lines: ret.lines.map((l) => ({
      lineId: l.lineId,
      quantity: l.quantity,
      refundAmount: l.refundAmount,
    })),
  };
  if (!memory) {
    // The sale is not known (yet): hold the return and settle it if the sale arrives.
    const k = key(ret.originalTransactionId);
    const held = state.earlyReturns[k];
    if (held) held.push(early);
    else
      remember(
        state.earlyReturns,
        state.earlyReturnOrder,
        ret.originalTransactionId,
        [early],
        loyaltyLimits.earlyReturns,
      );
    return { outcome: 'held', earned: 0, redeemed: 0, reversed: 0 };
  }
  return reverseSale(run, memory, early);
}

/**
 * Takes back what the returned lines earned, in proportion to what is refunded (cumulatively, so
 * partial returns add up exactly), with the qualifying spend, rule caps and bonuses they carried;
 * then gives back the points the refunded part was paid with.
 */
function reverseSale(run: Run, memory: SaleMemory, ret: EarlyReturn): LoyaltyResult {
  const { state, program } = run;
  const periodDays = program.returns.periodDays;
  // Measured between the two events' own times, never against the clock.
  const afterPeriod =
    Date.parse(ret.occurredAt) > Date.parse(addDays(memory.occurredAt, periodDays));
  for (const returned of ret.lines) {
    const line = memory.lines[key(returned.lineId)];
    if (!line) continue; // refused before (`checkReturnLines`)
    if (afterPeriod) {
      // Counted as returned (no unit comes back twice), but the points stay.
      line.refundedMinor += returned.refundAmount;
      line.refundedQuantity += returned.quantity;
      continue;
    }
    line.refundedMinor = Math.min(line.netMinor, line.refundedMinor + returned.refundAmount);
    line.refundedQuantity = Math.min(line.quantity, line.refundedQuantity + returned.quantity);
  }
  if (afterPeriod) {
    run.out.triggers.push({
      kind: 'return-after-period',
      eventId: ret.eventId,
      transactionId: memory.transactionId,
      periodDays,
    });
    return applied();
  }
  let pointsDue = 0;
  let qualifyingDue = 0;
  let remainingBasket = 0;
  let allRefunded = true;
  const fullyRefunded = new Set<string>();
  for (const k of memory.lineOrder) {
    const line = memory.lines[k];
    if (!line) continue;
    // What stays is what the unrefunded part would have earned (rounded down, so a full
    // return takes back every point and partial returns never take back more than was earned).
    const [left, whole] =
      line.netMinor > 0
        ? [line.netMinor - line.refundedMinor, line.netMinor]
        : [line.quantity - line.refundedQuantity, line.quantity];
    const keep = (amount: number) => mulDiv(amount, left, whole);
    const reversedPoints = line.points - keep(line.points);
    pointsDue += reversedPoints - line.reversedPoints;
    line.reversedPoints = reversedPoints;
    for (const [ruleId, points] of Object.entries(line.rules)) {
      const reversedRule = points - keep(points);
      const delta = reversedRule - (line.reversedRules[ruleId] ?? 0);
      line.reversedRules[ruleId] = reversedRule;
      releaseDayUsage(state, memory.day, ruleId, delta);
    }
    const reversedQualifying = line.qualifyingMinor - keep(line.qualifyingMinor);
    qualifyingDue += reversedQualifying - line.reversedQualifyingMinor;
    line.reversedQualifyingMinor = reversedQualifying;
    remainingBasket += line.qualifyingMinor - reversedQualifying;
    if (left === 0) fullyRefunded.add(k);
    else allRefunded = false;
  }
  for (const bonus of memory.bonuses) {
    if (bonus.reversed) continue;
    const belowMinimum =
      bonus.minBasketMinor !== undefined && remainingBasket < bonus.minBasketMinor;
    const linesGone = bonus.lineIds.every((id) => fullyRefunded.has(key(id)));
    if (!belowMinimum && !linesGone) continue;
    bonus.reversed = true;
    pointsDue += bonus.points;
    if (bonus.kind === 'rule') releaseDayUsage(state, memory.day, bonus.id, bonus.points);
    if (
      bonus.grantKey !== undefined &&
      state.bonusesGranted[key(bonus.grantKey)] === memory.transactionId
    ) {
      delete state.bonusesGranted[key(bonus.grantKey)];
    }
  }
  const bucket = state.months.find((b) => b.month === memory.month);
  if (bucket) {
    bucket.spendMinor -= qualifyingDue;
    bucket.points -= pointsDue;
    if (allRefunded && memory.visitCounted) bucket.visits -= 1;
  }
  if (allRefunded) memory.visitCounted = false;

  const takenBack = takeBack(run, memory.transactionId, pointsDue);
  memory.forgiven += pointsDue - takenBack;
  if (takenBack > 0) {
    memory.reversed += takenBack;
    memory.reverseRevision += 1;
    ledgerLine(run, {
      entryId: `${state.customerId}/${memory.transactionId}/reverse`,
      eventId: ret.eventId,
      transactionId: memory.transactionId,
      kind: 'reverse',
      revision: memory.reverseRevision,
      points: -memory.reversed,
      storeId: ret.storeId,
      occurredAt: ret.occurredAt,
    });
  }
  const restored = restorePaidPoints(run, memory, ret);
  if (program.tiers) {
    const change = reassess(state, program.tiers, run.at, 'return');
    if (change) run.out.tierChanges.push(change);
  }
  return applied(restored, 0, takenBack);
}

function releaseDayUsage(state: LoyaltyState, day: string, ruleId: string, points: number) {
  if (points === 0) return;
  const k = key(`${day}|${ruleId}`);
  const left = (state.dayUsage[k] ?? 0) - points;
  if (left > 0) state.dayUsage[k] = left;
  else delete state.dayUsage[k];
}

/**
 * Takes back `points` a return reverses, as the return policy allows: from the sale's own lot
 * first, then the oldest lots; what is left becomes debt only under `unlimited`. Returns the
 * points taken (debt included).
 */
function takeBack(run: Run, lotId: string, points: number): number {
  if (points <= 0) return 0;
  const { state, program, at } = run;
  const policy = program.returns.policy;
  if (policy === 'pending-only') {
    // Only the sale's own points, and only while they are still pending at the return's time.
    const pending = isPendingAt(at);
    return sumTaken(takeFromLots(state, points, (lot) => lot.id === lotId && pending(lot)));
  }
  const taken = sumTaken(takeFromLots(state, points, anyLot, lotId));
  if (policy === 'within-balance' || taken === points) return taken;
  state.debt += points - taken;
  return points;
}

/**
 * Takes back `points` for a return of a sale the book never saw (earned at the base rate before
 * the customer came under the program; its points are in the opening lot), as the return policy
 * allows. Returns the points taken; the caller writes the ledger line.
 */
export function takeBackEarlier(
  state: LoyaltyState,
  program: Program,
  at: string,
  points: number,
): number {
  return takeBack({ state, program, at, out: noLoyaltyEffects() }, 'opening', points);
}

/** Gives back the points the refunded share of a sale was paid with, in proportion. */
function restorePaidPoints(run: Run, memory: SaleMemory, ret: EarlyReturn): number {
  const paid = memory.paidWithPoints;
  if (!paid) return 0;
  const { state, program } = run;
  let net = 0;
  let refunded = 0;
  for (const k of memory.lineOrder) {
    const line = memory.lines[k];
    if (!line) continue;
    net += line.netMinor;
    refunded += line.refundedMinor;
  }
  const redemption =
    paid.redemptionId !== undefined ? state.redemptions[key(paid.redemptionId)] : undefined;
  // Points behind the tender: the redemption's own, or the tender's value at the point value.
  const paidPoints = redemption
    ? redemption.points
    : mulDiv(paid.amountMinor, program.pointValue.points, program.pointValue.minor);
  const due = net === 0 ? 0 : mulDiv(paidPoints, refunded, net) - paid.restoredPoints;
  if (due <= 0) return 0;
  let restored: number;
  if (redemption) {
    restored = restoreRedemption(run, redemption, due, `ret:${ret.eventId}`);
  } else {
    restored = credit(
      run,
      newLot(
        run,
        `${memory.transactionId}~${ret.eventId}`,
        ret.occurredAt,
        due,
        ret.storeId,
        false,
      ),
    );
  }
  if (restored <= 0) return 0;
  paid.restoredPoints += restored;
  memory.restoreRevision += 1;
  ledgerLine(run, {
    entryId: `${state.customerId}/${memory.transactionId}/restore`,
    eventId: ret.eventId,
    transactionId: memory.transactionId,
    kind: 'restore',
    revision: memory.restoreRevision,
    points: paid.restoredPoints,
    storeId: ret.storeId,
    occurredAt: ret.occurredAt,
  });
  return restored;
}

/**
 * Gives back up to `points` of a redemption into lots like the ones it took them from (same
 * earning, availability and expiry, newest first), so a give-back never extends an expiry.
 */
function restoreRedemption(
  run: Run,
  redemption: RedemptionMemory,
  points: number,
  tag: string,
): number {
  const room = Math.min(points, redemption.points - redemption.restored);
  let left = room;
  // Give back what was taken last first: the oldest lots are the ones spent "for real".
  let alreadyRestored = redemption.restored;
  const plan: { taken: RedemptionMemory['consumed'][number]; points: number }[] = [];
  for (let i = redemption.consumed.length - 1; i >= 0 && left > 0; i--) {
    const taken = redemption.consumed[i] as RedemptionMemory['consumed'][number];
    const skip = Math.min(alreadyRestored, taken.points);
    alreadyRestored -= skip;
    const n = Math.min(left, taken.points - skip);
    if (n > 0) plan.push({ taken, points: n });
    left -= n;
  }
  for (const { taken, points: n } of plan) {
    credit(run, {
      id: `${taken.lotId}~${tag}`,
      earnedAt: taken.earnedAt,
      availableAt: taken.availableAt,
      expiresAt: taken.expiresAt,
      points: n,
      storeId: redemption.storeId,
      version: run.program.version,
    });
  }
  redemption.restored += room;
  return room;
}

// ---------------------------------------------------------- registrations and adjustments

function applyRegistration(run: Run, event: CustomerRegistration): LoyaltyResult {
  const { state, program } = run;
  if (!firstTime(state, event.eventId)) return duplicate();
  noteFirstEvent(run, event.occurredAt);
  if (state.registeredAt === undefined || event.occurredAt < state.registeredAt) {
    state.registeredAt = event.occurredAt;
  }
  if (event.tags) state.tags = [...new Set([...state.tags, ...event.tags])].sort();
  if (event.birthMonthDay) state.birthMonthDay = event.birthMonthDay;
  const bonus = program.earn.bonuses.find((b) => b.on === 'registration');
  if (!bonus || Object.hasOwn(state.bonusesGranted, key('registration'))) return applied();
  state.bonusesGranted[key('registration')] = event.eventId;
  credit(
    run,
    newLot(run, 'bonus/registration', event.occurredAt, bonus.points, event.storeId, false),
  );
  ledgerLine(run, {
    entryId: `${state.customerId}/~bonus/registration`,
    eventId: event.eventId,
    transactionId: event.eventId,
    kind: 'bonus',
    revision: 0,
    points: bonus.points,
    storeId: event.storeId,
    occurredAt: event.occurredAt,
    reason: bonus.id,
  });
  return applied(bonus.points);
}

function applyAdjustment(run: Run, event: PointsAdjustedEvent): LoyaltyResult {
  const { state, program } = run;
  if (!firstTime(state, `adjust/${event.adjustmentId}`)) return duplicate();
  const limit = program.adjustments.maxPoints;
  const asked = Math.max(-limit, Math.min(limit, event.points));
  let points: number;
  if (asked > 0) {
    points = credit(
      run,
      newLot(run, `adjust/${event.adjustmentId}`, event.occurredAt, asked, event.storeId, false),
    );
  } else {
    // A correction never takes the balance below zero.
    points = -sumTaken(takeFromLots(state, -asked, anyLot));
  }
  if (points !== event.points) {
    run.out.triggers.push({
      kind: 'adjustment-clipped',
      eventId: event.eventId,
      asked: event.points,
      applied: points,
    });
  }
  if (points === 0) return applied();
  ledgerLine(run, {
    entryId: `${state.customerId}/~adjust/${event.adjustmentId}`,
    eventId: event.eventId,
    transactionId: event.adjustmentId,
    kind: 'adjust',
    revision: 0,
    points,
    storeId: event.storeId,
    occurredAt: event.occurredAt,
    reason: event.reason,
    operatorId: event.operatorId,
  });
  return points > 0 ? applied(points) : applied(0, 0, -points);
}

function applyPartnerAccrual(run: Run, event: PartnerAccrualEvent): LoyaltyResult {
  const { state, program } = run;
  const id = `partner/${event.partnerId}/${event.transactionId}`;
  if (!firstTime(state, id)) return duplicate();
  noteFirstEvent(run, event.occurredAt);
  const partner = program.partners.find((p) => p.id === event.partnerId);
  const amount = toProgramMinor(program, event.currency, event.amountMinor, 'earn');
  if (!partner?.earn || amount === undefined) {
    run.out.triggers.push({
      kind: 'earn-refused',
      eventId: event.eventId,
      cause: partner?.earn ? 'currency-not-in-program' : 'unknown-partner',
    });
    return applied();
  }
  const points = mulDiv(amount, partner.earn.points, partner.earn.perMinor, program.earn.rounding);
  if (points <= 0) return applied();
  credit(run, newLot(run, id, event.occurredAt, points, event.storeId));
  ledgerLine(run, {
    entryId: `${state.customerId}/~partner/${event.partnerId}/${event.transactionId}`,
    eventId: event.eventId,
    transactionId: event.transactionId,
    kind: 'partner-earn',
    revision: 0,
    points,
    storeId: event.storeId,
    occurredAt: event.occurredAt,
    partnerId: event.partnerId,
  });
  bucketFor(state, localMonth(event.occurredAt)).points += points;
  if (program.tiers) {
    const change = reassess(state, program.tiers, run.at, 'sale');
    if (change) run.out.tierChanges.push(change);
  }
  return applied(points);
}

// ----------------------------------------------------------------------------- redemption

/**
 * What the customer can spend at `now` under the program: lots past their expiry or past the
 * inactivity deadline count for nothing, even before the clock has run to expire them (the
 * workflow's validator checks the state as it is, between timers).
 */
export function spendableUnder(state: LoyaltyState, program: Program, now: string): number {
  const months = program.expiry.inactivityMonths;
  const since = inactivitySince(state);
  if (months !== undefined && since !== undefined) {
    if (Date.parse(addMonths(since, months)) <= Date.parse(now)) return 0;
  }
  return spendableAt(state, now);
}

/**
 * Where the inactivity clock counts from: the last sale or redemption, or, for a customer who
 * has had neither, when their oldest points were earned (a welcome bonus, an adjustment).
 */
function inactivitySince(state: LoyaltyState): string | undefined {
  // Lots are kept oldest first by when they were earned.
  return state.lastActivityAt ?? state.lots[0]?.earnedAt;
}

/** The money `points` are worth in `currency`, rounded down; undefined where they cannot be spent. */
export function pointsValue(
  program: Program,
  points: number,
  currency: string,
): number | undefined {
  const programMinor = mulDiv(points, program.pointValue.minor, program.pointValue.points);
  if (currency === program.currency) return programMinor;
  const market = program.markets.find((m) => m.currency === currency);
  if (!market?.redeem) return undefined;
  return mulDiv(programMinor, market.rate.minor, market.rate.programMinor);
}

/** 12345 → "12,345" (no Intl: the same text on every machine that replays the workflow). */
const formatPoints = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/**
 * Whether a redemption can be granted at `now`, and what it is worth; never changes the state.
 * The workflow's update validator runs it, so an impossible redemption is refused before it is
 * written to the customer's history.
 */
export function checkRedemption(
  state: LoyaltyState,
  request: RedemptionRequest,
  program: Program,
  now: string,
): RedemptionCheck {
  const reasons: Refusal['reasons'] = [];
  const refuse = (reason: RefusalReason, message: string) => reasons.push({ reason, message });
  const { points } = request;
  const whole = Number.isSafeInteger(points) && points > 0;
  if (!whole) refuse('not-positive', 'Ask for a whole number of points above 0.');
  if (!program.redemption.channels.includes(request.channel)) {
    refuse(
      'channel-not-allowed',
      `Points cannot be spent on the ${request.channel} channel in ${program.name}.`,
    );
  }
  if (request.partnerId !== undefined) {
    const partner = program.partners.find((p) => p.id === request.partnerId);
    if (!partner?.burn) {
      refuse('unknown-partner', `Points cannot be spent at partner "${request.partnerId}".`);
    }
  }
  const valueMinor = whole ? pointsValue(program, points, request.currency) : undefined;
  if (whole && valueMinor === undefined) {
    refuse('currency-not-redeemable', `Points cannot be spent in ${request.currency}.`);
  }
  const minimum = program.redemption.minimumPoints;
  if (whole && points < minimum) {
    refuse('below-minimum', `At least ${formatPoints(minimum)} points must be spent at once.`);
  }
  const spendable = spendableUnder(state, program, now);
  if (whole && points > spendable) {
    const pending = balanceOf(state) - spendable;
    const also = pending > 0 ? ` (${formatPoints(pending)} more are pending or expiring)` : '';
    refuse(
      'insufficient-balance',
      `Only ${formatPoints(spendable)} points can be spent now${also}.`,
    );
  }
  const maxValue = mulDiv(request.basketMinor, program.redemption.maxBasketShare, 10_000);
  if (valueMinor !== undefined && valueMinor > maxValue) {
    const share = program.redemption.maxBasketShare / 100;
    refuse(
      'over-basket-share',
      `Points may pay at most ${share}% of the basket (${maxValue} minor units); these points are worth ${valueMinor}.`,
    );
  }
  const [first] = reasons;
  if (first) {
    return {
      ok: false,
      reason: first.reason,
      message: reasons.map((r) => r.message).join(' '),
      reasons,
    };
  }
  return { ok: true, points, valueMinor: valueMinor as number };
}

function applyRedemption(run: Run, request: RedemptionRequest): LoyaltyResult {
  const { state, program, at: now } = run;
  const earlier = state.redemptions[key(request.redemptionId)];
  if (earlier) {
    return {
      outcome: 'duplicate',
      earned: 0,
      redeemed: earlier.points,
      reversed: 0,
      valueMinor: earlier.valueMinor,
    };
  }
  const check = checkRedemption(state, request, program, now);
  if (!check.ok) {
    return {
      outcome: 'refused',
      earned: 0,
      redeemed: 0,
      reversed: 0,
      refusal: { reason: check.reason, message: check.message, reasons: check.reasons },
    };
  }
  const consumed = takeFromLots(state, check.points, isSpendableAt(now));
  const memory: RedemptionMemory = {
    redemptionId: request.redemptionId,
    at: now,
    points: check.points,
    valueMinor: check.valueMinor,
    currency: request.currency,
    partnerId: request.partnerId,
    storeId: request.storeId,
    consumed,
    restored: 0,
    cancelled: false,
  };
  remember(
    state.redemptions,
    state.redemptionOrder,
    request.redemptionId,
    memory,
    loyaltyLimits.redemptions,
  );
  noteActivity(state, now);
  ledgerLine(run, {
    entryId: `${state.customerId}/~redeem/${request.redemptionId}`,
    eventId: request.redemptionId,
    transactionId: request.redemptionId,
    kind: request.partnerId ? 'partner-burn' : 'redeem',
    revision: 0,
    points: -check.points,
    storeId: request.storeId,
    occurredAt: now,
    partnerId: request.partnerId,
  });
  return { ...applied(0, check.points), valueMinor: check.valueMinor };
}

function applyCancel(run: Run, cancel: RedemptionCancel): LoyaltyResult {
  const { state } = run;
  const redemption = state.redemptions[key(cancel.redemptionId)];
  // A redemption that paid for a sale is given back by returning the sale, never by a cancel.
  if (!redemption || redemption.cancelled || redemption.usedBy !== undefined) return duplicate();
  redemption.cancelled = true;
  const restored = restoreRedemption(
    run,
    redemption,
    redemption.points,
    `cancel:${cancel.redemptionId}`,
  );
  if (restored > 0) {
    ledgerLine(run, {
      entryId: `${state.customerId}/~redeem/${cancel.redemptionId}/cancel`,
      eventId: `${cancel.redemptionId}:cancel`,
      transactionId: cancel.redemptionId,
      kind: 'redeem-cancel',
      revision: 0,
      points: restored,
      storeId: redemption.storeId,
      occurredAt: run.at,
      partnerId: redemption.partnerId,
    });
  }
  return applied(restored);
}

// ------------------------------------------------------------------------------ the clock

/**
 * Brings the customer's clock to `until`, in place: everything due by then (expiry warnings, lots
 * expiring by age or inactivity, tier reviews) happens in the order it fell due, each at its own
 * instant, so running the clock once over a long gap does what timers at every due instant
 * would have done. The clock never goes back.
 */
export function advance(state: LoyaltyState, program: Program, until: string, out: LoyaltyEffects) {
  const target = Date.parse(until);
  if (state.clockAt === undefined || Date.parse(state.clockAt) < target) state.clockAt = until;
  for (;;) {
    state.dueAt ??= nextDue(state, program);
    if (state.dueAt === undefined) return;
    const due = Date.parse(state.dueAt);
    if (due > target) return;
    runDue(state, program, state.dueAt, out);
    state.dueAt = nextDue(state, program);
    // Every step settles what was due at its instant; a due instant that did not move on
    // would be a rule that never settles: stop rather than spin.
    if (state.dueAt !== undefined && Date.parse(state.dueAt) <= due) return;
  }
}

/** What is due at `now` (the earliest due instant): one step of `advance`. */
function runDue(state: LoyaltyState, program: Program, now: string, out: LoyaltyEffects) {
  const t = Date.parse(now);
  const { warnDays, inactivityMonths } = program.expiry;
  const run: Run = { state, program, at: now, out };

  // Warnings first, for lots coming up to their expiry (one trigger per run).
  const warnMs = warnDays * DAY_MS;
  let warnPoints = 0;
  let warnBy: string | undefined;
  let anyExpired = false;
  for (const lot of state.lots) {
    const expires = timesOf(lot).expires;
    if (expires <= t) anyExpired = true;
    if (lot.warned || expires - warnMs > t) continue;
    lot.warned = true;
    if (expires <= t) continue; // expiring now: no warning, the expiry says it
    warnPoints += lot.points;
    if (warnBy === undefined || (lot.expiresAt as string) < warnBy) warnBy = lot.expiresAt;
  }
  if (warnPoints > 0 && warnBy) {
    out.triggers.push({ kind: 'points-expiring', points: warnPoints, expiresAt: warnBy });
  }

  if (anyExpired) {
    const expired = state.lots.filter((lot) => timesOf(lot).expires <= t);
    state.lots = state.lots.filter((lot) => timesOf(lot).expires > t);
    expireLots(run, expired, 'age');
  }

  const since = inactivitySince(state);
  if (inactivityMonths !== undefined && since !== undefined && state.lots.length > 0) {
    const deadline = addMonths(since, inactivityMonths);
    if (Date.parse(deadline) <= t) {
      const all = state.lots;
      state.lots = [];
      expireLots(run, all, 'inactivity', deadline);
    } else if (
      state.inactivityWarnedFor !== since &&
      Date.parse(addDays(deadline, -warnDays)) <= t
    ) {
      state.inactivityWarnedFor = since;
      out.triggers.push({
        kind: 'inactivity-expiry-coming',
        points: balanceOf(state),
        expiresAt: deadline,
      });
    }
  }

  if (program.tiers && state.tier) {
    out.tierChanges.push(...reviewTiers(state, program.tiers, now));
  }
}

function expireLots(run: Run, lots: readonly Lot[], cause: 'age' | 'inactivity', at?: string) {
  let total = 0;
  for (const lot of lots) total += lot.points;
  // The lots are out of the state already: count the balance down line by line.
  let balance = balanceOf(run.state) + total;
  for (const lot of lots) {
    const when = at ?? (lot.expiresAt as string);
    balance -= lot.points;
    ledgerLine(
      run,
      {
        entryId: `${run.state.customerId}/~expire/${lot.id}`,
        eventId: `expire:${lot.id}`,
        transactionId: lot.id,
        kind: 'expire',
        revision: 0,
        points: -lot.points,
        storeId: lot.storeId,
        occurredAt: when,
        programVersion: lot.version,
        reason: cause,
      },
      balance,
    );
  }
  if (total > 0) {
    run.out.triggers.push({ kind: 'points-expired', points: total, at: at ?? run.at, cause });
  }
}

/**
 * Memory no event can need any more, counted from the latest event time `latest` (never from a
 * timer): sales older than the return period before it (a return dated within its period
 * arrives after them), day counters and month buckets as old. An event older than this horizon
 * is still applied at its own time; a return of a sale forgotten here takes nothing back.
 */
function forgetOld(state: LoyaltyState, program: Program, latest: string) {
  pruneMonths(state, program.tiers, latest);
  const horizon = Date.parse(latest) - program.returns.periodDays * DAY_MS;
  while (state.saleOrder.length > 0) {
    const k = state.saleOrder[0] as string;
    const sale = state.sales[k];
    if (
      sale &&
      Date.parse(sale.occurredAt) >= horizon &&
      state.saleOrder.length <= loyaltyLimits.sales
    )
      break;
    state.saleOrder.shift();
    delete state.sales[k];
  }
  const oldestDay = new Date(horizon).toISOString().slice(0, 10);
  for (const k of Object.keys(state.dayUsage)) {
    if (k.slice(1, 11) < oldestDay) delete state.dayUsage[k];
  }
}

/** The earliest instant something is due for this customer: the workflow sleeps until then. */
export function nextDue(state: LoyaltyState, program: Program): string | undefined {
  let due: number = Number.POSITIVE_INFINITY;
  const consider = (instant: string | undefined) => {
    if (instant === undefined) return;
    const t = Date.parse(instant);
    if (t < due) due = t;
  };
  const { warnDays, inactivityMonths } = program.expiry;
  const warnMs = warnDays * DAY_MS;
  for (const lot of state.lots) {
    const expires = timesOf(lot).expires;
    const at = lot.warned ? expires : expires - warnMs;
    if (at < due) due = at;
  }
  const since = inactivitySince(state);
  if (inactivityMonths !== undefined && since !== undefined && state.lots.length > 0) {
    const deadline = addMonths(since, inactivityMonths);
    consider(deadline);
    if (state.inactivityWarnedFor !== since) consider(addDays(deadline, -warnDays));
  }
  if (program.tiers && state.tier) {
    consider(state.tier.reviewAt);
    consider(state.tier.graceUntil);
  }
  return Number.isFinite(due) ? new Date(due).toISOString() : undefined;
}

/** What the customer sees next: balances, tier and perks, the next tier, points expiring soon. */
/**
 * What a cue shows of the customer's standing: spendable points, the tier, the next tier. The
 * part of `outlook` the workflow needs for every event, without its extra passes.
 */
export function standing(
  state: LoyaltyState,
  program: Program,
  now: string,
): Pick<LoyaltyOutlook, 'spendable' | 'tier' | 'nextTier'> {
  const tiers = program.tiers;
  return {
    spendable: spendableUnder(state, program, now),
    tier: tierId(state, tiers),
    nextTier: tiers ? nextTier(state, tiers, now) : undefined,
  };
}

export function outlook(state: LoyaltyState, program: Program, now: string): LoyaltyOutlook {
  const balance = balanceOf(state);
  const { spendable, tier, nextTier: next } = standing(state, program, now);
  const tiers = program.tiers;
  const level = Math.min(state.tier?.level ?? 0, (tiers?.levels.length ?? 1) - 1);
  let expiringSoon: LoyaltyOutlook['expiringSoon'];
  const horizon = Date.parse(now) + program.expiry.warnDays * DAY_MS;
  for (const lot of state.lots) {
    if (lot.expiresAt === undefined || timesOf(lot).expires > horizon) continue;
    expiringSoon = {
      points: (expiringSoon?.points ?? 0) + lot.points,
      by: expiringSoon && expiringSoon.by < lot.expiresAt ? expiringSoon.by : lot.expiresAt,
    };
  }
  return {
    balance,
    spendable,
    pending: Math.max(0, balance - spendable),
    tier,
    perks: tiers?.levels[level]?.perks ?? [],
    nextTier: next,
    projectedTier: tiers ? projectedTier(state, tiers, now) : undefined,
    expiringSoon,
    programVersion: program.version,
  };
}
