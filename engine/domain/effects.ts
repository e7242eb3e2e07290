/**
 * What the customer workflow produces from an event: points-ledger entries and cues for the till.
 * Both cross process boundaries (workflow → NATS → sink and till gateway), so both are zod schemas.
 */
import { z } from 'zod';
import { channel, customerId, instant, storeId, tillId } from './events.ts';

export const ledgerEntryKind = z.enum(['earn', 'reverse']);

export const ledgerEntry = z.strictObject({
  /** `<eventId>:<kind>`: the same event always yields the same entry id. */
  entryId: z.string().min(1),
  customerId,
  eventId: z.string().min(1),
  kind: ledgerEntryKind,
  /** Signed: positive for an accrual, negative for a reversal or a spend. */
  points: z.number().int(),
  balanceAfter: z.number().int(),
  storeId,
  occurredAt: instant,
  /** The loyalty rules that produced it, so past entries keep their version. */
  programVersion: z.string().min(1),
});

export const cue = z.strictObject({
  /** `<eventId>:cue`: idempotent publication, de-duplicated by the stream and the sink. */
  cueId: z.string().min(1),
  customerId,
  eventId: z.string().min(1),
  storeId,
  tillId: tillId.optional(),
  channel,
  occurredAt: instant,
  pointsEarned: z.number().int(),
  pointsBalance: z.number().int(),
  visitsThisMonth: z.number().int().min(0),
  /** The line the till shows to the person at the counter. */
  message: z.string(),
});

export type LedgerEntry = z.infer<typeof ledgerEntry>;
export type Cue = z.infer<typeof cue>;
