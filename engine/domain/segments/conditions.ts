/**
 * A segment's condition as data: what the segment language (engine/segments/expression.ts)
 * compiles to. Pure and JSON, so a customer's workflow can evaluate it and keep it in its history
 * unchanged (importing this module, not the parser, nor zod: its schema is condition-schema.ts).
 *
 * The measures a condition can name are the catalog below: each is a number, a word (a tier, a
 * store) or a set of words (tags, categories bought), and some are over a window of days
 * (`spend_minor(90)`: spend in the last 90 days, in minor units).
 */
export const MEASURES = {
  recency_days: { type: 'number', windowed: false, about: 'days since the last purchase' },
  visits: { type: 'number', windowed: true, about: 'purchases in the last N days' },
  spend_minor: { type: 'number', windowed: true, about: 'net spend in the last N days' },
  margin_minor: {
    type: 'number',
    windowed: true,
    about: 'net margin (price less cost) in the last N days',
  },
  points_balance: { type: 'number', windowed: false, about: 'points held now' },
  age: { type: 'number', windowed: false, about: 'age in whole years, from the birth date' },
  tier: { type: 'word', windowed: false, about: 'loyalty tier' },
  home_store: { type: 'word', windowed: false, about: 'the store of most purchases' },
  channel: { type: 'word', windowed: false, about: 'till or web, whichever most purchases used' },
  tags: { type: 'words', windowed: false, about: "the customer's tags" },
  categories: { type: 'words', windowed: true, about: 'categories bought in the last N days' },
} as const;

export type MeasureName = keyof typeof MEASURES;

/** The longest window a measure may look back over (ten years). */
export const MAX_WINDOW_DAYS = 3650;

export interface Measure {
  measure: MeasureName;
  /** For a windowed measure: the days it looks back over. */
  days?: number;
}

export const COMPARISONS = ['<', '<=', '>', '>=', '==', '!='] as const;
export type Comparison = (typeof COMPARISONS)[number];

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  /** A number or a word against a value. */
  | { of: Measure; compare: Comparison; value: number | string }
  /** A number or a word is one of the values. */
  | { of: Measure; oneOf: (number | string)[] }
  /** A set of words holds the word. */
  | { of: Measure; has: string };

/** A measure's value for one customer; undefined when unknown (no purchase yet, no birth date). */
export type MeasureValue = number | string | readonly string[] | undefined;

/**
 * Whether a customer meets the condition, given their measures. A comparison with an unknown
 * value is not met (a customer who never bought is not `recency_days > 90`), so its `not` is.
 */
export function meets(cond: Condition, measured: (m: Measure) => MeasureValue): boolean {
  if ('all' in cond) return cond.all.every((c) => meets(c, measured));
  if ('any' in cond) return cond.any.some((c) => meets(c, measured));
  if ('not' in cond) return !meets(cond.not, measured);
  const value = measured(cond.of);
  if (value === undefined) return false;
  if ('has' in cond) return Array.isArray(value) && value.includes(cond.has);
  if ('oneOf' in cond) return cond.oneOf.includes(value as number | string);
  if (typeof value !== typeof cond.value) return false;
  const [a, b] = [value as number | string, cond.value];
  switch (cond.compare) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

/** The measures a condition names, each once (what a customer must keep to evaluate it). */
export function measuresOf(cond: Condition): Measure[] {
  const seen = new Map<string, Measure>();
  const walk = (c: Condition) => {
    if ('all' in c) c.all.forEach(walk);
    else if ('any' in c) c.any.forEach(walk);
    else if ('not' in c) walk(c.not);
    else seen.set(`${c.of.measure}/${c.of.days ?? ''}`, c.of);
  };
  walk(cond);
  return [...seen.values()];
}
