/**
 * Merging two customers in their carried form (`CustomerState`, what a workflow's `toState()`
 * returns): the absorbed customer (an anonymous card, a web shopper) turns out to be the survivor.
 * Pure: no clock, no I/O; the inputs are never changed. Doing it once per merge id is the
 * caller's job.
 *
 * - Loyalty: `mergeLoyalty` (its rules are in `loyalty/merge.ts`). The program versions: the
 *   survivor's, then the absorbed customer's the survivor does not know, ordered and kept as the
 *   book keeps what it learns (`LoyaltyBook.learn`).
 * - The survivor's figures: visits, spend and events applied are summed; first purchase and
 *   registration the earliest, last purchase the latest; account number and consent the
 *   survivor's, else the absorbed customer's; this month's visits added when both count the same
 *   month, else the later month's count; the balance is the merged book's. Any other field is
 *   the survivor's.
 * - The absorbed customer keeps every figure as it was (its history stays readable) but holds
 *   no points: balance 0, a book without lots or debt.
 * - A ledger line on each side: `merge-in` at the survivor, `merge-out` at the absorbed customer,
 *   adding up to zero, so each customer's ledger still sums to their balance. Written when no
 *   points moved too (0 points): the ledger is where the log keeps every merge, and a rebuild of
 *   either customer from the log (`rebuild.ts`) needs it.
 */
import type { LedgerEntry } from '../effects.ts';
import { baseRateProgram } from '../loyalty/base-earn.ts';
import { LoyaltyBook, type LoyaltyBookState } from '../loyalty/book.ts';
import { carryState, restoreState } from '../loyalty/carried-state.ts';
import { emptied, mergeLoyalty } from '../loyalty/merge.ts';
import { balanceOf } from '../loyalty/state.ts';
import { CustomerAccount } from './account.ts';
import type { CustomerState } from './state.ts';

export interface CustomerMerge {
  /** The merge's id: the ledger lines' transaction, the caller's idempotency key. */
  mergeId: string;
  at: string;
  /** Where the ledger lines say the merge happened. */
  storeId: string;
  /** The program version the ledger lines are written under. */
  programVersion: string;
}

export interface MergedCustomers {
  survivor: CustomerState;
  absorbed: CustomerState;
  ledger: { survivor: LedgerEntry; absorbed: LedgerEntry };
}

/** A deep copy of plain JSON (the workflow sandbox has no structuredClone). */
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function mergeCustomers(
  survivorState: CustomerState,
  absorbedState: CustomerState,
  merge: CustomerMerge,
): MergedCustomers {
  if (survivorState.customerId === absorbedState.customerId) {
    throw new Error(`cannot merge customer ${survivorState.customerId} into itself`);
  }
  const survivor = withBook(survivorState);
  const absorbed = withBook(absorbedState);
  const survivorBook = survivor.loyalty as LoyaltyBookState;
  const absorbedBook = absorbed.loyalty as LoyaltyBookState;

  const merged = mergeLoyalty(
    restoreState(copy(survivorBook.state)),
    restoreState(copy(absorbedBook.state)),
    merge,
  );
  const book = LoyaltyBook.restore(
    { state: carryState(merged.survivor), programs: survivorBook.programs },
    baseRateProgram(survivor.program),
  );
  book.learn(absorbedBook.programs);
  const balance = book.balance;

  const nextSurvivor: CustomerState = {
    ...survivor,
    registeredAt: earliest(survivor.registeredAt, absorbed.registeredAt),
    accountNumber: survivor.accountNumber ?? absorbed.accountNumber,
    consent: survivor.consent ?? absorbed.consent,
    visits: survivor.visits + absorbed.visits,
    spendMinor: survivor.spendMinor + absorbed.spendMinor,
    firstPurchaseAt: earliest(survivor.firstPurchaseAt, absorbed.firstPurchaseAt),
    lastPurchaseAt: latest(survivor.lastPurchaseAt, absorbed.lastPurchaseAt),
    pointsBalance: balance,
    monthVisits: mergeMonthVisits(survivor.monthVisits, absorbed.monthVisits),
    eventsApplied: survivor.eventsApplied + absorbed.eventsApplied,
    loyalty: book.toState(),
  };
  const handed = handedOver(absorbed, merge);
  const moved = merged.moved;
  nextSurvivor.mergedFrom = [
    ...(survivor.mergedFrom ?? []),
    { mergeId: merge.mergeId, customerId: absorbed.customerId, at: merge.at, points: moved },
  ];
  if (nextSurvivor.absorbing?.mergeId === merge.mergeId) nextSurvivor.absorbing = undefined;
  const ledger = {
    survivor: mergeLine(survivor.customerId, 'merge-in', moved, balance, merge),
    absorbed: handed.ledger,
  };
  // Through JSON, as the states cross continue-as-new: nothing shared with the inputs.
  return { survivor: copy(nextSurvivor), absorbed: handed.absorbed, ledger };
}

/**
 * The absorbed customer's side of a merge, on its own (its workflow settles it once the survivor
 * has taken the points): every figure kept, no points left, and the `merge-out` line they left by
 * (0 points when there were none).
 */
export function handedOver(
  absorbedState: CustomerState,
  merge: CustomerMerge,
): { absorbed: CustomerState; ledger: LedgerEntry } {
  const absorbed = withBook(absorbedState);
  const book = absorbed.loyalty as LoyaltyBookState;
  const state = restoreState(copy(book.state));
  const moved = balanceOf(state);
  const next: CustomerState = {
    ...absorbed,
    pointsBalance: 0,
    loyalty: { state: carryState(emptied(state)), programs: book.programs },
  };
  if (next.mergedInto) next.mergedInto = { ...next.mergedInto, settled: true };
  const ledger = mergeLine(absorbed.customerId, 'merge-out', 0 - moved, 0, merge);
  return { absorbed: copy(next), ledger };
}

/** The state with its book: a state carried before every customer had one opens it first. */
function withBook(state: CustomerState): CustomerState {
  return state.loyalty ? state : CustomerAccount.restore(state).toState();
}

function mergeLine(
  customerId: string,
  kind: 'merge-in' | 'merge-out',
  points: number,
  balanceAfter: number,
  merge: CustomerMerge,
): LedgerEntry {
  return {
    entryId: `${customerId}/merge:${merge.mergeId}/${kind}`,
    customerId,
    eventId: `merge:${merge.mergeId}`,
    transactionId: `merge:${merge.mergeId}`,
    kind,
    revision: 0,
    points,
    balanceAfter,
    storeId: merge.storeId,
    occurredAt: merge.at,
    programVersion: merge.programVersion,
  };
}

/** Both count the same month: added; else the later month's count (`''`: none counted yet). */
function mergeMonthVisits(
  a: CustomerState['monthVisits'],
  b: CustomerState['monthVisits'],
): CustomerState['monthVisits'] {
  if (a.month === b.month) return { month: a.month, count: a.count + b.count };
  return a.month > b.month ? { ...a } : { ...b };
}

// Customer instants are compared as strings, as `CustomerAccount` compares them.
function earliest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b < a ? b : a;
}

function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b > a ? b : a;
}
