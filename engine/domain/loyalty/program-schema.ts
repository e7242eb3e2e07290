/**
 * A loyalty program as data: the zod schema of the YAML files under `config/programs/` and of
 * every version published to the program store. docs/programs.md documents it field by field; a program that does not parse is never published, and the error names the
 * field.
 *
 * Workflow code must not import this module (zod in the workflow bundle costs CPU and memory for
 * every customer the worker starts): the evaluator imports its *types* only.
 *
 * Amounts of money are integer minor units; rates are pairs of integers (`points` per `perMinor`)
 * or percentages with at most two decimals, held as integer basis points, so the evaluator never
 * computes money with floats.
 */
import { z } from 'zod';
import { formatPath } from '../events.ts';
import { lifecycle } from '../lifecycle/rules-schema.ts';
import { liveSegment, segmentId } from '../segments/definition.ts';
import { duplicateIds } from '../unique-ids.ts';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'must be 1-48 lower-case letters, digits, "-" or "_"');
const storeId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be a store id');
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"');
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant' });
const count = z.number().int('must be a whole number').min(0, 'must not be negative');
const positive = z.number().int('must be a whole number').min(1, 'must be at least 1');

/**
 * A number with at most two decimals, held as hundredths: a percentage of 12.5 as 1250 basis
 * points, a multiplier of 1.5 as 150 %. The evaluator then computes with integers only.
 */
function hundredths(min: [number, string], max: [number, string]) {
  return z
    .number()
    .min(min[0], min[1])
    .max(max[0], max[1])
    .refine((n) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-6, {
      message: 'may have at most two decimals',
    })
    .transform((n) => Math.round(n * 100));
}

/** A percentage of spend such as 5 or 12.5, held as basis points (1250). */
const percent = hundredths([0, 'must not be negative'], [100, 'is a percentage: at most 100']);

/** A share of a basket, 0 to 100 %, held as basis points. */
const share = hundredths(
  [0, 'must not be negative'],
  [100, 'is a share of the basket: at most 100'],
);

/**
 * A multiplier such as 2 or 1.5, held as a percentage (200, 150). At least 1: rules and tiers
 * add points, they never take base points away.
 */
const multiplier = hundredths(
  [1, 'must be at least 1 (rules and tiers add points; 1 adds nothing)'],
  [100, 'is not a sensible multiplier'],
);

/** `points` points for every `perMinor` minor units (1 point per 100 cents = 1 per euro). */
const rate = z.strictObject({ points: count, perMinor: positive });

/** `{ a: A } | { b: B } | …`: one key of `T` and no other. */
type OneOf<T> = { [K in keyof T]: Pick<T, K> }[keyof T];

/**
 * An object with exactly one of `shape`'s keys, typed as `OneOf` them. Not a union of one-key
 * objects, which can only say that no branch matched: this names a misspelt key, and a bad value
 * at its own field.
 */
function exactlyOne<S extends Record<string, z.ZodType>>(shape: S, message: string) {
  const keys = Object.keys(shape);
  const optional = Object.fromEntries(keys.map((k) => [k, (shape[k] as z.ZodType).optional()]));
  return z
    .strictObject(optional as { [K in keyof S]: z.ZodOptional<S[K]> }, {
      error: (issue) => (issue.code === 'invalid_type' ? message : undefined),
    })
    .refine(
      (value) =>
        keys.filter((k) => (value as Record<string, unknown>)[k] !== undefined).length === 1,
      {
        message,
        // An unknown key is most likely one of these misspelt: naming it is enough.
        when: ({ issues }) =>
          issues.every((i) => i.continue === true && i.code !== 'unrecognized_keys'),
      },
    )
    .transform((value) => value as unknown as OneOf<{ [K in keyof S]: z.output<S[K]> }>);
}

export const rounding = z.enum(['down', 'nearest', 'up']);
export const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
export const channelName = z.enum(['till', 'web']);

/** When a rule applies. Every condition given must hold; an empty `when` always holds. */
export const ruleConditions = z.strictObject({
  /** Lines in any of these categories (line-level). */
  categories: z.array(z.string().min(1)).min(1).optional(),
  /** Lines with any of these SKUs (line-level). */
  skus: z.array(z.string().min(1)).min(1).optional(),
  /** Lines of any of these brands (line-level). */
  brands: z.array(z.string().min(1)).min(1).optional(),
  /** Only lines sold at their full price (unit price = full price, no line discount). */
  fullPriceOnly: z.boolean().optional(),
  channels: z.array(channelName).min(1).optional(),
  stores: z.array(storeId).min(1).optional(),
  /** Regions named in the program's `regions`. */
  regions: z.array(id).min(1).optional(),
  /** From this local date (inclusive), `YYYY-MM-DD`, by the event's own clock. */
  from: z.iso.date().optional(),
  /** Until this local date (inclusive). */
  until: z.iso.date().optional(),
  daysOfWeek: z.array(weekday).min(1).optional(),
  /** The customer's tier when the event happened. */
  tiers: z.array(id).min(1).optional(),
  /** Any of these customer tags (set at registration, for example `staff` or `student`). */
  tags: z.array(id).min(1).optional(),
  /** The customer is in any of these segments of the program when the sale happens. */
  segments: z.array(segmentId).min(1).optional(),
  /** The basket's net total, before returns, at least this many minor units. */
  minBasketMinor: count.optional(),
});

/** What a rule adds, on top of the base points. */
export const ruleEffect = exactlyOne(
  {
    /** Matching lines earn this many times their base points (2 = double points). */
    multiply: multiplier,
    /** Extra points per unit (item) on matching lines. */
    pointsPerItem: positive,
    /** Extra points once per transaction when the conditions hold on any line. */
    bonus: positive,
  },
  'must be exactly one of multiply, pointsPerItem or bonus, with a valid value',
);

export const earnRule = z.strictObject({
  id,
  /** What a marketer calls it; shown in the ledger and the reference. */
  name: z.string().min(1).max(100),
  when: ruleConditions.prefault({}),
  effect: ruleEffect,
  /** Most points this rule gives in one transaction / one customer's day. */
  caps: z
    .strictObject({ perTransaction: positive.optional(), perDay: positive.optional() })
    .optional(),
  /** Rules apply in the order written; `stop: true` skips the rules after this one when it applied. */
  stop: z.boolean().default(false),
});

export const oneOffBonus = z.strictObject({
  id,
  on: z.enum(['registration', 'first-purchase', 'first-web-purchase', 'birthday']),
  points: positive,
});

export const tierLevel = z.strictObject({
  id,
  name: z.string().min(1).max(100),
  /** The qualifying metric over the window that reaches this tier (minor units for spend). */
  threshold: count,
  /** Multiplies the base points of every sale while in this tier (1 = no change). */
  earnMultiplier: multiplier.prefault(1),
  /** Perks as data, shown at the till and in the customer's outlook. */
  perks: z.array(z.string().min(1).max(200)).default([]),
  /** A tier once reached is never lost to a review (staff, founders). */
  neverDowngrade: z.boolean().default(false),
});

export const tiers = z
  .strictObject({
    /** What qualifies: net spend (minor units), points earned (not the balance), or visits. */
    metric: z.enum(['spend', 'points', 'visits']),
    /** The rolling window: this calendar month and the months before it. */
    windowMonths: z.number().int().min(1).max(36).default(12),
    /** Tiers are reviewed every this many months after the customer's first event. */
    reviewMonths: z.number().int().min(1).max(36).default(12),
    /** Days after a failed review before the downgrade applies; qualifying again cancels it. */
    graceDays: count.max(366).default(0),
    /** At a downgrade: one level down, or to the level the metric gives. */
    downgrade: z.enum(['one-level', 'to-metric']).default('one-level'),
    /** From lowest to highest; the first has threshold 0 and is every member's tier. */
    levels: z.array(tierLevel).min(1),
  })
  .superRefine((t, ctx) => {
    if (t.levels[0] && t.levels[0].threshold !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['levels', 0, 'threshold'],
        message: "must be 0: the first tier is every member's",
      });
    }
    t.levels.forEach((level, i) => {
      const before = t.levels[i - 1];
      if (i > 0 && before && level.threshold <= before.threshold) {
        ctx.addIssue({
          code: 'custom',
          path: ['levels', i, 'threshold'],
          message: `must be above ${before.id}'s ${before.threshold}`,
        });
      }
    });
    duplicateIds(t.levels, ['levels'], ctx);
  });

export const market = z.strictObject({
  id,
  currency,
  /**
   * How the market's money converts to the program's: `minor` of this market's minor units are
   * worth `programMinor` of the program's. Both ways round down, so converting never gains.
   */
  rate: z.strictObject({ minor: positive, programMinor: positive }),
  earn: z.boolean().default(true),
  redeem: z.boolean().default(true),
});

export const partner = z.strictObject({
  id,
  name: z.string().min(1).max(100),
  /** Points for spend at the partner, in the partner's currency (a market's or the program's). */
  earn: rate.optional(),
  /** Whether the customer may spend points at the partner (at the program's point value). */
  burn: z.boolean().default(false),
});

export const loyaltyProgram = z
  .strictObject({
    /** The program's id: versions of one program share it. */
    id,
    name: z.string().min(1).max(100),
    /** The program's currency: a point's value is fixed in it. */
    currency,
    /**
     * When this version comes into force. Events that happened earlier keep the version in force
     * then; absent, the version applies from when it is published.
     */
    effectiveFrom: instant.optional(),
    /** What points are worth when spent: `points` points pay `minor` minor units. */
    pointValue: z.strictObject({ points: positive, minor: positive }),
    earn: z.strictObject({
      /** Points for eligible spend: a rate, or a percentage of the receipt paid back in points. */
      base: exactlyOne(
        { rate, percentOfSpend: percent },
        'must be exactly one of rate ({ points, perMinor }) or percentOfSpend, with a valid value',
      ),
      rounding: rounding.default('down'),
      /** Spend paid with these tenders earns nothing (points never earn points). */
      excludeTenders: z
        .array(z.enum(['cash', 'card', 'gift_card', 'points', 'voucher', 'other']))
        .default(['points', 'gift_card']),
      /** Leave the tax each line carries out of eligible spend. */
      excludeTax: z.boolean().default(false),
      /** Lines in these categories earn nothing (tobacco, lottery, delivery). */
      excludeCategories: z.array(z.string().min(1)).default([]),
      rules: z.array(earnRule).default([]),
      bonuses: z.array(oneOffBonus).default([]),
    }),
    tiers: tiers.optional(),
    redemption: z
      .strictObject({
        minimumPoints: count.default(0),
        /** At most this share of a basket may be paid with points. */
        maxBasketShare: share.prefault(100),
        channels: z.array(channelName).min(1).default(['till', 'web']),
      })
      .prefault({}),
    expiry: z
      .strictObject({
        /** Each accrual expires this many months after it was earned (oldest spent first). */
        lotMonths: positive.max(120).optional(),
        /** Or every point expires after this many months without a sale or redemption. */
        inactivityMonths: positive.max(120).optional(),
        /** A warning trigger this many days before points expire. */
        warnDays: count.max(366).default(30),
      })
      .prefault({}),
    /** Accruals are pending (not spendable) this many days: the return period. */
    pendingDays: count.max(366).default(0),
    returns: z
      .strictObject({
        /**
         * What a return may take back: only points still pending, points within the balance
         * (never below zero), or everything the lines earned (the balance may go negative).
         */
        policy: z.enum(['pending-only', 'within-balance', 'unlimited']).default('within-balance'),
        /**
         * How long after a sale a return is accepted. Sales are remembered this long (so a return
         * can reverse exactly what its lines earned); a later return reverses nothing.
         */
        periodDays: positive.max(730).default(90),
      })
      .prefault({}),
    /** Regions by the stores in them, for rules with `regions`. */
    regions: z.record(id, z.array(storeId).min(1)).default({}),
    /** Other markets: their currency and rate to the program's. */
    markets: z.array(market).default([]),
    partners: z.array(partner).default([]),
    adjustments: z
      .strictObject({
        /** The largest manual adjustment an operator may make, in points either way. */
        maxPoints: positive.default(100_000),
      })
      .prefault({}),
    /**
     * Households (a family grouped at the service desk). With `pooling`, any member may spend the
     * household's points: what the member lacks moves from the other members' spendable points
     * (oldest first, keeping their expiry) just before the redemption. Absent: no pooling.
     */
    households: z.strictObject({ pooling: z.boolean().default(false) }).optional(),
    /** Lifecycle triggers: lapses, returns, birthdays, replenishment, milestones. */
    lifecycle: lifecycle.optional(),
    /**
     * Live segments (docs/segments.md): evaluated in each customer's workflow on every event and
     * when time alone changes them; entries and exits are published and stored.
     */
    segments: z.array(liveSegment).max(200).optional(),
  })
  .superRefine((p, ctx) => {
    duplicateIds(p.earn.rules, ['earn', 'rules'], ctx);
    duplicateIds(p.segments ?? [], ['segments'], ctx);
    const segmentIds = new Set(p.segments?.map((s) => s.id) ?? []);
    p.earn.rules.forEach((rule, i) => {
      rule.when.segments?.forEach((segment, j) => {
        if (!segmentIds.has(segment)) {
          ctx.addIssue({
            code: 'custom',
            path: ['earn', 'rules', i, 'when', 'segments', j],
            message: `names no segment of this program ("${segment}")`,
          });
        }
      });
    });
    duplicateIds(p.earn.bonuses, ['earn', 'bonuses'], ctx);
    duplicateIds(p.markets, ['markets'], ctx);
    duplicateIds(p.partners, ['partners'], ctx);
    if (p.returns.policy === 'pending-only' && p.pendingDays === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['returns', 'policy'],
        message:
          'is pending-only, but pendingDays is 0: no point is ever pending, so returns would take nothing back',
      });
    }
    const tierIds = new Set(p.tiers?.levels.map((l) => l.id) ?? []);
    p.earn.rules.forEach((rule, i) => {
      rule.when.tiers?.forEach((tier, j) => {
        if (!tierIds.has(tier)) {
          ctx.addIssue({
            code: 'custom',
            path: ['earn', 'rules', i, 'when', 'tiers', j],
            message: `names no tier of this program ("${tier}")`,
          });
        }
      });
      rule.when.regions?.forEach((region, j) => {
        if (!Object.hasOwn(p.regions, region)) {
          ctx.addIssue({
            code: 'custom',
            path: ['earn', 'rules', i, 'when', 'regions', j],
            message: `names no region of this program ("${region}")`,
          });
        }
      });
      if (rule.when.from && rule.when.until && rule.when.from > rule.when.until) {
        ctx.addIssue({
          code: 'custom',
          path: ['earn', 'rules', i, 'when', 'until'],
          message: 'is before `from`',
        });
      }
    });
    const currencies = new Set<string>();
    p.markets.forEach((m, i) => {
      if (currencies.has(m.currency)) {
        ctx.addIssue({
          code: 'custom',
          path: ['markets', i, 'currency'],
          message: `repeats ${m.currency}: one market per currency`,
        });
      }
      currencies.add(m.currency);
      if (m.currency === p.currency) {
        ctx.addIssue({
          code: 'custom',
          path: ['markets', i, 'currency'],
          message: "is the program's own currency; a market is for another one",
        });
      }
    });
  });

/** A program as written in a file. */
export type ProgramInput = z.input<typeof loyaltyProgram>;
/** A program parsed, with every default filled. */
export type ProgramDefinition = z.infer<typeof loyaltyProgram>;

/**
 * A published version: the definition, its version number within the program, and when it is in
 * force from (the definition's `effectiveFrom`, or the moment it was published).
 */
export interface Program extends ProgramDefinition {
  /** `<id>@<n>`: on every ledger line it produced. */
  version: string;
  effectiveFrom: string;
}

export type EarnRule = z.infer<typeof earnRule>;
export type TierLevel = z.infer<typeof tierLevel>;
export type Market = z.infer<typeof market>;

export interface ProgramIssue {
  field: string;
  message: string;
}

export class ProgramError extends Error {
  constructor(
    readonly source: string,
    readonly issues: ProgramIssue[],
  ) {
    super(
      `${source} is not a valid loyalty program:\n${issues.map((i) => `  ${i.field}: ${i.message}`).join('\n')}`,
    );
    this.name = 'ProgramError';
  }
}

/** Parses a program definition; throws a `ProgramError` naming each bad field. */
export function parseProgram(input: unknown, source = 'the program'): ProgramDefinition {
  const result = loyaltyProgram.safeParse(input);
  if (result.success) return result.data;
  throw new ProgramError(
    source,
    result.error.issues.map((issue) => ({
      field: formatPath(issue.path) || '(program)',
      message: issue.message,
    })),
  );
}
