/**
 * The clock: lots expiring by age or inactivity, the warnings before, never spending what has
 * expired.
 */
import { describe, expect, it } from 'vitest';
import {
  checkRedemption,
  evaluate,
  evaluateClock,
} from '../../../engine/domain/loyalty/evaluator.ts';
import { balanceOf, spendableAt } from '../../../engine/domain/loyalty/state.ts';
import { line, programOf, redemptionOf, registrationOf, saleOf } from '../../support/loyalty.ts';

import { run } from '../../support/loyalty-run.ts';

describe('expiry', () => {
  it('expires each lot N months after it was earned, with a warning before', () => {
    const program = programOf({ expiry: { lotMonths: 6, warnDays: 30 } });
    const r = run(program, [
      saleOf('t1', [line({ lineId: '1', unitPrice: 10_000 })], {
        occurredAt: '2026-01-15T10:00:00Z',
      }),
      saleOf('t2', [line({ lineId: '1', unitPrice: 5_000 })], {
        occurredAt: '2026-03-15T10:00:00Z',
      }),
      { clock: '2026-06-20T00:00:00Z' },
      { clock: '2026-07-16T00:00:00Z' },
    ]);
    expect(r.effects.triggers).toEqual([
      { kind: 'points-expiring', points: 100, expiresAt: '2026-07-15T10:00:00.000Z' },
      // At the lot's own expiry, not when the clock happened to run.
      { kind: 'points-expired', points: 100, at: '2026-07-15T10:00:00.000Z', cause: 'age' },
    ]);
    expect(r.ledger.entries().filter((e) => e.kind === 'expire')).toMatchObject([
      {
        points: -100,
        transactionId: 't1',
        occurredAt: '2026-07-15T10:00:00.000Z',
        reason: 'age',
        balanceAfter: 50,
      },
    ]);
    expect(balanceOf(r.state)).toBe(50);
  });

  it('expires every point after N months without a sale or redemption', () => {
    const program = programOf({ expiry: { inactivityMonths: 12, warnDays: 14 } });
    const r = run(program, [
      saleOf('t1', [line({ lineId: '1', unitPrice: 10_000 })], {
        occurredAt: '2026-01-15T10:00:00Z',
      }),
      saleOf('t2', [line({ lineId: '1', unitPrice: 5_000 })], {
        occurredAt: '2026-03-15T10:00:00Z',
      }),
      { clock: '2027-03-05T00:00:00Z' },
      { clock: '2027-03-15T10:00:00Z' },
    ]);
    expect(r.effects.triggers).toEqual([
      { kind: 'inactivity-expiry-coming', points: 150, expiresAt: '2027-03-15T10:00:00.000Z' },
      { kind: 'points-expired', points: 150, at: '2027-03-15T10:00:00.000Z', cause: 'inactivity' },
    ]);
    expect(balanceOf(r.state)).toBe(0);
  });

  it('counts inactivity from the first points when there was no sale or redemption', () => {
    const program = programOf({
      expiry: { inactivityMonths: 6 },
      earn: { bonuses: [{ id: 'welcome', on: 'registration', points: 100 }] },
    });
    const { state } = run(program, [registrationOf({ occurredAt: '2026-01-10T09:00:00Z' })]);
    const ask = redemptionOf('r', 100, 100_000);
    expect(checkRedemption(state, ask, program, '2026-07-10T08:59:59Z').ok).toBe(true);
    // Past the deadline the points count for nothing, even before the clock expires them.
    expect(checkRedemption(state, ask, program, '2026-07-10T09:00:00Z')).toMatchObject({
      ok: false,
      reason: 'insufficient_balance',
    });
    // One run of the clock over the gap does what timers at each due instant would have done:
    // the warning (30 days before), then the expiry.
    expect(evaluateClock(state, program, '2026-07-11T00:00:00Z').effects.triggers).toMatchObject([
      { kind: 'inactivity-expiry-coming', points: 100, expiresAt: '2026-07-10T09:00:00.000Z' },
      { kind: 'points-expired', points: 100, cause: 'inactivity', at: '2026-07-10T09:00:00.000Z' },
    ]);
  });

  it('never spends points whose lot has expired, even before the clock has run', () => {
    const program = programOf({ expiry: { lotMonths: 1 } });
    const { state } = run(program, [
      saleOf('t1', [line({ lineId: '1', unitPrice: 10_000 })], {
        occurredAt: '2026-01-15T10:00:00Z',
      }),
    ]);
    expect(spendableAt(state, '2026-02-15T09:59:59.999Z')).toBe(100);
    expect(spendableAt(state, '2026-02-15T10:00:00.000Z')).toBe(0);
    const late = evaluate(
      state,
      redemptionOf('r', 100, 100_000),
      program,
      '2026-02-15T10:00:00.000Z',
    );
    expect(late.result.refusal?.reason).toBe('insufficient_balance');
  });
});
