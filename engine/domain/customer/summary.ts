/**
 * The customer's summary: the live part of the 360 view, from the customer's own state. The
 * workflow answers it to the `snapshot` query and with each delivery the router asks it for; the
 * router keeps the latest in the summary store, so a till's identification reads it without a
 * round trip to the workflow. A zod schema (the JSON Schema goes to till vendors); the workflow
 * imports its type only.
 */
import { z } from 'zod';
import { nextTier } from '../effects.ts';
import {
  campaignAction,
  campaignId,
  channel,
  customerId,
  customerType,
  instant,
  senderId,
  serviceOutcome,
  serviceReason,
  storeId,
} from '../events.ts';
import { accountNumber } from '../identity/account-number.ts';

const points = z.number().int();
const minor = z.number().int();

export const customerSummary = z.strictObject({
  customerId,
  accountNumber: accountNumber.optional(),
  registeredAt: instant.optional(),
  customerType: customerType.optional(),
  preferredStoreId: storeId.optional(),
  /** Sales counted (a fully returned sale no longer counts), all time and this calendar month. */
  visits: z.number().int().min(0),
  visitsThisMonth: z.number().int().min(0),
  /** Net spend, all time, in the currency's minor units (less refunds). */
  spendMinor: minor,
  /** Net spend per visit, rounded down; absent before the first visit. */
  averageReceiptMinor: minor.optional(),
  firstPurchaseAt: instant.optional(),
  lastPurchaseAt: instant.optional(),
  /** Regularity: the mean number of days between visits (two visits at least). */
  meanDaysBetweenVisits: z.number().min(0).optional(),
  pointsBalance: points,
  eventsApplied: z.number().int().min(0),
  /** The rules in force: the loyalty program's version, or the base earn rate's. */
  programVersion: z.string(),
  loyalty: z.strictObject({
    balance: points,
    spendable: points,
    pending: points,
    tier: z.string().optional(),
    perks: z.array(z.string()),
    nextTier: nextTier.optional(),
    /** The tier after the next review (`at`) if the metric stays where it is. */
    projectedTier: z.strictObject({ id: z.string(), at: instant }).optional(),
    /**
     * Points whose expiry falls within the program's warning period, the first such date, and
     * the lots due to expire, soonest first (ten at most; `points` counts them all).
     */
    expiringSoon: z
      .strictObject({
        points,
        by: instant,
        lots: z.array(z.strictObject({ points, expiresAt: instant })),
      })
      .optional(),
  }),
  /** Contacts with customer service: how many, and the latest few. */
  service: z.strictObject({
    contacts: z.number().int().min(0),
    recent: z.array(
      z.strictObject({
        interactionId: senderId,
        occurredAt: instant,
        storeId,
        channel,
        reason: serviceReason,
        outcome: serviceOutcome,
        operatorId: senderId,
      }),
    ),
  }),
  /** Responses to campaigns: how many, and the latest few. */
  campaigns: z.strictObject({
    responses: z.number().int().min(0),
    recent: z.array(
      z.strictObject({
        responseId: senderId,
        occurredAt: instant,
        campaignId,
        action: campaignAction,
        offerId: senderId.optional(),
        transactionId: senderId.optional(),
      }),
    ),
  }),
  /** Lines left by lifecycle rules for the customer's next visit, until they go stale. */
  waitingCues: z
    .array(
      z.strictObject({
        ruleId: z.string(),
        occasion: z.string(),
        message: z.string(),
        until: instant,
      }),
    )
    .optional(),
  /** Customers merged into this one: their history is this customer's too. */
  mergedFrom: z.array(customerId).optional(),
  /** This record was merged into that customer: look there (nothing else here changes). */
  mergedInto: customerId.optional(),
  /** When the summary was made (the workflow's clock): spendable and expiring points are as of it. */
  asOf: instant,
});

export type CustomerSummary = z.infer<typeof customerSummary>;
