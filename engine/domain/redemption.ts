/**
 * The redemption contract with tills and the web shop: what they ask (spend points on a basket,
 * or give back a redemption they did not use) and what they are answered, at once, yes or no.
 * Served over NATS request–reply (`svc.loyalty.redeem`, `svc.loyalty.cancel`) and relayed by the
 * till gateway (`points:redeem`, `points:cancel`).
 */
import { z } from 'zod';
import { channel, currency, customerId, minorUnits, storeId, tillId } from './events.ts';
import { refusalReasons } from './loyalty/evaluator.ts';

const token = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._:-]+$/, 'may hold only letters, digits, ".", "_", ":" and "-"');

export const redeemRequest = z.strictObject({
  /** Chosen by the till, unique: asking again with the same id gets the same answer. */
  redemptionId: token,
  customerId,
  points: z.number().int('must be a whole number of points').positive('must be above 0'),
  /** The basket's total in `currency`, for the program's maximum share paid with points. */
  basketMinor: minorUnits,
  currency,
  channel,
  storeId,
  tillId: tillId.optional(),
  /** Spending at a partner of the program rather than in the retailer's own shops. */
  partnerId: z.string().min(1).max(48).optional(),
});

export const cancelRedemptionRequest = z.strictObject({
  redemptionId: token,
  customerId,
  /** The store giving it back (the gateways set it): only the store granted it may. */
  storeId: storeId.optional(),
  tillId: tillId.optional(),
  channel: channel.optional(),
});

/** Why a redemption was refused: the program's reasons, and the service's own. */
export const redeemRefusalReason = z.enum([
  ...refusalReasons,
  /** The request is malformed: `issues` names the fields. */
  'invalid-request',
  /** No customer with this id (or none yet): the same answer as an empty account would give. */
  'unknown-customer',
  /** More requests for this customer at once than the engine takes: ask again. */
  'busy',
  /** No loyalty program is published. */
  'no-program',
  /** The engine could not answer in time: ask again. */
  'unavailable',
  /** No such redemption to cancel. */
  'unknown-redemption',
  /** The redemption paid for a sale: return the sale to give its points back. */
  'redemption-used',
]);

const pointsAfter = {
  balance: z.number().int().optional(),
  spendable: z.number().int().optional(),
  tier: z.string().optional(),
};

export const redeemAnswer = z.discriminatedUnion('ok', [
  z.strictObject({
    ok: z.literal(true),
    redemptionId: z.string(),
    points: z.number().int(),
    valueMinor: z.number().int(),
    currency: z.string(),
    /** This redemption id was granted before: the same answer again. */
    repeated: z.boolean(),
    ...pointsAfter,
  }),
  z.strictObject({
    ok: z.literal(false),
    reason: redeemRefusalReason,
    /** For the person at the till: every reason's message, in order. */
    message: z.string(),
    /** Every reason the program refuses it for, in order (`reason` is the first). */
    reasons: z
      .array(z.strictObject({ reason: redeemRefusalReason, message: z.string() }))
      .optional(),
    issues: z.array(z.strictObject({ field: z.string(), message: z.string() })).optional(),
    ...pointsAfter,
  }),
]);

export const cancelAnswer = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true), restored: z.number().int(), ...pointsAfter }),
  z.strictObject({
    ok: z.literal(false),
    reason: redeemRefusalReason,
    message: z.string(),
    issues: z.array(z.strictObject({ field: z.string(), message: z.string() })).optional(),
  }),
]);

export type RedeemRequest = z.infer<typeof redeemRequest>;
export type RedeemAnswer = z.infer<typeof redeemAnswer>;
export type CancelRedemptionRequest = z.infer<typeof cancelRedemptionRequest>;
export type CancelAnswer = z.infer<typeof cancelAnswer>;
export type RedeemRefusalReason = z.infer<typeof redeemRefusalReason>;
