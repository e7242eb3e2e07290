/**
 * What the customer questions share: conversions, answer columns, the parameter kinds (days,
 * limit, population), the net value of a sale line, the groups a population or the RFM segments
 * make, and the categories sold in the window. Money is integer minor units throughout.
 */
import { z } from 'zod';
import { qualified } from '../../schema.ts';
import type { AnalyticsStore, QueryParams } from '../../store.ts';
import {
  type Grouping,
  populationForms,
  populationGrouping,
  resolvePopulation,
  rfmGrouping,
} from '../population.ts';
import { type Column, integer, param } from '../question.ts';
import { onDays } from '../window.ts';

/** 64-bit integers arrive as strings (store.ts); the figures here fit a JS number. */
export const num = (value: unknown): number => Number(value);
/** An average in minor units, rounded half up; null without anything to average. */
export const averageMoney = (total: number, n: number): number | null =>
  n === 0 ? null : Math.round(total / n);
export const ratio = (part: number, whole: number): number | null =>
  whole === 0 ? null : part / whole;

export const col = (name: string, kind: Column['kind']): Column => ({ name, kind });

export const days = (fallback: number) =>
  integer(`days up to the as-of day (inclusive) to look at (${fallback})`, fallback, 1, 3660);
export const limit = () => integer('customers to list at most (100)', 100, 1, 100_000);
const population = () =>
  param(
    z.string().min(1).optional(),
    `the customers to look at: ${populationForms()}; without it, each RFM segment`,
  );

/** Net value of a sale line, as the events' totals count it. */
export const LINE_NET = '(quantity * unit_price - discount)';

/** The population asked for as a grouping of one, or every customer's RFM segment. */
export async function groupingFor(
  store: AnalyticsStore,
  spec: string | undefined,
  asOf: Date,
  windowDays: number,
): Promise<Grouping> {
  if (spec === undefined) return rfmGrouping(store, asOf, windowDays);
  return populationGrouping(await resolvePopulation(spec, { store, asOf }));
}

/** The window and population parameters of full-price-index and category-affinity. */
export const windowAndPopulation = z.object({ days: days(365), population: population() });

/**
 * The categories sold in the window, sorted, from the daily aggregate `category_days` (filled
 * from every sale line, so no line's category is missing): a category's place in this list is
 * its bit in a basket's mask and its number in category-affinity's sums.
 */
export async function windowCategories(
  store: AnalyticsStore,
  bound: QueryParams,
): Promise<string[]> {
  const rows = await store.query<{ category: string }>(
    `SELECT DISTINCT toString(category) AS category
     FROM ${qualified(store.database, 'category_days')}
     WHERE ${onDays()} ORDER BY category`,
    bound,
  );
  return rows.map((row) => row.category);
}

/** A category (the SQL expression `category`) as its place in `{cats:Array(String)}`: a hash lookup. */
export const categoryPlace = (category: string): string =>
  `transform(${category}, {cats:Array(String)}, range(length({cats:Array(String)})), 0)`;
