/**
 * A customer's state as the customer workflow carries it. Plain JSON only (no Map, no Date), so
 * it survives Temporal's payload converter and continue-as-new unchanged (`CustomerAccount` works
 * on it in place, in its own form, between the two).
 */
import type { BaseEarnProgram } from '../loyalty/base-earn.ts';
import type { LoyaltyBookState } from '../loyalty/book.ts';
import { carryState } from '../loyalty/carried-state.ts';
import type { LoyaltyOutlook } from '../loyalty/evaluator.ts';
import { initialLoyaltyState } from '../loyalty/state.ts';

export interface CustomerState {
  customerId: string;
  /** The base earn rate: the rules before (or without) a published loyalty program. */
  program: BaseEarnProgram;
  registeredAt?: string;
  /** The member's account number (`00000042`), once registered through the identity service. */
  accountNumber?: string;
  consent?: { email: boolean; sms: boolean; post: boolean; profiling: boolean };
  visits: number;
  spendMinor: number;
  firstPurchaseAt?: string;
  lastPurchaseAt?: string;
  pointsBalance: number;
  /** Visits per calendar month (UTC), latest month only: `{ month: '2026-11', count: 3 }`. */
  monthVisits: { month: string; count: number };
  eventsApplied: number;
  /**
   * The customer's loyalty book: points as lots, what recent sales earned, the ids of the
   * events applied. (Absent in states carried from before every customer had one.)
   */
  loyalty?: LoyaltyBookState;
}

/**
 * A state as carried before every customer had a book: the base earn rate's memories beside the
 * scalars. `CustomerAccount.restore` takes it over: the remembered ids and sales' transactions
 * go into the book's memory of what was applied, the balance into an opening lot.
 */
export interface CarriedBeforeBook {
  seenEventIds?: string[];
  transactionOrder?: string[];
}

export function initialState(customerId: string, program: BaseEarnProgram): CustomerState {
  return {
    ...initialScalars(customerId, program),
    loyalty: { state: carryState(initialLoyaltyState(customerId)), programs: [] },
  };
}

/** A new customer's plain fields (a new account opens its book directly). */
export function initialScalars(customerId: string, program: BaseEarnProgram): CustomerScalars {
  return {
    customerId,
    program,
    visits: 0,
    spendMinor: 0,
    pointsBalance: 0,
    monthVisits: { month: '', count: 0 },
    eventsApplied: 0,
  };
}

/** The state's plain fields, without the book. */
export type CustomerScalars = Omit<CustomerState, 'loyalty'>;

/** What a till, the web shop or an engineer sees of a customer (the `snapshot` query). */
export interface CustomerSnapshot {
  customerId: string;
  accountNumber?: string;
  registeredAt?: string;
  visits: number;
  visitsThisMonth: number;
  spendMinor: number;
  lastPurchaseAt?: string;
  pointsBalance: number;
  eventsApplied: number;
  /** The rules in force: the loyalty program's version, or the base earn rate's. */
  programVersion: string;
  /** Balances, tier, the next tier, points expiring soon. */
  loyalty: Omit<LoyaltyOutlook, 'programVersion'>;
}

export function snapshotOf(state: CustomerScalars, outlook: LoyaltyOutlook): CustomerSnapshot {
  const { programVersion, ...loyalty } = outlook;
  return {
    customerId: state.customerId,
    accountNumber: state.accountNumber,
    registeredAt: state.registeredAt,
    visits: state.visits,
    visitsThisMonth: state.monthVisits.count,
    spendMinor: state.spendMinor,
    lastPurchaseAt: state.lastPurchaseAt,
    pointsBalance: state.pointsBalance,
    eventsApplied: state.eventsApplied,
    programVersion,
    loyalty,
  };
}
