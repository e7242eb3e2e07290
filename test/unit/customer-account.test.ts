/**
 * The account applies the customer rules in place. These check that doing so changes nothing
 * but the speed: the same effects and state as the pure form, across a carry (continue-as-new),
 * with any transaction id, and within the documented memory bounds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CustomerAccount, type Effects, noEffects } from '../../engine/domain/customer/account.ts';
import { applyEvent } from '../../engine/domain/customer/apply-event.ts';
import { type CustomerState, initialState, limits } from '../../engine/domain/customer/state.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import { history, program, refund, sale } from '../support/customer-history.ts';

/** The pure form, step by step: restores and serialises the state around every event. */
function viaPure(events: CustomerEvent[]) {
  let state: CustomerState = initialState('c-prop', program);
  const effects = noEffects();
  for (const e of events) {
    const applied = applyEvent(state, e);
    state = applied.state;
    effects.ledger.push(...applied.effects.ledger);
    effects.cues.push(...applied.effects.cues);
  }
  return { state, effects };
}

/** One long-lived account, carried through JSON (as continue-as-new does) after `carryAt`. */
function viaAccount(events: CustomerEvent[], carryAt = -1) {
  let account = CustomerAccount.open('c-prop', program);
  const effects: Effects = noEffects();
  for (const [i, e] of events.entries()) {
    if (i === carryAt)
      account = CustomerAccount.restore(JSON.parse(JSON.stringify(account.toState())));
    account.apply(e, effects);
  }
  return { state: account.toState(), effects };
}

const withRepeats = history.chain((events) =>
  fc
    .array(fc.nat({ max: events.length - 1 }), { maxLength: 6 })
    .map((repeats) => [...events, ...repeats.map((i) => events[i] as CustomerEvent)]),
);

describe('CustomerAccount', () => {
  it('gives the same effects and state as the pure rules, carried or not', () => {
    fc.assert(
      fc.property(withRepeats, fc.nat(), (events, carry) => {
        const expected = viaPure(events);
        expect(viaAccount(events)).toEqual(expected);
        expect(viaAccount(events, carry % events.length)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('treats any transaction id as data: __proto__, constructor, toString', () => {
    const ids = ['__proto__', 'constructor', 'toString'];
    const sales = ids.map((id, i) => ({ ...sale(i, 1000, 1, 0), transactionId: id }));
    const account = CustomerAccount.open('c-prop', program);
    const effects = noEffects();
    expect(sales.map((s) => account.apply(s, effects))).toEqual(['applied', 'applied', 'applied']);
    expect(account.pointsBalance).toBe(90);
    const carried = CustomerAccount.restore(JSON.parse(JSON.stringify(account.toState())));
    expect(carried.apply({ ...sales[0], eventId: 'again' } as CustomerEvent, effects)).toBe(
      'duplicate-transaction',
    );
    expect(carried.apply(refund(0, sales[0] as never, 1000), effects)).toBe('applied');
    expect(carried.pointsBalance).toBe(60);
    expect(Object.getPrototypeOf(carried.toState().transactions)).toBe(Object.prototype);
  });

  it('restores a state carried before sales left the seen-id window, and still knows its sales', () => {
    const first = sale(1, 2000, 1, 0);
    const before = viaPure([first]).state;
    // The earlier form also listed sales' event ids among the seen ones.
    const old: CustomerState = { ...before, seenEventIds: [first.eventId] };
    const account = CustomerAccount.restore(old);
    expect(account.apply(first, noEffects())).toBe('duplicate-event');
    expect(account.apply({ ...first, eventId: 'resent' }, noEffects())).toBe(
      'duplicate-transaction',
    );
    expect(account.pointsBalance).toBe(60);
  });

  it(`remembers the last ${limits.transactions} sales, no more`, () => {
    const account = CustomerAccount.open('c-prop', program);
    const sales = Array.from({ length: limits.transactions + 5 }, (_, i) => sale(i, 100, 1, 0));
    for (const s of sales) account.apply(s, noEffects());
    const state = account.toState();
    expect(state.transactionOrder).toHaveLength(limits.transactions);
    expect(state.transactionOrder[0]).toBe('tx5');
    expect(Object.keys(state.transactions)).toHaveLength(limits.transactions);
    // The oldest sale is forgotten: its return waits as if the sale were not yet known.
    const effects = noEffects();
    account.apply(refund(0, sales[0] as never, 100), effects);
    expect(effects.cues[0]?.kind).toBe('return-of-unknown-sale');
    // A recent one is still reversed.
    account.apply(refund(1, sales[limits.transactions] as never, 100), effects);
    expect(effects.cues[1]).toMatchObject({ kind: 'return', pointsEarned: -3 });
  });
});
