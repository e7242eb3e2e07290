/**
 * The router keeps each customer's events in order, except after a crash, when JetStream
 * redelivers unacknowledged events after newer ones. The customer rules are therefore made
 * order-independent for what is counted: whatever the order (and however often an event
 * repeats), the balance, spend, visits and ledger come out the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEvent } from '../../engine/domain/customer/apply-event.ts';
import { initialState } from '../../engine/domain/customer/state.ts';
import type { CustomerEvent, ReturnEvent, SaleEvent } from '../../engine/domain/events.ts';

const program = { version: 'p', basePointsPerUnit: 3, spendUnitMinor: 100 };

function sale(i: number, price: number, quantity: number, pointsPaid: number): SaleEvent {
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
      ...(paidWithPoints > 0 ? [{ type: 'points' as const, amount: paidWithPoints }] : []),
      { type: 'card' as const, amount: net - paidWithPoints },
    ],
  };
}

function refund(j: number, of: SaleEvent, amount: number): ReturnEvent {
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

const history = fc
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

function outcome(events: CustomerEvent[]) {
  let state = initialState('c-prop', program);
  // The ledger as the analytics store reads it: each line at its highest revision.
  const lines = new Map<string, { revision: number; points: number }>();
  for (const e of events) {
    const applied = applyEvent(state, e);
    state = applied.state;
    for (const entry of applied.effects.ledger) {
      const seen = lines.get(entry.entryId);
      if (!seen || entry.revision > seen.revision) lines.set(entry.entryId, entry);
    }
  }
  const ledger: Record<string, number> = Object.fromEntries(
    [...lines].map(([id, line]) => [id, line.points] as const).sort(),
  );
  return {
    pointsBalance: state.pointsBalance,
    ledger,
    ledgerSum: Object.values(ledger).reduce((sum, points) => sum + points, 0),
    spendMinor: state.spendMinor,
    visits: state.visits,
    eventsApplied: state.eventsApplied,
    firstPurchaseAt: state.firstPurchaseAt,
    lastPurchaseAt: state.lastPurchaseAt,
  };
}

describe('customer rules are order-independent for what they count', () => {
  it('any order of the same events gives the same balance, spend, visits and ledger lines', () => {
    fc.assert(
      fc.property(
        history.chain((events) =>
          fc.tuple(
            fc.constant(events),
            fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
          ),
        ),
        ([inOrder, shuffled]) => {
          const a = outcome(inOrder);
          const b = outcome(shuffled);
          expect(b).toEqual(a);
          expect(a.ledgerSum).toBe(a.pointsBalance);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('repeating events anywhere changes nothing', () => {
    fc.assert(
      fc.property(
        history.chain((events) =>
          fc.tuple(
            fc.constant(events),
            fc.array(fc.nat({ max: events.length - 1 }), { maxLength: 10 }),
            fc.nat(),
          ),
        ),
        ([events, repeats, seed]) => {
          const withRepeats = [...events];
          for (const [k, index] of repeats.entries()) {
            withRepeats.splice(
              (seed + k * 7) % (withRepeats.length + 1),
              0,
              events[index] as CustomerEvent,
            );
          }
          expect(outcome(withRepeats)).toEqual(outcome(events));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returning everything takes the balance and spend back to zero, whatever the order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (prices, returnsFirst) => {
          const sales = prices.map((p, i) => sale(i, p, 1, 0));
          const returns = sales.map((s, j) => refund(j, s, s.lines[0]?.unitPrice ?? 0));
          const result = outcome(returnsFirst ? [...returns, ...sales] : [...sales, ...returns]);
          expect(result.pointsBalance).toBe(0);
          expect(result.spendMinor).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
