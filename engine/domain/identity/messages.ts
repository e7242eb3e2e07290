/**
 * The identity contract with tills, the web shop and the back office: registering a customer
 * (who gets an internal id, an account number, and the card and contact details they are found
 * by) and identifying one from what a till scans or a person types. Served over NATS
 * request–reply (`svc.identity.register`, `svc.identity.identify`, and the service desk's
 * `svc.identity.card`) and relayed by the gateways
 * (`customer:register` and `customer:identify` at the till; `POST /v1/customers` and
 * `POST /v1/customers/identify` on the web). The one definition of these messages.
 *
 * Personal data: `profile`, `phone` and `email` (marked `personal`). They go into the
 * registration event for the event store (which erasure must reach) and, for phone and e-mail, into
 * the identity index as keyed hashes only; never into a workflow id, a subject or a log.
 */
import { z } from 'zod';
import { customerSummary } from '../customer/summary.ts';
import { errorAnswer } from '../error-codes.ts';
import {
  channel,
  consent,
  customerId,
  emailAddress,
  instant,
  memberTags,
  personal,
  phoneNumber,
  profile,
  storeId,
  tillId,
} from '../events.ts';
import { accountNumber } from './account-number.ts';
import { cardNumber } from './card-number.ts';
import { cardStatus, cardType } from './card-status.ts';

/** What the answers show of a card. */
export const cardView = z.strictObject({ cardNumber, status: cardStatus, type: cardType });

/** Who asks: set by the gateways from the caller's verified connection, never by the caller. */
const caller = { channel, storeId, tillId: tillId.optional() };

/** A registration as a till, the web shop or the back office sends it. */
export const registration = z.strictObject({
  /**
   * Chosen by the caller, unique per registration: asking again with the same id (a retry, a
   * double tap) registers nobody new and gets the same answer.
   */
  registrationId: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, 'may hold only letters, digits, "_" and "-"'),
  /** When the customer registered; the service's clock when absent. */
  occurredAt: instant.optional(),
  consent: consent.prefault({}),
  profile: profile.optional(),
  tags: memberTags.optional(),
  /** A pre-printed card handed over at registration, as scanned. */
  card: z.strictObject({ cardNumber, type: cardType.default('plastic') }).optional(),
  /** Contact details the customer may be found by at the till or in the back office. */
  phone: personal(phoneNumber).optional(),
  email: personal(emailAddress).optional(),
});

/** A registration as the identity service receives it. */
export const registerRequest = registration.extend(caller);

export const registered = z.strictObject({
  ok: z.literal(true),
  customerId,
  accountNumber,
  cardNumber: cardNumber.optional(),
  /** This registration id was answered before: the same answer again. */
  repeated: z.boolean(),
});

export const registerAnswer = z.union([registered, errorAnswer]);

const identifiers = {
  /** What the till read off a card (its barcode's digits, its QR code) or a person typed. */
  card: z
    .strictObject({
      payload: z.string().min(1).max(128),
      source: z.enum(['barcode', 'qr', 'typed']),
    })
    .optional(),
  accountNumber: accountNumber.optional(),
  phone: personal(phoneNumber).optional(),
  email: personal(emailAddress).optional(),
};

/** Exactly one identifier. */
function oneIdentifier(
  request: { [K in keyof typeof identifiers]?: unknown },
  ctx: z.RefinementCtx,
) {
  const given = (['card', 'accountNumber', 'phone', 'email'] as const).filter(
    (field) => request[field] !== undefined,
  );
  if (given.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      path: given[1] ? [given[1]] : [],
      message:
        given.length === 0
          ? 'needs one of card, accountNumber, phone or email'
          : `give one of card, accountNumber, phone or email, not ${given.join(' and ')}`,
    });
  }
}

/** What identifies the customer, as a till or the web shop sends it: exactly one identifier. */
export const identification = z.strictObject(identifiers).superRefine(oneIdentifier);

/** An identification as the identity service receives it. */
export const identifyRequest = z
  .strictObject({ ...identifiers, ...caller })
  .superRefine(oneIdentifier);

/** A line for the person at the till about the customer just identified. */
export const identificationCue = z.strictObject({
  kind: z.enum([
    'welcome-back',
    'new-member',
    'points-expiring',
    'next-tier',
    'open-service-case',
    'merged',
    'lifecycle',
    /** The card or the customer has an open anti-fraud flag: check before redeeming. */
    'fraud-alert',
  ]),
  message: z.string(),
});

export const identified = z.strictObject({
  ok: z.literal(true),
  customerId,
  accountNumber: accountNumber.optional(),
  card: cardView.optional(),
  /**
   * The customer's summary as of their last delivered event: absent until the engine has applied
   * one. No personal data: what any till may see.
   */
  summary: customerSummary.optional(),
  /** What to tell the person at the till, before the sale is rung up. */
  cues: z.array(identificationCue),
});

export const identifyAnswer = z.union([identified, errorAnswer]);

/** Who did it, at the service desk or a till: a staff id, never a name. */
export const staffId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a staff id');

/** Why, in the operator's words: kept with the change. */
export const changeReason = z.string().trim().min(3, 'must say why, in a few words').max(500);

/** A change of a card's status as kept on the card: who made it, why, when. */
export const cardChange = z.strictObject({
  status: cardStatus,
  operatorId: staffId,
  reason: changeReason.optional(),
  at: instant,
});
export type CardChange = z.infer<typeof cardChange>;

/** A service desk's change to a card. */
export const cardChangeRequest = z
  .strictObject({
    cardNumber,
    change: z.enum(['block', 'unblock', 'report-lost', 'replace', 'link']),
    /** The new card, for `replace`: it takes over the old card's customer. */
    replacement: z.strictObject({ cardNumber, type: cardType.default('plastic') }).optional(),
    /**
     * For `link`: the customer the card (a new one, never issued before) is given to, beside
     * the cards they hold; and its type.
     */
    customerId: customerId.optional(),
    type: cardType.optional(),
    /** Who made the change (a staff id, not a name). */
    operatorId: staffId,
    /** Why: kept on the card with the operator. */
    reason: changeReason,
    /** When; the service's clock when absent. */
    at: instant.optional(),
  })
  .superRefine((request, ctx) => {
    if ((request.change === 'replace') !== (request.replacement !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['replacement'],
        message:
          request.change === 'replace'
            ? 'is needed to replace a card: the new card'
            : `is only for a replacement, not to ${request.change} a card`,
      });
    }
    if ((request.change === 'link') !== (request.customerId !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['customerId'],
        message:
          request.change === 'link'
            ? 'is needed to link a card: whose card it becomes'
            : `is only for linking a card, not to ${request.change} one`,
      });
    }
    if (request.type !== undefined && request.change !== 'link') {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: `is only for linking a card (a replacement's type is replacement.type)`,
      });
    }
  });

export const cardChanged = z.strictObject({
  ok: z.literal(true),
  customerId,
  card: cardView,
  /** Flags on the card resolved by unblocking it. */
  resolvedFlags: z.array(z.string()).optional(),
  /** The new card, after a replacement. */
  replacement: cardView.optional(),
});

export const cardChangeAnswer = z.union([cardChanged, errorAnswer]);

/**
 * A service desk's merge of two records of one person (an anonymous card or web shopper found to
 * be a registered member): the absorbed customer's points, lots, history and identifiers move to
 * the survivor, once per merge id; the absorbed record answers with where it went.
 */
export const mergeRequest = z
  .strictObject({
    /** Chosen by the caller: asking again with the same id merges nothing twice. */
    mergeId: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/, 'may hold only letters, digits, "_" and "-"'),
    absorbedCustomerId: customerId,
    survivorCustomerId: customerId,
    operatorId: staffId,
    /** When; the service's clock when absent. */
    at: instant.optional(),
    ...caller,
  })
  .superRefine((request, ctx) => {
    if (request.absorbedCustomerId === request.survivorCustomerId) {
      ctx.addIssue({
        code: 'custom',
        path: ['survivorCustomerId'],
        message: 'is the customer being merged: a customer cannot be merged into itself',
      });
    }
  });

export const merged = z.strictObject({
  ok: z.literal(true),
  mergeId: z.string(),
  absorbedCustomerId: customerId,
  survivorCustomerId: customerId,
  /** Points that moved to the survivor. */
  points: z.number().int(),
  /** This merge was done before (this id, or another merging the same two): nothing moved now. */
  repeated: z.boolean(),
});

export const mergeAnswer = z.union([merged, errorAnswer]);
export type MergeRequest = z.infer<typeof mergeRequest>;
export type MergeAnswer = z.infer<typeof mergeAnswer>;

export type CardChangeRequest = z.infer<typeof cardChangeRequest>;
export type CardChangeAnswer = z.infer<typeof cardChangeAnswer>;
export type RegisterRequest = z.infer<typeof registerRequest>;
export type RegisterAnswer = z.infer<typeof registerAnswer>;
export type IdentifyRequest = z.infer<typeof identifyRequest>;
export type IdentifyAnswer = z.infer<typeof identifyAnswer>;
export type IdentificationCue = z.infer<typeof identificationCue>;
