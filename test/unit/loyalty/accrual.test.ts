/**
 * Earning points, rule type by rule type: the base rate, earn rules (caps, date windows,
 * weekdays), partners, adjustments, markets and versions; the worked example of docs/programs.md
 * at the end.
 */
import { describe, expect, it } from 'vitest';
import type { SaleEvent } from '../../../engine/domain/events.ts';
import {
  checkRedemption,
  evaluate,
  initialLoyaltyState,
  type LoyaltyInput,
} from '../../../engine/domain/loyalty/evaluator.ts';
import type { ProgramInput } from '../../../engine/domain/loyalty/program-schema.ts';
import { balanceOf } from '../../../engine/domain/loyalty/state.ts';
import {
  adjustmentOf,
  CUSTOMER,
  line,
  partnerAccrualOf,
  programOf,
  redemptionOf,
  registrationOf,
  returnOf,
  saleOf,
} from '../../support/loyalty.ts';

import { earned, run } from '../../support/loyalty-run.ts';

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
    expect(r.state.sales.get('sat')?.lines.map((line) => line.points)).toEqual([14, 13, 10, 0]);
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
