/**
 * Spending points: whether a redemption can be granted (every reason it cannot, in order), the
 * points taken from the oldest spendable lots, a cancellation giving them back into lots like the
 * ones they came from (never extending an expiry).
 */
import { addMonths, instantMs, mulDiv } from './arithmetic.ts';
import type {
  LoyaltyResult,
  RedemptionCancel,
  RedemptionCheck,
  RedemptionRequest,
  Refusal,
  RefusalReason,
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
import {
  balanceOf,
  key,
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

/** 12345 → "12,345" (no Intl: the same text on every machine that replays the workflow). */
export const formatPoints = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

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

export function applyRedemption(run: Run, request: RedemptionRequest): LoyaltyResult {
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

export function applyCancel(run: Run, cancel: RedemptionCancel): LoyaltyResult {
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
