/**
 * What the customer sees: the standing every cue shows (spendable points, the tier, the way to
 * the next tier) and the whole outlook of the 360 view (balances, perks, the projected tier,
 * points expiring soon).
 */
import { instantMs } from './arithmetic.ts';
import type { LoyaltyOutlook } from './contract.ts';
import { DAY_MS } from './posting.ts';
import type { Program } from './program.ts';
import { spendableUnder } from './redemption.ts';
import { balanceOf, type LoyaltyState, timesOf } from './state.ts';
import { nextTier, projectedTier, tierId } from './tiers.ts';

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

/** How many of the lots expiring soon the outlook names (their total counts them all). */
export const EXPIRING_LOTS_SHOWN = 10;

/** What the customer sees next: balances, tier and perks, the next tier, points expiring soon. */
export function outlook(state: LoyaltyState, program: Program, now: string): LoyaltyOutlook {
  const balance = balanceOf(state);
  const { spendable, tier, nextTier: next } = standing(state, program, now);
  const tiers = program.tiers;
  const level = Math.min(state.tier?.level ?? 0, (tiers?.levels.length ?? 1) - 1);
  let expiringSoon: LoyaltyOutlook['expiringSoon'];
  const horizon = instantMs(now) + program.expiry.warnDays * DAY_MS;
  for (const lot of state.lots) {
    if (lot.expiresAt === undefined || timesOf(lot).expires > horizon) continue;
    const lots = expiringSoon?.lots ?? [];
    // The lots themselves, soonest first, a few at most: what the till can name.
    if (lots.length < EXPIRING_LOTS_SHOWN || lot.expiresAt < (lots.at(-1)?.expiresAt ?? '')) {
      lots.push({ points: lot.points, expiresAt: lot.expiresAt });
      lots.sort((a, b) => (a.expiresAt < b.expiresAt ? -1 : a.expiresAt > b.expiresAt ? 1 : 0));
      if (lots.length > EXPIRING_LOTS_SHOWN) lots.pop();
    }
    expiringSoon = {
      points: (expiringSoon?.points ?? 0) + lot.points,
      by: expiringSoon && expiringSoon.by < lot.expiresAt ? expiringSoon.by : lot.expiresAt,
      lots,
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
