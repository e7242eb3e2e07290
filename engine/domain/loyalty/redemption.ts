/**
 * Spending points: whether a redemption can be granted (every reason it cannot, in order, as
 * codes with their fields; `refusal-wording.ts` words them), the points taken from the oldest
 * spendable lots, a cancellation giving them back into lots like the ones they came from (never
 * extending an expiry).
 */
import { addMonths, instantMs, mulDiv } from './arithmetic.ts';
import type {
  LoyaltyResult,
  RedemptionCancel,
  RedemptionCheck,
  RedemptionRequest,
  Refusal,
} from './contract.ts';
import { isSpendableAt, takeFromLots } from './lots.ts';
import {
  applied,
  credit,
  duplicate,
  inactivitySince,
  ledgerLine,
  noteActivity,
  type Run,
  remember,
} from './posting.ts';
import type { Program } from './program.ts';
import { describeRefusal, type RefusalFacts, refusalField } from './refusal-wording.ts';
import {
  balanceOf,
  type LoyaltyState,
  loyaltyLimits,
  type RedemptionMemory,
  spendableAt,
} from './state.ts';

/**
 * What the customer can spend at `now` under the program: lots past their expiry or past the
 * inactivity deadline count for nothing, even before the clock has run to expire them (the
 * workflow's validator checks the state as it is, between timers).
 */
export function spendableUnder(state: LoyaltyState, program: Program, now: string): number {
  const months = program.expiry.inactivityMonths;
  const since = inactivitySince(state);
  if (months !== undefined && since !== undefined) {
    if (instantMs(addMonths(since, months)) <= instantMs(now)) return 0;
  }
  return spendableAt(state, now);
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
  const refuse = (facts: RefusalFacts) =>
    reasons.push({
      reason: facts.reason,
      field: refusalField[facts.reason],
      message: describeRefusal(facts),
    });
  const { points } = request;
  const whole = Number.isSafeInteger(points) && points > 0;
  if (!whole) refuse({ reason: 'not_positive' });
  if (!(program.redemption.channels as readonly string[]).includes(request.channel)) {
    refuse({ reason: 'channel_not_allowed', channel: request.channel, programName: program.name });
  }
  if (request.partnerId !== undefined) {
    const partner = program.partners.find((p) => p.id === request.partnerId);
    if (!partner?.burn) refuse({ reason: 'unknown_partner', partnerId: request.partnerId });
  }
  const valueMinor = whole ? pointsValue(program, points, request.currency) : undefined;
  if (whole && valueMinor === undefined) {
    refuse({ reason: 'currency_not_redeemable', currency: request.currency });
  }
  const minimum = program.redemption.minimumPoints;
  if (whole && points < minimum) refuse({ reason: 'below_minimum', minimum });
  const spendable = spendableUnder(state, program, now);
  if (whole && points > spendable) {
    refuse({ reason: 'insufficient_balance', spendable, pending: balanceOf(state) - spendable });
  }
  const maxValue = mulDiv(request.basketMinor, program.redemption.maxBasketShare, 10_000);
  if (valueMinor !== undefined && valueMinor > maxValue) {
    const sharePercent = program.redemption.maxBasketShare / 100;
    refuse({ reason: 'over_basket_share', sharePercent, maxValue, valueMinor });
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

export function applyRedemption(run: Run, request: RedemptionRequest): LoyaltyResult {
  const { state, program, at: now } = run;
  const earlier = state.redemptions.get(request.redemptionId);
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

export function applyCancel(run: Run, cancel: RedemptionCancel): LoyaltyResult {
  const { state } = run;
  const redemption = state.redemptions.get(cancel.redemptionId);
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

/**
 * Gives back up to `points` of a redemption into lots like the ones it took them from (same
 * earning, availability and expiry, newest first), so a give-back never extends an expiry.
 */
export function restoreRedemption(
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
