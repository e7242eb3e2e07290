/**
 * The loyalty rules run on the events' own time, and refuse what cannot be true. Each case is a
 * defect a customer with a program of their own and events dated earlier in the year met: the
 * receiving clock (`now`, here 1 December) is far from the events' time, and must not matter.
 */
import { describe, expect, it } from 'vitest';
import { CustomerAccount, type Effects, noEffects } from '../../engine/domain/customer/account.ts';
import type { SaleEvent } from '../../engine/domain/events.ts';
import {
  checkRedemption,
  evaluate,
  initialLoyaltyState,
} from '../../engine/domain/loyalty/evaluator.ts';
import type { LoyaltyState } from '../../engine/domain/loyalty/state.ts';
import {
  CUSTOMER,
  LedgerView,
  line,
  programOf,
  redemptionOf,
  returnOf,
  saleOf,
} from '../support/loyalty.ts';

/** The receiving clock: long after every event below. */
const NOW = '2026-12-01T10:00:00.000Z';

function history(program = programOf()) {
  let state: LoyaltyState = initialLoyaltyState(CUSTOMER);
  const ledger = new LedgerView();
  const apply = (input: Parameters<typeof evaluate>[1], now = NOW) => {
    const out = evaluate(state, input, program, now);
    ledger.add(out.effects.ledger);
    state = out.state;
    return out;
  };
  return { apply, ledger, state: () => state };
}

describe('periods are measured between event times', () => {
  it('a sale from March returned three days later is reversed, whenever both arrive', () => {
    const h = history(programOf({ returns: { periodDays: 90 } }));
    const sale = saleOf('march', [line({ lineId: '1', unitPrice: 20_000 })], {
      occurredAt: '2026-03-01T10:00:00Z',
    });
    h.apply(sale);
    const back = h.apply(
      returnOf('back', sale, [{ lineId: '1', refundAmount: 20_000 }], {
        occurredAt: '2026-03-04T10:00:00Z',
      }),
    );
    expect(back.result).toMatchObject({ outcome: 'applied', reversed: 200 });
    expect(h.ledger.sum).toBe(0);
    expect(h.state().months.find((b) => b.month === '2026-03')?.spendMinor).toBe(0);
  });

  it('a return dated after the return period takes nothing back, however soon it arrives', () => {
    const h = history(programOf({ returns: { periodDays: 30 } }));
    const sale = saleOf('jan', [line({ lineId: '1', unitPrice: 10_000 })], {
      occurredAt: '2026-01-10T10:00:00Z',
    });
    h.apply(sale, '2026-01-10T10:00:00Z');
    const late = h.apply(
      returnOf('late', sale, [{ lineId: '1', refundAmount: 10_000 }], {
        occurredAt: '2026-02-10T10:00:00Z',
      }),
      '2026-02-10T10:00:01Z',
    );
    expect(late.result).toMatchObject({ outcome: 'applied', reversed: 0 });
    expect(late.effects.triggers).toEqual([
      { kind: 'return-after-period', eventId: 'late', transactionId: 'jan', periodDays: 30 },
    ]);
    expect(h.ledger.sum).toBe(100);
  });

  it('the way to the next tier counts the window ending at the sale, not at the receiving clock', () => {
    const program = programOf({
      tiers: {
        metric: 'spend',
        windowMonths: 1,
        levels: [
          { id: 'member', name: 'Member', threshold: 0 },
          { id: 'gold', name: 'Gold', threshold: 110_000 },
        ],
      },
    });
    const account = CustomerAccount.open(CUSTOMER, {
      version: 'base',
      basePointsPerUnit: 1,
      spendUnitMinor: 100,
    });
    account.learn([program]);
    const out: Effects = noEffects();
    account.apply(
      saleOf('october', [line({ lineId: '1', unitPrice: 60_000 })], {
        occurredAt: '2026-10-15T10:00:00Z',
      }),
      out,
      program,
      NOW,
    );
    expect(out.cues[0]?.nextTier).toEqual({ id: 'gold', missing: 50_000, metric: 'spend' });
  });

  it('a returned sale no longer counts toward the tier, so a later sale does not reach gold on it', () => {
    const h = history(
      programOf({
        tiers: {
          metric: 'spend',
          levels: [
            { id: 'member', name: 'Member', threshold: 0 },
            { id: 'gold', name: 'Gold', threshold: 100_000 },
          ],
        },
      }),
    );
    const big = saleOf('big', [line({ lineId: '1', unitPrice: 60_000 })], {
      occurredAt: '2026-03-01T10:00:00Z',
    });
    h.apply(big);
    h.apply(
      returnOf('big-back', big, [{ lineId: '1', refundAmount: 60_000 }], {
        occurredAt: '2026-03-04T10:00:00Z',
      }),
    );
    const next = h.apply(
      saleOf('next', [line({ lineId: '1', unitPrice: 50_000 })], {
        occurredAt: '2026-03-10T10:00:00Z',
      }),
    );
    expect(next.effects.tierChanges).toEqual([]);
    expect(h.state().tier?.level).toBe(0);
  });

  it('pending days run from the sale: a sale from March is spendable at once in December', () => {
    const h = history(programOf({ pendingDays: 30 }));
    h.apply(
      saleOf('march', [line({ lineId: '1', unitPrice: 10_000 })], {
        occurredAt: '2026-03-01T10:00:00Z',
      }),
    );
    const spend = h.apply(redemptionOf('r', 100, 100_000));
    expect(spend.result).toMatchObject({ outcome: 'applied', redeemed: 100 });
  });

  it('a lot earned long ago under lot expiry expires at its own time, once its time has come', () => {
    const h = history(programOf({ expiry: { lotMonths: 12 } }));
    h.apply(
      saleOf('old', [line({ lineId: '1', unitPrice: 10_000 })], {
        occurredAt: '2025-02-01T10:00:00Z',
      }),
    );
    expect(h.ledger.sum).toBe(100);
    // The next event, in March 2026, brings the clock past the lot's expiry first.
    const next = h.apply(
      saleOf('new', [line({ lineId: '1', unitPrice: 5_000 })], {
        occurredAt: '2026-03-01T10:00:00Z',
      }),
    );
    expect(next.effects.ledger.map((e) => [e.kind, e.points, e.occurredAt])).toEqual([
      ['expire', -100, '2026-02-01T10:00:00.000Z'],
      ['earn', 50, '2026-03-01T10:00:00Z'],
    ]);
  });
});

describe('what cannot be true is refused, naming the field, with nothing applied', () => {
  const sale = saleOf(
    'two-lines',
    [line({ lineId: '1', unitPrice: 1_000, quantity: 2 }), line({ lineId: '2', unitPrice: 500 })],
    { occurredAt: '2026-03-01T10:00:00Z' },
  );

  it('a return of more units than were sold, counting earlier returns', () => {
    const h = history();
    h.apply(sale);
    h.apply(
      returnOf('one', sale, [{ lineId: '1', quantity: 1, refundAmount: 1_000 }], {
        occurredAt: '2026-03-02T10:00:00Z',
      }),
    );
    const before = h.state();
    const more = h.apply(
      returnOf('two-more', sale, [{ lineId: '1', quantity: 2, refundAmount: 1_000 }], {
        occurredAt: '2026-03-03T10:00:00Z',
      }),
    );
    expect(more.result.outcome).toBe('refused');
    expect(more.result.issues).toEqual([
      {
        field: 'lines[0].quantity',
        message: 'returns 2 of line "1", but 2 were sold (1 returned before)',
      },
    ]);
    expect(more.state).toEqual(before);
    expect(more.effects.ledger).toEqual([]);
  });

  it('a refund above what the line was paid, and a line the sale did not have', () => {
    const h = history();
    h.apply(sale);
    const over = h.apply(
      returnOf(
        'over',
        sale,
        [
          { lineId: '2', quantity: 1, refundAmount: 501 },
          { lineId: '9', quantity: 1, refundAmount: 1 },
        ],
        { occurredAt: '2026-03-02T10:00:00Z' },
      ),
    );
    expect(over.result.outcome).toBe('refused');
    expect(over.result.issues).toEqual([
      { field: 'lines[0].refundAmount', message: 'refunds 501 for line "2", but it was paid 500' },
      { field: 'lines[1].lineId', message: 'names no line of sale two-lines ("9")' },
    ]);
  });

  it('a points tender naming a redemption never granted, or naming none', () => {
    const h = history();
    const pays = (tenders: SaleEvent['tenders']) =>
      saleOf('paid', [line({ lineId: '1', unitPrice: 1_000 })], {
        occurredAt: '2026-03-01T10:00:00Z',
        tenders,
      });
    const never = h.apply(
      pays([
        { type: 'points', amount: 200, redemptionId: 'never' },
        { type: 'card', amount: 800 },
      ]),
    );
    expect(never.result.issues).toEqual([
      {
        field: 'tenders[0].redemptionId',
        message: 'names no redemption granted to this customer ("never"): ask points:redeem first',
      },
    ]);
    // The contract refuses it at the gateway; a stream written before the contract said so may
    // still hold one, and the rules refuse it too.
    const none = h.apply(pays([{ type: 'points', amount: 1_000 } as SaleEvent['tenders'][number]]));
    expect(none.result.issues?.[0]?.field).toBe('tenders[0].redemptionId');
    expect(h.ledger.sum).toBe(0);
  });

  it('a points tender whose amount is not what the redemption was granted for, or used twice', () => {
    const h = history();
    h.apply(
      saleOf('earn', [line({ lineId: '1', unitPrice: 100_000 })], {
        occurredAt: '2026-03-01T10:00:00Z',
      }),
    );
    h.apply(redemptionOf('r1', 300, 10_000)); // worth 300 minor units
    const wrong = h.apply(
      saleOf('pay', [line({ lineId: '1', unitPrice: 1_000 })], {
        occurredAt: '2026-12-01T09:59:00Z',
        tenders: [
          { type: 'points', amount: 500, redemptionId: 'r1' },
          { type: 'card', amount: 500 },
        ],
      }),
    );
    expect(wrong.result.issues).toEqual([
      {
        field: 'tenders[0].amount',
        message: 'is 500 EUR, but redemption "r1" was granted for 300 EUR',
      },
    ]);
    const pay = (id: string) =>
      saleOf(id, [line({ lineId: '1', unitPrice: 1_000 })], {
        occurredAt: '2026-12-01T09:59:00Z',
        tenders: [
          { type: 'points', amount: 300, redemptionId: 'r1' },
          { type: 'card', amount: 700 },
        ],
      });
    expect(h.apply(pay('pay-1')).result.outcome).toBe('applied');
    // Nor can it be cancelled once it paid: returning the sale gives its points back.
    const cancel = h.apply({ type: 'redemption.cancel', redemptionId: 'r1', customerId: CUSTOMER });
    expect(cancel.result).toMatchObject({ outcome: 'duplicate', earned: 0 });
    expect(h.apply(pay('pay-2')).result.issues).toEqual([
      {
        field: 'tenders[0].redemptionId',
        message: 'names redemption "r1", which already paid for sale pay-1',
      },
    ]);
  });

  it('a return held for its sale that cannot be true of it is refused when the sale comes', () => {
    const h = history();
    const held = h.apply(
      returnOf('early', sale, [{ lineId: '2', quantity: 3, refundAmount: 500 }], {
        occurredAt: '2026-03-02T10:00:00Z',
      }),
    );
    expect(held.result.outcome).toBe('held');
    const arrives = h.apply(sale);
    expect(arrives.effects.triggers).toEqual([
      {
        kind: 'return-refused',
        eventId: 'early',
        transactionId: 'two-lines',
        issues: [{ field: 'lines[0].quantity', message: 'returns 3 of line "2", but 1 were sold' }],
      },
    ]);
    expect(h.ledger.sum).toBe(25);
  });
});

describe('redemption refusals', () => {
  it('list every reason that applies, in the documented order', () => {
    const h = history(programOf({ redemption: { maxBasketShare: 50 } }));
    h.apply(
      saleOf('earn', [line({ lineId: '1', unitPrice: 52_500 })], {
        occurredAt: '2026-03-01T10:00:00Z',
      }),
    );
    const check = checkRedemption(
      h.state(),
      redemptionOf('r', 600, 1_000),
      programOf({ redemption: { maxBasketShare: 50 } }),
      NOW,
    );
    expect(check).toEqual({
      ok: false,
      reason: 'insufficient_balance',
      message:
        'Only 525 points can be spent now. Points may pay at most 50% of the basket (500 minor units); these points are worth 600.',
      reasons: [
        {
          reason: 'insufficient_balance',
          field: 'points',
          message: 'Only 525 points can be spent now.',
        },
        {
          reason: 'over_basket_share',
          field: 'points',
          message:
            'Points may pay at most 50% of the basket (500 minor units); these points are worth 600.',
        },
      ],
    });
  });
});

describe('the customer record', () => {
  it('carries one program version: the program’s, once the customer is under it', () => {
    const program = programOf();
    const account = CustomerAccount.open(CUSTOMER, {
      version: 'base-1-per-100',
      basePointsPerUnit: 1,
      spendUnitMinor: 100,
    });
    account.learn([program]);
    const snapshot = account.snapshot(NOW);
    expect(snapshot.programVersion).toBe('test@1');
    expect(snapshot.loyalty).toBeDefined();
    expect(JSON.stringify(snapshot).match(/programVersion/g)).toHaveLength(1);
  });
});
