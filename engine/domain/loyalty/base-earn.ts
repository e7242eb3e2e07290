/**
 * The base earn rule: a fixed number of points per spend unit of eligible net spend, rounded
 * down. Eligible spend leaves out what was paid with points (earning on points spent would mint
 * points from points).
 */
import { z } from 'zod';
import { lineNet, type SaleEvent } from '../events.ts';

export const baseEarnProgram = z.strictObject({
  /** Identifies these rules on every ledger entry they produce. */
  version: z.string().min(1),
  basePointsPerUnit: z.number().int().min(0),
  spendUnitMinor: z.number().int().min(1),
});

export type BaseEarnProgram = z.infer<typeof baseEarnProgram>;

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
