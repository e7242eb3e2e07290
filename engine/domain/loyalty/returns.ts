/**
 * Returns: what the refunded part of each returned line earned is taken back (rounded so partial
 * returns add up exactly), with its tier-qualifying spend, rule caps and receipt bonuses, as the
 * program's return policy allows; the points the sale was paid with come back in proportion. A
 * return that overtakes its sale is held until the sale comes.
 */
import type { ReturnEvent } from '../events.ts';
import { addDays, instantMs, localDate, localMonth, mulDiv } from './arithmetic.ts';
import type { LoyaltyResult } from './contract.ts';
import { anyLot, isPendingAt, sumTaken, takeFromLots } from './lots.ts';
import {
  applied,
  credit,
  duplicate,
  firstTime,
  ledgerLine,
  newLot,
  type Run,
  remember,
} from './posting.ts';
import { restoreRedemption } from './redemption.ts';
import {
  type EarlyReturn,
  type LoyaltyState,
  lineOf,
  loyaltyLimits,
  type SaleMemory,
  useDay,
} from './state.ts';
import { reassess } from './tiers.ts';

export function applyReturn(run: Run, ret: ReturnEvent): LoyaltyResult {
  const { state } = run;
  if (!firstTime(state, ret.eventId)) return duplicate();
  const memory = state.sales.get(ret.originalTransactionId);
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
    const held = state.earlyReturns.get(ret.originalTransactionId);
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
export function reverseSale(run: Run, memory: SaleMemory, ret: EarlyReturn): LoyaltyResult {
  const { state, program } = run;
  const periodDays = program.returns.periodDays;
  // Measured between the two events' own times, never against the clock.
  const afterPeriod = instantMs(ret.occurredAt) > instantMs(addDays(memory.occurredAt, periodDays));
  let refundedMinor = 0;
  for (const returned of ret.lines) {
    const line = lineOf(memory, returned.lineId);
    if (!line) continue; // refused before (`checkReturnLines`)
    refundedMinor += returned.refundAmount;
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
    return { ...applied(), refundedMinor };
  }
  let pointsDue = 0;
  let qualifyingDue = 0;
  let remainingBasket = 0;
  let allRefunded = true;
  const fullyRefunded = new Set<string>();
  for (const line of memory.lines) {
    // What stays is what the unrefunded part would have earned (rounded down, so a full
    // return takes back every point and partial returns never take back more than was earned).
    const byMoney = line.netMinor > 0;
    const left = byMoney
      ? line.netMinor - line.refundedMinor
      : line.quantity - line.refundedQuantity;
    const whole = byMoney ? line.netMinor : line.quantity;
    const reversedPoints = line.points - mulDiv(line.points, left, whole);
    pointsDue += reversedPoints - line.reversedPoints;
    line.reversedPoints = reversedPoints;
    if (line.rules) {
      line.reversedRules ??= {};
      const reversedRules = line.reversedRules;
      for (const ruleId of Object.keys(line.rules)) {
        const points = line.rules[ruleId] as number;
        const reversedRule = points - mulDiv(points, left, whole);
        const delta = reversedRule - (reversedRules[ruleId] ?? 0);
        reversedRules[ruleId] = reversedRule;
        releaseDayUsage(state, localDate(memory.occurredAt), ruleId, delta);
      }
    }
    const reversedQualifying = line.qualifyingMinor - mulDiv(line.qualifyingMinor, left, whole);
    qualifyingDue += reversedQualifying - line.reversedQualifyingMinor;
    line.reversedQualifyingMinor = reversedQualifying;
    remainingBasket += line.qualifyingMinor - reversedQualifying;
    if (left === 0) fullyRefunded.add(line.lineId);
    else allRefunded = false;
  }
  for (const bonus of memory.bonuses) {
    if (bonus.reversed) continue;
    const belowMinimum =
      bonus.minBasketMinor !== undefined && remainingBasket < bonus.minBasketMinor;
    const linesGone = bonus.lineIds.every((id) => fullyRefunded.has(id));
    if (!belowMinimum && !linesGone) continue;
    bonus.reversed = true;
    pointsDue += bonus.points;
    if (bonus.kind === 'rule') {
      releaseDayUsage(state, localDate(memory.occurredAt), bonus.id, bonus.points);
    }
    if (
      bonus.grantKey !== undefined &&
      state.bonusesGranted.get(bonus.grantKey) === memory.transactionId
    ) {
      state.bonusesGranted.delete(bonus.grantKey);
    }
  }
  const month = localMonth(memory.occurredAt);
  const bucket = state.months.find((b) => b.month === month);
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
  return { ...applied(restored, 0, takenBack), refundedMinor };
}

export function releaseDayUsage(state: LoyaltyState, day: string, ruleId: string, points: number) {
  if (points === 0) return;
  useDay(state.dayUsage, day, ruleId, -points);
}

/**
 * Takes back `points` a return reverses, as the return policy allows: from the sale's own lot
 * first, then the oldest lots; what is left becomes debt only under `unlimited`. Returns the
 * points taken (debt included).
 */
export function takeBack(run: Run, lotId: string, points: number): number {
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

/** Gives back the points the refunded share of a sale was paid with, in proportion. */
export function restorePaidPoints(run: Run, memory: SaleMemory, ret: EarlyReturn): number {
  const paid = memory.paidWithPoints;
  if (!paid) return 0;
  const { state, program } = run;
  let net = 0;
  let refunded = 0;
  for (const line of memory.lines) {
    net += line.netMinor;
    refunded += line.refundedMinor;
  }
  const redemption =
    paid.redemptionId !== undefined ? state.redemptions.get(paid.redemptionId) : undefined;
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
