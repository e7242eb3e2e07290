/**
 * The customer's clock: what falls due with time alone (expiry warnings, lots expiring by age or
 * inactivity, tier reviews and grace periods), run in the order it fell due, each at its own
 * instant; when it is next due; and the memory no event can need any more.
 */
import { addDays, addMonths, instantMs, isoOf } from './arithmetic.ts';
import type { LoyaltyEffects } from './contract.ts';
import { removeLots } from './lots.ts';
import { DAY_MS, forgetOldestSale, inactivitySince, ledgerLine, type Run } from './posting.ts';
import type { Program } from './program.ts';
import { balanceOf, type Lot, type LoyaltyState, loyaltyLimits, timesOf } from './state.ts';
import { pruneMonths, reviewTiers } from './tiers.ts';

/**
 * Brings the customer's clock to `until`, in place: everything due by then (expiry warnings, lots
 * expiring by age or inactivity, tier reviews) happens in the order it fell due, each at its own
 * instant, so running the clock once over a long gap does what timers at every due instant
 * would have done. The clock never goes back.
 */
export function advance(state: LoyaltyState, program: Program, until: string, out: LoyaltyEffects) {
  const target = instantMs(until);
  if (state.clockMs === undefined || state.clockMs < target) {
    state.clockAt = until;
    state.clockMs = target;
  }
  for (;;) {
    const due = dueUnder(state, program);
    if (due > target) return;
    runDue(state, program, isoOf(due), out);
    const next = nextDue(state, program);
    state.dueMs = next;
    // Every step settles what was due at its instant; a due instant that did not move on
    // would be a rule that never settles: stop rather than spin.
    if (next <= due) return;
  }
}

/**
 * The cached due instant in ms (`Infinity` when nothing is), worked out again when unknown or
 * kept under another version (whose expiry, inactivity or tier terms may differ).
 */
export function dueUnder(state: LoyaltyState, program: Program): number {
  if (state.dueMs === undefined || state.dueVersion !== program.version) {
    state.dueMs = nextDue(state, program);
    state.dueVersion = program.version;
  }
  return state.dueMs;
}

/** What is due at `now` (the earliest due instant): one step of `advance`. */
export function runDue(state: LoyaltyState, program: Program, now: string, out: LoyaltyEffects) {
  const t = instantMs(now);
  const { warnDays, inactivityMonths } = program.expiry;
  const run: Run = { state, program, at: now, out, segments: [] };

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
    expireLots(
      run,
      removeLots(state, (lot) => timesOf(lot).expires <= t),
      'age',
    );
  }

  const since = inactivitySince(state);
  if (inactivityMonths !== undefined && since !== undefined && state.lots.length > 0) {
    const deadline = addMonths(since, inactivityMonths);
    if (instantMs(deadline) <= t) {
      expireLots(
        run,
        removeLots(state, () => true),
        'inactivity',
        deadline,
      );
    } else if (
      state.inactivityWarnedFor !== since &&
      instantMs(addDays(deadline, -warnDays)) <= t
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

export function expireLots(
  run: Run,
  lots: readonly Lot[],
  cause: 'age' | 'inactivity',
  at?: string,
) {
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
export function forgetOld(state: LoyaltyState, program: Program, latest: string) {
  pruneMonths(state, program.tiers, latest);
  const horizon = instantMs(latest) - program.returns.periodDays * DAY_MS;
  while (state.saleOrder.length > 0) {
    const sale = state.sales.get(state.saleOrder[0] as string);
    if (
      sale &&
      instantMs(sale.occurredAt) >= horizon &&
      state.saleOrder.length <= loyaltyLimits.sales
    )
      break;
    forgetOldestSale(state);
  }
  const oldestDay = isoOf(horizon).slice(0, 10);
  for (const day of state.dayUsage.keys()) {
    if (day < oldestDay) state.dayUsage.delete(day);
  }
}

/**
 * The earliest instant something is due for this customer, in ms (`Infinity` when nothing is):
 * the workflow sleeps until then.
 */
export function nextDue(state: LoyaltyState, program: Program): number {
  let due: number = Number.POSITIVE_INFINITY;
  const consider = (instant: string | undefined) => {
    if (instant === undefined) return;
    const t = instantMs(instant);
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
  return due;
}
