/**
 * The loyalty evaluator, rule type by rule type: each case a program, a few inputs and the points,
 * ledger lines, triggers or tier changes they must give. The worked example of docs/programs.md
 * is at the end.
 */
import { describe, expect, it } from 'vitest';
import type { SaleEvent } from '../../engine/domain/events.ts';
import {
  checkRedemption,
  evaluate,
  evaluateClock,
  initialLoyaltyState,
  type LoyaltyEffects,
  type LoyaltyInput,
  type LoyaltyResult,
  outlook,
} from '../../engine/domain/loyalty/evaluator.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import type { ProgramInput } from '../../engine/domain/loyalty/program-schema.ts';
import { balanceOf, type LoyaltyState, spendableAt } from '../../engine/domain/loyalty/state.ts';
import {
  adjustmentOf,
  CUSTOMER,
  cancelOf,
  LedgerView,
  line,
  partnerAccrualOf,
  programOf,
  redemptionOf,
  registrationOf,
  returnOf,
  saleOf,
} from '../support/loyalty.ts';

type Step = LoyaltyInput | { clock: string };

interface Run {
  state: LoyaltyState;
  results: LoyaltyResult[];
  effects: LoyaltyEffects;
  ledger: LedgerView;
}

/** Applies inputs in order, each at its own time (or `at`), and checks balance = ledger sum. */
function run(program: Program, steps: Step[], at?: (step: Step, i: number) => string): Run {
  let state = initialLoyaltyState(CUSTOMER);
  const ledger = new LedgerView();
  const effects: LoyaltyEffects = { ledger: [], tierChanges: [], triggers: [] };
  const results: LoyaltyResult[] = [];
  let now = '2026-01-01T00:00:00.000Z';
  steps.forEach((step, i) => {
    const when =
      at?.(step, i) ??
      ('clock' in step ? step.clock : 'occurredAt' in step ? step.occurredAt : now);
    if (when > now) now = when;
    const applied =
      'clock' in step
        ? { ...evaluateClock(state, program, now), result: undefined }
        : evaluate(state, step, program, now);
    state = applied.state;
    if (applied.result) results.push(applied.result);
    ledger.add(applied.effects.ledger);
    effects.ledger.push(...applied.effects.ledger);
    effects.tierChanges.push(...applied.effects.tierChanges);
    effects.triggers.push(...applied.effects.triggers);
    expect(balanceOf(state), `balance after step ${i}`).toBe(ledger.sum);
  });
  return { state, results, effects, ledger };
}

const earned = (program: Program, ...inputs: LoyaltyInput[]) =>
  run(program, inputs).results.map((r) => r.earned);

describe('base earn', () => {
  it.each([
    ['down', 1299, 12],
    ['nearest', 1250, 13],
    ['nearest', 1249, 12],
    ['up', 1201, 13],
  ] as const)('rounds %s: %i minor units earn %i points', (rounding, price, points) => {
    const program = programOf({ earn: { rounding } });
    expect(earned(program, saleOf('t1', [line({ lineId: '1', unitPrice: price })]))).toEqual([
      points,
    ]);
  });

  it('pays a percentage of the receipt back in points at the point value', () => {
    // 5 % of 20.00 is 1.00, which is 100 points at 100 points = 1.00.
    const program = programOf({ earn: { base: { percentOfSpend: 5 } } });
    expect(earned(program, saleOf('t1', [line({ lineId: '1', unitPrice: 2000 })]))).toEqual([100]);
  });

  it('takes a percentage with decimals exactly (12.5 % of 8.00 is 100 points)', () => {
    const program = programOf({ earn: { base: { percentOfSpend: 12.5 } } });
    expect(earned(program, saleOf('t1', [line({ lineId: '1', unitPrice: 800 })]))).toEqual([100]);
  });

  it('earns nothing on what points and gift cards paid', () => {
    const sale = saleOf('t1', [line({ lineId: '1', unitPrice: 5000 })], {
      tenders: [
        { type: 'gift_card', amount: 2000 },
        { type: 'card', amount: 3000 },
      ],
    });
    expect(earned(programOf(), sale)).toEqual([30]);
  });

  it('leaves tax out when the program says so', () => {
    const sale = saleOf('t1', [line({ lineId: '1', unitPrice: 1210, tax: 210 })]);
    expect(earned(programOf({ earn: { excludeTax: true } }), sale)).toEqual([10]);
    expect(earned(programOf(), sale)).toEqual([12]);
  });

  it('gives excluded categories nothing', () => {
    const sale = saleOf('t1', [
      line({ lineId: '1', unitPrice: 1000, category: 'tobacco' }),
      line({ lineId: '2', unitPrice: 1000 }),
    ]);
    expect(earned(programOf({ earn: { excludeCategories: ['tobacco'] } }), sale)).toEqual([10]);
  });

  it('multiplies base points by the tier', () => {
    const program = programOf({
      tiers: {
        metric: 'spend',
        levels: [
          { id: 'member', name: 'Member', threshold: 0 },
          { id: 'gold', name: 'Gold', threshold: 5000, earnMultiplier: 1.5 },
        ],
      },
    });
    const r = run(program, [
      saleOf('t1', [line({ lineId: '1', unitPrice: 6000 })]),
      saleOf('t2', [line({ lineId: '1', unitPrice: 1000 })]),
    ]);
    // The first sale earns as a member and makes the customer gold; the second earns 1.5 ×.
    expect(r.results.map((x) => x.earned)).toEqual([60, 15]);
    expect(r.effects.tierChanges).toMatchObject([
      { from: 'member', to: 'gold', reason: 'upgrade' },
    ]);
  });
});

type Rule = NonNullable<ProgramInput['earn']['rules']>[number];

describe('earn rules', () => {
  const produce = line({
    lineId: '1',
    unitPrice: 1000,
    category: 'produce',
    brand: 'green',
    sku: 'APL',
  });
  const other = line({ lineId: '2', unitPrice: 1000, category: 'bakery' });
  const rule = (when: Rule['when'], effect: Rule['effect'], extra: Partial<Rule> = {}) =>
    programOf({ earn: { rules: [{ id: 'r', name: 'Rule', when, effect, ...extra }] } });

  it.each([
    ['category', { categories: ['produce'] }, 30],
    ['brand', { brands: ['green'] }, 30],
    ['sku', { skus: ['APL'] }, 30],
    ['no match', { categories: ['meat'] }, 20],
  ])('multiplies lines by %s', (_name, when, points) => {
    expect(earned(rule(when, { multiply: 2 }), saleOf('t1', [produce, other]))).toEqual([points]);
  });

  it('multiplies by 1.5 (half the base again)', () => {
    expect(earned(rule({}, { multiply: 1.5 }), saleOf('t1', [produce, other]))).toEqual([30]);
  });

  it('gives full-price-only rules nothing on discounted lines', () => {
    const discounted = line({ lineId: '3', unitPrice: 800, fullPrice: 1000 });
    const sale = saleOf('t1', [produce, discounted]);
    expect(earned(rule({ fullPriceOnly: true }, { multiply: 3 }), sale)).toEqual([18 + 20]);
  });

  it('adds points per item', () => {
    const sale = saleOf('t1', [{ ...produce, quantity: 3 }, other]);
    expect(earned(rule({ categories: ['produce'] }, { pointsPerItem: 5 }), sale)).toEqual([
      40 + 15,
    ]);
  });

  it('adds a bonus once per receipt above a minimum basket', () => {
    const program = rule({ minBasketMinor: 2000 }, { bonus: 50 });
    expect(earned(program, saleOf('t1', [produce, other]))).toEqual([70]);
    expect(earned(program, saleOf('t2', [produce]))).toEqual([10]);
  });

  it.each([
    [
      'channel web, sale on the web',
      { channels: ['web'] },
      { channel: 'web', tillId: undefined },
      40,
    ],
    ['channel web, sale at a till', { channels: ['web'] }, {}, 20],
    ['store S002, sale in S002', { stores: ['S002'] }, { storeId: 'S002' }, 40],
    ['store S002, sale in S001', { stores: ['S002'] }, {}, 20],
  ] satisfies [string, Rule['when'], Partial<SaleEvent>, number][])(
    '%s',
    (_name, when, fields, points) => {
      const sale = saleOf('t1', [produce, other], fields);
      expect(earned(rule(when, { multiply: 2 }), sale)).toEqual([points]);
    },
  );

  it('matches a region by its stores', () => {
    const program = programOf({
      regions: { north: ['S001', 'S002'] },
      earn: {
        rules: [{ id: 'r', name: 'North', when: { regions: ['north'] }, effect: { multiply: 2 } }],
      },
    });
    expect(earned(program, saleOf('t1', [produce]))).toEqual([20]);
    expect(earned(program, saleOf('t1', [produce], { storeId: 'S009' }))).toEqual([10]);
  });

  describe('a double-points weekend in March (date window and weekdays)', () => {
    const weekend = rule(
      { from: '2026-03-01', until: '2026-03-31', daysOfWeek: ['sat', 'sun'] },
      { multiply: 2 },
    );
    it.each([
      ['Saturday 7 March', '2026-03-07T10:00:00Z', 20],
      ['Friday 6 March', '2026-03-06T10:00:00Z', 10],
      ['Saturday 4 April (after the window)', '2026-04-04T10:00:00Z', 10],
      // 23:30 on Friday by the store's clock is already Saturday in UTC: the store's clock counts.
      ['Friday 23:30 local, Saturday in UTC', '2026-03-06T23:30:00-02:00', 10],
      ['Sunday 00:30 local, Saturday in UTC', '2026-03-08T00:30:00+02:00', 20],
    ])('%s', (_name, occurredAt, points) => {
      expect(earned(weekend, saleOf('t1', [produce], { occurredAt }))).toEqual([points]);
    });
  });

  it('asks for the customer tier and tags', () => {
    const program = programOf({
      tiers: {
        metric: 'visits',
        levels: [
          { id: 'member', name: 'Member', threshold: 0 },
          { id: 'regular', name: 'Regular', threshold: 2 },
        ],
      },
      earn: {
        rules: [
          { id: 'regulars', name: 'Regulars', when: { tiers: ['regular'] }, effect: { bonus: 7 } },
          { id: 'students', name: 'Students', when: { tags: ['student'] }, effect: { bonus: 3 } },
        ],
      },
    });
    const r = run(program, [
      registrationOf({ tags: ['student'] }),
      saleOf('t1', [produce]),
      saleOf('t2', [produce]),
      saleOf('t3', [produce]),
    ]);
    expect(r.results.map((x) => x.earned)).toEqual([0, 13, 13, 20]);
  });

  it('caps a rule per transaction', () => {
    const program = rule({}, { pointsPerItem: 10 }, { caps: { perTransaction: 25 } });
    expect(earned(program, saleOf('t1', [{ ...produce, quantity: 5 }]))).toEqual([50 + 25]);
  });

  it('caps a rule per customer day, and a new day starts afresh', () => {
    const program = rule({}, { pointsPerItem: 10 }, { caps: { perDay: 25 } });
    const items = [{ ...produce, quantity: 2 }];
    expect(
      earned(
        program,
        saleOf('t1', items, { occurredAt: '2026-03-02T09:00:00Z' }),
        saleOf('t2', items, { occurredAt: '2026-03-02T15:00:00Z' }),
        saleOf('t3', items, { occurredAt: '2026-03-02T16:00:00Z' }),
        saleOf('t4', items, { occurredAt: '2026-03-03T09:00:00Z' }),
      ),
    ).toEqual([20 + 20, 20 + 5, 20, 20 + 20]);
  });

  it('applies rules in order and stops after a rule marked stop', () => {
    const program = programOf({
      earn: {
        rules: [
          {
            id: 'first',
            name: 'First',
            when: { categories: ['produce'] },
            effect: { bonus: 5 },
            stop: true,
          },
          { id: 'second', name: 'Second', when: {}, effect: { bonus: 100 } },
        ],
      },
    });
    expect(earned(program, saleOf('t1', [produce]), saleOf('t2', [other]))).toEqual([15, 110]);
  });

  it('gives one-off bonuses once: registration, first purchase, first web purchase, birthday', () => {
    const program = programOf({
      earn: {
        bonuses: [
          { id: 'welcome', on: 'registration', points: 100 },
          { id: 'first', on: 'first-purchase', points: 50 },
          { id: 'first-web', on: 'first-web-purchase', points: 25 },
          { id: 'birthday', on: 'birthday', points: 200 },
        ],
      },
    });
    const web = { channel: 'web' as const, tillId: undefined };
    const r = run(program, [
      registrationOf({ birthMonthDay: '04-15' }),
      registrationOf({ eventId: 'ev-reg-again' }),
      saleOf('t1', [produce]),
      saleOf('t2', [produce], { ...web, occurredAt: '2026-03-10T10:00:00Z' }),
      saleOf('t3', [produce], { ...web, occurredAt: '2026-03-11T10:00:00Z' }),
      saleOf('t4', [produce], { occurredAt: '2026-04-02T10:00:00Z' }),
      saleOf('t5', [produce], { occurredAt: '2026-04-20T10:00:00Z' }),
      saleOf('t6', [produce], { occurredAt: '2027-04-01T10:00:00Z' }),
    ]);
    expect(r.results.map((x) => x.earned)).toEqual([100, 0, 60, 35, 10, 210, 10, 210]);
  });
});

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

describe('redemption', () => {
  const program = programOf({ redemption: { minimumPoints: 200, maxBasketShare: 50 } });
  const earnSale = saleOf('t1', [line({ lineId: '1', unitPrice: 100_000 })], {
    occurredAt: '2026-02-01T10:00:00Z',
  });
  const at = '2026-03-01T10:00:00Z';

  it.each([
    ['accepted', redemptionOf('x', 500, 10_000), { ok: true, points: 500, valueMinor: 500 }],
    ['below the minimum', redemptionOf('x', 100, 10_000), { ok: false, reason: 'below-minimum' }],
    [
      'over the balance',
      redemptionOf('x', 1_001, 10_000),
      { ok: false, reason: 'insufficient-balance' },
    ],
    [
      'over half the basket',
      redemptionOf('x', 600, 1_000),
      { ok: false, reason: 'over-basket-share' },
    ],
    ['zero points', redemptionOf('x', 0, 1_000), { ok: false, reason: 'not-positive' }],
    [
      'an unknown currency',
      redemptionOf('x', 500, 10_000, { currency: 'USD' }),
      { ok: false, reason: 'currency-not-redeemable' },
    ],
    [
      'an unknown partner',
      redemptionOf('x', 500, 10_000, { partnerId: 'nobody' }),
      { ok: false, reason: 'unknown-partner' },
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
    expect(check).toMatchObject({ ok: false, reason: 'channel-not-allowed' });
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
      refusal: { reason: 'insufficient-balance' },
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
      reason: 'insufficient-balance',
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
    expect(late.result.refusal?.reason).toBe('insufficient-balance');
  });
});

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

describe('partners, adjustments, markets', () => {
  const program = programOf({
    partners: [{ id: 'fuel', name: 'Fuel', earn: { points: 2, perMinor: 100 }, burn: true }],
    markets: [{ id: 'se', currency: 'SEK', rate: { minor: 1150, programMinor: 100 } }],
    adjustments: { maxPoints: 500 },
  });

  it('earns at a partner at its own rate, named in the ledger', () => {
    const r = run(program, [
      partnerAccrualOf('fuel', 'f1', 4_000),
      partnerAccrualOf('fuel', 'f1', 4_000),
    ]);
    expect(r.results.map((x) => x.outcome)).toEqual(['applied', 'duplicate']);
    expect(r.effects.ledger).toMatchObject([
      { kind: 'partner-earn', partnerId: 'fuel', points: 80 },
    ]);
  });

  it('burns at a partner as a redemption naming it', () => {
    const r = run(program, [
      partnerAccrualOf('fuel', 'f1', 4_000),
      redemptionOf('b1', 50, 1_000, { partnerId: 'fuel' }),
    ]);
    expect(r.effects.ledger[1]).toMatchObject({
      kind: 'partner-burn',
      partnerId: 'fuel',
      points: -50,
    });
  });

  it('adjusts with a reason and operator, negative never below zero, at most maxPoints', () => {
    const r = run(program, [
      adjustmentOf('a1', 300),
      adjustmentOf('a2', -1_000),
      adjustmentOf('a3', 900),
      adjustmentOf('a1', 300),
    ]);
    expect(r.effects.ledger.map((e) => [e.kind, e.points, e.reason, e.operatorId])).toEqual([
      ['adjust', 300, 'goodwill', 'staff-7'],
      ['adjust', -300, 'goodwill', 'staff-7'],
      ['adjust', 500, 'goodwill', 'staff-7'],
    ]);
    expect(r.effects.triggers.map((t) => t.kind)).toEqual([
      'adjustment-clipped',
      'adjustment-clipped',
    ]);
    expect(r.results[3]?.outcome).toBe('duplicate');
  });

  it('earns in another market at its rate and spends there at the same rate, never at a profit', () => {
    // 115.00 SEK is 10.00 EUR: 10 points, worth 0.10 EUR, which is 1.15 SEK.
    const r = run(program, [
      saleOf('t1', [line({ lineId: '1', unitPrice: 11_500 })], { currency: 'SEK' }),
    ]);
    expect(r.results[0]?.earned).toBe(10);
    expect(
      checkRedemption(
        r.state,
        redemptionOf('x', 10, 10_000, { currency: 'SEK' }),
        program,
        '2026-03-03T00:00:00Z',
      ),
    ).toEqual({
      ok: true,
      points: 10,
      valueMinor: 115,
    });
  });

  it('earns nothing in a currency the program does not know, and says so', () => {
    const r = run(program, [
      saleOf('t1', [line({ lineId: '1', unitPrice: 11_500 })], { currency: 'USD' }),
    ]);
    expect(r.results[0]?.earned).toBe(0);
    expect(r.effects.triggers).toMatchObject([
      { kind: 'earn-refused', cause: 'currency-not-in-program' },
    ]);
  });
});

describe('versions', () => {
  it('marks each ledger line with the version that produced it', () => {
    const v1 = programOf({}, 'test@1');
    const v2 = programOf({ earn: { base: { rate: { points: 2, perMinor: 100 } } } }, 'test@2');
    let state = initialLoyaltyState(CUSTOMER);
    const first = evaluate(
      state,
      saleOf('t1', [line({ lineId: '1' })]),
      v1,
      '2026-03-02T10:00:00Z',
    );
    state = first.state;
    const second = evaluate(
      state,
      saleOf('t2', [line({ lineId: '1' })]),
      v2,
      '2026-03-02T11:00:00Z',
    );
    expect(
      [...first.effects.ledger, ...second.effects.ledger].map((e) => [e.points, e.programVersion]),
    ).toEqual([
      [10, 'test@1'],
      [20, 'test@2'],
    ]);
  });
});

describe('the worked example of docs/programs.md', () => {
  // The "Harvest Rewards" program of the example, as its YAML reads.
  const harvest = programOf(
    {
      id: 'harvest',
      name: 'Harvest Rewards',
      earn: {
        base: { rate: { points: 1, perMinor: 100 } },
        rounding: 'down',
        excludeCategories: ['tobacco', 'lottery'],
        rules: [
          {
            id: 'produce-weekend',
            name: 'Double points on produce, March weekends (north)',
            when: {
              categories: ['produce'],
              regions: ['north'],
              from: '2027-03-06',
              until: '2027-03-28',
              daysOfWeek: ['sat', 'sun'],
            },
            effect: { multiply: 2 },
            caps: { perDay: 500 },
          },
        ],
      },
      tiers: {
        metric: 'spend',
        levels: [
          { id: 'member', name: 'Member', threshold: 0 },
          { id: 'silver', name: 'Silver', threshold: 60_000, earnMultiplier: 1.25 },
        ],
      },
      regions: { north: ['S001', 'S002'], south: ['S003'] },
    },
    'harvest@1',
  );
  const anna = {
    customerId: CUSTOMER,
    storeId: 'S001',
  };
  // Anna: Silver (700 EUR last month) with 1,240 points before the Saturday.
  const history: LoyaltyInput[] = [
    saleOf('feb', [line({ lineId: '1', unitPrice: 70_000 })], {
      ...anna,
      occurredAt: '2027-02-10T10:00:00+01:00',
    }),
    adjustmentOf('top-up', 1_240 - 700),
  ].map((e) =>
    e.type === 'points.adjusted' ? { ...e, occurredAt: '2027-02-11T10:00:00+01:00' } : e,
  );
  const receipt = saleOf(
    'sat',
    [
      line({ lineId: '1', category: 'produce', quantity: 3, unitPrice: 249 }),
      line({ lineId: '2', category: 'produce', quantity: 2, unitPrice: 399, discount: 50 }),
      line({ lineId: '3', category: 'pantry', unitPrice: 899 }),
      line({ lineId: '4', category: 'tobacco', unitPrice: 950 }),
    ],
    {
      ...anna,
      occurredAt: '2027-03-13T10:15:00+01:00',
      tenders: [
        { type: 'gift_card', amount: 500 },
        { type: 'card', amount: 2_844 },
      ],
    },
  );

  it('earns 37 points on the Saturday receipt: balance 1,277', () => {
    const r = run(harvest, [...history, receipt]);
    expect(balanceOf(r.state)).toBe(1_277);
    expect(r.results.at(-1)?.earned).toBe(37);
    const memory = r.state.sales['#sat'];
    expect(memory?.lineOrder.map((k) => memory.lines[k]?.points)).toEqual([14, 13, 10, 0]);
  });

  it('clips the party shop at what is left of the day cap: 1,113 points, balance 2,390', () => {
    const party = saleOf(
      'party',
      [line({ lineId: '1', category: 'produce', quantity: 40, unitPrice: 1_250 })],
      {
        ...anna,
        occurredAt: '2027-03-13T16:40:00+01:00',
      },
    );
    const r = run(harvest, [...history, receipt, party]);
    expect(r.results.at(-1)?.earned).toBe(1_113);
    expect(balanceOf(r.state)).toBe(2_390);
  });

  it('takes back the strawberries’ 13 points, 7 and then 6 when refunded a punnet at a time', () => {
    const once = run(harvest, [
      ...history,
      receipt,
      returnOf('back', receipt, [{ lineId: '2', quantity: 2, refundAmount: 748 }]),
    ]);
    expect(once.results.at(-1)?.reversed).toBe(13);
    const twice = run(harvest, [
      ...history,
      receipt,
      returnOf('back-1', receipt, [{ lineId: '2', refundAmount: 374 }]),
      returnOf('back-2', receipt, [{ lineId: '2', refundAmount: 374 }]),
    ]);
    expect(twice.results.slice(-2).map((x) => x.reversed)).toEqual([7, 6]);
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
