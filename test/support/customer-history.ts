/**
 * Customer-bound events built directly (already validated shape) for property tests of the
 * customer rules: sales with a points tender, partial refunds of them, and a fast-check history
 * of both for one customer, `c-prop`.
 */
import fc from 'fast-check';
import type { CustomerEvent, ReturnEvent, SaleEvent } from '../../engine/domain/events.ts';

export const program = { version: 'p', basePointsPerUnit: 3, spendUnitMinor: 100 };

export function sale(i: number, price: number, quantity: number, pointsPaid: number): SaleEvent {
  const net = price * quantity;
  const paidWithPoints = Math.min(pointsPaid, net);
  return {
    type: 'sale',
    eventId: `s${i}`,
    occurredAt: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z`,
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    transactionId: `tx${i}`,
    customerId: 'c-prop',
    currency: 'EUR',
    lines: [
      {
        lineId: '1',
        sku: 'SKU',
        category: 'c',
        quantity,
        unitPrice: price,
        fullPrice: price,
        discount: 0,
        unitCost: 1,
      },
    ],
    tenders: [
      ...(paidWithPoints > 0
        ? [{ type: 'points' as const, amount: paidWithPoints, redemptionId: `rd${i}` }]
        : []),
      { type: 'card' as const, amount: net - paidWithPoints },
    ],
  };
}

export function refund(j: number, of: SaleEvent, amount: number): ReturnEvent {
  return {
    type: 'return',
    eventId: `r${j}`,
    occurredAt: '2026-11-29T10:00:00Z',
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    transactionId: `rt${j}`,
    originalTransactionId: of.transactionId,
    customerId: 'c-prop',
    currency: 'EUR',
    lines: [{ lineId: '1', sku: 'SKU', quantity: 1, refundAmount: amount }],
    tenders: [{ type: 'card', amount }],
  };
}

/** Up to 12 sales, then up to 8 partial refunds of them (never more than a sale's net). */
export const history = fc
  .array(
    fc.record({
      price: fc.integer({ min: 0, max: 50_000 }),
      quantity: fc.integer({ min: 1, max: 5 }),
      pointsPaid: fc.integer({ min: 0, max: 2000 }),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .chain((sales) => {
    const events = sales.map((s, i) => sale(i, s.price, s.quantity, s.pointsPaid));
    return fc
      .array(
        fc.record({
          of: fc.nat({ max: events.length - 1 }),
          share: fc.double({ min: 0, max: 0.7, noNaN: true }),
        }),
        { maxLength: 8 },
      )
      .map((returns) => {
        const refunded = new Map<number, number>();
        const rets = returns.flatMap((r, j) => {
          const original = events[r.of] as SaleEvent;
          const net = original.lines[0]
            ? original.lines[0].unitPrice * original.lines[0].quantity
            : 0;
          const amount = Math.min(net - (refunded.get(r.of) ?? 0), Math.floor(net * r.share));
          if (amount <= 0) return [];
          refunded.set(r.of, (refunded.get(r.of) ?? 0) + amount);
          return [refund(j, original, amount)];
        });
        return [...events, ...rets] as CustomerEvent[];
      });
  });
