/**
 * `clusters`: k-means clusters over RFM and category shares (seeded, reproducible), from the
 * daily aggregate `customer_days` and the sampled customers' sale lines: sizes and centroids.
 */
import { z } from 'zod';
import { qualified } from '../../schema.ts';
import type { AnalyticsStore } from '../../store.ts';
import { kMeans, minMaxScale } from '../kmeans.ts';
import { type Answer, type AnswerRow, integer } from '../question.ts';
import { onDays, onFacts, windowOf, windowParams } from '../window.ts';
import { averageMoney, categoryPlace, col, days, num, ratio, windowCategories } from './common.ts';

export const clustersParams = z.object({
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
    `SELECT customer_id, toString(cityHash64(customer_id)) AS hash,
      dateDiff('day', maxIf(day, sales > 0), {to:Date}) AS recency,
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
  // The sampled customers' receipts, found by the bound on their id hashes the sample ends at
  // (the hash of its last customer): a subquery would group the customers a second time, and
  // the ids bound as a set cost more than the hash. A customer past the sample with the same hash
  // is left out below. One row per customer, the categories and nets of all their receipts (a
  // receipt holds its categories' nets) concatenated, summed by category here: a fifth of the
  // rows of the sale lines, and cheaper than summing them as maps in the query. Categories cross
  // as their places in the window's sorted list and nets as floats (exact to 2⁵³): numbers,
  // which parse faster than the strings names and 64-bit integers arrive as. A category bought
  // at a net of 0 is still one the customer bought.
  const lastHash = rfmRows.at(-1)?.hash;
  const cats = lastHash === undefined ? [] : await windowCategories(store, bound);
  const categoryRows =
    lastHash === undefined
      ? []
      : await store.query<{ customer_id: string; bought: number[]; nets: number[] }>(
          `SELECT customer_id,
         groupArrayArray(arrayMap(c -> toUInt16(${categoryPlace('c')}), categories)) AS bought,
         groupArrayArray(arrayMap(x -> toFloat64(x), category_net_minor)) AS nets
       FROM ${qualified(store.database, 'baskets')}
       WHERE cityHash64(customer_id) <= {lastHash:UInt64} AND ${onFacts()}
       GROUP BY customer_id`,
          { ...bound, lastHash, cats },
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
  const seen = new Set<string>();
  for (const row of categoryRows) {
    const spend = inputs.get(row.customer_id)?.categories;
    if (!spend) continue;
    row.bought.forEach((place, i) => {
      const category = cats[place] as string;
      seen.add(category);
      spend.set(category, (spend.get(category) ?? 0) + (row.nets[i] as number));
    });
  }
  const ordered = [...inputs.values()].sort((a, b) => (a.customerId < b.customerId ? -1 : 1));
  const categories = [...seen].sort();
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
