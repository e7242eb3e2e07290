/**
 * What the anti-fraud watch reads and what it raises. The identity and redemption services
 * publish each look-up and each redemption at a till or the web shop as a card activity (stream
 * `ACTIVITY`, kept for the rules' windows only); the watch raises a flag on the card, the
 * customer or the till, with the activities that tripped the rule as its evidence (stream
 * `FRAUD`, and the flag store the 360 view and the till's identification read).
 *
 * Card numbers are pseudonymous identifiers, kept in message bodies only, never in a subject.
 */
import { z } from 'zod';
import { errorAnswer } from '../error-codes.ts';
import { channel, customerId, instant, storeId, tillId } from '../events.ts';
import { cardNumber } from '../identity/card-number.ts';
import { cardStatus } from '../identity/card-status.ts';
import { changeReason, staffId } from '../identity/messages.ts';

const where = { at: instant, storeId, tillId: tillId.optional(), channel };

/** A look-up at a till or the web shop: by what, and what it found. */
export const lookUpActivity = z.strictObject({
  kind: z.literal('look-up'),
  ...where,
  identifier: z.enum(['card', 'account', 'phone', 'email']),
  /** The card read, when a card was (a misread one is not a number). */
  cardNumber: cardNumber.optional(),
  customerId: customerId.optional(),
  /** `refused`: a card that may not be used (its status says why); `unknown`: nobody holds it. */
  outcome: z.enum(['found', 'refused', 'unknown', 'invalid']),
  cardStatus: cardStatus.optional(),
});

/** A redemption asked for: granted or refused (the first reason's code). */
export const redemptionActivity = z.strictObject({
  kind: z.literal('redemption'),
  ...where,
  redemptionId: z.string().min(1),
  customerId,
  /** The card the customer presented, when the till says. */
  cardNumber: cardNumber.optional(),
  points: z.number().int(),
  outcome: z.enum(['granted', 'refused']),
  code: z.string().optional(),
});

export type LookUpActivity = z.infer<typeof lookUpActivity>;

export const cardActivity = z.discriminatedUnion('kind', [lookUpActivity, redemptionActivity]);
export type CardActivity = z.infer<typeof cardActivity>;

export const fraudRuleId = z.enum([
  'redemption-velocity',
  'impossible-travel',
  'till-misses',
  'lost-card-use',
]);
export type FraudRuleId = z.infer<typeof fraudRuleId>;

export const fraudFlag = z.strictObject({
  /** `<rule>-<activity sequence>`: the watch raises it once however often it reads the activity. */
  flagId: z.string().min(1),
  rule: fraudRuleId,
  /** When the activity that tripped the rule happened. */
  at: instant,
  /** What the flag is on: a card and its holder, a customer, or a till. */
  cardNumber: cardNumber.optional(),
  customerId: customerId.optional(),
  till: z.strictObject({ storeId, tillId: tillId.optional(), channel }).optional(),
  /** For staff: what happened, in a line. */
  message: z.string(),
  /** The activities that tripped the rule, oldest first (at least one). */
  evidence: z.array(cardActivity).min(1),
  /** For the travel rule: how far apart and how fast. */
  travel: z
    .strictObject({ distanceKm: z.number(), minutes: z.number(), speedKmh: z.number() })
    .optional(),
  action: z.enum(['flag', 'block']),
  status: z.enum(['open', 'resolved']),
  /** Who resolved it (unblocking the card resolves its flags), why and when. */
  resolution: z.strictObject({ operatorId: staffId, reason: changeReason, at: instant }).optional(),
});
export type FraudFlag = z.infer<typeof fraudFlag>;

/** A till's place: its store, till (none on the web) and channel. */
export type Place = Pick<CardActivity, 'storeId' | 'tillId' | 'channel'>;

/** The place of a request or activity, without its other fields. */
export const placeOf = (from: Place): Place => ({
  storeId: from.storeId,
  ...(from.tillId !== undefined && { tillId: from.tillId }),
  channel: from.channel,
});

/**
 * Where a flag was raised: its till, or where the last use that tripped it happened (a travel
 * flag's second store). The stream subject, the store's list, the alerted till and ClickHouse's
 * `store_id` all say this place.
 */
export function flagPlace(flag: FraudFlag): Place {
  return placeOf(flag.till ?? (flag.evidence[flag.evidence.length - 1] as CardActivity));
}

/**
 * The service desk's questions to the watch (`svc.fraud.flags`): the flags on a customer, a card
 * or a store's tills; or a flag resolved, with who resolved it and why.
 */
export const flagsRequest = z.discriminatedUnion('action', [
  z
    .strictObject({
      action: z.literal('list'),
      customerId: customerId.optional(),
      cardNumber: cardNumber.optional(),
      storeId: storeId.optional(),
    })
    .refine((r) => r.customerId ?? r.cardNumber ?? r.storeId, {
      message: 'needs a customerId, a cardNumber or a storeId',
    }),
  z.strictObject({
    action: z.literal('resolve'),
    flagId: z.string().min(1).max(128),
    operatorId: staffId,
    reason: changeReason,
    /** When; the service's clock when absent. */
    at: instant.optional(),
  }),
]);
export type FlagsRequest = z.infer<typeof flagsRequest>;

export const flagsAnswer = z.union([
  z.strictObject({ ok: z.literal(true), flags: z.array(fraudFlag) }),
  errorAnswer,
]);
export type FlagsAnswer = z.infer<typeof flagsAnswer>;
