/**
 * Populations by name, as a question's `population` parameter gives them: `all` (every customer
 * with a sale or return) and `rfm:<segment>` (RFM over the 365 days up to the as-of day, from the
 * kept scores: rfm-scores.ts). A segment-language compiler adds its own kind by adding a source
 * here.
 *
 * A grouping is the other shape questions compare with: each customer with a group's name
 * (`customer_id, grp`), such as every customer's RFM segment.
 */
import { ClienteleError } from '../../domain/error-codes.ts';
import { qualified } from '../schema.ts';
import type { AnalyticsStore, QueryParams } from '../store.ts';
import type { Population } from './question.ts';
import { keptRfmScores } from './rfm-scores.ts';
import { RFM_SEGMENTS } from './rfm-sql.ts';
import { windowOf } from './window.ts';

export interface PopulationContext {
  store: AnalyticsStore;
  asOf: Date;
}

/** A kind of population: `<prefix>:<rest>`, or the bare prefix when `rest` is not needed. */
export interface PopulationSource {
  prefix: string;
  /** For help texts: the forms it takes. */
  forms: string;
  /** The population, or a message saying what is wrong with `rest`. */
  resolve(rest: string, context: PopulationContext): Promise<Population | string>;
}

/** The window RFM populations are scored over. */
export const RFM_POPULATION_DAYS = 365;

const sources: PopulationSource[] = [
  {
    prefix: 'all',
    forms: 'all',
    resolve: async (rest, { store }) =>
      rest === ''
        ? {
            name: 'all',
            sql: `SELECT DISTINCT customer_id FROM ${qualified(store.database, 'customer_days')}`,
            params: {},
          }
        : '"all" takes nothing after it',
  },
  {
    prefix: 'rfm',
    forms: `rfm:<${RFM_SEGMENTS.join('|')}>`,
    async resolve(rest, { store, asOf }) {
      if (!(RFM_SEGMENTS as readonly string[]).includes(rest)) {
        return `"${rest}" is not an RFM segment (${RFM_SEGMENTS.join(', ')})`;
      }
      const scored = await keptRfmScores(store, windowOf(asOf, RFM_POPULATION_DAYS), 'pop_rfm_');
      return {
        name: `rfm:${rest}`,
        sql: `SELECT customer_id FROM (${scored.sql}) WHERE segment = {pop_rfm_segment:String}`,
        params: { ...scored.params, pop_rfm_segment: rest },
      };
    },
  },
];

/** The population `spec` names; `invalid_request` naming `field` when it names none. */
export async function resolvePopulation(
  spec: string,
  context: PopulationContext,
  field = 'population',
): Promise<Population> {
  const colon = spec.indexOf(':');
  const prefix = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  const source = sources.find((s) => s.prefix === prefix);
  const resolved = source
    ? await source.resolve(rest, context)
    : `"${spec}" is not a population (${sources.map((s) => s.forms).join(', ')})`;
  if (typeof resolved === 'string') {
    throw new ClienteleError('invalid_request', [{ field, message: resolved }]);
  }
  return resolved;
}

export const populationForms = (): string => sources.map((s) => s.forms).join(', ');

/** Customers with a group's name: `customer_id, grp`, and the groups in the order to list them. */
export interface Grouping {
  sql: string;
  params: QueryParams;
  groups: readonly string[];
  /**
   * Without a join: a scalar subquery of two arrays, the members' `cityHash64(customer_id)` and
   * their groups' places in `{groups:Array(String)}` (from 1), to find a row's group with
   * `transform`. Only where no two customers share a hash (rfm-scores.ts).
   */
  lookup?: string;
}

/** One population as a grouping of one group, named as the population. */
export const populationGrouping = (population: Population): Grouping => ({
  sql: `SELECT customer_id, {pop_name:String} AS grp FROM (${population.sql})`,
  params: { ...population.params, pop_name: population.name },
  groups: [population.name],
});

/** Every customer scored over the window, grouped by RFM segment (the kept scores). */
export async function rfmGrouping(
  store: AnalyticsStore,
  asOf: Date,
  days: number,
): Promise<Grouping> {
  const scored = await keptRfmScores(store, windowOf(asOf, days), 'pop_rfm_');
  return {
    sql: `SELECT customer_id, segment AS grp FROM (${scored.sql})`,
    params: scored.params,
    groups: RFM_SEGMENTS,
    ...(scored.segmentLookup ? { lookup: scored.segmentLookup('groups') } : {}),
  };
}
