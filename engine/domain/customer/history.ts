/**
 * The customer's long history, as the analytics store answers it for the 360 view: spend and
 * margin all time and over the last 12 months, categories, stores and channels, the latest
 * transactions, service contacts and campaign responses, and the points ledger's totals. A zod
 * schema: it crosses NATS (the analytics store's process answers it) and goes to till vendors.
 *
 * Amounts are minor units summed over the customer's sales and returns as they were rung up;
 * margin is net sales less the cost of the goods kept (a returned line's cost comes back).
 */
import { z } from 'zod';
import {
  campaignAction,
  channel,
  customerId,
  instant,
  serviceOutcome,
  serviceReason,
} from '../events.ts';

const minor = z.number().int();
const count = z.number().int().min(0);
const share = z.number().min(0).max(1);

export const customerHistory = z.strictObject({
  /** The analytics store's clock when it answered: the 12 months end here. */
  asOf: instant,
  lifetime: z.strictObject({
    spendMinor: minor,
    marginMinor: minor,
    sales: count,
    returns: count,
  }),
  last12Months: z.strictObject({
    spendMinor: minor,
    marginMinor: minor,
    sales: count,
    returns: count,
  }),
  /** Net spend by category, all time, largest first (ten at most). */
  categories: z.array(z.strictObject({ category: z.string(), spendMinor: minor, share })),
  /** Store affinity: sales by store, all time, most visited first (ten at most). */
  stores: z.array(z.strictObject({ storeId: z.string(), sales: count, share })),
  /** Channel mix: sales and net spend by channel, all time. */
  channels: z.array(z.strictObject({ channel, sales: count, spendMinor: minor })),
  /** The latest sales and returns, newest first (ten at most). */
  recentTransactions: z.array(
    z.strictObject({
      transactionId: z.string(),
      type: z.enum(['sale', 'return']),
      occurredAt: instant,
      storeId: z.string(),
      channel,
      totalMinor: minor,
    }),
  ),
  /** The latest service contacts, newest first (ten at most; the notes stay out). */
  serviceInteractions: z.array(
    z.strictObject({
      interactionId: z.string(),
      occurredAt: instant,
      storeId: z.string(),
      channel,
      reason: serviceReason,
      outcome: serviceOutcome,
    }),
  ),
  /** The latest campaign responses, newest first (ten at most). */
  campaignResponses: z.array(
    z.strictObject({
      responseId: z.string(),
      occurredAt: instant,
      campaignId: z.string(),
      action: campaignAction,
      offerId: z.string().optional(),
    }),
  ),
  /**
   * The points ledger's totals. Accrued (earned, bonuses, partner points, restored and cancelled
   * redemptions), spent, written off by expiry and taken back by returns are counted up; adjusted
   * (by the service desk), merged (from customers merged into this one, less what left it in
   * one) and pooled (from household members, less what went to them) are signed.
   */
  points: z.strictObject({
    accrued: count,
    spent: count,
    expired: count,
    reversed: count,
    adjusted: z.number().int(),
    merged: z.number().int(),
    pooled: z.number().int(),
  }),
});

export type CustomerHistory = z.infer<typeof customerHistory>;

/**
 * What the analytics store is asked: one customer's history as of `asOf` (its clock if absent),
 * with the customers merged into them (their events are stored under their own ids).
 */
export const historyRequest = z.strictObject({
  customerIds: z.array(customerId).min(1).max(100),
  asOf: instant.optional(),
});
export type HistoryRequest = z.infer<typeof historyRequest>;
