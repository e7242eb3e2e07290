/**
 * The customer questions: who the customers are and how they buy. Each is one function of the
 * store, its parameters and the as-of moment, and a `Question` for the registry (registry.ts).
 *
 * What each reads, for the 1 s budget on 1M customers / 20M sale lines:
 * - `customer_days` (daily aggregate) where a customer's sales, returns and spend per day,
 *   store and channel suffice: rfm, not-seen, channel-preference, demographics, and the RFM part
 *   of clusters and of the segment comparisons;
 * - `sale_lines` (facts, plainly: duplicates are kept out at insert) only for what a line alone
 *   knows: full price, category, the basket's categories;
 * - dimensions `customers` (FINAL: one row per member, a small table) and `tier_changes`.
 * Every value is a bound parameter; only table names (qualified) and fixed SQL are spliced.
 */
import { z } from 'zod';
import { qualified } from '../schema.ts';
import type { AnalyticsStore, QueryParams } from '../store.ts';
import { kMeans, minMaxScale } from './kmeans.ts';
import {
  type Grouping,
  populationForms,
  populationGrouping,
  resolvePopulation,
  rfmGrouping,
} from './population.ts';
import {
  type Answer,
  type AnswerRow,
  type AnyQuestion,
  type Column,
  defineQuestion,
  flag,
  integer,
  param,
} from './question.ts';
import { RFM_SEGMENTS, rfmScoresSql } from './rfm-sql.ts';
import { addDays, dayOf, onDays, onFacts, windowOf, windowParams } from './window.ts';

/** 64-bit integers arrive as strings (store.ts); the figures here fit a JS number. */
const num = (value: unknown): number => Number(value);
/** An average in minor units, rounded half up; null without anything to average. */
const averageMoney = (total: number, n: number): number | null =>
  n === 0 ? null : Math.round(total / n);
const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

const col = (name: string, kind: Column['kind']): Column => ({ name, kind });

const days = (fallback: number) =>
  integer(`days up to the as-of day (inclusive) to look at (${fallback})`, fallback, 1, 3660);
const limit = () => integer('customers to list at most (100)', 100, 1, 100_000);
const population = () =>
  param(
    z.string().min(1).optional(),
    `the customers to look at: ${populationForms()}; without it, each RFM segment`,
  );

/** Net value of a sale line, as the events' totals count it. */
const LINE_NET = '(quantity * unit_price - discount)';
const FULL_PRICE = 'unit_price >= full_price AND discount = 0';

/** The population asked for as a grouping of one, or every customer's RFM segment. */
function groupingFor(
  store: AnalyticsStore,
  spec: string | undefined,
  asOf: Date,
  windowDays: number,
): Grouping {
  if (spec === undefined) return rfmGrouping(store.database, asOf, windowDays);
  return populationGrouping(resolvePopulation(spec, { database: store.database, asOf }));
}

// ---------------------------------------------------------------------------------------------
// rfm

const rfmParams = z.object({
  days: days(365),
  customers: flag('list customers with their scores instead of the segment sizes'),
  segment: param(
    z.enum(RFM_SEGMENTS).optional(),
    `with --customers: only this segment (${RFM_SEGMENTS.join(', ')})`,
  ),
  limit: limit(),
});

export async function rfm(
  store: AnalyticsStore,
  params: z.output<typeof rfmParams>,
  asOf: Date,
): Promise<Answer> {
  const scored = rfmScoresSql(store.database, windowOf(asOf, params.days), '');
  if (params.customers) {
    const where = params.segment === undefined ? '' : 'WHERE segment = {segment:String}';
    const bound: QueryParams = { ...scored.params, limit: params.limit };
    if (params.segment !== undefined) bound.segment = params.segment;
    const rows = await store.query<Record<string, string>>(
      `SELECT *, count() OVER () AS total FROM (${scored.sql}) ${where}
       ORDER BY monetary DESC, customer_id LIMIT {limit:UInt32}`,
      bound,
    );
    return {
      columns: [
        col('customer_id', 'text'),
        col('segment', 'text'),
        col('recency_days', 'count'),
        col('frequency', 'count'),
        col('monetary', 'money'),
        col('r', 'count'),
        col('f', 'count'),
        col('m', 'count'),
      ],
      rows: rows.map((row) => ({
        customer_id: row.customer_id as string,
        segment: row.segment as string,
        recency_days: num(row.recency),
        frequency: num(row.frequency),
        monetary: num(row.monetary),
        r: num(row.r),
        f: num(row.f),
        m: num(row.m),
      })),
      summary: {
        columns: [col('customers', 'count')],
        values: { customers: num(rows[0]?.total ?? 0) },
      },
    };
  }
  const rows = await store.query<Record<string, string>>(
    `SELECT segment, count() AS customers, sum(recency) AS recency, sum(frequency) AS frequency,
       sum(monetary) AS monetary
     FROM (${scored.sql}) GROUP BY segment`,
    scored.params,
  );
  const bySegment = new Map(rows.map((row) => [row.segment, row]));
  const total = rows.reduce((sum, row) => sum + num(row.customers), 0);
  return {
    columns: [
      col('segment', 'text'),
      col('customers', 'count'),
      col('share', 'ratio'),
      col('avg_recency_days', 'ratio'),
      col('avg_frequency', 'ratio'),
      col('avg_monetary', 'money'),
    ],
    rows: RFM_SEGMENTS.map((segment) => {
      const row = bySegment.get(segment);
      const n = num(row?.customers ?? 0);
      return {
        segment,
        customers: n,
        share: ratio(n, total),
        avg_recency_days: ratio(num(row?.recency ?? 0), n),
        avg_frequency: ratio(num(row?.frequency ?? 0), n),
        avg_monetary: averageMoney(num(row?.monetary ?? 0), n),
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// not-seen

const notSeenParams = z.object({
  days: integer('not seen for at least this many days before the as-of day (90)', 90, 1, 36_600),
  limit: limit(),
});

/**
 * Customers whose last visit (a sale or a return, up to the as-of day) was at least `days`
 * days before the as-of day; those who never came are not counted. Most valuable first.
 */
export async function notSeen(
  store: AnalyticsStore,
  params: z.output<typeof notSeenParams>,
  asOf: Date,
): Promise<Answer> {
  const to = dayOf(asOf);
  const rows = await store.query<Record<string, string>>(
    `SELECT customer_id, toString(last_day) AS last_visit, dateDiff('day', last_day, {to:Date}) AS days_since,
       lifetime, count() OVER () AS total
     FROM (
       SELECT customer_id, max(day) AS last_day, sum(net_minor) AS lifetime
       FROM ${qualified(store.database, 'customer_days')}
       WHERE day <= {to:Date}
       GROUP BY customer_id
       HAVING last_day <= {cutoff:Date}
     )
     ORDER BY lifetime DESC, customer_id LIMIT {limit:UInt32}`,
    { to, cutoff: addDays(to, -params.days), limit: params.limit },
  );
  return {
    columns: [
      col('customer_id', 'text'),
      col('last_visit', 'date'),
      col('days_since', 'count'),
      col('lifetime_spend', 'money'),
    ],
    rows: rows.map((row) => ({
      customer_id: row.customer_id as string,
      last_visit: row.last_visit as string,
      days_since: num(row.days_since),
      lifetime_spend: num(row.lifetime),
    })),
    summary: {
      columns: [col('customers', 'count'), col('not_seen_days', 'count')],
      values: { customers: num(rows[0]?.total ?? 0), not_seen_days: params.days },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// full-price-index

const windowAndPopulation = z.object({ days: days(365), population: population() });

/**
 * Each group's (a population's, or each RFM segment's) share of its spend bought at full price
 * (unit price at least the full price, no discount), against all customers' share (member
 * sales): index = 100 × group share / everyone's share.
 */
export async function fullPriceIndex(
  store: AnalyticsStore,
  params: z.output<typeof windowAndPopulation>,
  asOf: Date,
): Promise<Answer> {
  const grouping = groupingFor(store, params.population, asOf, params.days);
  const rows = await store.query<Record<string, string>>(
    `SELECT g.grp AS grp, sum(s.net) AS net, sum(s.full) AS full
     FROM (
       SELECT customer_id, sum(${LINE_NET}) AS net, sumIf(${LINE_NET}, ${FULL_PRICE}) AS full
       FROM ${qualified(store.database, 'sale_lines')}
       WHERE customer_id != '' AND ${onFacts()}
       GROUP BY customer_id
     ) AS s
     LEFT JOIN (${grouping.sql}) AS g ON g.customer_id = s.customer_id
     GROUP BY grp`,
    { ...windowParams(windowOf(asOf, params.days)), ...grouping.params },
  );
  const all = rows.reduce(
    (acc, row) => ({ net: acc.net + num(row.net), full: acc.full + num(row.full) }),
    { net: 0, full: 0 },
  );
  const allShare = ratio(all.full, all.net);
  const byGroup = new Map(rows.map((row) => [row.grp, row]));
  const line = (group: string, net: number, full: number): AnswerRow => {
    const share = ratio(full, net);
    return {
      group,
      spend: net,
      full_price_spend: full,
      full_price_share: share,
      index: share === null || !allShare ? null : (100 * share) / allShare,
    };
  };
  return {
    columns: [
      col('group', 'text'),
      col('spend', 'money'),
      col('full_price_spend', 'money'),
      col('full_price_share', 'ratio'),
      col('index', 'ratio'),
    ],
    rows: [
      ...grouping.groups.map((group) => {
        const row = byGroup.get(group);
        return line(group, num(row?.net ?? 0), num(row?.full ?? 0));
      }),
      line('all customers', all.net, all.full),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// cross-sell

const crossSellParams = z.object({
  days: days(365),
  pairs: flag("list each tier's top category pairs instead of the basket figures"),
  top: integer('with --pairs: pairs per tier (5)', 5, 1, 1000),
});

/** Each member's tier as of the moment: the latest change's `to_tier` ('base' without any). */
const tiersSql = (store: AnalyticsStore) =>
  `SELECT customer_id, argMax(to_tier, (at, to_tier)) AS tier
   FROM ${qualified(store.database, 'tier_changes')}
   WHERE at <= {asOf:DateTime64(3, 'UTC')}
   GROUP BY customer_id`;

/**
 * The categories sold in the window, sorted, from the daily aggregate `category_days` (filled
 * from every sale line, so no line's category is missing): a category's place in this list is
 * its bit in a basket's mask and its slot in the per-customer arrays.
 */
async function windowCategories(store: AnalyticsStore, bound: QueryParams): Promise<string[]> {
  const rows = await store.query<{ category: string }>(
    `SELECT DISTINCT toString(category) AS category
     FROM ${qualified(store.database, 'category_days')}
     WHERE ${onDays()} ORDER BY category`,
    bound,
  );
  return rows.map((row) => row.category);
}

/** A line's category as its place in `{cats:Array(String)}`: a hash lookup, not a scan. */
const CATEGORY_PLACE =
  'transform(category, {cats:Array(String)}, range(length({cats:Array(String)})), 0)';

/**
 * Members' baskets (one sale: customer, day, store, transaction) in the window, each as the set
 * of its categories in a bit mask, counted by tier and mask. Masks rather than arrays of
 * names: a basket's set is a bitwise OR of its lines, and equal sets count in one row. The
 * baskets are grouped in the sorting key's order (a basket's lines are adjacent), which
 * streams instead of hashing millions of baskets: end the query with `IN_ORDER`.
 */
const basketMasksSql = (store: AnalyticsStore, mask: string) =>
  `SELECT if(t.tier = '', 'base', t.tier) AS tier, b.mask AS mask, count() AS baskets
   FROM (
     SELECT customer_id, groupBitOr(bitShiftLeft(to${mask}(1), ${CATEGORY_PLACE})) AS mask
     FROM ${qualified(store.database, 'sale_lines')}
     WHERE customer_id != '' AND ${onFacts()}
     GROUP BY customer_id, toDate(occurred_at), store_id, transaction_id
   ) AS b
   LEFT JOIN (${tiersSql(store)}) AS t ON t.customer_id = b.customer_id
   GROUP BY tier, mask`;
const IN_ORDER = 'SETTINGS optimize_aggregation_in_order = 1';

/**
 * By tier: baskets, their average number of distinct categories, the attach rate (share of
 * baskets with two categories or more); with `pairs`, for each category A and other category
 * B, the share of baskets holding A that also hold B (top by baskets holding both).
 */
export async function crossSell(
  store: AnalyticsStore,
  params: z.output<typeof crossSellParams>,
  asOf: Date,
): Promise<Answer> {
  const window = windowParams(windowOf(asOf, params.days));
  const cats = await windowCategories(store, window);
  if (cats.length > 256) {
    throw new Error(`cross-sell handles at most 256 categories; the window has ${cats.length}`);
  }
  const mask = cats.length <= 64 ? 'UInt64' : 'UInt256';
  const bound = {
    ...window,
    cats,
    asOf: `${asOf.toISOString().replace('T', ' ').replace('Z', '')}`,
  };
  if (!params.pairs) {
    const rows = await store.query<Record<string, string>>(
      `SELECT tier, sum(baskets) AS all_baskets, sum(baskets * bitCount(mask)) AS categories,
         sumIf(baskets, bitCount(mask) >= 2) AS multi
       FROM (${basketMasksSql(store, mask)}) GROUP BY tier ORDER BY tier ${IN_ORDER}`,
      bound,
    );
    return {
      columns: [
        col('tier', 'text'),
        col('baskets', 'count'),
        col('avg_categories', 'ratio'),
        col('attach_rate', 'ratio'),
      ],
      rows: rows.map((row) => ({
        tier: row.tier as string,
        baskets: num(row.all_baskets),
        avg_categories: ratio(num(row.categories), num(row.all_baskets)),
        attach_rate: ratio(num(row.multi), num(row.all_baskets)),
      })),
    };
  }
  // Every ordered pair of a basket's categories, (A, A) included: that one counts baskets with A.
  const rows = await store.query<Record<string, string>>(
    `SELECT tier, {cats:Array(String)}[pair.1 + 1] AS a, {cats:Array(String)}[pair.2 + 1] AS b,
       sum(baskets) AS with_both
     FROM (
       SELECT tier, baskets,
         arrayFilter(i -> bitAnd(bitShiftRight(mask, i), 1) = 1, range(length({cats:Array(String)}))) AS bits
       FROM (${basketMasksSql(store, mask)})
     )
     ARRAY JOIN arrayFlatten(arrayMap(x -> arrayMap(y -> (x, y), bits), bits)) AS pair
     GROUP BY tier, a, b ${IN_ORDER}`,
    bound,
  );
  const withA = new Map<string, number>();
  for (const row of rows) {
    if (row.a === row.b) withA.set(`${row.tier}\u0000${row.a}`, num(row.with_both));
  }
  const pairs = rows
    .filter((row) => row.a !== row.b)
    .map((row) => {
      const both = num(row.with_both);
      const holdingA = withA.get(`${row.tier}\u0000${row.a}`) ?? 0;
      return {
        tier: row.tier as string,
        category: row.a as string,
        also_bought: row.b as string,
        baskets_with_both: both,
        baskets_with_category: holdingA,
        attach_rate: ratio(both, holdingA),
      };
    })
    .sort(
      (x, y) =>
        x.tier.localeCompare(y.tier) ||
        y.baskets_with_both - x.baskets_with_both ||
        (y.attach_rate ?? 0) - (x.attach_rate ?? 0) ||
        x.category.localeCompare(y.category) ||
        x.also_bought.localeCompare(y.also_bought),
    );
  const shown = new Map<string, number>();
  return {
    columns: [
      col('tier', 'text'),
      col('category', 'text'),
      col('also_bought', 'text'),
      col('baskets_with_both', 'count'),
      col('baskets_with_category', 'count'),
      col('attach_rate', 'ratio'),
    ],
    rows: pairs.filter((pair) => {
      const n = shown.get(pair.tier) ?? 0;
      shown.set(pair.tier, n + 1);
      return n < params.top;
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// category-affinity

/**
 * For each group (a population, or each RFM segment) and category it bought: the category's
 * share of the group's spend against its share of all customers' spend (member sales):
 * index = 100 × group share / everyone's share.
 */
export async function categoryAffinity(
  store: AnalyticsStore,
  params: z.output<typeof windowAndPopulation>,
  asOf: Date,
): Promise<Answer> {
  const grouping = groupingFor(store, params.population, asOf, params.days);
  const window = windowParams(windowOf(asOf, params.days));
  const cats = await windowCategories(store, window);
  // Per customer, spend and lines by category place in two arrays (one hash entry per customer,
  // not per customer and category), summed by group; a category is listed when it had lines.
  // No category sold, no line: and -Resample refuses an empty range.
  const groups =
    cats.length === 0
      ? []
      : await store.query<{ grp: string; nets: string[]; lines: string[] }>(
          `SELECT g.grp AS grp, sumForEach(s.nets) AS nets, sumForEach(s.lines) AS lines
     FROM (
       SELECT customer_id,
         sumResample(0, length({cats:Array(String)}), 1)(${LINE_NET}, ${CATEGORY_PLACE}) AS nets,
         countResample(0, length({cats:Array(String)}), 1)(${CATEGORY_PLACE}) AS lines
       FROM ${qualified(store.database, 'sale_lines')}
       WHERE customer_id != '' AND ${onFacts()}
       GROUP BY customer_id
     ) AS s
     LEFT JOIN (${grouping.sql}) AS g ON g.customer_id = s.customer_id
     GROUP BY grp`,
          { ...window, cats, ...grouping.params },
        );
  const rows = groups.flatMap((group) =>
    cats.flatMap((category, i) =>
      num(group.lines[i] ?? 0) > 0 ? [{ grp: group.grp, category, net: group.nets[i] }] : [],
    ),
  );
  const everyone = new Map<string, number>();
  const groupTotal = new Map<string, number>();
  let total = 0;
  for (const row of rows) {
    const net = num(row.net);
    everyone.set(row.category as string, (everyone.get(row.category as string) ?? 0) + net);
    groupTotal.set(row.grp as string, (groupTotal.get(row.grp as string) ?? 0) + net);
    total += net;
  }
  const order = new Map(grouping.groups.map((g, i) => [g, i]));
  const answerRows = rows
    .filter((row) => order.has(row.grp as string))
    .map((row) => {
      const net = num(row.net);
      const share = ratio(net, groupTotal.get(row.grp as string) ?? 0);
      const everyoneShare = ratio(everyone.get(row.category as string) ?? 0, total);
      return {
        group: row.grp as string,
        category: row.category as string,
        spend: net,
        share,
        everyone_share: everyoneShare,
        index: share === null || !everyoneShare ? null : (100 * share) / everyoneShare,
      };
    })
    .sort(
      (x, y) =>
        (order.get(x.group) ?? 0) - (order.get(y.group) ?? 0) ||
        y.spend - x.spend ||
        x.category.localeCompare(y.category),
    );
  return {
    columns: [
      col('group', 'text'),
      col('category', 'text'),
      col('spend', 'money'),
      col('share', 'ratio'),
      col('everyone_share', 'ratio'),
      col('index', 'ratio'),
    ],
    rows: answerRows,
  };
}

// ---------------------------------------------------------------------------------------------
// channel-preference

const windowOnly = z.object({ days: days(365) });

/**
 * Each customer's main channel over the window (the one with most sales; a tie goes to the
 * channel first in alphabetical order), how many customers each channel is main for, and each
 * channel's share of members' net spend.
 */
export async function channelPreference(
  store: AnalyticsStore,
  params: z.output<typeof windowOnly>,
  asOf: Date,
): Promise<Answer> {
  const bound = windowParams(windowOf(asOf, params.days));
  const table = qualified(store.database, 'customer_days');
  const spend = await store.query<{ channel: string; net: string }>(
    `SELECT toString(channel) AS channel, sum(net_minor) AS net FROM ${table}
     WHERE ${onDays()} GROUP BY channel ORDER BY channel`,
    bound,
  );
  // Each customer's sales by channel place (the window's channels, sorted) in one array, in one
  // grouping by customer; the first place with the most sales is the main channel, so a tie
  // goes to the channel first in alphabetical order. No channel in the window, no customer.
  const inWindow = spend.map((s) => s.channel);
  const mains =
    inWindow.length === 0
      ? []
      : await store.query<{ channel: string; customers: string }>(
          `SELECT {chans:Array(String)}[indexOf(by_channel, arrayMax(by_channel))] AS channel,
         count() AS customers
       FROM (
         SELECT sumResample(0, length({chans:Array(String)}), 1)(sales,
           transform(channel, {chans:Array(String)}, range(length({chans:Array(String)})), 0)) AS by_channel
         FROM ${table}
         WHERE ${onDays()}
         GROUP BY customer_id
       )
       WHERE arrayMax(by_channel) > 0
       GROUP BY channel`,
          { ...bound, chans: inWindow },
        );
  const channels = [...new Set([...mains.map((m) => m.channel), ...spend.map((s) => s.channel)])];
  channels.sort();
  const customers = new Map(mains.map((m) => [m.channel, num(m.customers)]));
  const nets = new Map(spend.map((s) => [s.channel, num(s.net)]));
  const totalCustomers = [...customers.values()].reduce((a, b) => a + b, 0);
  const totalNet = [...nets.values()].reduce((a, b) => a + b, 0);
  return {
    columns: [
      col('channel', 'text'),
      col('customers', 'count'),
      col('customer_share', 'ratio'),
      col('spend', 'money'),
      col('spend_share', 'ratio'),
    ],
    rows: channels.map((channel) => ({
      channel,
      customers: customers.get(channel) ?? 0,
      customer_share: ratio(customers.get(channel) ?? 0, totalCustomers),
      spend: nets.get(channel) ?? 0,
      spend_share: ratio(nets.get(channel) ?? 0, totalNet),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// demographics

/** Age bands as of the as-of year, youngest first. */
export const AGE_BANDS = ['under 25', '25-34', '35-44', '45-54', '55-64', '65+'] as const;

const CUTS = {
  age: `if(birth_year IS NULL, '', multiIf(age < 25, 'under 25', age < 35, '25-34', age < 45, '35-44', age < 55, '45-54', age < 65, '55-64', '65+'))`,
  gender: 'gender',
  source: 'acquisition_source',
  type: 'customer_type',
} as const;

const demographicsParams = z.object({
  days: days(365),
  by: param(
    z.enum(['age', 'gender', 'source', 'type']).default('age'),
    'the cut: age (band from the birth year), gender, source (acquisition), type (customer type)',
  ),
});

/**
 * By age band, gender, acquisition source or customer type: members (registered by the as-of
 * moment, plus anyone who bought without a member row, under 'unknown'), active ones (a sale
 * in the window), their net spend, margin (spend less cost) and average basket (spend per
 * sale). A missing value is 'unknown'.
 */
export async function demographics(
  store: AnalyticsStore,
  params: z.output<typeof demographicsParams>,
  asOf: Date,
): Promise<Answer> {
  const rows = await store.query<Record<string, string>>(
    `SELECT if(d.cut = '', 'unknown', d.cut) AS cut, count() AS customers,
       countIf(a.sales > 0) AS active, sum(a.net) AS spend, sum(a.net - a.cost) AS margin,
       sum(a.sales) AS sales
     FROM (
       SELECT customer_id, ${CUTS[params.by]} AS cut
       FROM (
         SELECT customer_id, toString(gender) AS gender, toString(acquisition_source) AS acquisition_source,
           toString(customer_type) AS customer_type, birth_year,
           toInt32({year:UInt16}) - toInt32(assumeNotNull(birth_year)) AS age
         FROM ${qualified(store.database, 'customers')} FINAL
         WHERE registered_at <= {asOf:DateTime64(3, 'UTC')}
       )
     ) AS d
     FULL OUTER JOIN (
       SELECT customer_id, sum(sales) AS sales, sum(net_minor) AS net, sum(cost_minor) AS cost
       FROM ${qualified(store.database, 'customer_days')}
       WHERE ${onDays()}
       GROUP BY customer_id
     ) AS a ON a.customer_id = d.customer_id
     GROUP BY cut`,
    {
      ...windowParams(windowOf(asOf, params.days)),
      year: asOf.getUTCFullYear(),
      asOf: asOf.toISOString().replace('T', ' ').replace('Z', ''),
    },
  );
  const rank = (cut: string) =>
    cut === 'unknown'
      ? Number.MAX_SAFE_INTEGER
      : params.by === 'age'
        ? (AGE_BANDS as readonly string[]).indexOf(cut)
        : 0;
  rows.sort(
    (x, y) =>
      rank(x.cut as string) - rank(y.cut as string) ||
      (x.cut as string).localeCompare(y.cut as string),
  );
  return {
    columns: [
      col(params.by, 'text'),
      col('customers', 'count'),
      col('active', 'count'),
      col('spend', 'money'),
      col('margin', 'money'),
      col('avg_basket', 'money'),
    ],
    rows: rows.map((row) => ({
      [params.by]: row.cut as string,
      customers: num(row.customers),
      active: num(row.active),
      spend: num(row.spend),
      margin: num(row.margin),
      avg_basket: averageMoney(num(row.spend), num(row.sales)),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// clusters

const clustersParams = z.object({
  days: days(365),
  k: integer('clusters (5)', 5, 1, 50),
  seed: integer('the seed of the k-means++ start (1)', 1, 0, 2 ** 31 - 1),
  sample: integer(
    'customers clustered at most, a fixed hash-ordered sample (20000)',
    20_000,
    1,
    1_000_000,
  ),
});

/** One customer's features before scaling. */
export interface ClusterInput {
  customerId: string;
  recency: number;
  frequency: number;
  monetary: number;
  /** Net spend by category. */
  categories: Map<string, number>;
}

/**
 * The feature vectors: recency, frequency and monetary min–max scaled to [0, 1], then the
 * share of the customer's spend in each category (sorted by name; zeros without spend).
 */
export function clusterFeatures(
  inputs: readonly ClusterInput[],
  categories: readonly string[],
): number[][] {
  const raw = inputs.map((input) => {
    const total = [...input.categories.values()].reduce((a, b) => a + b, 0);
    return [
      input.recency,
      input.frequency,
      input.monetary,
      ...categories.map((c) => (total > 0 ? (input.categories.get(c) ?? 0) / total : 0)),
    ];
  });
  return minMaxScale(raw, [0, 1, 2]);
}

/** Enough candidates per sampled customer for the hash bound to leave `sample` of them. */
const SAMPLE_MARGIN = 4;

/**
 * A bound on `cityHash64(customer_id)` expected to leave `SAMPLE_MARGIN` × `sample` members
 * (a trivial count of the member table), or null when that would be everyone.
 */
async function sampleHashBound(store: AnalyticsStore, sample: number): Promise<bigint | null> {
  const [row] = await store.query<{ members: string }>(
    `SELECT count() AS members FROM ${qualified(store.database, 'customers')}`,
  );
  const share = (SAMPLE_MARGIN * sample) / Math.max(num(row?.members ?? 0), 1);
  return share >= 1 ? null : BigInt(Math.floor(share * 2 ** 32)) << 32n;
}

/**
 * k-means over RFM and category shares of the customers with a sale in the window (at most
 * `sample` of them, in a fixed order of a hash of their id). Clustered here (kmeans.ts), after
 * reading two small aggregates; the answer lists each cluster's size and its members' average
 * recency, frequency, monetary and category shares.
 */
export async function clusters(
  store: AnalyticsStore,
  params: z.output<typeof clustersParams>,
  asOf: Date,
): Promise<Answer> {
  const bound = { ...windowParams(windowOf(asOf, params.days)), sample: params.sample };
  const sampleSql = (hashed: boolean) =>
    `SELECT customer_id, dateDiff('day', maxIf(day, sales > 0), {to:Date}) AS recency,
      toInt64(sum(sales)) AS frequency, sum(net_minor) AS monetary
    FROM ${qualified(store.database, 'customer_days')}
    WHERE ${onDays()}${hashed ? ' AND cityHash64(customer_id) <= {hashMax:UInt64}' : ''}
    GROUP BY customer_id HAVING frequency > 0
    ORDER BY cityHash64(customer_id), customer_id LIMIT {sample:UInt32}`;
  // Grouping every customer only to keep the first `sample` by hash is most of the cost: group
  // only those whose hash is under a bound that should leave enough of them. When it leaves
  // `sample`, they are exactly the first `sample` by hash; when fewer, group everyone.
  const hashMax = await sampleHashBound(store, params.sample);
  let rfmRows =
    hashMax === null
      ? []
      : await store.query<Record<string, string>>(sampleSql(true), { ...bound, hashMax });
  if (rfmRows.length < params.sample) {
    rfmRows = await store.query<Record<string, string>>(sampleSql(false), bound);
  }
  // The sampled ids bound as a set: a subquery would group the customers a second time.
  const ids = rfmRows.map((row) => row.customer_id as string);
  const categoryRows =
    ids.length === 0
      ? []
      : await store.query<Record<string, string>>(
          `SELECT customer_id, category, sum(${LINE_NET}) AS net
       FROM ${qualified(store.database, 'sale_lines')}
       WHERE customer_id IN {ids:Array(String)} AND ${onFacts()}
       GROUP BY customer_id, category`,
          { ...bound, ids },
        );
  const inputs = new Map<string, ClusterInput>(
    rfmRows.map((row) => [
      row.customer_id as string,
      {
        customerId: row.customer_id as string,
        recency: num(row.recency),
        frequency: num(row.frequency),
        monetary: num(row.monetary),
        categories: new Map(),
      },
    ]),
  );
  for (const row of categoryRows) {
    inputs.get(row.customer_id as string)?.categories.set(row.category as string, num(row.net));
  }
  const ordered = [...inputs.values()].sort((a, b) => (a.customerId < b.customerId ? -1 : 1));
  const categories = [...new Set(categoryRows.map((row) => row.category as string))].sort();
  const features = clusterFeatures(ordered, categories);
  const result = kMeans(features, { k: params.k, seed: params.seed });

  const columns = [
    col('cluster', 'count'),
    col('customers', 'count'),
    col('share', 'ratio'),
    col('avg_recency_days', 'ratio'),
    col('avg_frequency', 'ratio'),
    col('avg_monetary', 'money'),
    ...categories.map((c) => col(`share_${c}`, 'ratio')),
  ];
  const rows = result.centroids.map((centroid, c) => {
    const members = ordered.filter((_, i) => result.assignments[i] === c);
    const n = members.length;
    const sum = (f: (m: ClusterInput) => number) => members.reduce((acc, m) => acc + f(m), 0);
    const row: AnswerRow = {
      cluster: c + 1,
      customers: n,
      share: ratio(n, ordered.length),
      avg_recency_days: ratio(
        sum((m) => m.recency),
        n,
      ),
      avg_frequency: ratio(
        sum((m) => m.frequency),
        n,
      ),
      avg_monetary: averageMoney(
        sum((m) => m.monetary),
        n,
      ),
    };
    categories.forEach((category, i) => {
      row[`share_${category}`] = n === 0 ? null : (centroid[3 + i] as number);
    });
    return row;
  });
  return {
    columns,
    rows,
    summary: {
      columns: [col('customers', 'count'), col('iterations', 'count')],
      values: { customers: ordered.length, iterations: result.iterations },
    },
  };
}

// ---------------------------------------------------------------------------------------------

export const CUSTOMER_QUESTIONS: readonly AnyQuestion[] = [
  defineQuestion({
    name: 'rfm',
    summary:
      'Recency, frequency, monetary scores (1-5) and the named RFM segments: segment sizes, or customers with --customers',
    params: rfmParams,
    run: rfm,
  }),
  defineQuestion({
    name: 'not-seen',
    summary:
      'Customers not seen (no sale or return) for N days: how many, and the most valuable of them',
    params: notSeenParams,
    run: notSeen,
  }),
  defineQuestion({
    name: 'full-price-index',
    summary:
      "A population's (or each RFM segment's) share of spend at full price against all customers', as an index (100 = the same)",
    params: windowAndPopulation,
    run: fullPriceIndex,
  }),
  defineQuestion({
    name: 'cross-sell',
    summary:
      'By loyalty tier: baskets, categories per basket, attach rate; with --pairs the top category pairs',
    params: crossSellParams,
    run: crossSell,
  }),
  defineQuestion({
    name: 'category-affinity',
    summary:
      "Each category's share of a population's (or each RFM segment's) spend against everyone's, as an index",
    params: windowAndPopulation,
    run: categoryAffinity,
  }),
  defineQuestion({
    name: 'channel-preference',
    summary: "Customers by their main channel (most sales), and each channel's share of spend",
    params: windowOnly,
    run: channelPreference,
  }),
  defineQuestion({
    name: 'demographics',
    summary:
      'Customers, active customers, spend, margin and average basket by age band, gender, source or type (--by)',
    params: demographicsParams,
    run: demographics,
  }),
  defineQuestion({
    name: 'clusters',
    summary:
      'k-means clusters over RFM and category shares (seeded, reproducible): sizes and centroids',
    params: clustersParams,
    run: clusters,
  }),
];
