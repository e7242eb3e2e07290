/**
 * Lifecycle rules: the moments in a customer's life with the retailer that campaigns and tills
 * act on, as the `lifecycle` section of a loyalty program file. Part of the program so they are
 * versioned, published and checked with it (errors name the field and the line), and each
 * customer's workflow applies the version in force, as it does for points.
 *
 * Each rule is one of:
 * - `lapsed`: no purchase for `afterDays` (per tier or customer type where given);
 * - `returned`: a purchase after at least `afterDays` without one (a lapsed customer's return);
 * - `birthday`, `membership-anniversary`, `tier-anniversary`: yearly, at local time `at`,
 *   `leadDays` before the day;
 * - `replenishment`: a SKU or category due again: after the customer's own mean interval once
 *   they bought it `minPurchases` times, else after `cycleDays`; `leadDays` before;
 * - `visits`: the Nth visit; `lifetime-spend`: net spend reaching `thresholdMinor`.
 *
 * A rule may leave a cue waiting for the customer's next visit (`cue`): shown at the till's
 * identification and in the 360 view until `validDays` after it fired.
 *
 * Only types leave this module for the rules the workflow runs (zod stays out of its bundle).
 */
import { z } from 'zod';
import { duplicateIds } from '../unique-ids.ts';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'must be 1-48 lower-case letters, digits, "-" or "_"');
const days = z.number().int('must be a whole number of days').min(1, 'must be at least 1 day');
const leadDays = z
  .number()
  .int('must be a whole number of days')
  .min(0, 'must not be negative')
  .max(60, 'is more than 60 days ahead');
const localTime = z
  .string()
  .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be a local time such as "09:00"');

/** An IANA time zone this runtime knows ("Europe/Berlin"). */
export const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as "Europe/Berlin"' },
);

/** What a rule leaves for the customer's next visit: a line for staff, stale after `validDays`. */
const cue = z.strictObject({
  /** The line shown to the person serving the customer. */
  message: z.string().min(1).max(200),
  validDays: days.max(366).default(7),
});

const common = {
  id,
  cue: cue.optional(),
};

const perTier = z.record(id, days);
const perCustomerType = z.partialRecord(z.enum(['individual', 'business', 'staff']), days);

export const lifecycleRule = z.discriminatedUnion(
  'on',
  [
    z.strictObject({
      ...common,
      on: z.literal('lapsed'),
      afterDays: days,
      /** Other lapses for customers of a tier, or of a customer type (the tier's wins). */
      byTier: perTier.optional(),
      byCustomerType: perCustomerType.optional(),
    }),
    z.strictObject({ ...common, on: z.literal('returned'), afterDays: days }),
    z.strictObject({
      ...common,
      on: z.enum(['birthday', 'membership-anniversary', 'tier-anniversary']),
      at: localTime.default('09:00'),
      leadDays: leadDays.default(0),
    }),
    z
      .strictObject({
        ...common,
        on: z.literal('replenishment'),
        skus: z.array(z.string().min(1)).min(1).optional(),
        categories: z.array(z.string().min(1)).min(1).optional(),
        /** The cycle until the customer's own interval is known. */
        cycleDays: days,
        /** Purchases of it before the customer's own mean interval is used. */
        minPurchases: z
          .number()
          .int()
          .min(2, 'must be at least 2 (an interval needs two)')
          .default(3),
        leadDays: leadDays.default(0),
        at: localTime.default('09:00'),
      })
      .refine((rule) => (rule.skus === undefined) !== (rule.categories === undefined), {
        message: 'names skus or categories, one of the two',
        path: ['skus'],
      }),
    z.strictObject({
      ...common,
      on: z.literal('visits'),
      count: z.number().int().min(1, 'must be at least 1'),
    }),
    z.strictObject({
      ...common,
      on: z.literal('lifetime-spend'),
      thresholdMinor: z.number().int().min(1, 'must be at least 1 minor unit'),
    }),
  ],
  {
    error: () =>
      'must be one of "lapsed", "returned", "birthday", "membership-anniversary", "tier-anniversary", "replenishment", "visits", "lifetime-spend"',
  },
);

export const lifecycle = z
  .strictObject({
    /** Where a customer's local times are, unless their home store has its own. */
    timeZone: timeZone.default('UTC'),
    /** Stores in other time zones than `timeZone`. */
    storeTimeZones: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/), timeZone).default({}),
    /** Where a yearly occasion on 29 February falls in other years. */
    leapDay: z.enum(['feb-28', 'mar-1']).default('feb-28'),
    /**
     * Minutes over which customers' occasions due at one instant (every birthday at 09:00) are
     * spread: each customer fires at a fixed offset within them, from their id, so the timers
     * come at a rate the engine has room for beside the sales. 0: each at the due instant.
     */
    spreadMinutes: z.number().int().min(0).max(720).default(0),
    rules: z.array(lifecycleRule).max(100).default([]),
  })
  .superRefine((section, ctx) => duplicateIds(section.rules, ['rules'], ctx));

export type LifecycleRule = z.infer<typeof lifecycleRule>;
export type Lifecycle = z.infer<typeof lifecycle>;
