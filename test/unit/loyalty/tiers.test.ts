/**
 * Tiers: upgrades at once, reviews with grace, downgrades, and a program that gains tiers mid-
 * history.
 */
import { describe, expect, it } from 'vitest';
import {
  evaluate,
  evaluateClock,
  initialLoyaltyState,
  outlook,
} from '../../../engine/domain/loyalty/evaluator.ts';
import { CUSTOMER, line, programOf, returnOf, saleOf } from '../../support/loyalty.ts';

import { run } from '../../support/loyalty-run.ts';

describe('tiers', () => {
  const tiers = (more: object = {}) =>
    programOf({
      tiers: {
        metric: 'spend',
        windowMonths: 12,
        reviewMonths: 12,
        levels: [
          { id: 'member', name: 'Member', threshold: 0 },
          { id: 'silver', name: 'Silver', threshold: 10_000 },
          { id: 'gold', name: 'Gold', threshold: 20_000 },
        ],
        ...more,
      },
    });
  const big = (tx: string, occurredAt: string, unitPrice = 25_000) =>
    saleOf(tx, [line({ lineId: '1', unitPrice })], { occurredAt });

  it('upgrades at once and downgrades one level at a review the customer fails', () => {
    const r = run(tiers(), [big('t1', '2026-01-10T10:00:00Z'), { clock: '2027-01-10T10:00:00Z' }]);
    expect(r.effects.tierChanges.map((c) => [c.reason, c.to])).toEqual([
      ['upgrade', 'gold'],
      ['downgrade', 'silver'],
    ]);
  });

  it('keeps the tier at a review the customer passes', () => {
    const r = run(tiers(), [
      big('t1', '2026-01-10T10:00:00Z'),
      big('t2', '2026-12-20T10:00:00Z'),
      { clock: '2027-01-10T10:00:00Z' },
    ]);
    expect(r.effects.tierChanges.map((c) => c.reason)).toEqual(['upgrade']);
    expect(outlook(r.state, tiers(), '2027-01-11T00:00:00Z').tier).toBe('gold');
  });

  it('waits out the grace period, and qualifying during it cancels the downgrade', () => {
    const program = tiers({ graceDays: 30 });
    const failed = run(program, [
      big('t1', '2026-01-10T10:00:00Z'),
      { clock: '2027-01-20T00:00:00Z' },
    ]);
    expect(failed.effects.tierChanges.map((c) => c.reason)).toEqual(['upgrade']);
    const later = evaluateClock(failed.state, program, '2027-02-10T00:00:00Z');
    expect(later.effects.tierChanges).toMatchObject([
      { reason: 'downgrade', to: 'silver', at: '2027-02-09T10:00:00.000Z' },
    ]);

    const saved = run(program, [
      big('t1', '2026-01-10T10:00:00Z'),
      { clock: '2027-01-20T00:00:00Z' },
      big('t2', '2027-01-25T10:00:00Z'),
      { clock: '2027-03-01T00:00:00Z' },
    ]);
    expect(saved.effects.tierChanges.map((c) => c.reason)).toEqual(['upgrade']);
  });

  it('downgrades to the metric when the program says so, and never below a neverDowngrade tier', () => {
    const toMetric = run(tiers({ downgrade: 'to-metric' }), [
      big('t1', '2026-01-10T10:00:00Z'),
      { clock: '2027-01-10T10:00:00Z' },
    ]);
    expect(toMetric.effects.tierChanges.map((c) => c.to)).toEqual(['gold', 'member']);
    const kept = programOf({
      tiers: {
        metric: 'spend',
        levels: [
          { id: 'member', name: 'Member', threshold: 0 },
          { id: 'founder', name: 'Founder', threshold: 100, neverDowngrade: true },
        ],
      },
    });
    const r = run(kept, [big('t1', '2026-01-10T10:00:00Z'), { clock: '2029-01-10T10:00:00Z' }]);
    expect(r.effects.tierChanges.map((c) => c.to)).toEqual(['founder']);
  });

  it('undoes the upgrade a returned sale caused', () => {
    const sale = big('t1', '2026-02-10T10:00:00Z');
    const r = run(tiers(), [sale, returnOf('r1', sale, [{ lineId: '1', refundAmount: 25_000 }])]);
    expect(r.effects.tierChanges.map((c) => [c.reason, c.to])).toEqual([
      ['upgrade', 'gold'],
      ['return', 'member'],
    ]);
  });

  it('projects the tier after the next review if the metric stays where it is', () => {
    const r = run(tiers(), [big('t1', '2026-01-10T10:00:00Z')]);
    // Gold now; by the review the January spend is still in the window: Gold kept.
    expect(outlook(r.state, tiers(), '2026-06-01T00:00:00Z').projectedTier).toEqual({
      id: 'gold',
      at: '2027-01-10T10:00:00.000Z',
    });
    // Measured in February 2027 the window has lost it: one level down at the review.
    expect(outlook(r.state, tiers(), '2027-02-01T00:00:00Z').projectedTier?.id).toBe('silver');
  });

  it('shows the distance to the next tier', () => {
    const r = run(tiers(), [big('t1', '2026-02-10T10:00:00Z', 4_000)]);
    expect(outlook(r.state, tiers(), '2026-02-11T00:00:00Z').nextTier).toEqual({
      id: 'silver',
      missing: 6_000,
      metric: 'spend',
    });
  });
});

describe('a program that gains tiers', () => {
  it('starts the customer’s reviews from their first event under tiers, and holds them', () => {
    const plain = programOf({ expiry: { lotMonths: 24 } }, 'grow@1');
    const tiered = programOf(
      {
        expiry: { lotMonths: 24 },
        tiers: {
          metric: 'spend',
          reviewMonths: 1,
          levels: [
            { id: 'member', name: 'Member', threshold: 0 },
            { id: 'gold', name: 'Gold', threshold: 10_000 },
          ],
        },
      },
      'grow@2',
    );
    let state = initialLoyaltyState(CUSTOMER);
    // A lot expiring in two years: the clock has nothing to do for a long while.
    state = evaluate(
      state,
      saleOf('t1', [line({ lineId: '1', unitPrice: 1_000 })]),
      plain,
      '2026-01-05T10:00:00Z',
    ).state;
    const upgrade = evaluate(
      state,
      saleOf('t2', [line({ lineId: '1', unitPrice: 20_000 })], {
        occurredAt: '2026-06-05T10:00:00Z',
      }),
      tiered,
      '2026-06-05T10:00:00Z',
    );
    expect(upgrade.effects.tierChanges).toMatchObject([{ to: 'gold' }]);
    expect(upgrade.state.tier?.reviewAt).toBe('2026-07-05T10:00:00.000Z');
    // The review a month later keeps gold (June's spend is in the window), well before the lot's
    // expiry would have woken the clock.
    const review = evaluateClock(upgrade.state, tiered, '2026-07-05T10:00:00Z');
    expect(review.state.tier?.reviewAt).toBe('2026-08-05T10:00:00.000Z');
  });
});
