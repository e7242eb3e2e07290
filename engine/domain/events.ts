/**
 * The event contract with tills and the web shop. These zod schemas are the single source of
 * truth: gateways validate with them, the router and sink parse with them, the types below are
 * inferred from them, and `clientele schemas export` writes them as JSON Schema for till vendors.
 *
 * Money is always an integer count of minor units (cents, pence) in the event's currency.
 */
import { z } from 'zod';
import { type FieldIssue, issuesOf } from './error-codes.ts';
import { accountNumber } from './identity/account-number.ts';
import { lineNet } from './receipt.ts';

/** Integer minor units of a currency: never a float. */
export const minorUnits = z
  .number()
  .int('must be an integer count of minor units (cents), not a fraction')
  .min(0, 'must not be negative')
  .max(1_000_000_000_00, 'is larger than any retail amount');

/** An id the till makes up; `params` may word the message for a missing one. */
const tokenWith = (params?: Parameters<typeof z.string>[0]) =>
  z
    .string(params)
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9._:-]+$/, 'may hold only letters, digits, ".", "_", ":" and "-"');

const token = tokenWith();

/**
 * An opaque, pseudonymous customer id. It becomes part of a Temporal workflow id, which is never
 * encrypted, so it must not be personal data: starting with a letter and having no "@" or "+"
 * rules out e-mail addresses, phone numbers and card numbers.
 */
export const customerId = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_-]{2,63}$/,
    'must be an opaque customer id (a letter, then 2-63 letters, digits, "-" or "_"), never an e-mail, phone or card number',
  );

export const storeId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 letters, digits, "-" or "_"');
export const tillId = storeId;

export const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"');

export const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant' });

/** Where an event or request came from: a till, the web shop, or the back office (service desk, head office). */
export const channel = z.enum(['till', 'web', 'back-office']);

const envelope = {
  /** Globally unique id of this event; a resend with the same id is the same event. */
  eventId: token,
  /** When the event happened at the till or web shop (UTC or with an offset). */
  occurredAt: instant,
  storeId,
  /** Required for events from a till: cues for the customer go back to this till. */
  tillId: tillId.optional(),
  channel,
};

export const saleLine = z.strictObject({
  lineId: token,
  sku: token,
  category: z.string().min(1).max(64),
  brand: z.string().min(1).max(64).optional(),
  quantity: z.number().int('must be a whole number').positive('must be positive'),
  /** Selling price per unit, before any line discount. */
  unitPrice: minorUnits,
  /** Regular (non-sale) price per unit; equal to unitPrice for a full-price item. */
  fullPrice: minorUnits,
  /** Discount on the whole line. */
  discount: minorUnits.default(0),
  /** Cost of one unit to the retailer, for margin and lifetime value. */
  unitCost: minorUnits,
  /** Tax included in the line's net amount, when the till states it (programs may not earn on it). */
  tax: minorUnits.optional(),
});

export const tenderType = z.enum(['cash', 'card', 'gift_card', 'points', 'voucher', 'other']);

/**
 * A points tender names the redemption the till was granted, so a return gives those points back;
 * no other tender names one. A union, so the JSON Schema tells vendors the same.
 */
export const tender = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('points'),
      amount: minorUnits,
      redemptionId: tokenWith({
        error: (issue) =>
          issue.input === undefined
            ? 'is required for a points tender: the redemption the till was granted'
            : undefined,
      }),
    }),
    z.strictObject({
      type: tenderType.exclude(['points']),
      amount: minorUnits,
      redemptionId: z
        .never({ error: 'is only for a points tender: the redemption that paid it' })
        .optional(),
    }),
  ],
  { error: `must be one of ${tenderType.options.map((t) => `"${t}"`).join(', ')}` },
);

/**
 * Refuses a value that repeats an earlier one in the list, on the later one: a line id twice (a
 * return names the sale's lines by it), one redemption paying two tenders.
 */
function refuseRepeats(
  ctx: z.RefinementCtx,
  list: 'lines' | 'tenders',
  key: 'lineId' | 'redemptionId',
  values: readonly (string | undefined)[],
  why: string,
) {
  const first = new Map<string, number>();
  values.forEach((value, i) => {
    if (value === undefined) return;
    const earlier = first.get(value);
    if (earlier === undefined) first.set(value, i);
    else
      ctx.addIssue({
        code: 'custom',
        path: [list, i, key],
        message: `repeats ${list}[${earlier}].${key} ${JSON.stringify(value)}: ${why}`,
      });
  });
}

const oneRedemptionPerTender = 'a redemption pays for one tender only';

export { lineNet } from './receipt.ts';

export const saleEvent = z
  .strictObject({
    ...envelope,
    type: z.literal('sale'),
    transactionId: token,
    /** Absent for an anonymous sale: it is stored for analytics but feeds no customer. */
    customerId: customerId.optional(),
    currency,
    lines: z
      .array(saleLine)
      .min(1, 'a sale has at least one line')
      .max(500)
      .describe('Each line has its own lineId: a return names the lines it gives back by it.'),
    tenders: z
      .array(tender)
      .min(1, 'a sale has at least one tender')
      .max(20)
      .describe('Tenders add up to the lines; each redemption pays for one points tender only.'),
  })
  .superRefine((sale, ctx) => {
    const lineIds = sale.lines.map((line) => line.lineId);
    refuseRepeats(ctx, 'lines', 'lineId', lineIds, 'every line of a sale needs its own id');
    const redemptions = sale.tenders.map((t) => t.redemptionId);
    refuseRepeats(ctx, 'tenders', 'redemptionId', redemptions, oneRedemptionPerTender);
    sale.lines.forEach((line, i) => {
      if (line.discount > line.quantity * line.unitPrice) {
        ctx.addIssue({
          code: 'custom',
          path: ['lines', i, 'discount'],
          message: 'is larger than quantity × unitPrice',
        });
      }
    });
    const total = sale.lines.reduce((sum, line) => sum + lineNet(line), 0);
    const paid = sale.tenders.reduce((sum, t) => sum + t.amount, 0);
    if (paid !== total) {
      ctx.addIssue({
        code: 'custom',
        path: ['tenders'],
        message: `add up to ${paid} but the lines come to ${total}`,
      });
    }
    if (sale.channel === 'till' && !sale.tillId) {
      ctx.addIssue({ code: 'custom', path: ['tillId'], message: 'is required for a till sale' });
    }
  });

export const returnLine = z.strictObject({
  /** The line of the original sale that is being returned. */
  lineId: token,
  sku: token,
  quantity: z.number().int('must be a whole number').positive('must be positive'),
  /** Amount refunded for this line. */
  refundAmount: minorUnits,
});

export const returnEvent = z
  .strictObject({
    ...envelope,
    type: z.literal('return'),
    /** This return's own transaction id. */
    transactionId: token,
    /** The sale being returned (its transactionId). */
    originalTransactionId: token,
    customerId: customerId.optional(),
    currency,
    lines: z
      .array(returnLine)
      .min(1, 'a return has at least one line')
      .max(500)
      .describe('Each line gives back a different line of the sale, named by its lineId.'),
    tenders: z
      .array(tender)
      .min(1)
      .max(20)
      .describe('Tenders add up to the refunds; each redemption pays for one points tender only.'),
  })
  .superRefine((ret, ctx) => {
    const lineIds = ret.lines.map((line) => line.lineId);
    refuseRepeats(ctx, 'lines', 'lineId', lineIds, 'every line of a return needs its own id');
    const redemptions = ret.tenders.map((t) => t.redemptionId);
    refuseRepeats(ctx, 'tenders', 'redemptionId', redemptions, oneRedemptionPerTender);
    const total = ret.lines.reduce((sum, line) => sum + line.refundAmount, 0);
    const paid = ret.tenders.reduce((sum, t) => sum + t.amount, 0);
    if (paid !== total) {
      ctx.addIssue({
        code: 'custom',
        path: ['tenders'],
        message: `add up to ${paid} but the refunded lines come to ${total}`,
      });
    }
    if (ret.channel === 'till' && !ret.tillId) {
      ctx.addIssue({ code: 'custom', path: ['tillId'], message: 'is required for a till return' });
    }
  });

export const consent = z.strictObject({
  email: z.boolean().default(false),
  sms: z.boolean().default(false),
  post: z.boolean().default(false),
  profiling: z.boolean().default(false),
});

/**
 * Marks a field that holds personal data (in the JSON Schema too): the privacy work finds every
 * one of them by this mark. Such a field may be stored in the event stream and the analytics
 * store (erasure must reach both), never in a workflow id, a subject or a log.
 */
export const personal = <T extends z.ZodType>(schema: T) =>
  schema.describe('personal data: erasable, never in ids, subjects or logs');

export const phoneNumber = z.string().regex(/^\+?[0-9 ()-]{5,20}$/, 'must be a phone number');
export const emailAddress = z.email().max(254);

/**
 * Personal details. They travel in the event stream and the analytics store (so erasure must
 * reach both), but the router strips them before anything reaches a workflow history.
 */
export const profile = personal(
  z.strictObject({
    givenName: personal(z.string().max(100)).optional(),
    familyName: personal(z.string().max(100)).optional(),
    email: personal(emailAddress).optional(),
    phone: personal(phoneNumber).optional(),
    birthDate: personal(z.iso.date()).optional(),
  }),
);

/** Program tags a member joins with (`staff`, `student`): earn rules may ask for them. */
export const memberTags = z
  .array(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'must be a lower-case tag'))
  .max(20);

export const customerRegisteredEvent = z.strictObject({
  ...envelope,
  type: z.literal('customer.registered'),
  customerId,
  /** The member's account number, when the identity service registered them. */
  accountNumber: accountNumber.optional(),
  consent: consent.prefault({}),
  profile: profile.optional(),
  /** Program tags the member joined with (`staff`, `student`): earn rules may ask for them. */
  tags: memberTags.optional(),
});

/** A service-desk adjustment of a customer's points: goodwill (positive) or a correction. */
export const pointsAdjustedEvent = z.strictObject({
  ...envelope,
  type: z.literal('points.adjusted'),
  /** Unique per adjustment: the same adjustment sent again is applied once. */
  adjustmentId: token,
  customerId,
  points: z
    .number()
    .int('must be a whole number of points')
    .refine((p) => p !== 0, 'must not be 0'),
  reason: z.enum(['goodwill', 'correction', 'complaint', 'migration', 'other']),
  /** Free text for the record; never personal data of the customer. */
  note: z.string().max(200).optional(),
  /** The staff member who made it (a staff id, not a name). */
  operatorId: token,
});

/** Spend at a partner (an airline, a fuel station), reported by the partner's feed. */
export const partnerAccrualEvent = z.strictObject({
  ...envelope,
  type: z.literal('partner.accrual'),
  partnerId: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'must be a partner id of the program'),
  /** The partner's own reference: the same reference again is the same accrual. */
  transactionId: token,
  customerId,
  currency,
  amountMinor: minorUnits,
});

export const retailEvent = z.discriminatedUnion('type', [
  saleEvent,
  returnEvent,
  customerRegisteredEvent,
  pointsAdjustedEvent,
  partnerAccrualEvent,
]);

export type SaleLine = z.infer<typeof saleLine>;
export type SaleEvent = z.infer<typeof saleEvent>;
export type ReturnEvent = z.infer<typeof returnEvent>;
export type CustomerRegisteredEvent = z.infer<typeof customerRegisteredEvent>;
export type PointsAdjustedEvent = z.infer<typeof pointsAdjustedEvent>;
export type PartnerAccrualEvent = z.infer<typeof partnerAccrualEvent>;
export type RetailEvent = z.infer<typeof retailEvent>;
/** An event as tills and the web shop may send it: defaults (discount, consent) not yet filled. */
export type RetailEventInput = z.input<typeof retailEvent>;
export type EventType = RetailEvent['type'];

/**
 * A registration as the customer workflow receives it: the profile removed, except the month and
 * day of birth (`MM-DD`, no year) when the member gave a birth date, for a birthday bonus.
 */
export type CustomerRegistration = Omit<CustomerRegisteredEvent, 'profile'> & {
  birthMonthDay?: string;
};

/** An event as the customer workflow receives it: personal details removed. */
export type CustomerEvent =
  | SaleEvent
  | ReturnEvent
  | CustomerRegistration
  | PointsAdjustedEvent
  | PartnerAccrualEvent;

export function withoutPersonalData(event: RetailEvent): CustomerEvent {
  if (event.type !== 'customer.registered') return event;
  const { profile, ...rest } = event;
  const birthDate = profile?.birthDate;
  return birthDate ? { ...rest, birthMonthDay: birthDate.slice(5, 10) } : rest;
}

// Where the rules and gateways have always found them; the error vocabulary owns them.
export { describeIssues, type FieldIssue, formatPath } from './error-codes.ts';

export type ParseResult = { ok: true; event: RetailEvent } | { ok: false; issues: FieldIssue[] };

/** Validates anything that claims to be a retail event. Never throws. */
export function parseRetailEvent(input: unknown): ParseResult {
  const result = retailEvent.safeParse(input);
  if (result.success) return { ok: true, event: result.data };
  return { ok: false, issues: issuesOf(result.error.issues, '(event)') };
}
