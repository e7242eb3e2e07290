/**
 * A customer's timeline, newest first, as the console's customer page shows it: what they did
 * (sales, returns, registrations, profile changes, service contacts, campaign responses,
 * adjustments), the points ledger's lines with the balance after each, the cues tills showed,
 * the lifecycle rules fired, tier changes and segment entries and exits. One zod schema: it
 * crosses NATS (`svc.analytics.customer-timeline`, answered where the analytics store is held).
 * No personal data: a profile change names its fields, never their values.
 */
import { z } from 'zod';
import { customerId, instant } from '../events.ts';

const points = z.number().int();

export const timelineItem = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('event'),
    at: instant,
    type: z.string(),
    storeId: z.string(),
    channel: z.string(),
    eventId: z.string(),
    transactionId: z.string(),
    /** Signed minor units: a return is negative; 0 for events that are not sales or returns. */
    totalMinor: z.number().int(),
  }),
  z.strictObject({
    kind: z.literal('ledger'),
    at: instant,
    entryKind: z.string(),
    points,
    balanceAfter: points,
    storeId: z.string(),
    transactionId: z.string(),
    programVersion: z.string(),
  }),
  z.strictObject({
    kind: z.literal('cue'),
    at: instant,
    storeId: z.string(),
    tillId: z.string(),
    message: z.string(),
  }),
  z.strictObject({
    kind: z.literal('trigger'),
    at: instant,
    ruleId: z.string(),
    triggerKind: z.string(),
    message: z.string(),
  }),
  z.strictObject({ kind: z.literal('tier'), at: instant, from: z.string(), to: z.string() }),
  z.strictObject({
    kind: z.literal('segment'),
    at: instant,
    segmentId: z.string(),
    change: z.string(),
  }),
]);
export type TimelineItem = z.infer<typeof timelineItem>;

export const timelineRequest = z.strictObject({
  customerId,
  /** Items before this moment (the page's "older"); now when absent. */
  before: instant.optional(),
  limit: z.number().int().min(1).max(1000).default(200),
});
export type TimelineRequest = z.infer<typeof timelineRequest>;

export const timelineAnswer = z.strictObject({
  ok: z.literal(true),
  customerId,
  items: z.array(timelineItem),
  /** More items are older than the last one. */
  more: z.boolean(),
});
export type TimelineAnswer = z.infer<typeof timelineAnswer>;
