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
    /** The staff member who served the customer (a staff id, not a name): associate figures. */
    associateId: token.optional(),
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
    /** The staff member who took the return (a staff id, not a name). */
    associateId: token.optional(),
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

/** Program tags a member joins with (`staff`, `student`): earn rules may ask for them. */
export const memberTags = z
  .array(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'must be a lower-case tag'))
  .max(20);

/** A postal address; `shipping` ones are where the web shop may deliver. */
export const address = z.strictObject({
  /** The member's own name for it, unique among their addresses (`home`, `office`). */
  addressId: token,
  kind: z.enum(['home', 'shipping', 'billing', 'work']),
  line1: z.string().min(1).max(200),
  line2: z.string().max(200).optional(),
  city: z.string().min(1).max(100),
  postalCode: z.string().min(1).max(20),
  region: z.string().max(100).optional(),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 country code such as "GB"'),
  /** The web shop delivers here unless told otherwise (one address at most). */
  defaultShipping: z.boolean().optional(),
});

/** Who the customer is to the retailer: rules and lifecycle settings may differ by it. */
export const customerType = z.enum(['individual', 'business', 'staff']);

/**
 * Each field of a customer's profile. Those holding personal data are marked `personal`; the
 * others (customer type, preferred store, tags) are the retailer's own classification and may
 * reach the customer's workflow and analytics.
 */
const profileFields = {
  givenName: personal(z.string().min(1).max(100)),
  familyName: personal(z.string().min(1).max(100)),
  email: personal(emailAddress),
  phone: personal(phoneNumber),
  birthDate: personal(z.iso.date({ message: 'must be a date such as "1990-04-21"' })),
  gender: personal(z.enum(['female', 'male', 'other', 'undisclosed'])),
  familyStatus: personal(
    z.enum(['single', 'married', 'partnered', 'divorced', 'widowed', 'undisclosed']),
  ),
  children: personal(
    z
      .array(
        z.strictObject({
          birthYear: z.number().int().min(1900).max(2200),
          gender: z.enum(['female', 'male', 'other', 'undisclosed']).optional(),
        }),
      )
      .max(12),
  ),
  pets: personal(
    z
      .array(
        z.strictObject({
          kind: z.enum(['dog', 'cat', 'bird', 'fish', 'rodent', 'reptile', 'other']),
          name: z.string().min(1).max(50).optional(),
        }),
      )
      .max(12),
  ),
  addresses: personal(
    z
      .array(address)
      .max(10)
      .superRefine((list, ctx) => {
        const ids = new Set<string>();
        list.forEach((a, i) => {
          if (ids.has(a.addressId)) {
            ctx.addIssue({
              code: 'custom',
              path: [i, 'addressId'],
              message: `repeats ${JSON.stringify(a.addressId)}: every address needs its own id`,
            });
          }
          ids.add(a.addressId);
        });
        if (list.filter((a) => a.defaultShipping).length > 1) {
          ctx.addIssue({ code: 'custom', message: 'may have one defaultShipping address only' });
        }
      }),
  ),
  /** Notes by staff (preferences, sizes): may hold anything the customer said. */
  notes: personal(z.string().max(1000)),
  customerType,
  preferredStoreId: storeId,
  tags: memberTags,
};

/** The profile fields that are the retailer's classification, not personal data. */
export const classificationFields = ['customerType', 'preferredStoreId', 'tags'] as const;

/**
 * A customer's profile. It travels in the event stream (so erasure must reach it), is kept in the
 * erasable profile store, and never reaches a workflow history or the analytics store: the router
 * and the sink keep only its classification (and the month and day of birth).
 */
export const profile = personal(
  z.strictObject(
    Object.fromEntries(Object.entries(profileFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof profileFields]: z.ZodOptional<(typeof profileFields)[K]>;
    },
  ),
);

/** What a profile change sets (a value) or clears (`null`); lists are replaced whole. */
export const profileChanges = z
  .strictObject(
    Object.fromEntries(
      Object.entries(profileFields).map(([k, v]) => [k, v.nullable().optional()]),
    ) as {
      [K in keyof typeof profileFields]: z.ZodOptional<z.ZodNullable<(typeof profileFields)[K]>>;
    },
  )
  .refine((changes) => Object.keys(changes).length > 0, 'must change at least one field');

export const acquisitionSource = z.enum([
  'store',
  'web',
  'app',
  'referral',
  'campaign',
  'partner',
  'social',
  'other',
]);

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
  /** How the member came to the program: cohorts are cut by it. */
  acquisitionSource: acquisitionSource.optional(),
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

/**
 * A change to a customer's profile from any channel (the till, the web shop, the service desk):
 * the profile's history is these events, and every channel's change lands in the same record.
 */
export const profileChangedEvent = z.strictObject({
  ...envelope,
  type: z.literal('profile.changed'),
  customerId,
  changes: profileChanges,
  /** The staff member who made it, for a change at a till or the service desk (a staff id). */
  operatorId: token.optional(),
});

export const serviceReason = z.enum([
  'question',
  'complaint',
  'card',
  'points',
  'order',
  'return',
  'feedback',
  'other',
]);
export const serviceOutcome = z.enum(['resolved', 'escalated', 'follow-up', 'no-action']);
export const campaignAction = z.enum(['delivered', 'open', 'click', 'offer-used', 'unsubscribe']);
export const campaignId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a campaign id (lower-case, digits, "-", "_")');
/** An id the sender makes up (an event's, a transaction's, an offer's). */
export { token as senderId };

/** A contact with customer service: why the customer came, and how it ended. */
export const serviceInteractionEvent = z.strictObject({
  ...envelope,
  type: z.literal('service.interaction'),
  /** Unique per contact: the same contact sent again is recorded once. */
  interactionId: token,
  customerId,
  reason: serviceReason,
  outcome: serviceOutcome,
  operatorId: token,
  /** What was said, for the record: may hold personal data. */
  note: personal(z.string().max(1000)).optional(),
});

/** What a customer did with a campaign: opened or clicked its message, used its offer. */
export const campaignResponseEvent = z
  .strictObject({
    ...envelope,
    type: z.literal('campaign.response'),
    /** Unique per response: the same response sent again is recorded once. */
    responseId: token,
    customerId,
    campaignId,
    action: campaignAction,
    /** The offer used (required for `offer-used`). */
    offerId: token.optional(),
    /** The sale the offer was used on. */
    transactionId: token.optional(),
  })
  .superRefine((response, ctx) => {
    if (response.action === 'offer-used' && response.offerId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['offerId'],
        message: 'is required when the action is "offer-used"',
      });
    }
  });

export const retailEvent = z.discriminatedUnion('type', [
  saleEvent,
  returnEvent,
  customerRegisteredEvent,
  pointsAdjustedEvent,
  partnerAccrualEvent,
  profileChangedEvent,
  serviceInteractionEvent,
  campaignResponseEvent,
]);

export type SaleLine = z.infer<typeof saleLine>;
export type SaleEvent = z.infer<typeof saleEvent>;
export type ReturnEvent = z.infer<typeof returnEvent>;
export type CustomerRegisteredEvent = z.infer<typeof customerRegisteredEvent>;
export type PointsAdjustedEvent = z.infer<typeof pointsAdjustedEvent>;
export type PartnerAccrualEvent = z.infer<typeof partnerAccrualEvent>;
export type ProfileChangedEvent = z.infer<typeof profileChangedEvent>;
export type ServiceInteractionEvent = z.infer<typeof serviceInteractionEvent>;
export type CampaignResponseEvent = z.infer<typeof campaignResponseEvent>;
export type RetailEvent = z.infer<typeof retailEvent>;
/** An event as tills and the web shop may send it: defaults (discount, consent) not yet filled. */
export type RetailEventInput = z.input<typeof retailEvent>;
export type EventType = RetailEvent['type'];

/**
 * A registration as the customer workflow receives it: the profile removed, except its
 * classification and the month and day of birth (`MM-DD`, no year) when the member gave a birth
 * date, for a birthday bonus.
 */
export type CustomerRegistration = Omit<CustomerRegisteredEvent, 'profile'> & {
  birthMonthDay?: string;
  customerType?: z.infer<typeof customerType>;
  preferredStoreId?: string;
};

/**
 * A profile change as the customer workflow receives it: which fields changed, and the values of
 * those that are the retailer's classification (customer type, preferred store, tags) and of the
 * month and day of birth; no personal data.
 */
export type ProfileChange = Omit<ProfileChangedEvent, 'changes'> & {
  fields: string[];
  customerType?: ProfileChangedEvent['changes']['customerType'];
  preferredStoreId?: ProfileChangedEvent['changes']['preferredStoreId'];
  tags?: ProfileChangedEvent['changes']['tags'];
  /** `MM-DD`, or `null` when the birth date was cleared. */
  birthMonthDay?: string | null;
};

/** A service contact as the customer workflow receives it: without the note. */
export type ServiceInteraction = Omit<ServiceInteractionEvent, 'note'>;

/** An event as the customer workflow receives it: personal details removed. */
export type CustomerEvent =
  | SaleEvent
  | ReturnEvent
  | CustomerRegistration
  | PointsAdjustedEvent
  | PartnerAccrualEvent
  | ProfileChange
  | ServiceInteraction
  | CampaignResponseEvent;

/** Events that change no points: the customer's record remembers them. */
export type RecordEvent = ProfileChange | ServiceInteraction | CampaignResponseEvent;

const monthDay = (birthDate: string): string => birthDate.slice(5, 10);

/**
 * The event without personal data: what may reach a workflow history or the analytics store.
 * A registration keeps its profile's classification and the month and day of birth (for a
 * birthday bonus); a profile change keeps the names of the fields it changed.
 */
export function withoutPersonalData(event: RetailEvent): CustomerEvent {
  switch (event.type) {
    case 'customer.registered': {
      const { profile, ...rest } = event;
      const birthDate = profile?.birthDate;
      const kept: CustomerRegistration = birthDate
        ? { ...rest, birthMonthDay: monthDay(birthDate) }
        : rest;
      if (profile?.customerType) kept.customerType = profile.customerType;
      if (profile?.preferredStoreId) kept.preferredStoreId = profile.preferredStoreId;
      if (profile?.tags && !kept.tags) kept.tags = profile.tags;
      return kept;
    }
    case 'profile.changed': {
      const { changes, ...rest } = event;
      const change: ProfileChange = { ...rest, fields: Object.keys(changes).sort() };
      for (const field of classificationFields) {
        if (changes[field] !== undefined) Object.assign(change, { [field]: changes[field] });
      }
      if (changes.birthDate !== undefined) {
        change.birthMonthDay = changes.birthDate === null ? null : monthDay(changes.birthDate);
      }
      return change;
    }
    case 'service.interaction': {
      const { note: _note, ...rest } = event;
      return rest;
    }
    default:
      return event;
  }
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
