/**
 * The redemption contract with tills and the web shop: what they ask (spend points on a basket,
 * or give back a redemption they did not use) and what they are answered, at once, yes or no.
 * Served over NATS request–reply (`svc.loyalty.redeem`, `svc.loyalty.cancel`) and relayed by the
 * till gateway (`points:redeem`, `points:cancel`). The one definition of these messages: the
 * loyalty rules and the customer workflow take their types from here (types only, no zod).
 */
import { z } from 'zod';
import { errorAnswer } from './error-codes.ts';
import { channel, currency, customerId, minorUnits, storeId, tillId } from './events.ts';
import { cardNumber } from './identity/card-number.ts';

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
  /**
   * The card the customer presented, when the till knows: a card that is not active is refused,
   * and the anti-fraud watch counts redemptions per card.
   */
  cardNumber: cardNumber.optional(),
});

export const cancelRedemptionRequest = z.strictObject({
  redemptionId: token,
  customerId,
  /** The store giving it back (the gateways set it): only the store granted it may. */
  storeId: storeId.optional(),
  tillId: tillId.optional(),
  channel: channel.optional(),
});

const pointsAfter = {
  balance: z.number().int().optional(),
  spendable: z.number().int().optional(),
  tier: z.string().optional(),
};

/** The customer's points after a redemption, a cancellation or a refusal: for the till's screen. */
export const pointsAfterAnswer = z.strictObject(pointsAfter);

export const redeemGranted = z.strictObject({
  ok: z.literal(true),
  redemptionId: z.string(),
  points: z.number().int(),
  /** What the points pay, in the basket's currency. */
  valueMinor: z.number().int(),
  currency: z.string(),
  /** This redemption id was granted before: the same answer again. */
  repeated: z.boolean(),
  ...pointsAfter,
});

/**
 * Refused: `error.code` is the first reason; when the program refuses for several, each is an
 * issue with its own `code`, in order, and `error.message` says them all.
 */
export const redeemAnswer = z.discriminatedUnion('ok', [
  redeemGranted,
  errorAnswer.extend(pointsAfter),
]);

export const cancelGranted = z.strictObject({
  ok: z.literal(true),
  restored: z.number().int(),
  ...pointsAfter,
});

export const cancelAnswer = z.discriminatedUnion('ok', [cancelGranted, errorAnswer]);

export type RedeemRequest = z.infer<typeof redeemRequest>;
export type RedeemGranted = z.infer<typeof redeemGranted>;
export type RedeemAnswer = z.infer<typeof redeemAnswer>;
export type CancelRedemptionRequest = z.infer<typeof cancelRedemptionRequest>;
export type CancelGranted = z.infer<typeof cancelGranted>;
export type CancelAnswer = z.infer<typeof cancelAnswer>;
export type PointsAfter = z.infer<typeof pointsAfterAnswer>;
