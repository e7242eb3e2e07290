/**
 * What the customer workflow produces from an event: points-ledger entries, cues for the till,
 * tier changes and triggers. All cross process boundaries (workflow → router → NATS → sink, till
 * gateway, campaigns), so all are zod schemas, and the rules' types are inferred from them.
 */
import { z } from 'zod';
import { fieldIssue } from './error-codes.ts';
import { channel, customerId, instant, storeId, tillId } from './events.ts';

/**
 * earn: a sale's points (base, tier, rules, its bonuses) · reverse: what returns of the sale took
 * back (cumulative) · restore: points the sale was paid with, given back by its returns
 * (cumulative) · bonus: a one-off bonus not tied to a sale (registration) · redeem / partner-burn:
 * points spent · redeem-cancel: a cancelled redemption given back · expire · adjust: service desk ·
 * partner-earn: points earned at a partner · merge-in / merge-out: the balance of a customer
 * merged into another, arriving at the survivor and leaving the absorbed customer · pool-out /
 * pool-in: points a household member gives to the member who spends them (household pooling),
 * leaving the giver and arriving at the receiver with their expiry.
 */
export const ledgerEntryKind = z.enum([
  'earn',
  'reverse',
  'restore',
  'bonus',
  'redeem',
  'redeem-cancel',
  'partner-earn',
  'partner-burn',
  'expire',
  'adjust',
  'merge-in',
  'merge-out',
  'pool-out',
  'pool-in',
]);

/**
 * A line of a customer's points ledger. One line per (transaction, kind), revised in place as
 * returns come in: `points` is the line's whole amount at `revision` (for a reversal, the
 * cumulative refunded minor units), and the highest revision is the line's value. So the ledger
 * depends only on which events a customer had, never on the order they arrived in, and a
 * publication from a workflow task that was later retried (with events in another order) is
 * superseded rather than added.
 */
export const ledgerEntry = z.strictObject({
  /** `<customerId>/<transactionId>/<kind>`: stable whatever the order of events. */
  entryId: z.string().min(1),
  customerId,
  /** The event that produced this revision of the line. */
  eventId: z.string().min(1),
  /** What the line belongs to: the sale, the redemption, the adjustment, the expired lot. */
  transactionId: z.string().min(1),
  kind: ledgerEntryKind,
  /** Revisions of one line only grow; the highest one is the line's value. */
  revision: z.number().int().min(0),
  /** Signed: positive for an accrual, negative for a reversal or a spend. */
  points: z.number().int(),
  balanceAfter: z.number().int(),
  storeId,
  occurredAt: instant,
  /** The loyalty rules that produced it, so past entries keep their version. */
  programVersion: z.string().min(1),
  /** The partner, for partner-earn and partner-burn lines. */
  partnerId: z.string().min(1).optional(),
  /** Why, for adjustments (goodwill, correction, …) and expiries (age, inactivity). */
  reason: z.string().min(1).optional(),
  /** The staff member who made an adjustment. */
  operatorId: z.string().min(1).optional(),
});

/** The next tier, and what is missing to it in the tier's own metric. */
export const nextTier = z.strictObject({
  id: z.string(),
  missing: z.number().int().min(0),
  metric: z.enum(['spend', 'points', 'visits']),
});

/** What a cue is about; tills may choose their own wording, icon or language by it. */
export const cueKind = z.enum([
  'welcome',
  'first-purchase',
  'repeat-visit',
  'return',
  'return-of-unknown-sale',
  'points-adjusted',
  /** The event cannot be true of this customer and was not applied: `issues` says why. */
  'refused',
]);

/**
 * A cue as the customer rules produce it: the facts, without wording. The wording is added at
 * publication (`describeCue`), outside the workflow: it is presentation, not a rule, and a
 * workflow re-runs its code on every replay.
 */
export const cueFacts = z.strictObject({
  /** `<eventId>:cue`: idempotent publication, de-duplicated by the stream and the sink. */
  cueId: z.string().min(1),
  customerId,
  eventId: z.string().min(1),
  storeId,
  tillId: tillId.optional(),
  channel,
  occurredAt: instant,
  kind: cueKind,
  /** Points the event added less what it took back (a return's reversal is negative). */
  pointsEarned: z.number().int(),
  pointsBalance: z.number().int(),
  visitsThisMonth: z.number().int().min(0),
  /** Under a loyalty program: points the sale was paid with (its redemption). */
  pointsRedeemed: z.number().int().min(0).optional(),
  /** Points the customer can spend now (the balance less pending points). */
  spendablePoints: z.number().int().optional(),
  /** The customer's tier after the event, and what is missing to the next one. */
  tier: z.string().optional(),
  nextTier: nextTier.optional(),
  /** For a `refused` cue: each field that cannot be true, and why. */
  issues: z.array(fieldIssue).optional(),
});

/** A cue as published to `CUES` and shown at the till. */
export const cue = cueFacts.extend({
  /** Absent only on cues published before cues carried their kind. */
  kind: cueKind.optional(),
  /** The line the till shows to the person at the counter. */
  message: z.string(),
});

/** A customer's tier changed: published to `loyalty.tier.<customerId>`. */
export const tierChange = z.strictObject({
  customerId,
  from: z.string(),
  to: z.string(),
  reason: z.enum(['upgrade', 'downgrade', 'return']),
  at: instant,
});

const points = z.number().int();

/**
 * Something the customer's other rules, campaigns or messages may act on: published to
 * `loyalty.trigger.<customerId>`.
 */
export const loyaltyTrigger = z.discriminatedUnion('kind', [
  z.strictObject({ customerId, kind: z.literal('points-expiring'), points, expiresAt: instant }),
  z.strictObject({
    customerId,
    kind: z.literal('points-expired'),
    points,
    at: instant,
    cause: z.enum(['age', 'inactivity']),
  }),
  z.strictObject({
    customerId,
    kind: z.literal('inactivity-expiry-coming'),
    points,
    expiresAt: instant,
  }),
  z.strictObject({
    customerId,
    kind: z.literal('earn-refused'),
    eventId: z.string(),
    cause: z.enum(['currency-not-in-program', 'unknown-partner']),
  }),
  z.strictObject({
    customerId,
    kind: z.literal('adjustment-clipped'),
    eventId: z.string(),
    asked: points,
    applied: points,
  }),
  /** A return dated after the sale's return period: it takes nothing back. */
  z.strictObject({
    customerId,
    kind: z.literal('return-after-period'),
    eventId: z.string(),
    transactionId: z.string(),
    periodDays: z.number().int(),
  }),
  /** A return held for its sale could not be true of it once the sale came (more than sold). */
  z.strictObject({
    customerId,
    kind: z.literal('return-refused'),
    eventId: z.string(),
    transactionId: z.string(),
    issues: z.array(fieldIssue),
  }),
]);

/**
 * A lifecycle rule fired for a customer (a lapse, a birthday, an item due again, a milestone):
 * published to `TRIGGERS` (`triggers.<customerId>`) for campaigns, stored in ClickHouse, its
 * cue left for the customer's next visit. `<customerId>/<ruleId>@<occasion>` is its id: each
 * occasion fires once.
 */
export const lifecycleTrigger = z.strictObject({
  customerId,
  ruleId: z.string().min(1),
  on: z.enum([
    'lapsed',
    'returned',
    'birthday',
    'membership-anniversary',
    'tier-anniversary',
    'replenishment',
    'visits',
    'lifetime-spend',
  ]),
  /** The occasion: its local date, the purchase a lapse counts from, `once` for a milestone. */
  occasion: z.string().min(1),
  /** When it was due, and when it fired (later when nobody looked at its time). */
  dueAt: instant,
  firedAt: instant,
  /** The cue it leaves for the next visit, and until when it is shown. */
  cue: z.strictObject({ message: z.string(), until: instant }).optional(),
});

/**
 * A customer entered or left a live segment of the program: published to `SEGMENTS`
 * (`segments.<customerId>`) and stored in ClickHouse (`segment_changes`). `cause` says whether an
 * event did it (`eventId`) or time alone (a customer becomes lapsed at day 91 with no event).
 */
export const segmentChange = z.strictObject({
  customerId,
  segmentId: z.string().min(1),
  change: z.enum(['entered', 'exited']),
  at: instant,
  cause: z.enum(['event', 'time']),
  eventId: z.string().min(1).optional(),
  programVersion: z.string().min(1),
});

/** What one delivery caused, as the customer workflow answers it to the router. */
export const effects = z.strictObject({
  ledger: z.array(ledgerEntry),
  cues: z.array(cueFacts),
  tierChanges: z.array(tierChange).optional(),
  triggers: z.array(loyaltyTrigger).optional(),
  lifecycle: z.array(lifecycleTrigger).optional(),
  segments: z.array(segmentChange).optional(),
});

export type LedgerEntry = z.infer<typeof ledgerEntry>;
export type TierChangeMessage = z.infer<typeof tierChange>;
export type LoyaltyTriggerMessage = z.infer<typeof loyaltyTrigger>;
export type LifecycleTriggerMessage = z.infer<typeof lifecycleTrigger>;
export type SegmentChangeMessage = z.infer<typeof segmentChange>;

/** A segment change's id: the same change is the same message and row, whoever publishes it. */
export const segmentChangeId = (
  c: Pick<SegmentChangeMessage, 'customerId' | 'segmentId' | 'change' | 'at'>,
): string => `${c.customerId}/${c.segmentId}/${c.change}@${c.at}`;

/** A lifecycle occasion's id: the same occasion is the same message and row, whoever fires it. */
export const lifecycleTriggerId = (
  fired: Pick<LifecycleTriggerMessage, 'customerId' | 'ruleId' | 'occasion'>,
): string => `${fired.customerId}/${fired.ruleId}@${fired.occasion}`;
export type Cue = z.infer<typeof cue>;
export type CueFacts = z.infer<typeof cueFacts>;
export type CueKind = z.infer<typeof cueKind>;
