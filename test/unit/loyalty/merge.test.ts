/**
 * `mergeLoyalty`: the absorbed customer's lots, memories, counters and tier move into the
 * survivor's state, and the survivor's rules then treat what the absorbed customer did as their
 * own: a held return settles, a redemption cancels into lots like the moved ones, an event sent
 * again is a duplicate. Both customers are built by the real rules.
 */
import { describe, expect, it } from 'vitest';
import { CustomerAccount, noEffects } from '../../../engine/domain/customer/account.ts';
import { applyEvent } from '../../../engine/domain/customer/apply-event.ts';
import type { CustomerState } from '../../../engine/domain/customer/state.ts';
import type { CustomerEvent, SaleEvent } from '../../../engine/domain/events.ts';
import { instantMs } from '../../../engine/domain/loyalty/arithmetic.ts';
import { carryState, restoreState } from '../../../engine/domain/loyalty/carried-state.ts';
import {
  applyLoyalty,
  evaluate,
  initialLoyaltyState,
  type LoyaltyInput,
  noLoyaltyEffects,
  type RedemptionRequest,
} from '../../../engine/domain/loyalty/evaluator.ts';
import { mergeLoyalty } from '../../../engine/domain/loyalty/merge.ts';
import { firstTime } from '../../../engine/domain/loyalty/posting.ts';
import type { Program } from '../../../engine/domain/loyalty/program.ts';
import {
  balanceOf,
  type LoyaltyState,
  loyaltyLimits,
  pendingSpanOf,
  stateOf,
  type TierState,
} from '../../../engine/domain/loyalty/state.ts';
import {
  adjustmentOf,
  cancelOf,
  line,
  programOf,
  redemptionOf,
  registrationOf,
  returnOf,
  saleOf,
} from '../../support/loyalty.ts';

const base = { version: 'base-1-per-100', basePointsPerUnit: 1, spendUnitMinor: 100 };
const VISIT_BONUS = 5;
const FIRST_PURCHASE = 50;
/** 1 point per euro, a bonus on every visit, pending 14 days, 24-month lots, tiers on spend. */
const program = programOf({
  pendingDays: 14,
  expiry: { lotMonths: 24, warnDays: 30 },
  earn: {
    rules: [{ id: 'visit', name: 'Visit bonus', effect: { bonus: VISIT_BONUS } }],
    bonuses: [{ id: 'first', on: 'first-purchase', points: FIRST_PURCHASE }],
  },
  tiers: {
    metric: 'spend',
    graceDays: 30,
    levels: [
      { id: 'member', name: 'Member', threshold: 0 },
      { id: 'silver', name: 'Silver', threshold: 30_000 },
      { id: 'gold', name: 'Gold', threshold: 60_000 },
    ],
  },
});

const SURVIVOR = 'c-surv';
const ABSORBED = 'c-anon';
const mergedAt = '2026-04-20T12:00:00.000Z';
const merge = { mergeId: 'm-1', at: mergedAt };

type Step = CustomerEvent | { redeem: RedemptionRequest; at: string };

/** A customer under `rules`, built by the customer rules event by event. */
function customerOf(customerId: string, steps: Step[], rules: Program = program): CustomerState {
  const account = CustomerAccount.open(customerId, base);
  account.learn([rules]);
  let state = account.toState();
  for (const step of steps) {
    if ('redeem' in step) {
      const redeeming = CustomerAccount.restore(state);
      const result = redeeming.redeem(step.redeem, rules, step.at, noEffects());
      expect(result.outcome, step.redeem.redemptionId).toBe('applied');
      state = redeeming.toState();
    } else {
      const applied = applyEvent(state, step);
      expect(applied.ignored, step.eventId).toBeUndefined();
      state = applied.state;
    }
  }
  return state;
}

/** The customer's loyalty state as the rules work on it (a copy). */
const loyaltyOf = (state: CustomerState): LoyaltyState =>
  restoreState(JSON.parse(JSON.stringify(state.loyalty?.state)));

const netOf = (s: SaleEvent) =>
  s.lines.reduce((sum, l) => sum + l.quantity * l.unitPrice - l.discount, 0);
/** What a sale earns here: a point per euro and the visit bonus (the first sale: its bonus too). */
const pointsOf = (s: SaleEvent, first = false) =>
  Math.floor(netOf(s) / 100) + VISIT_BONUS + (first ? FIRST_PURCHASE : 0);

const sale = (customerId: string, tx: string, occurredAt: string, unitPrice: number) =>
  saleOf(tx, [line({ lineId: '1', unitPrice })], { customerId, occurredAt });

/** A held return (its sale has not reached the absorbed customer). */
const lateSale = sale(ABSORBED, 'tx-late', '2026-04-13T10:00:00Z', 2_000);
const lateReturn = returnOf('ret-late', lateSale, [{ lineId: '1', refundAmount: 2_000 }], {
  customerId: ABSORBED,
  occurredAt: '2026-04-14T10:00:00Z',
});

function customers() {
  const s1 = sale(SURVIVOR, 'tx-s1', '2026-03-02T10:00:00Z', 10_000);
  const s2 = sale(SURVIVOR, 'tx-s2', '2026-04-10T10:00:00Z', 15_000);
  const survivor = customerOf(SURVIVOR, [
    registrationOf({ customerId: SURVIVOR, occurredAt: '2026-03-01T09:00:00Z', tags: ['student'] }),
    s1,
    {
      redeem: redemptionOf('rd-s', 40, 100_000, { customerId: SURVIVOR }),
      at: '2026-03-20T12:00:00Z',
    },
    s2,
  ]);
  // The same instant as s1: the lots' tie goes by id.
  const a1 = sale(ABSORBED, 'tx-a1', '2026-03-02T10:00:00Z', 40_000);
  const a2 = sale(ABSORBED, 'tx-a2', '2026-04-12T10:00:00Z', 6_000);
  const adjust = adjustmentOf('adj-a', 25, {
    customerId: ABSORBED,
    occurredAt: '2026-03-21T12:00:00Z',
  });
  const absorbed = customerOf(ABSORBED, [
    registrationOf({
      eventId: 'ev-reg-anon',
      customerId: ABSORBED,
      occurredAt: '2026-02-15T09:00:00Z',
      tags: ['vip', 'student'],
      birthMonthDay: '07-14',
    }),
    a1,
    adjust,
    {
      redeem: redemptionOf('rd-a', 100, 100_000, { customerId: ABSORBED }),
      at: '2026-03-25T12:00:00Z',
    },
    a2,
    lateReturn,
  ]);
  return { survivor, absorbed, s1, s2, a1, a2, adjust };
}

function merged() {
  const built = customers();
  const survivor = loyaltyOf(built.survivor);
  const absorbed = loyaltyOf(built.absorbed);
  return { ...built, s: survivor, a: absorbed, ...mergeLoyalty(survivor, absorbed, merge) };
}

/**
 * The id a lot of the absorbed customer (or a redemption's part taken from it) has in the merged
 * state: its own, unless the survivor already uses it (one of its lots, or a lot one of its
 * redemptions took from); then `merged:<absorbed>:<id>`.
 */
function movedIdIn(survivor: LoyaltyState, absorbedId = ABSORBED) {
  const used = new Set(survivor.lots.map((lot) => lot.id));
  for (const redemption of survivor.redemptions.values()) {
    for (const part of redemption.consumed) used.add(part.lotId);
  }
  return (id: string) => (used.has(id) ? `merged:${absorbedId}:${id}` : id);
}

/** Applies one input to the merged state in place, as the survivor's workflow would. */
function apply(state: LoyaltyState, input: LoyaltyInput, now: string) {
  const out = noLoyaltyEffects();
  const result = applyLoyalty(state, input, program, now, out);
  return { result, out };
}

describe('mergeLoyalty: points', () => {
  it('moves every lot under its own id where the survivor does not use it, oldest first, with the running totals', () => {
    const { s, a, survivor, absorbed, moved, s1, s2, a1, a2, adjust } = merged();
    const movedId = movedIdIn(s);
    expect(balanceOf(s)).toBe(pointsOf(s1, true) + pointsOf(s2) - 40);
    expect(balanceOf(a)).toBe(pointsOf(a1, true) + adjust.points + pointsOf(a2) - 100);
    expect(moved).toBe(balanceOf(a));
    expect(balanceOf(survivor)).toBe(balanceOf(s) + balanceOf(a));

    // No id clashes here: every moved lot keeps its own.
    expect([a1.transactionId, 'adjust/adj-a', a2.transactionId].map(movedId)).toEqual([
      'tx-a1',
      'adjust/adj-a',
      'tx-a2',
    ]);
    expect(survivor.lots.map((l) => [l.id, l.points])).toEqual([
      // 'tx-a1' sorts before 'tx-s1': the same instant, ties by id.
      [movedId(a1.transactionId), pointsOf(a1, true) - 100],
      ['tx-s1', pointsOf(s1, true) - 40],
      [movedId('adjust/adj-a'), adjust.points],
      ['tx-s2', pointsOf(s2)],
      [movedId(a2.transactionId), pointsOf(a2)],
    ]);
    expect(survivor.lotPoints).toBe(balanceOf(survivor));
    expect(survivor.pendingSpanMs).toBe(14 * 86_400_000);
    expect(survivor.pendingSpanMs).toBe(pendingSpanOf({ ...survivor, pendingSpanMs: undefined }));
    expect(survivor.customerId).toBe(SURVIVOR);
    // Each lot keeps its own times: pending and expiry run as they did.
    const movedA1 = survivor.lots[0];
    expect(movedA1).toMatchObject({
      earnedAt: a1.occurredAt,
      storeId: 'S001',
      version: program.version,
    });
    expect(movedA1?.expiresAt).toBe(a.lots[0]?.expiresAt);

    expect(absorbed).toMatchObject({ customerId: ABSORBED, lots: [], debt: 0, lotPoints: 0 });
    expect(balanceOf(absorbed)).toBe(0);
    // Its memories stay: what it did is still known to it.
    expect([...absorbed.sales.keys()]).toEqual([...a.sales.keys()]);
    expect(absorbed.seen).toEqual(a.seen);
  });

  it('adds the absorbed customer’s debt: a negative balance moves too', () => {
    const unlimited = programOf({ pendingDays: 14, returns: { policy: 'unlimited' } }, 'test@2');
    const bought = sale(ABSORBED, 'tx-d', '2026-03-01T10:00:00Z', 10_000);
    const absorbed = loyaltyOf(
      customerOf(
        ABSORBED,
        [
          bought,
          {
            redeem: redemptionOf('rd-d', 100, 100_000, { customerId: ABSORBED }),
            at: '2026-03-20T10:00:00Z',
          },
          returnOf('ret-d', bought, [{ lineId: '1', refundAmount: 10_000 }], {
            customerId: ABSORBED,
            occurredAt: '2026-03-21T10:00:00Z',
          }),
        ],
        unlimited,
      ),
    );
    const kept = sale(SURVIVOR, 'tx-k', '2026-03-01T10:00:00Z', 30_000);
    const survivor = loyaltyOf(customerOf(SURVIVOR, [kept], unlimited));
    expect(absorbed.debt).toBe(100);
    const result = mergeLoyalty(survivor, absorbed, merge);
    expect(result.moved).toBe(-100);
    expect(result.survivor.debt).toBe(100);
    expect(balanceOf(result.survivor)).toBe(300 - 100);
    expect(result.absorbed.debt).toBe(0);
  });

  it('keeps a redemption’s lots: cancelled on the survivor, it comes back as lots like the moved ones', () => {
    const { s, a, survivor } = merged();
    const movedId = movedIdIn(s);
    const lotId = movedId('tx-a1');
    expect(a.redemptions.get('rd-a')?.consumed.map((c) => [c.lotId, c.points])).toEqual([
      ['tx-a1', 100],
    ]);
    const memory = survivor.redemptions.get('rd-a');
    expect(memory?.consumed.map((c) => [c.lotId, c.points])).toEqual([[lotId, 100]]);
    const before = balanceOf(survivor);
    const { result, out } = apply(
      survivor,
      { ...cancelOf('rd-a'), customerId: SURVIVOR },
      mergedAt,
    );
    expect(result).toMatchObject({ outcome: 'applied', earned: 100 });
    expect(out.ledger).toMatchObject([
      { kind: 'redeem-cancel', points: 100, customerId: SURVIVOR },
    ]);
    expect(balanceOf(survivor)).toBe(before + 100);
    const from = survivor.lots.find((l) => l.id === lotId);
    expect(from).toBeDefined();
    const back = survivor.lots.find((l) => l.id === `${lotId}~cancel:rd-a`);
    expect(back).toMatchObject({
      points: 100,
      earnedAt: from?.earnedAt,
      availableAt: from?.availableAt,
      expiresAt: from?.expiresAt,
    });
  });
});

describe('mergeLoyalty: lot ids the survivor uses', () => {
  const WELCOME = 100;
  /** A registration bonus, spendable at once: both customers earn a `bonus/registration` lot. */
  const welcome = programOf(
    {
      pendingDays: 14,
      earn: { bonuses: [{ id: 'welcome', on: 'registration', points: WELCOME }] },
    },
    'test@welcome',
  );
  const registered = (customerId: string, eventId: string, occurredAt: string) =>
    registrationOf({ eventId, customerId, occurredAt });

  it('renames the absorbed customer’s lot whose id the survivor’s lot has', () => {
    const s = loyaltyOf(
      customerOf(SURVIVOR, [registered(SURVIVOR, 'ev-reg', '2026-03-01T09:00:00Z')], welcome),
    );
    const a = loyaltyOf(
      customerOf(ABSORBED, [registered(ABSORBED, 'ev-reg-anon', '2026-02-15T09:00:00Z')], welcome),
    );
    const renamed = movedIdIn(s)('bonus/registration');
    expect(renamed).toBe(`merged:${ABSORBED}:bonus/registration`);
    const { survivor, moved } = mergeLoyalty(s, a, merge);
    expect(survivor.lots.map((l) => [l.id, l.points])).toEqual([
      [renamed, WELCOME],
      ['bonus/registration', WELCOME],
    ]);
    expect(survivor.lots[0]).toEqual({ ...a.lots[0], id: renamed });
    expect(survivor.lots[1]).toEqual(s.lots[0]);
    expect(moved).toBe(WELCOME);
    expect(balanceOf(survivor)).toBe(2 * WELCOME);
  });

  it('renames it too when only a survivor’s redemption remembers the id, and the parts taken alike', () => {
    // The survivor spent its whole bonus: its lot is gone, its redemption still names it.
    const spentAll = WELCOME;
    const s = loyaltyOf(
      customerOf(
        SURVIVOR,
        [
          registered(SURVIVOR, 'ev-reg', '2026-03-01T09:00:00Z'),
          {
            redeem: redemptionOf('rd-s', spentAll, 100_000, { customerId: SURVIVOR }),
            at: '2026-03-02T12:00:00Z',
          },
        ],
        welcome,
      ),
    );
    expect(s.lots).toEqual([]);
    const spentSome = 30;
    const a = loyaltyOf(
      customerOf(
        ABSORBED,
        [
          registered(ABSORBED, 'ev-reg-anon', '2026-02-15T09:00:00Z'),
          {
            redeem: redemptionOf('rd-a', spentSome, 100_000, { customerId: ABSORBED }),
            at: '2026-02-16T12:00:00Z',
          },
        ],
        welcome,
      ),
    );
    const renamed = movedIdIn(s)('bonus/registration');
    expect(renamed).toBe(`merged:${ABSORBED}:bonus/registration`);
    const { survivor } = mergeLoyalty(s, a, merge);
    expect(survivor.lots.map((l) => [l.id, l.points])).toEqual([[renamed, WELCOME - spentSome]]);
    expect(survivor.redemptions.get('rd-s')?.consumed.map((c) => [c.lotId, c.points])).toEqual([
      ['bonus/registration', spentAll],
    ]);
    expect(survivor.redemptions.get('rd-a')?.consumed.map((c) => [c.lotId, c.points])).toEqual([
      [renamed, spentSome],
    ]);

    // Each cancellation gives back a lot named after its own customer's.
    for (const id of ['rd-s', 'rd-a']) {
      const { result } = apply(survivor, { ...cancelOf(id), customerId: SURVIVOR }, mergedAt);
      expect(result.outcome, id).toBe('applied');
    }
    expect(survivor.lots.map((l) => [l.id, l.points])).toEqual([
      [renamed, WELCOME - spentSome],
      [`${renamed}~cancel:rd-a`, spentSome],
      ['bonus/registration~cancel:rd-s', spentAll],
    ]);
    expect(balanceOf(survivor)).toBe(2 * WELCOME);
  });
});

describe('mergeLoyalty: memories', () => {
  it('moves sales, held returns and redemptions, their orders merged by time', () => {
    const { survivor } = merged();
    // s1 and a1 at the same instant: the survivor's first.
    expect(survivor.saleOrder).toEqual(['tx-s1', 'tx-a1', 'tx-s2', 'tx-a2']);
    expect([...survivor.sales.keys()].sort()).toEqual(['tx-a1', 'tx-a2', 'tx-s1', 'tx-s2']);
    expect(survivor.redemptionOrder).toEqual(['rd-s', 'rd-a']);
    expect(survivor.earlyReturnOrder).toEqual(['tx-late']);
    expect(survivor.earlyReturns.get('tx-late')).toMatchObject([{ eventId: 'ret-late' }]);
  });

  it('settles a return the absorbed customer held when its sale reaches the survivor', () => {
    const { survivor } = merged();
    const before = balanceOf(survivor);
    const { result, out } = apply(survivor, { ...lateSale, customerId: SURVIVOR }, mergedAt);
    expect(result).toMatchObject({ outcome: 'applied', earned: pointsOf(lateSale) });
    expect(out.ledger.map((e) => [e.kind, e.points])).toEqual([
      ['earn', pointsOf(lateSale)],
      ['reverse', -pointsOf(lateSale)],
    ]);
    expect(balanceOf(survivor)).toBe(before);
    expect(survivor.earlyReturns.size).toBe(0);
  });

  it('reverses a returned sale of the absorbed customer on the survivor', () => {
    const { survivor, a2 } = merged();
    const before = balanceOf(survivor);
    const back = returnOf('ret-a2', a2, [{ lineId: '1', refundAmount: netOf(a2) }], {
      customerId: SURVIVOR,
      occurredAt: '2026-04-22T10:00:00Z',
    });
    const { out } = apply(survivor, back, mergedAt);
    expect(out.ledger).toMatchObject([
      { entryId: `${SURVIVOR}/tx-a2/reverse`, kind: 'reverse', points: -pointsOf(a2) },
    ]);
    expect(balanceOf(survivor)).toBe(before - pointsOf(a2));
    expect(survivor.months.find((b) => b.month === '2026-04')?.visits).toBe(1);
  });

  it('knows what the absorbed customer applied: sent again, it is a duplicate', () => {
    const { survivor, a1, adjust } = merged();
    const before = balanceOf(survivor);
    for (const input of [
      { ...a1, customerId: SURVIVOR, eventId: 'ev-a1-resent' },
      { ...adjust, customerId: SURVIVOR },
      { ...lateReturn, customerId: SURVIVOR },
      { ...redemptionOf('rd-a', 100, 100_000), customerId: SURVIVOR },
    ]) {
      expect(apply(survivor, input, mergedAt).result.outcome, input.type).toBe('duplicate');
    }
    expect(balanceOf(survivor)).toBe(before);
  });

  it('keeps the survivor’s memory on a clashing id', () => {
    const shared = (customerId: string, unitPrice: number) =>
      sale(customerId, 'tx-shared', '2026-03-02T10:00:00Z', unitPrice);
    const survivor = loyaltyOf(customerOf(SURVIVOR, [shared(SURVIVOR, 1_000)]));
    const absorbed = loyaltyOf(customerOf(ABSORBED, [shared(ABSORBED, 9_000)]));
    const result = mergeLoyalty(survivor, absorbed, merge).survivor;
    expect(result.saleOrder).toEqual(['tx-shared']);
    expect(result.sales.get('tx-shared')).toEqual(survivor.sales.get('tx-shared'));
    // Both lots stay: the survivor's lot uses the id, so the absorbed customer's is renamed.
    expect(result.lots.map((l) => l.id)).toEqual([`merged:${ABSORBED}:tx-shared`, 'tx-shared']);
  });

  it('forgets the oldest sales beyond the limit, and still knows them', () => {
    // Thousands of sales: applied in place, as the workflow does (the pure form copies each time).
    const many = (customerId: string, offset: number) => {
      const state = initialLoyaltyState(customerId);
      const rules = programOf();
      const t0 = instantMs('2026-03-02T10:00:00Z');
      for (let i = 0; i < 3_000; i++) {
        const at = new Date(t0 + (2 * i + offset) * 1_000).toISOString();
        const s = sale(customerId, `${customerId}-${i}`, at, 1_000);
        applyLoyalty(state, s, rules, at, noLoyaltyEffects());
      }
      return state;
    };
    const survivor = many(SURVIVOR, 0);
    const absorbed = many(ABSORBED, 1);
    const result = mergeLoyalty(survivor, absorbed, merge).survivor;
    expect(result.saleOrder.length).toBe(loyaltyLimits.sales);
    expect(result.sales.size).toBe(loyaltyLimits.sales);
    // By time the two alternate: the 1000 oldest are 500 of each.
    expect(result.saleOrder.slice(0, 2)).toEqual([`${SURVIVOR}-500`, `${ABSORBED}-500`]);
    expect(result.salesInSeen).toBe(true);
    const oldest = sale(SURVIVOR, `${ABSORBED}-0`, '2026-03-02T10:00:01.000Z', 1_000);
    const again = evaluate(result, oldest, programOf(), mergedAt);
    expect(again.result.outcome).toBe('duplicate');
  });
});

describe('mergeLoyalty: the ids seen', () => {
  const withSeen = (customerId: string, ids: string[]) => {
    const state = initialLoyaltyState(customerId);
    for (const id of ids) firstTime(state, id);
    return state;
  };
  const ids = (prefix: string, from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

  it('takes the union, as a ring starting afresh', () => {
    const result = mergeLoyalty(
      withSeen(SURVIVOR, ['x', 'y', 'z']),
      withSeen(ABSORBED, ['w', 'x']),
      merge,
    ).survivor;
    expect([...result.seen].sort()).toEqual(['w', 'x', 'y', 'z']);
    expect(new Set(result.seenOrder)).toEqual(result.seen);
    expect(result.seenOrder.length).toBe(4);
    expect(result.seenNext).toBeUndefined();
  });

  it('keeps the newest of each side when both do not fit, oldest first', () => {
    // The survivor's ring has wrapped: its oldest ids s0…s499 were pushed out.
    const survivor = withSeen(SURVIVOR, ids('s', 0, 4_500));
    expect(survivor.seenNext).toBe(500);
    const absorbed = withSeen(ABSORBED, ids('a', 0, 3_000));
    const result = mergeLoyalty(survivor, absorbed, merge).survivor;
    const half = loyaltyLimits.seen / 2;
    expect(result.seen).toEqual(
      new Set([...ids('s', 4_500 - half, 4_500), ...ids('a', 3_000 - half, 3_000)]),
    );
    expect(result.seenOrder.length).toBe(loyaltyLimits.seen);
    expect(result.seenOrder.slice(-2)).toEqual(['a2999', 's4499']);
    expect(result.seenOrder.slice(0, 2)).toEqual([`a${3_000 - half}`, `s${4_500 - half}`]);
    // The next id takes the oldest's place.
    expect(firstTime(result, 'new')).toBe(true);
    expect(result.seen.has(`a${3_000 - half}`)).toBe(false);
    expect(result.seen.size).toBe(loyaltyLimits.seen);
  });
});

describe('mergeLoyalty: counters and dates', () => {
  it('sums the month buckets and the day counters', () => {
    const { survivor, s1, s2, a1, a2 } = merged();
    const months = new Map<
      string,
      { month: string; spendMinor: number; points: number; visits: number }
    >();
    for (const [s, first] of [
      [s1, true],
      [s2, false],
      [a1, true],
      [a2, false],
    ] as const) {
      const month = s.occurredAt.slice(0, 7);
      const b = months.get(month) ?? { month, spendMinor: 0, points: 0, visits: 0 };
      b.spendMinor += netOf(s);
      b.points += pointsOf(s, first);
      b.visits += 1;
      months.set(month, b);
    }
    expect(survivor.months).toEqual(
      [...months.values()].sort((x, y) => x.month.localeCompare(y.month)),
    );
    // s1 and a1 on the same day: the visit rule gave each its bonus.
    expect(survivor.dayUsage.get('2026-03-02')?.get('visit')).toBe(2 * VISIT_BONUS);
    expect(survivor.dayUsage.get('2026-04-10')?.get('visit')).toBe(VISIT_BONUS);
    expect(survivor.dayUsage.get('2026-04-12')?.get('visit')).toBe(VISIT_BONUS);
  });

  it('joins one-off bonuses, tags, the birthday and the first dates', () => {
    const { survivor, s, a } = merged();
    expect(a.bonusesGranted.get('first')).toBe('tx-a1');
    expect(survivor.bonusesGranted.get('first')).toBe('tx-s1');
    expect(survivor.tags).toEqual(['student', 'vip']);
    expect(survivor.birthMonthDay).toBe('07-14');
    expect(survivor.registeredAt).toBe(a.registeredAt);
    expect(survivor.firstEventAt).toBe(a.firstEventAt);
    expect(s.registeredAt).toBe('2026-03-01T09:00:00Z');
  });

  it('takes the latest activity, clock and event, and forgets the due instant', () => {
    const { survivor, s, a } = merged();
    expect(s.dueMs).toBeDefined();
    expect(survivor.lastActivityAt).toBe('2026-04-12T10:00:00Z');
    expect(survivor.latestEventAt).toBe(a.latestEventAt);
    expect(survivor.latestEventMs).toBe(instantMs(a.latestEventAt as string));
    expect(survivor.clockAt).toBe(a.clockAt);
    expect(survivor.clockMs).toBe(instantMs(a.clockAt as string));
    expect(survivor.dueMs).toBeUndefined();
    expect(survivor.dueVersion).toBeUndefined();
    // And the carried form stays the carried form.
    expect(restoreState(JSON.parse(JSON.stringify(carryState(survivor))))).toEqual(survivor);
  });

  it('keeps the inactivity warning only while the last activity is the survivor’s', () => {
    const { s, a } = merged();
    const warned = stateOf(SURVIVOR, { ...s, inactivityWarnedFor: s.lastActivityAt });
    // The absorbed customer was active later: the warning was for an activity no longer last.
    expect(mergeLoyalty(warned, a, merge).survivor.inactivityWarnedFor).toBeUndefined();
    const quiet = stateOf(ABSORBED, { ...a, lastActivityAt: '2026-01-05T10:00:00Z' });
    expect(mergeLoyalty(warned, quiet, merge).survivor.inactivityWarnedFor).toBe(s.lastActivityAt);
  });
});

describe('mergeLoyalty: the tier', () => {
  it('keeps the higher tier from real sales, and the survivor’s review', () => {
    const { survivor, s, a } = merged();
    expect(s.tier?.level).toBe(0);
    expect(a.tier?.level).toBe(1);
    // The absorbed customer's level is kept, and with it since when they held it.
    expect(survivor.tier).toEqual({
      level: 1,
      base: 0,
      peak: 1,
      reviewAt: s.tier?.reviewAt,
      since: a.tier?.since,
    });
    expect(a.tier?.since).toBeDefined();
  });

  const tier = (level: number, fields: Partial<TierState> = {}): TierState => ({
    level,
    base: level,
    peak: level,
    reviewAt: '2027-03-01T09:00:00.000Z',
    ...fields,
  });
  const review = '2027-02-15T09:00:00.000Z';
  const grace = '2026-05-01T00:00:00.000Z';

  it.each([
    [
      'the absorbed customer’s higher tier drops the survivor’s grace',
      tier(1, { base: 1, peak: 0, graceUntil: grace }),
      tier(2, { reviewAt: review }),
      { level: 2, base: 2, peak: 2, reviewAt: '2027-03-01T09:00:00.000Z', graceUntil: undefined },
    ],
    [
      'the survivor’s higher tier keeps its grace',
      tier(2, { base: 2, peak: 1, graceUntil: grace }),
      tier(1, { base: 0, peak: 1 }),
      { level: 2, base: 2, peak: 1, reviewAt: '2027-03-01T09:00:00.000Z', graceUntil: grace },
    ],
    [
      'equal tiers keep the survivor’s grace, not the absorbed customer’s',
      tier(1),
      tier(1, { graceUntil: grace }),
      { level: 1, base: 1, peak: 1, reviewAt: '2027-03-01T09:00:00.000Z', graceUntil: undefined },
    ],
    [
      'a survivor without a tier takes the absorbed customer’s review, not its grace',
      undefined,
      tier(1, { reviewAt: review, graceUntil: grace }),
      { level: 1, base: 1, peak: 1, reviewAt: review, graceUntil: undefined },
    ],
    ['an absorbed customer without a tier changes nothing', tier(1), undefined, tier(1)],
  ])('%s', (_name, survivorTier, absorbedTier, expected) => {
    const { s, a } = merged();
    const result = mergeLoyalty(
      stateOf(SURVIVOR, { ...s, tier: survivorTier }),
      stateOf(ABSORBED, { ...a, tier: absorbedTier }),
      merge,
    );
    expect(result.survivor.tier).toEqual(expected);
  });
});

describe('mergeLoyalty: purity', () => {
  it('changes neither input, even when the results are used', () => {
    const { s, a } = merged();
    const survivorBefore = structuredClone(s);
    const absorbedBefore = structuredClone(a);
    const result = mergeLoyalty(s, a, merge);
    apply(result.survivor, { ...cancelOf('rd-a'), customerId: SURVIVOR }, mergedAt);
    apply(result.survivor, { ...cancelOf('rd-s'), customerId: SURVIVOR }, mergedAt);
    apply(result.survivor, { ...lateSale, customerId: SURVIVOR }, mergedAt);
    apply(result.absorbed, sale(ABSORBED, 'tx-a9', '2026-04-25T10:00:00Z', 1_000), mergedAt);
    expect(s).toEqual(survivorBefore);
    expect(a).toEqual(absorbedBefore);
  });
});
