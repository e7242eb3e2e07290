/**
 * Households: customers grouped at the service desk (a family), so the 360 view shows them
 * together and, where the program pools points (`households.pooling`), any member may spend the
 * household's points. The messages of `svc.identity.household`; one household per customer.
 */
import { z } from 'zod';
import { errorAnswer } from '../error-codes.ts';
import { channel, customerId, instant, storeId, tillId } from '../events.ts';

/** The most members a household may have. */
export const HOUSEHOLD_MEMBERS_MAX = 12;

export const householdId = z
  .string()
  .regex(
    /^h-[A-Za-z0-9_-]{1,60}$/,
    'must be a household id: "h-" then letters, digits, "-" or "_"',
  );

export const household = z.strictObject({
  householdId,
  /** Oldest member first (empty only while the household is being made). */
  members: z.array(customerId).max(HOUSEHOLD_MEMBERS_MAX),
  createdAt: instant,
});
export type Household = z.infer<typeof household>;

/** A service desk's change to a household: make one, add a member, take one out. */
export const householdRequest = z
  .strictObject({
    change: z.enum(['create', 'join', 'leave']),
    /** Chosen by the desk for `create` (asking again makes nothing new); the household's for the others. */
    householdId,
    /** For `create`: its first members; for `join` and `leave`: the one member. */
    customerIds: z.array(customerId).min(1).max(HOUSEHOLD_MEMBERS_MAX),
    operatorId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a staff id'),
    at: instant.optional(),
    channel,
    storeId,
    tillId: tillId.optional(),
  })
  .superRefine((request, ctx) => {
    const seen = new Set<string>();
    request.customerIds.forEach((id, i) => {
      if (seen.has(id)) {
        ctx.addIssue({ code: 'custom', path: ['customerIds', i], message: 'is named twice' });
      }
      seen.add(id);
    });
    if (request.change !== 'create' && request.customerIds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['customerIds'],
        message: `names one customer to ${request.change}`,
      });
    }
  });
export type HouseholdRequest = z.infer<typeof householdRequest>;

export const householdAnswer = z.union([
  z.strictObject({ ok: z.literal(true), household: household.nullable() }),
  errorAnswer,
]);
export type HouseholdAnswer = z.infer<typeof householdAnswer>;
