/**
 * A customer who earned at the base rate comes under a loyalty program: one book throughout, so
 * the points earned at the base rate stay its lots, and a later return of a sale from before the
 * program is taken back as the program's return policy allows, on that sale's own reversal line.
 */
import { describe, expect, it } from 'vitest';
import { CustomerAccount, type Effects, noEffects } from '../../engine/domain/customer/account.ts';
import { LedgerView, line, programOf, redemptionOf, returnOf, saleOf } from '../support/loyalty.ts';

const base = { version: 'base-1-per-100', basePointsPerUnit: 1, spendUnitMinor: 100 };
const now = '2026-03-10T10:00:00.000Z';

function customer(policy: 'within-balance' | 'unlimited') {
  const program = programOf({ returns: { policy } });
  const account = CustomerAccount.open('c-loyal', base);
  const ledger = new LedgerView();
  const run = (step: (out: Effects) => void) => {
    const out = noEffects();
    step(out);
    ledger.add(out.ledger);
    return out;
  };
  const old = saleOf('old', [line({ lineId: '1', quantity: 2, unitPrice: 5_000 })]);
  run((out) => account.apply(old, out));
  run((out) => account.apply(saleOf('old-2', [line({ lineId: '1', unitPrice: 5_000 })]), out));
  account.learn([program]);
  return { program, account, ledger, run, old };
}

describe('a customer coming under a program', () => {
  it('keeps the balance: the ledger still sums to it', () => {
    const { account, ledger } = customer('within-balance');
    expect(account.pointsBalance).toBe(150);
    expect(account.loyalty.balance).toBe(150);
    expect(ledger.sum).toBe(150);
  });

  it('takes back what a returned earlier sale earned, on the sale’s own reversal line', () => {
    const { program, account, ledger, run, old } = customer('within-balance');
    const out = run((o) =>
      account.apply(returnOf('back', old, [{ lineId: '1', refundAmount: 4_000 }]), o, program, now),
    );
    expect(out.ledger).toMatchObject([
      {
        entryId: 'c-loyal/old/reverse',
        kind: 'reverse',
        points: -40,
        revision: 1,
        balanceAfter: 110,
      },
    ]);
    expect(out.cues[0]).toMatchObject({ kind: 'return', pointsEarned: -40, pointsBalance: 110 });
    run((o) =>
      account.apply(
        returnOf('back-2', old, [{ lineId: '1', refundAmount: 6_000 }]),
        o,
        program,
        now,
      ),
    );
    expect(account.pointsBalance).toBe(50);
    expect(ledger.sum).toBe(50);
  });

  it('forgives what the balance no longer holds under within-balance, and goes negative under unlimited', () => {
    for (const [policy, balance] of [
      ['within-balance', 0],
      ['unlimited', -100],
    ] as const) {
      const { program, account, ledger, run, old } = customer(policy);
      const spend = run((o) => account.redeem(redemptionOf('r', 150, 100_000), program, now, o));
      expect(spend.ledger[0]?.points).toBe(-150);
      run((o) =>
        account.apply(
          returnOf('back', old, [{ lineId: '1', refundAmount: 10_000 }]),
          o,
          program,
          now,
        ),
      );
      expect(account.pointsBalance, policy).toBe(balance);
      expect(ledger.sum, policy).toBe(balance);
    }
  });
});

describe('a duplicate sent later', () => {
  it('still brings the clock to its time: what expired on the way is in the effects and the ledger', () => {
    const program = programOf({ expiry: { lotMonths: 1, warnDays: 0 } });
    const account = CustomerAccount.open('c-loyal', base);
    account.learn([program]);
    const ledger = new LedgerView();
    const first = noEffects();
    const sale = saleOf('tx-1', [line({ lineId: '1', unitPrice: 10_000 })], {
      occurredAt: '2026-03-02T10:00:00Z',
    });
    account.apply(sale, first, program, now);
    ledger.add(first.ledger);
    // The till sends the same transaction again two months on, under a new event id.
    const again = noEffects();
    const resent = { ...sale, eventId: 'ev-tx-1-again', occurredAt: '2026-05-02T10:00:00Z' };
    expect(account.apply(resent, again, program, now)).toBe('duplicate');
    ledger.add(again.ledger);
    expect(again.ledger).toMatchObject([{ kind: 'expire', points: -100 }]);
    expect(again.cues).toEqual([]);
    expect(account.pointsBalance).toBe(0);
    expect(ledger.sum).toBe(0);
  });
});
