/**
 * A customer's state as the customer workflow carries it. Plain JSON only (no Map, no Date), so
 * it survives Temporal's payload converter and continue-as-new unchanged (`CustomerAccount` works
 * on it in place, in its own form, between the two).
 */

import type { LifecycleMemory } from '../lifecycle/occasions.ts';
import type { BaseEarnProgram } from '../loyalty/base-earn.ts';
import type { LoyaltyBookState } from '../loyalty/book.ts';
import { carryState } from '../loyalty/carried-state.ts';
import type { LoyaltyOutlook } from '../loyalty/evaluator.ts';
import { initialLoyaltyState } from '../loyalty/state.ts';
import type { SegmentMemory } from '../segments/membership.ts';
import type { CustomerSummary } from './summary.ts';

export type CustomerType = NonNullable<CustomerSummary['customerType']>;
export type ServiceContact = CustomerSummary['service']['recent'][number];
export type CampaignResponse = CustomerSummary['campaigns']['recent'][number];

/** A merge as each side records it: the merge's id, the other customer, when. */
export interface MergeRecord {
  mergeId: string;
  customerId: string;
  at: string;
}

/** How many service contacts and campaign responses the record keeps in full. */
export const RECENT_KEPT = 5;

export interface CustomerState {
  customerId: string;
  /** The base earn rate: the rules before (or without) a published loyalty program. */
  program: BaseEarnProgram;
  registeredAt?: string;
  /** The member's account number (`00000042`), once registered through the identity service. */
  accountNumber?: string;
  consent?: { email: boolean; sms: boolean; post: boolean; profiling: boolean };
  /** The retailer's classification, from the registration and profile changes (not personal). */
  customerType?: CustomerType;
  preferredStoreId?: string;
  /** Contacts with customer service: how many, and the latest few (newest last). */
  service?: { contacts: number; recent: ServiceContact[] };
  /** Responses to campaigns: how many, and the latest few (newest last). */
  campaigns?: { responses: number; recent: CampaignResponse[] };
  visits: number;
  spendMinor: number;
  firstPurchaseAt?: string;
  lastPurchaseAt?: string;
  pointsBalance: number;
  /** Visits per calendar month (UTC), latest month only: `{ month: '2026-11', count: 3 }`. */
  monthVisits: { month: string; count: number };
  eventsApplied: number;
  /** This customer was merged into another: events and requests go there now. */
  mergedInto?: MergeRecord & { settled?: boolean };
  /** Customers merged into this one (each merge once). */
  mergedFrom?: (MergeRecord & { points: number })[];
  /** What the lifecycle rules fired, and the purchases they watch (`lifecycle/occasions.ts`). */
  lifecycle?: LifecycleMemory;
  /** The segments the customer is in, and the purchases they measure (`segments/membership.ts`). */
  segments?: SegmentMemory;
  /** A merge into this customer under way: no merge may take this customer elsewhere meanwhile. */
  absorbing?: { mergeId: string; customerId: string };
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

/** What a till, the web shop or an engineer sees of a customer (`summary.ts`). */
export type CustomerSnapshot = CustomerSummary;

const DAY_MS = 86_400_000;

/** The customer's summary at `now` (their clock), from their figures and the program's outlook. */
export function snapshotOf(
  state: CustomerScalars,
  outlook: LoyaltyOutlook,
  now: string,
  waiting: CustomerSummary['waitingCues'] = [],
): CustomerSummary {
  const { programVersion, ...loyalty } = outlook;
  const summary: CustomerSummary = {
    customerId: state.customerId,
    visits: state.visits,
    visitsThisMonth: state.monthVisits.count,
    spendMinor: state.spendMinor,
    pointsBalance: state.pointsBalance,
    eventsApplied: state.eventsApplied,
    programVersion,
    loyalty,
    service: { contacts: state.service?.contacts ?? 0, recent: state.service?.recent ?? [] },
    campaigns: {
      responses: state.campaigns?.responses ?? 0,
      recent: state.campaigns?.recent ?? [],
    },
    asOf: now,
  };
  // Optional fields only when known: the summary is stored and compared as JSON.
  if (state.accountNumber) summary.accountNumber = state.accountNumber;
  if (state.registeredAt) summary.registeredAt = state.registeredAt;
  if (state.customerType) summary.customerType = state.customerType;
  if (state.preferredStoreId) summary.preferredStoreId = state.preferredStoreId;
  if (state.firstPurchaseAt) summary.firstPurchaseAt = state.firstPurchaseAt;
  if (state.lastPurchaseAt) summary.lastPurchaseAt = state.lastPurchaseAt;
  if (state.mergedInto) summary.mergedInto = state.mergedInto.customerId;
  if (waiting.length > 0) summary.waitingCues = waiting;
  if (state.mergedFrom?.length) summary.mergedFrom = state.mergedFrom.map((m) => m.customerId);
  if (state.visits > 0) summary.averageReceiptMinor = Math.floor(state.spendMinor / state.visits);
  if (state.visits > 1 && state.firstPurchaseAt && state.lastPurchaseAt) {
    const span = Date.parse(state.lastPurchaseAt) - Date.parse(state.firstPurchaseAt);
    summary.meanDaysBetweenVisits = Math.round((span / DAY_MS / (state.visits - 1)) * 10) / 10;
  }
  for (const key of ['tier', 'nextTier', 'projectedTier', 'expiringSoon'] as const) {
    if (summary.loyalty[key] === undefined) delete summary.loyalty[key];
  }
  return summary;
}
