/**
 * What the loyalty rules take and give: the customer's events and the till's requests (redeem,
 * cancel a redemption), and what applying one caused (ledger lines, tier changes, triggers) and
 * answered (the result, a refusal, the outlook). Types only, and no zod: the customer workflow
 * imports them.
 */
import type { LedgerEntry, LoyaltyTriggerMessage } from '../effects.ts';
import type { RedemptionRefusalCode } from '../error-codes.ts';
import type {
  CustomerRegistration,
  FieldIssue,
  PartnerAccrualEvent,
  PointsAdjustedEvent,
  RecordEvent,
  ReturnEvent,
  SaleEvent,
} from '../events.ts';
import type { CancelRedemptionRequest, RedeemRequest } from '../redemption.ts';
import type { TierChange } from './tiers.ts';

/** A till or the web shop asks to pay part of a basket with points (`redeemRequest`). */
export type RedemptionRequest = RedeemRequest & { type: 'redemption' };

/** The till gives back a redemption it will not use (the customer paid otherwise). */
export type RedemptionCancel = Pick<CancelRedemptionRequest, 'redemptionId' | 'customerId'> & {
  type: 'redemption.cancel';
};

export type LoyaltyInput =
  | SaleEvent
  | ReturnEvent
  | CustomerRegistration
  | PointsAdjustedEvent
  | PartnerAccrualEvent
  | RecordEvent
  | RedemptionRequest
  | RedemptionCancel;

/** Why a redemption is refused: codes of the error table, in the order they are checked. */
export type RefusalReason = RedemptionRefusalCode;

export interface Refusal {
  /** The first reason that applies (`reasons[0]`). */
  reason: RefusalReason;
  /** For the person at the till: every reason's message, in order. */
  message: string;
  /** Every reason that applies, in the order of `redemptionRefusalCodes`, with its field. */
  reasons: { reason: RefusalReason; field: string; message: string }[];
}

export type RedemptionCheck =
  | { ok: true; points: number; valueMinor: number }
  | ({ ok: false } & Refusal);

/** Each kind of trigger without its customer: the account adds whose it is. */
type WithoutCustomer<T> = T extends unknown ? Omit<T, 'customerId'> : never;

/** Something the customer's other rules, campaigns or messages may act on (`loyaltyTrigger`). */
export type LoyaltyTrigger = WithoutCustomer<LoyaltyTriggerMessage>;

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
  /** Points whose expiry falls within the warning period, the first date, the soonest lots. */
  expiringSoon?: { points: number; by: string; lots: { points: number; expiresAt: string }[] };
  programVersion: string;
}
