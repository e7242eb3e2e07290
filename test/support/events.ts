/** Builders of valid events for tests; override any field to make an invalid one. */
import type { RetailEventInput } from '../../engine/domain/events.ts';

type SaleInput = Extract<RetailEventInput, { type: 'sale' }>;
type ReturnInput = Extract<RetailEventInput, { type: 'return' }>;

let counter = 0;
export const uniqueId = (prefix: string) =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;

export function saleInput(overrides: Record<string, unknown> = {}): SaleInput {
  return {
    type: 'sale',
    eventId: uniqueId('ev'),
    occurredAt: '2026-11-20T10:15:00Z',
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    transactionId: uniqueId('tx'),
    customerId: 'c-0000001',
    currency: 'EUR',
    lines: [
      {
        lineId: '1',
        sku: 'COF-BEAN-1KG',
        category: 'coffee',
        quantity: 2,
        unitPrice: 1899,
        fullPrice: 1899,
        discount: 0,
        unitCost: 1020,
      },
      {
        lineId: '2',
        sku: 'MLK-OAT-1L',
        category: 'dairy-alt',
        quantity: 1,
        unitPrice: 229,
        fullPrice: 229,
        discount: 29,
        unitCost: 140,
      },
    ],
    tenders: [{ type: 'card', amount: 3998 }],
    ...overrides,
  } as SaleInput;
}

export function returnInput(
  original: { transactionId: string; customerId?: string },
  overrides: Record<string, unknown> = {},
): ReturnInput {
  return {
    type: 'return',
    eventId: uniqueId('ev'),
    occurredAt: '2026-11-21T09:00:00Z',
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    transactionId: uniqueId('rt'),
    originalTransactionId: original.transactionId,
    customerId: original.customerId ?? 'c-0000001',
    currency: 'EUR',
    lines: [{ lineId: '1', sku: 'COF-BEAN-1KG', quantity: 2, refundAmount: 3798 }],
    tenders: [{ type: 'card', amount: 3798 }],
    ...overrides,
  } as ReturnInput;
}

export function registrationInput(overrides: Record<string, unknown> = {}): RetailEventInput {
  return {
    type: 'customer.registered',
    eventId: uniqueId('ev'),
    occurredAt: '2026-11-01T08:00:00Z',
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    customerId: 'c-0000001',
    consent: { email: true },
    profile: { givenName: 'Ada', familyName: 'Lovelace', email: 'ada@example.org' },
    ...overrides,
  } as RetailEventInput;
}
