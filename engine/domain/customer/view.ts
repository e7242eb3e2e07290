/**
 * The customer 360 view: one answer for identity, profile, cards, the live summary and the long
 * history, over HTTP (`GET /v1/customers/:id`), NATS (`svc.customer.view`) and the till
 * (`customer:view`). What a caller sees depends on its scope, set by the gateway from who is
 * asking, never by the caller: a till or a store's token gets everything but the profile (no
 * personal data); the back office gets the profile and its history too.
 */
import { z } from 'zod';
import { errorAnswer } from '../error-codes.ts';
import { channel, customerId, instant, profile, storeId, tillId } from '../events.ts';
import { fraudFlag } from '../fraud/messages.ts';
import { accountNumber } from '../identity/account-number.ts';
import { cardNumber } from '../identity/card-number.ts';
import { cardChange, cardView, identificationCue } from '../identity/messages.ts';
import { customerHistory } from './history.ts';
import { customerSummary } from './summary.ts';

/** One change to a profile as its history keeps it: which fields, when, where, by whom; no values. */
export const profileChangeRecord = z.strictObject({
  eventId: z.string(),
  occurredAt: instant,
  channel,
  storeId,
  operatorId: z.string().optional(),
  fields: z.array(z.string()),
});

export const viewScope = z.enum(['till', 'full']);
export type ViewScope = z.infer<typeof viewScope>;

/** A view as the customer view service receives it: the gateway sets the scope and the caller. */
export const viewRequest = z.strictObject({
  customerId,
  scope: viewScope,
  channel,
  storeId,
  tillId: tillId.optional(),
});
export type ViewRequest = z.infer<typeof viewRequest>;

/** What a till sends (`customer:view`): the customer it identified. */
export const tillViewRequest = z.strictObject({ customerId });

export const customerView = z.strictObject({
  ok: z.literal(true),
  customerId,
  scope: viewScope,
  accountNumber: accountNumber.optional(),
  /**
   * This record was merged into that customer (and when): everything it held is there now, and
   * this answer holds nothing else. Ask for that customer.
   */
  mergedInto: z.strictObject({ customerId, mergeId: z.string(), at: instant }).optional(),
  /** Every card issued to the customer, with its status (a replaced one names its successor). */
  cards: z.array(
    cardView.extend({
      issuedAt: instant,
      changedAt: instant,
      replacedBy: cardNumber.optional(),
      /** Its latest changes of status: who made each, why, when. */
      changes: z.array(cardChange).optional(),
    }),
  ),
  /** The profile (`full` scope only): personal data. */
  profile: profile.optional(),
  /** Which profile fields changed when, through which channel (`full` scope only; no values). */
  profileHistory: z.array(profileChangeRecord).optional(),
  /**
   * The customer's household: its members with their points (from their summaries) and, where
   * the program pools points, what the customer may spend of the household's.
   */
  household: z
    .strictObject({
      householdId: z.string(),
      pooling: z.boolean(),
      members: z.array(
        z.strictObject({
          customerId,
          accountNumber: accountNumber.optional(),
          balance: z.number().int(),
          spendable: z.number().int(),
        }),
      ),
      /** The members' spendable points together (what a member may spend when pooling). */
      spendable: z.number().int(),
    })
    .optional(),
  /** The live figures, as of the customer's last delivered event. */
  summary: customerSummary.optional(),
  /** The long history from the analytics store. */
  history: customerHistory.optional(),
  /** Parts that could not be read just now (the analytics store did not answer): ask again. */
  missing: z.array(z.enum(['history'])).optional(),
  /** What to tell the person serving the customer. */
  cues: z.array(identificationCue),
  /** Anti-fraud flags on the customer or their cards, newest first, with their evidence. */
  fraudFlags: z.array(fraudFlag).optional(),
});
export type CustomerView = z.infer<typeof customerView>;

export const customerViewAnswer = z.union([customerView, errorAnswer]);
export type CustomerViewAnswer = z.infer<typeof customerViewAnswer>;
