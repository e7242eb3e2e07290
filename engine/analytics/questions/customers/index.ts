/**
 * The customer questions: who the customers are and how they buy. Each is one function of the
 * store, its parameters and the as-of moment, in its own file (rfm.ts, not-seen.ts, …; what they
 * share is in common.ts), and a `Question` here for the registry (registry.ts).
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
import { type AnyQuestion, defineQuestion } from '../question.ts';
import { categoryAffinity } from './category-affinity.ts';
import { channelPreference, windowOnly } from './channel-preference.ts';
import { clusters, clustersParams } from './clusters.ts';
import { windowAndPopulation } from './common.ts';
import { crossSell, crossSellParams } from './cross-sell.ts';
import { demographics, demographicsParams } from './demographics.ts';
import { fullPriceIndex } from './full-price-index.ts';
import { notSeen, notSeenParams } from './not-seen.ts';
import { rfm, rfmParams } from './rfm.ts';
import { tiers, tiersParams } from './tiers.ts';

export { categoryAffinity } from './category-affinity.ts';
export { channelPreference } from './channel-preference.ts';
export { type ClusterInput, clusterFeatures, clusters } from './clusters.ts';
export { crossSell } from './cross-sell.ts';
export { AGE_BANDS, demographics } from './demographics.ts';
export { fullPriceIndex } from './full-price-index.ts';
export { notSeen } from './not-seen.ts';
export { rfm } from './rfm.ts';

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
    name: 'tiers',
    summary: 'Members by loyalty tier as of the moment: how many in each, and their share',
    params: tiersParams,
    run: tiers,
  }),
  defineQuestion({
    name: 'clusters',
    summary:
      'k-means clusters over RFM and category shares (seeded, reproducible): sizes and centroids',
    params: clustersParams,
    run: clusters,
  }),
];
