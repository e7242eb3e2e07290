/**
 * The base earn rule: a fixed number of points per spend unit of eligible net spend, rounded
 * down. Eligible spend leaves out what was paid with points (earning on points spent would mint
 * points from points).
 */
// Workflow code imports this module: no zod here (see receipt.ts), so the program is a plain
// type; programs published as data (issue 3) get their schema in a module of their own.
import type { SaleEvent } from '../events.ts';
import { lineNet } from '../receipt.ts';

export interface BaseEarnProgram {
  /** Identifies these rules on every ledger entry they produce. */
  version: string;
  /** Whole points per spend unit, at least 0. */
  basePointsPerUnit: number;
  /** Minor units that make one spend unit, at least 1. */
  spendUnitMinor: number;
}

// Plain loops: these run for every sale of every customer (the rules' hot path).
export function saleTotal(sale: Pick<SaleEvent, 'lines'>): number {
  let total = 0;
  for (const line of sale.lines) total += lineNet(line);
  return total;
}

export function eligibleSpend(sale: Pick<SaleEvent, 'lines' | 'tenders'>): number {
  let paidWithPoints = 0;
  for (const tender of sale.tenders) if (tender.type === 'points') paidWithPoints += tender.amount;
  return Math.max(0, saleTotal(sale) - paidWithPoints);
}

/** Points for an amount of eligible spend, in integer arithmetic only. */
export function pointsFor(spendMinor: number, program: BaseEarnProgram): number {
  return Math.floor((spendMinor * program.basePointsPerUnit) / program.spendUnitMinor);
}
