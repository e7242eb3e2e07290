/** Messages for the analytics tests, valid by the domain's zod schemas unless a test breaks them. */
import { randomUUID } from 'node:crypto';
import type { Cue, LedgerEntry } from '../../engine/domain/effects.ts';
import type { RetailEventInput } from '../../engine/domain/events.ts';

export const uniqueId = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export function saleInput(
  overrides: Partial<Extract<RetailEventInput, { type: 'sale' }>> = {},
): Extract<RetailEventInput, { type: 'sale' }> {
  return {
    type: 'sale',
    eventId: uniqueId('evt'),
    occurredAt: '2026-03-14T09:30:00.250+01:00',
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    transactionId: uniqueId('tx'),
    customerId: 'C0001',
    currency: 'EUR',
    lines: [
      {
        lineId: 'l1',
        sku: 'COFFEE-1KG',
        category: 'coffee',
        brand: 'Roastery',
        quantity: 2,
        unitPrice: 1_299,
        fullPrice: 1_499,
        discount: 100,
        unitCost: 700,
      },
      {
        lineId: 'l2',
        sku: 'MUG',
        category: 'homeware',
        quantity: 1,
        unitPrice: 899,
        fullPrice: 899,
        unitCost: 300,
      },
    ],
    // 2 × 1299 − 100 + 899
    tenders: [{ type: 'card', amount: 3_397 }],
    ...overrides,
  };
}

export function returnInput(
  originalTransactionId: string,
  overrides: Partial<Extract<RetailEventInput, { type: 'return' }>> = {},
): Extract<RetailEventInput, { type: 'return' }> {
  return {
    type: 'return',
    eventId: uniqueId('ret'),
    occurredAt: '2026-03-15T10:00:00Z',
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    transactionId: uniqueId('tx'),
    originalTransactionId,
    customerId: 'C0001',
    currency: 'EUR',
    lines: [{ lineId: 'l2', sku: 'MUG', quantity: 1, refundAmount: 899 }],
    tenders: [{ type: 'card', amount: 899 }],
    ...overrides,
  };
}

export function registrationInput(
  customerId: string,
): Extract<RetailEventInput, { type: 'customer.registered' }> {
  return {
    type: 'customer.registered',
    eventId: uniqueId('reg'),
    occurredAt: '2026-03-01T08:00:00Z',
    storeId: 'WEB',
    channel: 'web',
    customerId,
    consent: { email: true },
    profile: { givenName: 'Ada', familyName: 'Lovelace', email: 'ada@example.com' },
  };
}

export function ledgerInput(overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  const eventId = overrides.eventId ?? uniqueId('evt');
  return {
    entryId: `C0001/${eventId}/earn`,
    customerId: 'C0001',
    eventId,
    transactionId: eventId,
    kind: 'earn',
    revision: 0,
    points: 33,
    balanceAfter: 33,
    storeId: 'S001',
    occurredAt: '2026-03-14T08:30:00.250Z',
    programVersion: 'v1',
    ...overrides,
  };
}

export function cueInput(overrides: Partial<Cue> = {}): Cue {
  const eventId = overrides.eventId ?? uniqueId('evt');
  return {
    cueId: `${eventId}:cue`,
    customerId: 'C0001',
    eventId,
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    occurredAt: '2026-03-14T08:30:00.250Z',
    pointsEarned: 33,
    pointsBalance: 33,
    visitsThisMonth: 1,
    message: 'Welcome back: 33 points earned',
    ...overrides,
  };
}
