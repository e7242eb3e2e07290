/**
 * The account applies the customer rules in place. These check that doing so changes nothing
 * but the speed: the same effects and state as the pure form, across a carry (continue-as-new),
 * with any transaction id, and within the documented memory bounds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CustomerAccount, type Effects, noEffects } from '../../engine/domain/customer/account.ts';
import { applyEvent } from '../../engine/domain/customer/apply-event.ts';
import { type CustomerState, initialState } from '../../engine/domain/customer/state.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import { loyaltyLimits } from '../../engine/domain/loyalty/state.ts';
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
      'duplicate',
    );
    expect(carried.apply(refund(0, sales[0] as never, 1000), effects)).toBe('applied');
    expect(carried.pointsBalance).toBe(60);
    expect(Object.getPrototypeOf(carried.toState().loyalty?.state.sales)).toBe(Object.prototype);
  });

  it('takes over a state carried before every customer had a book: balance, applied ids and sales', () => {
    const first = sale(1, 2000, 1, 0);
    const registration: CustomerEvent = {
      type: 'customer.registered',
      eventId: 'reg-1',
      occurredAt: '2026-10-01T10:00:00Z',
      storeId: 'S001',
      tillId: 'T1',
      channel: 'till',
      customerId: 'c-prop',
      consent: { email: true, sms: false, post: false, profiling: false },
    };
    // The earlier form: the base rate's balance and memories beside the scalars, no book.
    const { loyalty: _book, ...scalars } = initialState('c-prop', program);
    const old = {
      ...scalars,
      visits: 1,
      spendMinor: 2000,
      pointsBalance: 60,
      lastPurchaseAt: first.occurredAt,
      transactions: {
        tx1: { netMinor: 2000, refundedMinor: 0, pointsEarned: 60, pointsReversed: 0 },
      },
      transactionOrder: ['tx1'],
      pendingReturns: {},
      pendingReturnOrder: [],
      seenEventIds: ['reg-1'],
    } as CustomerState;
    const account = CustomerAccount.restore(old);
    expect(account.loyalty.balance).toBe(60);
    expect(account.apply(first, noEffects())).toBe('duplicate');
    expect(account.apply({ ...first, eventId: 'resent' }, noEffects())).toBe('duplicate');
    expect(account.apply(registration, noEffects())).toBe('duplicate');
    expect(account.pointsBalance).toBe(60);
    const later = noEffects();
    expect(account.apply(sale(2, 1000, 1, 0), later)).toBe('applied');
    expect(later.ledger).toMatchObject([{ kind: 'earn', points: 30, balanceAfter: 90 }]);
  });

  it(`remembers the last ${loyaltyLimits.seen} ids applied in a ring carried across continue-as-new, and every sale`, () => {
    let account = CustomerAccount.open('c-prop', program);
    const registration = (i: number) =>
      ({
        ...refund(0, sale(0, 100, 1, 0), 100),
        type: 'customer.registered',
        eventId: `reg-${i}`,
        consent: { email: false, sms: false, post: false, profiling: false },
      }) as unknown as CustomerEvent;
    for (let i = 0; i <= loyaltyLimits.seen; i++) {
      if (i === 1234) {
        account = CustomerAccount.restore(JSON.parse(JSON.stringify(account.toState())));
      }
      expect(account.apply(registration(i), noEffects())).toBe('applied');
    }
    const state = account.toState().loyalty?.state;
    expect(state?.seenOrder).toHaveLength(loyaltyLimits.seen);
    expect(Object.keys(state?.seen ?? {})).toHaveLength(loyaltyLimits.seen);
    // The oldest was pushed out by the newest; the one after it is still known.
    expect(account.apply(registration(1), noEffects())).toBe('duplicate');
    expect(account.apply(registration(0), noEffects())).toBe('applied');

    // Sales past what the book remembers for their returns stay known by their transaction.
    const sales = Array.from({ length: loyaltyLimits.sales + 2 }, (_, i) => sale(i, 100, 1, 0));
    for (const s of sales) expect(account.apply(s, noEffects())).toBe('applied');
    const after = account.toState().loyalty?.state;
    expect(after?.saleOrder).toHaveLength(loyaltyLimits.sales);
    expect(after?.seen[`#sale/${sales[0]?.transactionId}`]).toBe(1);
    for (const s of [sales[0], sales[1], sales[loyaltyLimits.sales + 1]]) {
      expect(account.apply({ ...(s as CustomerEvent), eventId: 'again' }, noEffects())).toBe(
        'duplicate',
      );
    }
    expect(account.pointsBalance).toBe(3 * sales.length);
  });
});
