/**
 * What the loyalty rules take and give: the customer's events and the till's requests (redeem,
 * cancel a redemption), and what applying one caused (ledger lines, tier changes, triggers) and
 * answered (the result, a refusal, the outlook). Types only, and no zod: the customer workflow
 * imports them.
 */
import type { LedgerEntry } from '../effects.ts';
import type {
  CustomerRegistration,
  FieldIssue,
  PartnerAccrualEvent,
  PointsAdjustedEvent,
  ReturnEvent,
  SaleEvent,
} from '../events.ts';
import type { TierChange } from './tiers.ts';

/** A till or the web shop asks to pay part of a basket with points. */
export interface RedemptionRequest {
  type: 'redemption';
  /** Chosen by the till, unique: asking again with the same id gets the same answer. */
  redemptionId: string;
  customerId: string;
  points: number;
  /** The basket's total, in `currency`. */
  basketMinor: number;
  currency: string;
  channel: 'till' | 'web';
  storeId: string;
  tillId?: string;
  /** Spending at a partner rather than in the retailer's own shops. */
  partnerId?: string;
}

/** The till gives back a redemption it will not use (the customer paid otherwise). */
export interface RedemptionCancel {
  type: 'redemption.cancel';
  redemptionId: string;
  customerId: string;
}

export type LoyaltyInput =
  | SaleEvent
  | ReturnEvent
  | CustomerRegistration
  | PointsAdjustedEvent
  | PartnerAccrualEvent
  | RedemptionRequest
  | RedemptionCancel;

/** Why a redemption is refused, in the order the reasons are checked and listed. */
export const refusalReasons = [
  'not-positive',
  'channel-not-allowed',
  'unknown-partner',
  'currency-not-redeemable',
  'below-minimum',
  'insufficient-balance',
  'over-basket-share',
] as const;

export type RefusalReason = (typeof refusalReasons)[number];

export interface Refusal {
  /** The first reason that applies (`reasons[0]`). */
  reason: RefusalReason;
  /** For the person at the till: every reason's message, in order. */
  message: string;
  /** Every reason that applies, in the order of `refusalReasons`. */
  reasons: { reason: RefusalReason; message: string }[];
}

export type RedemptionCheck =
  | { ok: true; points: number; valueMinor: number }
  | ({ ok: false } & Refusal);

/** Something the customer's other rules, campaigns or messages may act on. */
export type LoyaltyTrigger =
  | { kind: 'points-expiring'; points: number; expiresAt: string }
  | { kind: 'points-expired'; points: number; at: string; cause: 'age' | 'inactivity' }
  | { kind: 'inactivity-expiry-coming'; points: number; expiresAt: string }
  | { kind: 'earn-refused'; eventId: string; cause: 'currency-not-in-program' | 'unknown-partner' }
  | { kind: 'adjustment-clipped'; eventId: string; asked: number; applied: number }
  /** A return dated after the sale's return period: it takes nothing back. */
  | { kind: 'return-after-period'; eventId: string; transactionId: string; periodDays: number }
  /** A return held for its sale could not be true of it once the sale came (more than sold). */
  | { kind: 'return-refused'; eventId: string; transactionId: string; issues: FieldIssue[] };

export interface LoyaltyEffects {
  ledger: LedgerEntry[];
  tierChanges: TierChange[];
  triggers: LoyaltyTrigger[];
}

export const noLoyaltyEffects = (): LoyaltyEffects => ({
  ledger: [],
  tierChanges: [],
  triggers: [],
});

/** What one input did, for the till's cue and the receipt. */
export interface LoyaltyResult {
  /**
   * `refused`: nothing was applied; a redemption says why in `refusal`, an event that cannot be
   * true of this customer (more returned than sold, a points tender no redemption granted) names
   * the fields in `issues`.
   */
  outcome: 'applied' | 'duplicate' | 'refused' | 'held';
  /** Points this input added (earned, restored) and took (reversed, redeemed), as positive numbers. */
  earned: number;
  redeemed: number;
  reversed: number;
  /** Money refunded on sales this input settled (a return, or a sale with returns held for it). */
  refundedMinor?: number;
  /** For a redemption: its value in the basket's currency; for a refusal, why. */
  valueMinor?: number;
  refusal?: Refusal;
  issues?: FieldIssue[];
}

/** What the customer sees: balances, tier, the next tier, points expiring soon. */
export interface LoyaltyOutlook {
  balance: number;
  spendable: number;
  pending: number;
  tier?: string;
  perks: string[];
  nextTier?: { id: string; missing: number; metric: 'spend' | 'points' | 'visits' };
  /** The tier after the next review (`at`) if the metric stays where it is. */
  projectedTier?: { id: string; at: string };
  expiringSoon?: { points: number; by: string };
  programVersion: string;
}
