/**
 * Spending points: what is refused and why, oldest lots first, a redemption asked again, a
 * cancellation.
 */
import { describe, expect, it } from 'vitest';
import { checkRedemption, evaluate } from '../../../engine/domain/loyalty/evaluator.ts';
import { balanceOf } from '../../../engine/domain/loyalty/state.ts';
import { cancelOf, line, programOf, redemptionOf, saleOf } from '../../support/loyalty.ts';

import { run } from '../../support/loyalty-run.ts';

describe('redemption', () => {
  const program = programOf({ redemption: { minimumPoints: 200, maxBasketShare: 50 } });
  const earnSale = saleOf('t1', [line({ lineId: '1', unitPrice: 100_000 })], {
    occurredAt: '2026-02-01T10:00:00Z',
  });
  const at = '2026-03-01T10:00:00Z';

  it.each([
    ['accepted', redemptionOf('x', 500, 10_000), { ok: true, points: 500, valueMinor: 500 }],
    ['below the minimum', redemptionOf('x', 100, 10_000), { ok: false, reason: 'below_minimum' }],
    [
      'over the balance',
      redemptionOf('x', 1_001, 10_000),
      { ok: false, reason: 'insufficient_balance' },
    ],
    [
      'over half the basket',
      redemptionOf('x', 600, 1_000),
      { ok: false, reason: 'over_basket_share' },
    ],
    ['zero points', redemptionOf('x', 0, 1_000), { ok: false, reason: 'not_positive' }],
    [
      'an unknown currency',
      redemptionOf('x', 500, 10_000, { currency: 'USD' }),
      { ok: false, reason: 'currency_not_redeemable' },
    ],
    [
      'an unknown partner',
      redemptionOf('x', 500, 10_000, { partnerId: 'nobody' }),
      { ok: false, reason: 'unknown_partner' },
    ],
  ])('%s', (_name, request, expected) => {
    const { state } = run(program, [earnSale]);
    expect(checkRedemption(state, request, program, at)).toMatchObject(expected);
  });

  it('refuses a channel the program does not allow', () => {
    const tillOnly = programOf({ redemption: { channels: ['till'] } });
    const { state } = run(tillOnly, [earnSale]);
    const check = checkRedemption(
      state,
      redemptionOf('x', 10, 1_000, { channel: 'web' }),
      tillOnly,
      at,
    );
    expect(check).toMatchObject({
      ok: false,
      reason: 'channel_not_allowed',
      reasons: [{ reason: 'channel_not_allowed', field: 'channel' }],
    });
  });

  it('spends the oldest lot first, and pending points not at all', () => {
    const pending = programOf({ pendingDays: 30 });
    const r = run(
      pending,
      [
        saleOf('old', [line({ lineId: '1', unitPrice: 10_000 })], {
          occurredAt: '2026-01-01T10:00:00Z',
        }),
        saleOf('new', [line({ lineId: '1', unitPrice: 10_000 })], {
          occurredAt: '2026-02-20T10:00:00Z',
        }),
        redemptionOf('r1', 150, 100_000),
      ],
      (step) => ('occurredAt' in step ? step.occurredAt : '2026-03-01T10:00:00Z'),
    );
    expect(r.results[2]).toMatchObject({
      outcome: 'refused',
      refusal: { reason: 'insufficient_balance' },
    });
    const ok = evaluate(r.state, redemptionOf('r2', 80, 100_000), pending, '2026-03-01T10:00:00Z');
    expect(ok.result.outcome).toBe('applied');
    expect(ok.state.lots.map((l) => [l.id, l.points])).toEqual([
      ['old', 20],
      ['new', 100],
    ]);
  });

  it('answers the same redemption id with the same answer, once', () => {
    const r = run(
      program,
      [earnSale, redemptionOf('r1', 300, 10_000), redemptionOf('r1', 300, 10_000)],
      () => at,
    );
    expect(r.results.slice(1).map((x) => [x.outcome, x.redeemed])).toEqual([
      ['applied', 300],
      ['duplicate', 300],
    ]);
    expect(balanceOf(r.state)).toBe(700);
  });

  it('gives a cancelled redemption back into the lots it came from, once', () => {
    const expiring = programOf({ expiry: { lotMonths: 6 } });
    const r = run(
      expiring,
      [earnSale, redemptionOf('r1', 300, 10_000), cancelOf('r1'), cancelOf('r1')],
      () => at,
    );
    expect(r.results.slice(2).map((x) => [x.outcome, x.earned])).toEqual([
      ['applied', 300],
      ['duplicate', 0],
    ]);
    expect(r.state.lots.map((l) => [l.points, l.expiresAt])).toEqual([
      [700, '2026-08-01T10:00:00.000Z'],
      [300, '2026-08-01T10:00:00.000Z'],
    ]);
  });
});
