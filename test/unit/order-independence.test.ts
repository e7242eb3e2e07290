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
import type { CustomerEvent } from '../../engine/domain/events.ts';
import { history, program, refund, sale } from '../support/customer-history.ts';

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
  it('counts a held return refused once its sale came as not applied (found by seed 2130451766)', () => {
    // One item sold, two returns of it: whichever order, one return is applied, one refused.
    const sold = sale(0, 39_162, 1, 0);
    const [r0, r1] = [refund(0, sold, 1), refund(1, sold, 1)];
    const inOrder = outcome([sold, r0, r1]);
    expect(inOrder.eventsApplied).toBe(2);
    expect(outcome([r0, r1, sold])).toEqual(inOrder);
    expect(outcome([r0, sold, r1])).toEqual(inOrder);
  });

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
