/**
 * Tiers: the qualifying metric over a rolling window of months, upgrades at once, downgrades only
 * at a review (after a grace period), and a return that lowers the metric undoing the upgrade it
 * caused. The level a customer holds is max(base, peak): `base` is what the last review
 * confirmed, `peak` the highest level the metric has reached since.
 */
import { addDays, addMonths, instantMs, localMonth, monthsBefore } from './arithmetic.ts';
import type { Tiers } from './program.ts';
import type { LoyaltyState, MonthBucket, TierState } from './state.ts';

export interface TierChange {
  from: string;
  to: string;
  reason: 'upgrade' | 'downgrade' | 'return';
  at: string;
}

/** The bucket of a local month, created when missing (buckets stay ordered by month). */
export function bucketFor(state: LoyaltyState, month: string): MonthBucket {
  const months = state.months;
  for (let i = months.length - 1; i >= 0; i--) {
    const b = months[i] as MonthBucket;
    if (b.month === month) return b;
    if (b.month < month) {
      const created = { month, spendMinor: 0, points: 0, visits: 0 };
      months.splice(i + 1, 0, created);
      return created;
    }
  }
  const created = { month, spendMinor: 0, points: 0, visits: 0 };
  months.unshift(created);
  return created;
}

/** The metric over the window ending in the month of `at`. */
export function metricAt(state: LoyaltyState, tiers: Tiers, at: string): number {
  const last = localMonth(at);
  const first = monthsBefore(last, tiers.windowMonths - 1);
  let total = 0;
  for (const b of state.months) {
    if (b.month < first || b.month > last) continue;
    total +=
      tiers.metric === 'spend' ? b.spendMinor : tiers.metric === 'points' ? b.points : b.visits;
  }
  return total;
}

/** The highest level whose threshold `metric` reaches. */
export function levelFor(tiers: Tiers, metric: number): number {
  let level = 0;
  const levels = tiers.levels;
  for (let i = 0; i < levels.length; i++)
    if (metric >= (levels[i] as Tiers['levels'][number]).threshold) level = i;
  return level;
}

/** Buckets older than any window will ask for are dropped. */
export function pruneMonths(state: LoyaltyState, tiers: Tiers | undefined, now: string) {
  const keep = Math.max(tiers?.windowMonths ?? 12, 12);
  const oldest = monthsBefore(localMonth(now), keep);
  while (state.months.length > 0 && (state.months[0] as MonthBucket).month < oldest) {
    state.months.shift();
  }
}

export function startTiers(state: LoyaltyState, tiers: Tiers, firstEventAt: string): TierState {
  state.tier ??= {
    level: 0,
    base: 0,
    peak: 0,
    reviewAt: addMonths(firstEventAt, tiers.reviewMonths),
    since: firstEventAt,
  };
  return state.tier;
}

const idOf = (tiers: Tiers, level: number): string => tiers.levels[level]?.id ?? `level-${level}`;

/**
 * After the metric changed at `at`: a rise upgrades at once (and ends a grace period the
 * customer has now qualified out of); after a return, the peak falls back to what the metric
 * gives, so an upgrade the returned sale caused is undone.
 */
export function reassess(
  state: LoyaltyState,
  tiers: Tiers,
  at: string,
  cause: 'sale' | 'return',
): TierChange | undefined {
  const tier = state.tier;
  if (!tier) return undefined;
  const metricLevel = levelFor(tiers, metricAt(state, tiers, at));
  const before = tier.level;
  if (cause === 'sale') tier.peak = Math.max(tier.peak, metricLevel);
  else tier.peak = Math.max(tier.base, metricLevel);
  tier.level = Math.max(tier.base, tier.peak);
  if (tier.graceUntil !== undefined && metricLevel >= tier.level) tier.graceUntil = undefined;
  if (tier.level === before) return undefined;
  tier.since = at;
  return {
    from: idOf(tiers, before),
    to: idOf(tiers, tier.level),
    reason: tier.level > before ? 'upgrade' : 'return',
    at,
  };
}

/** Runs the reviews and grace periods due by `now`, oldest first. */
export function reviewTiers(state: LoyaltyState, tiers: Tiers, now: string): TierChange[] {
  const tier = state.tier;
  if (!tier) return [];
  const changes: TierChange[] = [];
  const t = instantMs(now);
  for (;;) {
    const grace =
      tier.graceUntil !== undefined ? instantMs(tier.graceUntil) : Number.POSITIVE_INFINITY;
    const review = instantMs(tier.reviewAt);
    if (Math.min(grace, review) > t) break;
    if (grace <= review) {
      const at = tier.graceUntil as string;
      tier.graceUntil = undefined;
      const change = downgrade(state, tiers, at);
      if (change) changes.push(change);
      continue;
    }
    const at = tier.reviewAt;
    tier.reviewAt = addMonths(at, tiers.reviewMonths);
    const metricLevel = levelFor(tiers, metricAt(state, tiers, at));
    if (metricLevel >= tier.level || tiers.levels[tier.level]?.neverDowngrade) {
      tier.base = tier.level;
      tier.peak = tier.level;
      continue;
    }
    if (tiers.graceDays > 0) {
      tier.graceUntil = addDays(at, tiers.graceDays);
      continue;
    }
    const change = downgrade(state, tiers, at);
    if (change) changes.push(change);
  }
  return changes;
}

function downgrade(state: LoyaltyState, tiers: Tiers, at: string): TierChange | undefined {
  const tier = state.tier as TierState;
  const metricLevel = levelFor(tiers, metricAt(state, tiers, at));
  const before = tier.level;
  let target = tiers.downgrade === 'one-level' ? Math.max(metricLevel, before - 1) : metricLevel;
  target = Math.min(target, before);
  tier.base = target;
  tier.peak = target;
  tier.level = target;
  if (target === before) return undefined;
  tier.since = at;
  return { from: idOf(tiers, before), to: idOf(tiers, target), reason: 'downgrade', at };
}

/** What the customer sees of the next tier: its id and the metric still missing. */
export function nextTier(
  state: LoyaltyState,
  tiers: Tiers,
  at: string,
): { id: string; missing: number; metric: Tiers['metric'] } | undefined {
  const level = state.tier?.level ?? 0;
  const next = tiers.levels[level + 1];
  if (!next) return undefined;
  return {
    id: next.id,
    missing: Math.max(0, next.threshold - metricAt(state, tiers, at)),
    metric: tiers.metric,
  };
}

/**
 * The tier the customer will hold after the next review (or the grace period running now) if
 * the metric stays where it is: what "keep spending to keep Gold" is about.
 */
export function projectedTier(
  state: LoyaltyState,
  tiers: Tiers,
  at: string,
): { id: string; at: string } | undefined {
  const tier = state.tier;
  if (!tier) return undefined;
  const metricLevel = levelFor(tiers, metricAt(state, tiers, at));
  let level = tier.level;
  if (metricLevel < level && !tiers.levels[level]?.neverDowngrade) {
    level = tiers.downgrade === 'one-level' ? Math.max(metricLevel, level - 1) : metricLevel;
  }
  return { id: idOf(tiers, level), at: tier.graceUntil ?? tier.reviewAt };
}

export function tierId(state: LoyaltyState, tiers: Tiers | undefined): string | undefined {
  return tiers ? idOf(tiers, state.tier?.level ?? 0) : undefined;
}
