/**
 * The customer's summary (the live part of the 360 view) from real events: regularity, average
 * receipt, and the lots due to expire named soonest first, with figures computed here from the
 * events applied.
 */
import { describe, expect, it } from 'vitest';
import { CustomerAccount, noEffects } from '../../engine/domain/customer/account.ts';
import { customerSummary } from '../../engine/domain/customer/summary.ts';
import { CUSTOMER, line, programOf, saleOf } from '../support/loyalty.ts';

const base = { version: 'base-1-per-100', basePointsPerUnit: 1, spendUnitMinor: 100 };

describe('the customer summary', () => {
  it('names the lots due to expire soonest first, with regularity and the average receipt', () => {
    // Lots expire a month after they were earned; the warning comes 10 days before.
    const program = {
      ...programOf({ expiry: { lotMonths: 1, warnDays: 10 } }),
      effectiveFrom: '2020-01-01T00:00:00Z',
    };
    const account = CustomerAccount.open(CUSTOMER, base);
    account.learn([program]);
    const sales = [
      ['s1', '2026-03-01T10:00:00Z', 2_000],
      ['s2', '2026-03-05T10:00:00Z', 3_000],
      ['s3', '2026-03-25T10:00:00Z', 4_000],
    ] as const;
    for (const [tx, occurredAt, unitPrice] of sales) {
      account.apply(saleOf(tx, [line({ lineId: '1', unitPrice })], { occurredAt }), noEffects());
    }
    // On 26 March at noon the first two lots (expiring 1 and 5 April, 10:00) are within the 10
    // days; the third (25 April) is not.
    const summary = account.snapshot('2026-03-26T12:00:00.000Z');
    expect(customerSummary.parse(summary)).toEqual(summary);
    expect(summary.loyalty.expiringSoon).toEqual({
      points: 20 + 30,
      by: '2026-04-01T10:00:00.000Z',
      lots: [
        { points: 20, expiresAt: '2026-04-01T10:00:00.000Z' },
        { points: 30, expiresAt: '2026-04-05T10:00:00.000Z' },
      ],
    });
    expect(summary).toMatchObject({
      visits: 3,
      spendMinor: 9_000,
      averageReceiptMinor: 3_000,
      firstPurchaseAt: '2026-03-01T10:00:00Z',
      lastPurchaseAt: '2026-03-25T10:00:00Z',
      // 24 days over two gaps between three visits.
      meanDaysBetweenVisits: 12,
      pointsBalance: 90,
      asOf: '2026-03-26T12:00:00.000Z',
    });
  });
});
