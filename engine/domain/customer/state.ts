/**
 * A customer's state as the customer workflow holds it. Plain JSON only (no Map, no Date), so it
 * survives Temporal's payload converter and continue-as-new unchanged.
 */
import type { BaseEarnProgram } from '../loyalty/base-earn.ts';
import type { LoyaltyBookState } from '../loyalty/book.ts';
import type { LoyaltyOutlook } from '../loyalty/evaluator.ts';

/** What the customer workflow remembers of a recent sale, so a return can reverse it exactly. */
export interface TransactionMemory {
  netMinor: number;
  refundedMinor: number;
  pointsEarned: number;
  pointsReversed: number;
  /**
   * Of `pointsReversed`, what the loyalty program's return policy let the customer keep (a sale
   * earned at the base rate, returned after the customer came under a program).
   */
  pointsForgiven?: number;
}

export interface CustomerState {
  customerId: string;
  program: BaseEarnProgram;
  registeredAt?: string;
  consent?: { email: boolean; sms: boolean; post: boolean; profiling: boolean };
  visits: number;
  spendMinor: number;
  firstPurchaseAt?: string;
  lastPurchaseAt?: string;
  pointsBalance: number;
  /** Visits per calendar month (UTC), latest month only: `{ month: '2026-11', count: 3 }`. */
  monthVisits: { month: string; count: number };
  /** Recent sales by transaction id, oldest first, at most `limits.transactions`. */
  transactions: Record<string, TransactionMemory>;
  transactionOrder: string[];
  /**
   * Refunds of sales not (yet) seen, by the sale's transaction id: settled when the sale
   * arrives, so a return that overtakes its sale still reverses exactly what the sale earned.
   */
  pendingReturns: Record<string, { refundedMinor: number }>;
  pendingReturnOrder: string[];
  /**
   * Ids of recently applied events other than sales, oldest first: an event seen again is
   * ignored. (States carried before sales were left out still list sales' ids; harmless.)
   */
  seenEventIds: string[];
  eventsApplied: number;
  /** The loyalty program's book (lots, tier, what sales earned), once a program is attached. */
  loyalty?: LoyaltyBookState;
}

/**
 * How much history the state keeps: bounded so it stays small across continue-as-new (about
 * 100 bytes a transaction, 40 an event id). A return of a sale older than the last 2,000 of that
 * customer's sales reverses nothing; a sale re-sent after 2,000 newer sales, or another event
 * re-sent after 2,000 newer returns and registrations, is not recognised.
 */
export const limits = {
  seenEventIds: 2000,
  transactions: 2000,
} as const;

export function initialState(customerId: string, program: BaseEarnProgram): CustomerState {
  return {
    customerId,
    program,
    visits: 0,
    spendMinor: 0,
    pointsBalance: 0,
    monthVisits: { month: '', count: 0 },
    transactions: {},
    transactionOrder: [],
    pendingReturns: {},
    pendingReturnOrder: [],
    seenEventIds: [],
    eventsApplied: 0,
  };
}

/** The state's plain fields, without the remembered ids, sales and early returns. */
export type CustomerScalars = Omit<
  CustomerState,
  | 'seenEventIds'
  | 'transactions'
  | 'transactionOrder'
  | 'pendingReturns'
  | 'pendingReturnOrder'
  | 'loyalty'
>;

/** What a till, the web shop or an engineer sees of a customer (the `snapshot` query). */
export interface CustomerSnapshot {
  customerId: string;
  registeredAt?: string;
  visits: number;
  visitsThisMonth: number;
  spendMinor: number;
  lastPurchaseAt?: string;
  pointsBalance: number;
  eventsApplied: number;
  /** The rules in force: the loyalty program's version, or the base earn rate's. */
  programVersion: string;
  /** Under a loyalty program: balances, tier, the next tier, points expiring soon. */
  loyalty?: Omit<LoyaltyOutlook, 'programVersion'>;
}

export function snapshotOf(state: CustomerScalars): CustomerSnapshot {
  return {
    customerId: state.customerId,
    registeredAt: state.registeredAt,
    visits: state.visits,
    visitsThisMonth: state.monthVisits.count,
    spendMinor: state.spendMinor,
    lastPurchaseAt: state.lastPurchaseAt,
    pointsBalance: state.pointsBalance,
    eventsApplied: state.eventsApplied,
    programVersion: state.program.version,
  };
}
