/**
 * What every rule does when points move: a lot credited (paying any debt first, and bringing the
 * clock's due instant forward), a ledger line written at the balance after it, ids remembered so
 * an input applied again is a duplicate. Shared by accrual, returns, redemption and the clock.
 */
import type { LedgerEntry } from '../effects.ts';
import { addDays, addMonths, instantMs } from './arithmetic.ts';
import type { LoyaltyEffects, LoyaltyResult } from './contract.ts';
import { addLot } from './lots.ts';
import type { Program } from './program.ts';
import { balanceOf, type Lot, type LoyaltyState, loyaltyLimits, type SaleMemory } from './state.ts';
import { startTiers } from './tiers.ts';

export interface Run {
  state: LoyaltyState;
  program: Program;
  /** The input's time: an event's `occurredAt`, a request's receiving clock. */
  at: string;
  out: LoyaltyEffects;
  /** The program's segments the customer is in (earn rules with `when.segments` ask). */
  segments: readonly string[];
}

export const applied = (earned = 0, redeemed = 0, reversed = 0): LoyaltyResult => ({
  outcome: 'applied',
  earned,
  redeemed,
  reversed,
});

export const duplicate = (): LoyaltyResult => ({
  outcome: 'duplicate',
  earned: 0,
  redeemed: 0,
  reversed: 0,
});

/**
 * The id a sale is remembered by among the ids seen, once the book no longer remembers the sale
 * itself: by its transaction, so the same sale sent again under a till's new event id is still
 * known. (`/` is in no event or transaction id.)
 */
const saleKey = (transactionId: string): string => `sale/${transactionId}`;

/** A sale's memory, kept for its returns; a sale it pushes out stays known among the ids seen. */
export function rememberSale(state: LoyaltyState, memory: SaleMemory) {
  const sales = state.sales;
  if (!sales.has(memory.transactionId)) state.saleOrder.push(memory.transactionId);
  sales.set(memory.transactionId, memory);
  while (state.saleOrder.length > loyaltyLimits.sales) forgetOldestSale(state);
}

/** The oldest remembered sale goes; its transaction stays known among the ids seen. */
export function forgetOldestSale(state: LoyaltyState) {
  const transactionId = state.saleOrder.shift() as string;
  if (state.sales.delete(transactionId)) rememberForgottenSale(state, transactionId);
}

/** A sale no longer in `sales` stays known among the ids seen. */
export function rememberForgottenSale(state: LoyaltyState, transactionId: string) {
  state.salesInSeen = true;
  firstTime(state, saleKey(transactionId));
}

/** The sale was applied before: the book remembers it, or its transaction among the ids seen. */
export function saleSeen(state: LoyaltyState, transactionId: string): boolean {
  return (
    state.sales.has(transactionId) ||
    (state.salesInSeen === true && state.seen.has(saleKey(transactionId)))
  );
}

/** Remembers `value` by `id`, the oldest going once more than `limit` are kept. */
export function remember<V>(
  memory: Map<string, V>,
  order: string[],
  id: string,
  value: V,
  limit: number,
) {
  if (!memory.has(id)) order.push(id);
  memory.set(id, value);
  while (order.length > limit) memory.delete(order.shift() as string);
}

export const seenBefore = (state: LoyaltyState, id: string): boolean => state.seen.has(id);

/**
 * Marks an id seen; false if it was seen before. The one memory of what was applied (beside the
 * sales the book still remembers for their returns): a ring of `loyaltyLimits.seen` ids, the
 * newest taking the oldest's slot once full, so remembering costs the same for every event.
 */
export function firstTime(state: LoyaltyState, id: string): boolean {
  const seen = state.seen;
  if (seen.has(id)) return false;
  const order = state.seenOrder;
  const limit = loyaltyLimits.seen;
  if (order.length < limit) order.push(id);
  else {
    const slot = (state.seenNext ?? 0) % limit;
    seen.delete(order[slot] as string);
    order[slot] = id;
    state.seenNext = (slot + 1) % limit;
  }
  seen.add(id);
  return true;
}

export function noteFirstEvent(run: Run, at: string) {
  const { state, program } = run;
  state.firstEventAt ??= at;
  if (program.tiers && !state.tier) {
    // Reviews count from the customer's first event under tiers (for a customer who had events
    // before the program had tiers, from this one), and the first review is now due sooner
    // than anything the clock knew of: let it look again.
    startTiers(state, program.tiers, at);
    state.dueMs = undefined;
  }
}

export function ledgerLine(
  run: Run,
  line: Omit<LedgerEntry, 'customerId' | 'balanceAfter' | 'programVersion'> & {
    programVersion?: string;
  },
  balanceAfter = balanceOf(run.state),
): void {
  // The caller's fresh literal becomes the entry, its fields added in the order a copy with them
  // would have: copying it cost more than anything else a sale does.
  const entry = line as LedgerEntry;
  entry.customerId = run.state.customerId;
  entry.balanceAfter = balanceAfter;
  entry.programVersion = line.programVersion ?? run.program.version;
  run.out.ledger.push(entry);
}

export function newLot(
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

export const DAY_MS = 86_400_000;

/**
 * Adds a lot (paying any debt first) and brings the clock's next due instant forward if the lot
 * expires, or is to be warned about, before it: the due instant is kept incrementally, so an
 * event costs no scan of every lot.
 */
export function credit(run: Run, lot: Lot): number {
  const { state, program } = run;
  const { lotMonths, inactivityMonths } = program.expiry;
  const added = addLot(state, lot, lotMonths === undefined && inactivityMonths === undefined);
  // The first points start the inactivity clock: nothing was due before them.
  if (inactivityMonths !== undefined && state.dueMs === Number.POSITIVE_INFINITY) {
    state.dueMs = undefined;
  }
  if (lot.expiresAt !== undefined && state.dueMs !== undefined) {
    const warnAt = instantMs(lot.expiresAt) - program.expiry.warnDays * DAY_MS;
    if (warnAt < state.dueMs) state.dueMs = warnAt;
  }
  return added;
}

export function noteActivity(state: LoyaltyState, at: string) {
  if (state.lastActivityAt === undefined || instantMs(at) > instantMs(state.lastActivityAt)) {
    state.lastActivityAt = at;
  }
}

/**
 * Where the inactivity clock counts from: the last sale or redemption, or, for a customer who
 * has had neither, when their oldest points were earned (a welcome bonus, an adjustment).
 */
export function inactivitySince(state: LoyaltyState): string | undefined {
  // Lots are kept oldest first by when they were earned.
  return state.lastActivityAt ?? state.lots[0]?.earnedAt;
}
