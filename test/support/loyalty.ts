/**
 * Builders for loyalty evaluator tests: programs from a few fields (defaults from the schema),
 * events and requests in their validated shape, and the ledger as the analytics store reads it.
 */
import type { LedgerEntry } from '../../engine/domain/effects.ts';
import type {
  CustomerRegistration,
  PartnerAccrualEvent,
  PointsAdjustedEvent,
  ReturnEvent,
  SaleEvent,
  SaleLine,
} from '../../engine/domain/events.ts';
import type { RedemptionCancel, RedemptionRequest } from '../../engine/domain/loyalty/evaluator.ts';
import {
  type Program,
  type ProgramInput,
  parseProgram,
} from '../../engine/domain/loyalty/program-schema.ts';

export const CUSTOMER = 'c-loyal';

/** A program from the fields a test cares about; 1 point per euro, 100 points = 1.00 EUR. */
export function programOf(
  fields: Omit<Partial<ProgramInput>, 'earn'> & { earn?: Partial<ProgramInput['earn']> } = {},
  version = 'test@1',
): Program {
  const { earn, ...rest } = fields;
  const definition = parseProgram({
    id: 'test',
    name: 'Test Rewards',
    currency: 'EUR',
    pointValue: { points: 100, minor: 100 },
    ...rest,
    earn: { base: { rate: { points: 1, perMinor: 100 } }, ...earn },
  });
  return { ...definition, version, effectiveFrom: '2026-01-01T00:00:00Z' };
}

export function line(fields: Partial<SaleLine> & { lineId: string }): SaleLine {
  return {
    sku: `SKU-${fields.lineId}`,
    category: 'grocery',
    quantity: 1,
    unitPrice: 1000,
    fullPrice: fields.unitPrice ?? 1000,
    discount: 0,
    unitCost: 500,
    ...fields,
  };
}

export function saleOf(
  transactionId: string,
  lines: SaleLine[],
  fields: Partial<SaleEvent> = {},
): SaleEvent {
  const net = lines.reduce((sum, l) => sum + l.quantity * l.unitPrice - l.discount, 0);
  return {
    type: 'sale',
    eventId: `ev-${transactionId}`,
    occurredAt: '2026-03-02T10:00:00Z',
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    transactionId,
    customerId: CUSTOMER,
    currency: 'EUR',
    lines,
    tenders: [{ type: 'card', amount: net }],
    ...fields,
  };
}

export function returnOf(
  eventId: string,
  sale: Pick<SaleEvent, 'transactionId'>,
  lines: { lineId: string; quantity?: number; refundAmount: number }[],
  fields: Partial<ReturnEvent> = {},
): ReturnEvent {
  const total = lines.reduce((sum, l) => sum + l.refundAmount, 0);
  return {
    type: 'return',
    eventId,
    occurredAt: '2026-03-05T10:00:00Z',
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    transactionId: `rt-${eventId}`,
    originalTransactionId: sale.transactionId,
    customerId: CUSTOMER,
    currency: 'EUR',
    lines: lines.map((l) => ({
      lineId: l.lineId,
      sku: `SKU-${l.lineId}`,
      quantity: l.quantity ?? 1,
      refundAmount: l.refundAmount,
    })),
    tenders: [{ type: 'card', amount: total }],
    ...fields,
  };
}

export function redemptionOf(
  redemptionId: string,
  points: number,
  basketMinor: number,
  fields: Partial<RedemptionRequest> = {},
): RedemptionRequest {
  return {
    type: 'redemption',
    redemptionId,
    customerId: CUSTOMER,
    points,
    basketMinor,
    currency: 'EUR',
    channel: 'till',
    storeId: 'S001',
    tillId: 'T1',
    ...fields,
  };
}

export const cancelOf = (redemptionId: string): RedemptionCancel => ({
  type: 'redemption.cancel',
  redemptionId,
  customerId: CUSTOMER,
});

export function registrationOf(fields: Partial<CustomerRegistration> = {}): CustomerRegistration {
  return {
    type: 'customer.registered',
    eventId: 'ev-reg',
    occurredAt: '2026-03-01T09:00:00Z',
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    customerId: CUSTOMER,
    consent: { email: false, sms: false, post: false, profiling: false },
    ...fields,
  };
}

export function adjustmentOf(
  adjustmentId: string,
  points: number,
  fields: Partial<PointsAdjustedEvent> = {},
): PointsAdjustedEvent {
  return {
    type: 'points.adjusted',
    eventId: `ev-${adjustmentId}`,
    occurredAt: '2026-03-03T12:00:00Z',
    storeId: 'S001',
    channel: 'till',
    tillId: 'T1',
    adjustmentId,
    customerId: CUSTOMER,
    points,
    reason: 'goodwill',
    operatorId: 'staff-7',
    ...fields,
  };
}

export function partnerAccrualOf(
  partnerId: string,
  transactionId: string,
  amountMinor: number,
  fields: Partial<PartnerAccrualEvent> = {},
): PartnerAccrualEvent {
  return {
    type: 'partner.accrual',
    eventId: `ev-${partnerId}-${transactionId}`,
    occurredAt: '2026-03-03T12:00:00Z',
    storeId: 'PARTNER',
    channel: 'web',
    partnerId,
    transactionId,
    customerId: CUSTOMER,
    currency: 'EUR',
    amountMinor,
    ...fields,
  };
}

/** The ledger as the analytics store reads it: each line at its highest revision. */
export class LedgerView {
  private readonly lines = new Map<string, LedgerEntry>();

  add(entries: readonly LedgerEntry[]) {
    for (const entry of entries) {
      const seen = this.lines.get(entry.entryId);
      if (!seen || entry.revision > seen.revision) this.lines.set(entry.entryId, entry);
      else if (entry.revision === seen.revision && entry.points !== seen.points) {
        throw new Error(
          `ledger line ${entry.entryId} revision ${entry.revision} written twice with different points`,
        );
      }
    }
  }

  get sum(): number {
    let total = 0;
    for (const entry of this.lines.values()) total += entry.points;
    return total;
  }

  entries(): LedgerEntry[] {
    return [...this.lines.values()];
  }
}
