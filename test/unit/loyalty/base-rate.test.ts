/**
 * The base earn rate as a program version: what a customer gets with no program published, and
 * before the first version comes into force, through the same book as a program.
 */
import { describe, expect, it } from 'vitest';
import {
  CustomerAccount,
  type Effects,
  noEffects,
} from '../../../engine/domain/customer/account.ts';
import { baseRateProgram } from '../../../engine/domain/loyalty/base-earn.ts';
import {
  adjustmentOf,
  CUSTOMER,
  LedgerView,
  line,
  programOf,
  redemptionOf,
  returnOf,
  saleOf,
} from '../../support/loyalty.ts';

const base = { version: 'base-2-per-100', basePointsPerUnit: 2, spendUnitMinor: 100 };

function customer() {
  const account = CustomerAccount.open(CUSTOMER, base);
  const ledger = new LedgerView();
  const apply = (event: Parameters<CustomerAccount['apply']>[0]) => {
    const out: Effects = noEffects();
    const outcome = account.apply(event, out);
    ledger.add(out.ledger);
    return { outcome, out };
  };
  return { account, ledger, apply };
}

describe('the base earn rate', () => {
  it('earns per spend unit, rounded down, on what was not paid with points, in any currency', () => {
    const { account, ledger, apply } = customer();
    const eur = apply(saleOf('eur', [line({ lineId: '1', unitPrice: 1_999 })]));
    expect(eur.out.ledger).toMatchObject([
      { kind: 'earn', points: 39, programVersion: 'base-2-per-100' },
    ]);
    // Minor units of another currency count as they are: a spend unit is a number of them.
    apply(saleOf('sek', [line({ lineId: '1', unitPrice: 10_050 })], { currency: 'SEK' }));
    expect(account.pointsBalance).toBe(39 + 201);
    expect(ledger.sum).toBe(account.pointsBalance);
    expect(account.snapshot('2026-03-03T00:00:00Z')).toMatchObject({
      programVersion: 'base-2-per-100',
      spendMinor: 1_999 + 10_050,
      visits: 2,
      loyalty: { balance: 240, spendable: 240, pending: 0, perks: [] },
    });
  });

  it('takes back what a return refunds whenever it comes, and applies an adjustment', () => {
    const { account, ledger, apply } = customer();
    const sale = saleOf('tx', [line({ lineId: '1', quantity: 4, unitPrice: 2_500 })]);
    apply(sale);
    // Two years on: the base rate has no return period.
    const late = returnOf('r1', sale, [{ lineId: '1', quantity: 1, refundAmount: 2_500 }], {
      occurredAt: '2028-03-02T10:00:00Z',
    });
    expect(apply(late).out.ledger).toMatchObject([{ kind: 'reverse', points: -50 }]);
    apply(adjustmentOf('goodwill-1', 25, { occurredAt: '2028-03-03T10:00:00Z' }));
    expect(account.pointsBalance).toBe(200 - 50 + 25);
    expect(ledger.sum).toBe(account.pointsBalance);
  });

  it('spends nothing: no redemption, and a points tender is refused naming the field', () => {
    const { account, apply } = customer();
    apply(saleOf('tx', [line({ lineId: '1', unitPrice: 50_000 })]));
    const program = baseRateProgram(base);
    const check = account.loyalty.checkRedemption(
      redemptionOf('rd', 100, 10_000),
      program,
      '2026-03-03T00:00:00Z',
    );
    expect(check.ok).toBe(false);
    const paid = saleOf('tx-2', [line({ lineId: '1', unitPrice: 1_000 })], {
      tenders: [
        { type: 'points', amount: 500, redemptionId: 'rd' },
        { type: 'card', amount: 500 },
      ],
    });
    const refused = apply(paid);
    expect(refused.outcome).toBe('refused');
    expect(refused.out.cues[0]?.issues?.[0]?.field).toBe('tenders[0].redemptionId');
    expect(account.pointsBalance).toBe(1_000);
  });

  it('is the version in force before a program’s first version, in the same book', () => {
    const { account, ledger, apply } = customer();
    const program = { ...programOf({}, 'test@1'), effectiveFrom: '2026-06-01T00:00:00Z' };
    account.learn([program]);
    expect(account.loyalty.programAt('2026-05-31T23:59:59Z').version).toBe('base-2-per-100');
    expect(account.loyalty.programAt('2026-06-01T00:00:00Z').version).toBe('test@1');
    apply(saleOf('before', [line({ lineId: '1', unitPrice: 1_000 })]));
    apply(
      saleOf('after', [line({ lineId: '1', unitPrice: 1_000 })], {
        occurredAt: '2026-06-02T10:00:00Z',
      }),
    );
    expect(ledger.entries().map((l) => [l.transactionId, l.points, l.programVersion])).toEqual([
      ['before', 20, 'base-2-per-100'],
      ['after', 10, 'test@1'],
    ]);
    expect(account.pointsBalance).toBe(30);
  });
});
