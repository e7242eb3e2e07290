/**
 * The base earn rate: a fixed number of points per spend unit, rounded down, for a deployment
 * without a loyalty program and for events dated before its first version. It is a program
 * version like any other (`baseRateProgram`), so a customer always has one book and one set of
 * rules: no tiers, earn rules, bonuses, expiry, pending days or redemption.
 */
// Workflow code imports this module: no zod here (see receipt.ts), so the program is built as a
// plain value of the schema's type.
import type { SaleEvent } from '../events.ts';
import { lineNet } from '../receipt.ts';
import type { Program } from './program.ts';

/** The base rate as settings give it (`loyalty.basePointsPerUnit`, `loyalty.spendUnitMinor`). */
export interface BaseEarnProgram {
  /** Identifies these rules on every ledger entry they produce. */
  version: string;
  /** Whole points per spend unit, at least 0. */
  basePointsPerUnit: number;
  /** Minor units that make one spend unit, at least 1. */
  spendUnitMinor: number;
}

/**
 * The currency of the base rate: minor units of whatever currency a sale is in count as they
 * are, as a spend unit is a number of minor units, not an amount of money. No points can be
 * spent in it.
 */
export const ANY_CURRENCY = '*';

/** In force before any published version: its `effectiveFrom`. */
const ALWAYS = '1970-01-01T00:00:00.000Z';

/** Far beyond any memory limit: the base rate takes back a sale's points whenever it is returned. */
const RETURNS_ALWAYS_DAYS = 36_500;

/** The base earn rate as a program version. */
export function baseRateProgram(base: BaseEarnProgram): Program {
  return {
    id: 'base',
    version: base.version,
    name: 'Base earn rate',
    currency: ANY_CURRENCY,
    effectiveFrom: ALWAYS,
    pointValue: { points: 1, minor: 1 },
    earn: {
      base: { rate: { points: base.basePointsPerUnit, perMinor: base.spendUnitMinor } },
      rounding: 'down',
      // Only what was paid with points earns nothing: points never earn points.
      excludeTenders: ['points'],
      excludeTax: false,
      excludeCategories: [],
      rules: [],
      bonuses: [],
    },
    tiers: undefined,
    redemption: { minimumPoints: 0, maxBasketShare: 0, channels: [] },
    expiry: { warnDays: 0 },
    pendingDays: 0,
    returns: { policy: 'unlimited', periodDays: RETURNS_ALWAYS_DAYS },
    regions: {},
    markets: [],
    partners: [],
    adjustments: { maxPoints: 100_000 },
  };
}

// Plain loop: it runs for every sale of every customer.
export function saleTotal(sale: Pick<SaleEvent, 'lines'>): number {
  let total = 0;
  for (const line of sale.lines) total += lineNet(line);
  return total;
}
