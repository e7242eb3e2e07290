/**
 * The loyalty evaluator: `(state, input, program, now) → (state, effects)`, deterministic, no
 * I/O, no clock (`now` is given). Inputs are the customer's events (sales, returns,
 * registrations, adjustments, partner accruals, profile changes, service contacts, campaign
 * responses) and the till's requests (redeem, cancel a
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
 *
 * This file dispatches; each rule lives in the module named for it: `accrual.ts`, `returns.ts`,
 * `redemption.ts`, `clock.ts`, `outlook.ts`, `event-checks.ts` (what is refused), `records.ts`
 * (events that move no points).
 */

import { applyAdjustment, applyPartnerAccrual, applyRegistration, applySale } from './accrual.ts';
import { instantMs } from './arithmetic.ts';
import { advance, forgetOld } from './clock.ts';
import {
  type LoyaltyEffects,
  type LoyaltyInput,
  type LoyaltyResult,
  noLoyaltyEffects,
} from './contract.ts';
import { checkEvent } from './event-checks.ts';
import { applied, type Run } from './posting.ts';
import type { Program } from './program.ts';
import { applyRecord } from './records.ts';
import { applyCancel, applyRedemption } from './redemption.ts';
import { applyReturn } from './returns.ts';
import { initialLoyaltyState, type LoyaltyState } from './state.ts';

export { advance } from './clock.ts';
export * from './contract.ts';
export { checkEvent } from './event-checks.ts';
export { outlook, standing } from './outlook.ts';
export { checkRedemption, pointsValue, spendableUnder } from './redemption.ts';
export { initialLoyaltyState };

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
  segments: readonly string[] = [],
): LoyaltyResult {
  const issues = checkEvent(state, input);
  if (issues.length > 0) return { ...applied(), outcome: 'refused', issues };
  const at = timeOf(input, now);
  advance(state, program, at, out);
  const run: Run = { state, program, at, out, segments };
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
    case 'profile.changed':
    case 'service.interaction':
    case 'campaign.response':
      result = applyRecord(run, input);
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
    const t = instantMs(at);
    if (latest === undefined || t > (state.latestEventMs as number)) {
      state.latestEventAt = at;
      state.latestEventMs = t;
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
