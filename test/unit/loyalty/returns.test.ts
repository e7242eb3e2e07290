/**
 * Returns: exactly what each returned line earned taken back, by the return policy, and the points
 * a sale was paid with given back.
 */
import { describe, expect, it } from 'vitest';
import { balanceOf, spendableAt } from '../../../engine/domain/loyalty/state.ts';
import {
  cancelOf,
  line,
  programOf,
  redemptionOf,
  returnOf,
  saleOf,
} from '../../support/loyalty.ts';

import { run } from '../../support/loyalty-run.ts';

describe('returns', () => {
  const produce = line({ lineId: '1', unitPrice: 1_999, quantity: 3, category: 'produce' });
  const bread = line({ lineId: '2', unitPrice: 1_000 });
  const program = programOf({
    earn: {
      rules: [
        {
          id: 'double',
          name: 'Double produce',
          when: { categories: ['produce'] },
          effect: { multiply: 2 },
          caps: { perDay: 100 },
        },
        {
          id: 'big-basket',
          name: 'Big basket',
          when: { minBasketMinor: 6_000 },
          effect: { bonus: 40 },
        },
      ],
    },
  });
  const sale = saleOf('t1', [produce, bread]);

  it('takes back exactly what the returned line earned, partial returns adding up', () => {
    // 69.97 earns 69 base points: 59 for the produce (59.14 rounded down; the bread's larger
    // remainder takes the spare point), doubled to 118, 10 for the bread, and the 40 bonus.
    // Returning one produce item leaves a 49.98 basket: below the bonus's minimum, so it goes too.
    const r = run(program, [
      sale,
      returnOf('r1', sale, [{ lineId: '1', quantity: 1, refundAmount: 1_999 }]),
      returnOf('r2', sale, [{ lineId: '1', quantity: 2, refundAmount: 3_998 }]),
    ]);
    expect(r.results.map((x) => [x.earned, x.reversed])).toEqual([
      [118 + 10 + 40, 0],
      [0, 40 + 40],
      [0, 78],
    ]);
    expect(r.ledger.entries().find((e) => e.kind === 'reverse')).toMatchObject({
      points: -158,
      revision: 2,
    });
    expect(balanceOf(r.state)).toBe(10);
  });

  it('gives the day cap back, so a later sale that day can earn it', () => {
    const r = run(program, [
      sale,
      returnOf('r1', sale, [{ lineId: '1', quantity: 3, refundAmount: 5_997 }]),
      saleOf('t2', [produce], { occurredAt: '2026-03-02T12:00:00Z' }),
    ]);
    // Without the give-back, the cap would leave 100 - 59 = 41 for the double.
    expect(r.results[2]?.earned).toBe(59 + 59);
  });

  it('takes back a first-purchase bonus with a fully returned first purchase', () => {
    const withFirst = programOf({
      earn: { bonuses: [{ id: 'first', on: 'first-purchase', points: 50 }] },
    });
    const r = run(withFirst, [
      sale,
      returnOf('r1', sale, [
        { lineId: '1', quantity: 3, refundAmount: 5_997 },
        { lineId: '2', refundAmount: 1_000 },
      ]),
      saleOf('t2', [bread]),
    ]);
    expect(r.results.map((x) => [x.earned, x.reversed])).toEqual([
      [69 + 50, 0],
      [0, 119],
      [10 + 50, 0],
    ]);
  });

  describe('when the points were already spent', () => {
    const spend = (policy: 'pending-only' | 'within-balance' | 'unlimited', pendingDays = 0) => {
      const p = programOf({ returns: { policy }, pendingDays });
      const s = saleOf('t1', [line({ lineId: '1', unitPrice: 10_000 })], {
        occurredAt: '2026-03-02T10:00:00Z',
      });
      return run(
        p,
        [
          s,
          redemptionOf('r1', 80, 100_000),
          returnOf('back', s, [{ lineId: '1', refundAmount: 10_000 }]),
          saleOf('t2', [line({ lineId: '1', unitPrice: 5_000 })], {
            occurredAt: '2026-03-10T10:00:00Z',
          }),
        ],
        (step) => ('occurredAt' in step ? step.occurredAt : '2026-03-04T10:00:00Z'),
      );
    };

    it('within-balance takes what the balance holds and forgives the rest', () => {
      const r = spend('within-balance');
      expect(r.results.map((x) => x.reversed)).toEqual([0, 0, 20, 0]);
      expect(balanceOf(r.state)).toBe(50);
    });

    it('unlimited lets the balance go negative, and the next accrual pays the debt first', () => {
      const r = spend('unlimited');
      expect(r.results.map((x) => x.reversed)).toEqual([0, 0, 100, 0]);
      expect(balanceOf(r.state)).toBe(-30);
      expect(r.state.debt).toBe(30);
      expect(spendableAt(r.state, '2026-03-11T00:00:00Z')).toBe(0);
    });

    it('pending-only takes back only points still pending', () => {
      // Pending for a day: spendable (and spent) by the time of the return.
      const settled = spend('pending-only', 1);
      expect(settled.results.map((x) => x.reversed)).toEqual([0, 0, 0, 0]);
      const p = programOf({ returns: { policy: 'pending-only' }, pendingDays: 30 });
      const s = saleOf('t1', [line({ lineId: '1', unitPrice: 10_000 })]);
      const pending = run(p, [s, returnOf('back', s, [{ lineId: '1', refundAmount: 10_000 }])]);
      expect(pending.results.map((x) => x.reversed)).toEqual([0, 100]);
    });
  });

  it('gives back the points a returned sale was paid with, in proportion, never twice', () => {
    const p = programOf();
    const earn = saleOf('t0', [line({ lineId: '1', unitPrice: 100_000 })], {
      occurredAt: '2026-02-01T10:00:00Z',
    });
    const paid = saleOf(
      't1',
      [line({ lineId: '1', unitPrice: 2_000 }), line({ lineId: '2', unitPrice: 2_000 })],
      {
        tenders: [
          { type: 'points', amount: 1_000, redemptionId: 'r1' },
          { type: 'card', amount: 3_000 },
        ],
      },
    );
    const r = run(
      p,
      [
        earn,
        redemptionOf('r1', 1_000, 4_000),
        paid,
        returnOf('b1', paid, [{ lineId: '1', refundAmount: 2_000 }]),
        returnOf('b2', paid, [{ lineId: '2', refundAmount: 2_000 }]),
        cancelOf('r1'),
      ],
      (step) => ('occurredAt' in step ? step.occurredAt : '2026-03-02T09:00:00Z'),
    );
    // 40.00 of which 10.00 in points: earns 30; each returned half gives back 500 points.
    expect(r.results.map((x) => [x.outcome, x.earned, x.redeemed, x.reversed])).toEqual([
      ['applied', 1_000, 0, 0],
      ['applied', 0, 1_000, 0],
      ['applied', 30, 0, 0],
      ['applied', 500, 0, 15],
      ['applied', 500, 0, 15],
      // A redemption that paid for a sale is not cancelled: its returns gave the points back.
      ['duplicate', 0, 0, 0],
    ]);
    expect(balanceOf(r.state)).toBe(1_000);
  });

  it('settles a return that arrived before its sale when the sale comes', () => {
    const r = run(program, [returnOf('r1', sale, [{ lineId: '2', refundAmount: 1_000 }]), sale]);
    expect(r.results.map((x) => [x.outcome, x.earned, x.reversed])).toEqual([
      ['held', 0, 0],
      ['applied', 168, 10 + 40],
    ]);
  });
});
