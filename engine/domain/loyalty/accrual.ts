/**
 * Earning points: a sale (base, tier extra, earn rules, one-off bonuses, worked out by `earn.ts`)
 * credited as a lot and remembered line by line for its returns; the registration bonus; a
 * service-desk adjustment; a partner's accrual.
 */
import type {
  CustomerRegistration,
  PartnerAccrualEvent,
  PointsAdjustedEvent,
  SaleEvent,
} from '../events.ts';
import { localDate, localMonth, mulDiv } from './arithmetic.ts';
import type { LoyaltyResult } from './contract.ts';
import { earnForSale, toProgramMinor } from './earn.ts';
import { checkReturnLines } from './event-checks.ts';
import { anyLot, sumTaken, takeFromLots } from './lots.ts';
import {
  applied,
  credit,
  duplicate,
  firstTime,
  ledgerLine,
  newLot,
  noteActivity,
  noteFirstEvent,
  type Run,
  rememberSale,
  saleSeen,
} from './posting.ts';
import type { EarnRule } from './program.ts';
import { reverseSale } from './returns.ts';
import { type SaleMemory, useDay } from './state.ts';
import { bucketFor, reassess } from './tiers.ts';

export function applySale(run: Run, sale: SaleEvent): LoyaltyResult {
  const { state, program } = run;
  if (saleSeen(state, sale.transactionId)) return duplicate();
  noteFirstEvent(run, sale.occurredAt);
  const tiers = program.tiers;
  const level = Math.min(state.tier?.level ?? 0, (tiers?.levels.length ?? 1) - 1);
  const earning = earnForSale(sale, program, {
    tierLevel: level,
    tierId: tiers?.levels[level]?.id,
    tags: state.tags,
    segments: run.segments,
    dayUsage: state.dayUsage,
    bonusesGranted: state.bonusesGranted,
    birthMonthDay: state.birthMonthDay,
  });
  if (earning.refused) {
    run.out.triggers.push({ kind: 'earn-refused', eventId: sale.eventId, cause: earning.refused });
  }
  const memory: SaleMemory = {
    transactionId: sale.transactionId,
    occurredAt: sale.occurredAt,
    storeId: sale.storeId,
    version: program.version,
    netProgramMinor: earning.netProgramMinor,
    lines: earning.lines,
    bonuses: earning.bonuses,
    earned: earning.total,
    reversed: 0,
    forgiven: 0,
    reverseRevision: 0,
    restoreRevision: 0,
    visitCounted: true,
  };
  let paidWithPoints: SaleMemory['paidWithPoints'];
  for (const tender of sale.tenders) {
    if (tender.type !== 'points') continue;
    const redemption =
      tender.redemptionId !== undefined ? state.redemptions.get(tender.redemptionId) : undefined;
    if (redemption) redemption.usedBy = sale.transactionId;
    paidWithPoints ??= { redemptionId: undefined, amountMinor: 0, restoredPoints: 0 };
    paidWithPoints.redemptionId ??= tender.redemptionId;
    paidWithPoints.amountMinor += tender.amount;
  }
  if (paidWithPoints) memory.paidWithPoints = paidWithPoints;
  if (earning.rulePoints) {
    const day = localDate(sale.occurredAt);
    const rules = program.earn.rules;
    for (let r = 0; r < rules.length; r++) {
      const points = earning.rulePoints[r] as number;
      if (points > 0) useDay(state.dayUsage, day, (rules[r] as EarnRule).id, points);
    }
  }
  for (const bonus of earning.bonuses) {
    if (bonus.grantKey !== undefined) state.bonusesGranted.set(bonus.grantKey, sale.transactionId);
  }
  rememberSale(state, memory);

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
  const bucket = bucketFor(state, localMonth(sale.occurredAt));
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
  const early =
    state.earlyReturns.size > 0 ? state.earlyReturns.get(sale.transactionId) : undefined;
  if (early) {
    state.earlyReturns.delete(sale.transactionId);
    state.earlyReturnOrder = state.earlyReturnOrder.filter((id) => id !== sale.transactionId);
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
      result = {
        ...applied(result.earned + r.earned, 0, result.reversed + r.reversed),
        refundedMinor: (result.refundedMinor ?? 0) + (r.refundedMinor ?? 0),
      };
    }
  }
  return result;
}

export function applyRegistration(run: Run, event: CustomerRegistration): LoyaltyResult {
  const { state, program } = run;
  if (!firstTime(state, event.eventId)) return duplicate();
  noteFirstEvent(run, event.occurredAt);
  if (state.registeredAt === undefined || event.occurredAt < state.registeredAt) {
    state.registeredAt = event.occurredAt;
  }
  if (event.tags) state.tags = [...new Set([...state.tags, ...event.tags])].sort();
  if (event.birthMonthDay) state.birthMonthDay = event.birthMonthDay;
  const bonus = program.earn.bonuses.find((b) => b.on === 'registration');
  if (!bonus || state.bonusesGranted.has('registration')) return applied();
  state.bonusesGranted.set('registration', event.eventId);
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

export function applyAdjustment(run: Run, event: PointsAdjustedEvent): LoyaltyResult {
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

export function applyPartnerAccrual(run: Run, event: PartnerAccrualEvent): LoyaltyResult {
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
