/**
 * Merging an anonymous card's customer into a registered one, on the carried states, with the
 * real rules on either side: the balance, the lots, the memories and the tier move once, and
 * what the absorbed customer did before stays known to the survivor (a return of their sale, a
 * cancellation of their redemption, a duplicate of their event).
 */
import { describe, expect, it } from 'vitest';
import { CustomerAccount, noEffects } from '../../engine/domain/customer/account.ts';
import { applyEvent } from '../../engine/domain/customer/apply-event.ts';
import { mergeCustomers } from '../../engine/domain/customer/merge.ts';
import type { CustomerState } from '../../engine/domain/customer/state.ts';
import { type LedgerEntry, ledgerEntry } from '../../engine/domain/effects.ts';
import type { CustomerEvent, SaleEvent } from '../../engine/domain/events.ts';
import { restoreState } from '../../engine/domain/loyalty/carried-state.ts';
import type { RedemptionCancel, RedemptionRequest } from '../../engine/domain/loyalty/evaluator.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import {
  adjustmentOf,
  cancelOf,
  LedgerView,
  line,
  programOf,
  redemptionOf,
  registrationOf,
  returnOf,
  saleOf,
} from '../support/loyalty.ts';

const base = { version: 'base-1-per-100', basePointsPerUnit: 1, spendUnitMinor: 100 };
/** 1 point per euro, pending 14 days, lots expire after 24 months, tiers on spend. */
const program = programOf({
  pendingDays: 14,
  expiry: { lotMonths: 24, warnDays: 30 },
  tiers: {
    metric: 'spend',
    levels: [
      { id: 'member', name: 'Member', threshold: 0 },
      { id: 'silver', name: 'Silver', threshold: 30_000 },
      { id: 'gold', name: 'Gold', threshold: 60_000 },
    ],
  },
});
const PENDING_MS = 14 * 86_400_000;

const SURVIVOR = 'c-registered';
const ABSORBED = 'c-anon-card';
const mergedAt = '2026-04-20T12:00:00.000Z';
const merge = { mergeId: 'm-1', at: mergedAt, storeId: 'S001', programVersion: program.version };

/** A customer under the program, with its ledger and every event's outcome. */
class Customer {
  state: CustomerState;
  readonly ledger = new LedgerView();
  readonly entries: LedgerEntry[] = [];

  constructor(
    customerId: string,
    readonly rules: Program = program,
  ) {
    const account = CustomerAccount.open(customerId, base);
    account.learn([rules]);
    this.state = account.toState();
  }

  apply(event: CustomerEvent) {
    const applied = applyEvent(this.state, event);
    this.state = applied.state;
    this.record(applied.effects.ledger);
    return applied;
  }

  /** A till's request: redemptions are not events, so they go through the account. */
  redeem(request: RedemptionRequest | RedemptionCancel, now: string) {
    const account = CustomerAccount.restore(this.state);
    const out = noEffects();
    const result = account.redeem(request, this.rules, now, out);
    this.state = account.toState();
    this.record(out.ledger);
    return result;
  }

  record(entries: readonly LedgerEntry[]) {
    this.ledger.add(entries);
    this.entries.push(...entries);
  }
}

const sale = (customerId: string, tx: string, occurredAt: string, unitPrice: number) =>
  saleOf(tx, [line({ lineId: '1', unitPrice })], { customerId, occurredAt });

/** Points a sale earns here: 1 per whole euro of its lines. */
const pointsOf = (s: SaleEvent) =>
  Math.floor(s.lines.reduce((sum, l) => sum + l.quantity * l.unitPrice - l.discount, 0) / 100);
const spendOf = (s: SaleEvent) =>
  s.lines.reduce((sum, l) => sum + l.quantity * l.unitPrice - l.discount, 0);

const ms = (instant: string) => Date.parse(instant);

/**
 * The id a lot of the absorbed customer (or a redemption's part taken from it) has in the merged
 * state: its own, unless the survivor already uses it (one of its lots, or a lot one of its
 * redemptions took from); then `merged:<absorbed>:<id>`.
 */
function movedIdIn(survivor: CustomerState) {
  const state = restoreState(JSON.parse(JSON.stringify(survivor.loyalty?.state)));
  const used = new Set(state.lots.map((lot) => lot.id));
  for (const redemption of state.redemptions.values()) {
    for (const part of redemption.consumed) used.add(part.lotId);
  }
  return (id: string) => (used.has(id) ? `merged:${ABSORBED}:${id}` : id);
}

function customers() {
  const survivor = new Customer(SURVIVOR);
  const registration = registrationOf({
    customerId: SURVIVOR,
    occurredAt: '2026-03-01T09:00:00Z',
    accountNumber: '00000042',
    consent: { email: true, sms: false, post: false, profiling: false },
  });
  const s1 = sale(SURVIVOR, 'tx-s1', '2026-03-02T10:00:00Z', 10_000);
  const s2 = sale(SURVIVOR, 'tx-s2', '2026-04-10T10:00:00Z', 15_000);
  for (const e of [registration, s1, s2]) expect(survivor.apply(e).ignored).toBeUndefined();

  const absorbed = new Customer(ABSORBED);
  const a1 = sale(ABSORBED, 'tx-a1', '2026-03-05T10:00:00Z', 40_000);
  const adjust = adjustmentOf('adj-a', 25, {
    customerId: ABSORBED,
    occurredAt: '2026-03-20T12:00:00Z',
  });
  const a2 = sale(ABSORBED, 'tx-a2', '2026-04-12T10:00:00Z', 6_000);
  for (const e of [a1, adjust, a2]) expect(absorbed.apply(e).ignored).toBeUndefined();
  const redeemed = 200;
  const redemption = redemptionOf('rd-a', redeemed, 100_000, { customerId: ABSORBED });
  expect(absorbed.redeem(redemption, '2026-03-25T12:00:00.000Z').outcome).toBe('applied');

  return { survivor, absorbed, registration, s1, s2, a1, a2, adjust, redeemed };
}

describe('merging two customers', () => {
  it('moves the whole balance: the survivor holds both, the absorbed customer none', () => {
    const { survivor, absorbed, s1, s2, a1, a2, adjust, redeemed } = customers();
    const survivorPoints = pointsOf(s1) + pointsOf(s2);
    const absorbedPoints = pointsOf(a1) + pointsOf(a2) + adjust.points - redeemed;
    expect(survivor.state.pointsBalance).toBe(survivorPoints);
    expect(absorbed.state.pointsBalance).toBe(absorbedPoints);

    const merged = mergeCustomers(survivor.state, absorbed.state, merge);

    expect(merged.survivor.pointsBalance).toBe(survivorPoints + absorbedPoints);
    expect(merged.absorbed.pointsBalance).toBe(0);
    expect(merged.absorbed.loyalty?.state).toMatchObject({ lots: [], debt: 0, lotPoints: 0 });
    expect(CustomerAccount.restore(merged.survivor).loyalty.balance).toBe(
      survivorPoints + absorbedPoints,
    );
    expect(CustomerAccount.restore(merged.absorbed).loyalty.balance).toBe(0);
  });

  it('keeps the spendable points: pending lots stay pending until their own day', () => {
    const { survivor, absorbed, s1, s2, a1, a2, adjust, redeemed } = customers();
    const merged = mergeCustomers(survivor.state, absorbed.state, merge);
    // At the merge, sales earned more than 14 days before are spendable; the redemption took
    // its points from the absorbed customer's oldest spendable lot (a1).
    const spendableAt = (s: SaleEvent) => ms(s.occurredAt) + PENDING_MS <= ms(mergedAt);
    const expected =
      [s1, s2, a1, a2].filter(spendableAt).reduce((sum, s) => sum + pointsOf(s), 0) +
      adjust.points -
      redeemed;
    const before =
      CustomerAccount.restore(survivor.state).snapshot(mergedAt).loyalty.spendable +
      CustomerAccount.restore(absorbed.state).snapshot(mergedAt).loyalty.spendable;
    const after = CustomerAccount.restore(merged.survivor).snapshot(mergedAt).loyalty;
    expect(after.spendable).toBe(expected);
    expect(after.spendable).toBe(before);
    expect(after.pending).toBe(pointsOf(s2) + pointsOf(a2));
  });

  it('moves the lots under their own ids where the survivor does not use them, oldest first', () => {
    const { survivor, absorbed, s1, s2, a1, a2, adjust, redeemed } = customers();
    const merged = mergeCustomers(survivor.state, absorbed.state, merge);
    const movedId = movedIdIn(survivor.state);
    const lots = merged.survivor.loyalty?.state.lots ?? [];
    expect(lots.map((l) => [l.id, l.points])).toEqual([
      ['tx-s1', pointsOf(s1)],
      [movedId(a1.transactionId), pointsOf(a1) - redeemed],
      [movedId('adjust/adj-a'), adjust.points],
      ['tx-s2', pointsOf(s2)],
      [movedId(a2.transactionId), pointsOf(a2)],
    ]);
    // None of them clashes: each keeps its own id.
    expect(lots.map((l) => l.id)).toEqual(['tx-s1', 'tx-a1', 'adjust/adj-a', 'tx-s2', 'tx-a2']);
    const earned = lots.map((l) => ms(l.earnedAt));
    expect(earned).toEqual([...earned].sort((x, y) => x - y));
    expect(merged.survivor.loyalty?.state.lotPoints).toBe(merged.survivor.pointsBalance);
  });

  it('takes back exactly a returned sale of the absorbed customer, on the survivor', () => {
    const { survivor, absorbed, a2 } = customers();
    const merged = mergeCustomers(survivor.state, absorbed.state, merge);
    const after = new Customer(SURVIVOR);
    after.state = merged.survivor;
    const back = returnOf('ret-a2', a2, [{ lineId: '1', refundAmount: spendOf(a2) }], {
      customerId: SURVIVOR,
      occurredAt: '2026-04-22T10:00:00Z',
    });
    const applied = after.apply(back);
    expect(applied.ignored).toBeUndefined();
    expect(applied.effects.ledger).toMatchObject([
      {
        entryId: `${SURVIVOR}/tx-a2/reverse`,
        kind: 'reverse',
        points: -pointsOf(a2),
        balanceAfter: merged.survivor.pointsBalance - pointsOf(a2),
      },
    ]);
    expect(after.state.pointsBalance).toBe(merged.survivor.pointsBalance - pointsOf(a2));
    expect(after.state.spendMinor).toBe(merged.survivor.spendMinor - spendOf(a2));
  });

  it('gives a cancelled redemption of the absorbed customer back to the survivor', () => {
    const { survivor, absorbed, redeemed } = customers();
    const merged = mergeCustomers(survivor.state, absorbed.state, merge);
    const after = new Customer(SURVIVOR);
    after.state = merged.survivor;
    const result = after.redeem({ ...cancelOf('rd-a'), customerId: SURVIVOR }, mergedAt);
    expect(result).toMatchObject({ outcome: 'applied', earned: redeemed });
    expect(after.entries).toMatchObject([
      { kind: 'redeem-cancel', points: redeemed, customerId: SURVIVOR },
    ]);
    expect(after.state.pointsBalance).toBe(merged.survivor.pointsBalance + redeemed);
    // Given back as a lot like the one it was taken from: earned then, expiring then.
    const lots = after.state.loyalty?.state.lots ?? [];
    const lotId = movedIdIn(survivor.state)('tx-a1');
    const restored = lots.find((l) => l.id === `${lotId}~cancel:rd-a`);
    const from = lots.find((l) => l.id === lotId);
    expect(from).toBeDefined();
    expect(restored).toMatchObject({
      points: redeemed,
      earnedAt: from?.earnedAt,
      expiresAt: from?.expiresAt,
    });
    // Once only.
    expect(after.redeem({ ...cancelOf('rd-a'), customerId: SURVIVOR }, mergedAt).outcome).toBe(
      'duplicate',
    );
  });

  it('knows the absorbed customer’s events: sent again to the survivor, they are duplicates', () => {
    const { survivor, absorbed, a1, adjust } = customers();
    const merged = mergeCustomers(survivor.state, absorbed.state, merge);
    for (const event of [
      { ...a1, customerId: SURVIVOR },
      { ...a1, customerId: SURVIVOR, eventId: 'ev-tx-a1-resent' },
      { ...adjust, customerId: SURVIVOR },
    ]) {
      const applied = applyEvent(merged.survivor, event);
      expect(applied.ignored, event.eventId).toBe('duplicate');
      expect(applied.state.pointsBalance).toBe(merged.survivor.pointsBalance);
    }
  });

  it('sums the month buckets, and the higher tier stands until the merged months lift it', () => {
    const { survivor, absorbed, s1, s2, a1, a2 } = customers();
    const survivorTier = survivor.state.loyalty?.state.tier;
    const absorbedTier = absorbed.state.loyalty?.state.tier;
    expect(survivorTier?.level).toBe(0); // 250 EUR
    expect(absorbedTier?.level).toBe(1); // 460 EUR: silver

    const merged = mergeCustomers(survivor.state, absorbed.state, merge);
    const buckets = new Map<
      string,
      { month: string; spendMinor: number; points: number; visits: number }
    >();
    for (const s of [s1, s2, a1, a2]) {
      const month = s.occurredAt.slice(0, 7);
      const b = buckets.get(month) ?? { month, spendMinor: 0, points: 0, visits: 0 };
      b.spendMinor += spendOf(s);
      b.points += pointsOf(s);
      b.visits += 1;
      buckets.set(month, b);
    }
    expect(merged.survivor.loyalty?.state.months).toEqual(
      [...buckets.values()].sort((x, y) => x.month.localeCompare(y.month)),
    );
    expect(merged.survivor.loyalty?.state.tier).toEqual({
      level: 1,
      base: 0,
      peak: 1,
      reviewAt: survivorTier?.reviewAt,
      // Silver is the absorbed customer's: since when they held it.
      since: absorbedTier?.since,
    });
    const account = CustomerAccount.restore(merged.survivor);
    expect(account.snapshot(mergedAt).loyalty.tier).toBe('silver');

    // 250 + 460 EUR in the window: the next sale finds the customer above gold's 600.
    const next = applyEvent(merged.survivor, sale(SURVIVOR, 'tx-s3', '2026-04-25T10:00:00Z', 100));
    expect(next.effects.tierChanges).toMatchObject([
      { from: 'silver', to: 'gold', reason: 'upgrade' },
    ]);
  });

  it('adds up the customer figures; the absorbed customer keeps theirs', () => {
    const { survivor, absorbed, s1, s2, a1, a2 } = customers();
    const merged = mergeCustomers(survivor.state, absorbed.state, merge);
    expect(merged.survivor).toMatchObject({
      customerId: SURVIVOR,
      accountNumber: '00000042',
      consent: { email: true },
      registeredAt: '2026-03-01T09:00:00Z',
      visits: 4,
      spendMinor: [s1, s2, a1, a2].reduce((sum, s) => sum + spendOf(s), 0),
      firstPurchaseAt: s1.occurredAt,
      lastPurchaseAt: a2.occurredAt,
      // Both counted April: s2 and a2.
      monthVisits: { month: '2026-04', count: 2 },
      eventsApplied: survivor.state.eventsApplied + absorbed.state.eventsApplied,
    });
    expect(merged.absorbed).toEqual({
      ...absorbed.state,
      pointsBalance: 0,
      loyalty: expect.anything(),
    });
    expect(merged.absorbed.visits).toBe(2);
  });

  it('writes a ledger line on each side: they add up to zero, each ledger to its balance', () => {
    const { survivor, absorbed } = customers();
    const moved = absorbed.state.pointsBalance;
    const merged = mergeCustomers(survivor.state, absorbed.state, merge);
    const lines = merged.ledger;
    expect(lines).toBeDefined();
    if (!lines) return;
    expect(ledgerEntry.parse(lines.survivor)).toEqual(lines.survivor);
    expect(ledgerEntry.parse(lines.absorbed)).toEqual(lines.absorbed);
    expect(lines.survivor).toEqual({
      entryId: `${SURVIVOR}/merge:m-1/merge-in`,
      customerId: SURVIVOR,
      eventId: 'merge:m-1',
      transactionId: 'merge:m-1',
      kind: 'merge-in',
      revision: 0,
      points: moved,
      balanceAfter: merged.survivor.pointsBalance,
      storeId: 'S001',
      occurredAt: mergedAt,
      programVersion: program.version,
    });
    expect(lines.absorbed).toMatchObject({
      entryId: `${ABSORBED}/merge:m-1/merge-out`,
      customerId: ABSORBED,
      kind: 'merge-out',
      points: -moved,
      balanceAfter: 0,
    });
    expect(lines.survivor.points + lines.absorbed.points).toBe(0);
    survivor.ledger.add([lines.survivor]);
    absorbed.ledger.add([lines.absorbed]);
    expect(survivor.ledger.sum).toBe(merged.survivor.pointsBalance);
    expect(absorbed.ledger.sum).toBe(0);
  });

  it('writes a 0-point line on each side when no points move, so the ledger holds every merge', () => {
    const { survivor } = customers();
    const empty = new Customer(ABSORBED);
    const merged = mergeCustomers(survivor.state, empty.state, merge);
    expect(merged.ledger.survivor).toMatchObject({ kind: 'merge-in', points: 0 });
    expect(merged.ledger.absorbed).toMatchObject({ kind: 'merge-out', points: 0 });
    expect(merged.survivor.pointsBalance).toBe(survivor.state.pointsBalance);
  });

  it('takes over a state carried before every customer had a book', () => {
    const { survivor } = customers();
    const old: CustomerState = {
      customerId: ABSORBED,
      program: base,
      visits: 1,
      spendMinor: 4_000,
      firstPurchaseAt: '2026-02-01T10:00:00Z',
      lastPurchaseAt: '2026-02-01T10:00:00Z',
      pointsBalance: 40,
      monthVisits: { month: '2026-02', count: 1 },
      eventsApplied: 1,
    };
    const merged = mergeCustomers(survivor.state, old, merge);
    expect(merged.survivor.pointsBalance).toBe(survivor.state.pointsBalance + 40);
    // The opening balance's lot: the survivor has none, so it keeps its id.
    expect(merged.survivor.loyalty?.state.lots[0]).toMatchObject({
      id: movedIdIn(survivor.state)('opening'),
      points: 40,
    });
    expect(merged.survivor.loyalty?.state.lots[0]?.id).toBe('opening');
    expect(merged.survivor.monthVisits).toEqual(survivor.state.monthVisits);
    expect(merged.ledger?.survivor.points).toBe(40);
  });

  it('changes neither input', () => {
    const { survivor, absorbed } = customers();
    const survivorBefore = structuredClone(survivor.state);
    const absorbedBefore = structuredClone(absorbed.state);
    const merged = mergeCustomers(survivor.state, absorbed.state, merge);
    // Using the results changes nothing either.
    applyEvent(merged.survivor, sale(SURVIVOR, 'tx-s4', '2026-04-26T10:00:00Z', 1_000));
    expect(survivor.state).toEqual(survivorBefore);
    expect(absorbed.state).toEqual(absorbedBefore);
  });

  it('refuses to merge a customer into itself', () => {
    const { survivor } = customers();
    expect(() => mergeCustomers(survivor.state, survivor.state, merge)).toThrow(/itself/);
  });
});

/**
 * Why a moved lot keeps its id: a return finds the lot of the sale it reverses by the sale's
 * transaction id. Under `merged:<absorbed>:<id>` the lot of the absorbed customer's sale could not
 * be found: under `pending-only` the return took nothing back, under `within-balance` it took
 * the points from the survivor's oldest lots instead.
 */
describe('merging two customers: a return of the absorbed customer’s sale', () => {
  const rulesUnder = (policy: 'pending-only' | 'within-balance') =>
    programOf(
      { pendingDays: 14, expiry: { lotMonths: 24, warnDays: 30 }, returns: { policy } },
      `test@${policy}`,
    );

  /** Both customers under `rules`, built event by event, then merged. */
  function mergedUnder(rules: Program) {
    const survivor = new Customer(SURVIVOR, rules);
    const s1 = sale(SURVIVOR, 'tx-s1', '2026-03-02T10:00:00Z', 10_000);
    const s2 = sale(SURVIVOR, 'tx-s2', '2026-04-10T10:00:00Z', 15_000);
    const registration = registrationOf({
      customerId: SURVIVOR,
      occurredAt: '2026-03-01T09:00:00Z',
    });
    for (const e of [registration, s1, s2]) expect(survivor.apply(e).ignored).toBeUndefined();
    const absorbed = new Customer(ABSORBED, rules);
    const a1 = sale(ABSORBED, 'tx-a1', '2026-03-05T10:00:00Z', 40_000);
    const a2 = sale(ABSORBED, 'tx-a2', '2026-04-12T10:00:00Z', 6_000);
    for (const e of [a1, a2]) expect(absorbed.apply(e).ignored).toBeUndefined();
    const merged = mergeCustomers(survivor.state, absorbed.state, {
      ...merge,
      programVersion: rules.version,
    });
    return { merged: merged.survivor, survivor, s1, s2, a1, a2 };
  }

  it.each([
    // a2's points are pending until 2026-04-26.
    ['pending-only', 'while its points are pending', '2026-04-22T10:00:00Z'],
    ['within-balance', 'while its points are pending', '2026-04-22T10:00:00Z'],
    ['within-balance', 'once its points are spendable', '2026-05-04T10:00:00Z'],
  ] as const)(
    'under %s, %s: takes back from that sale’s lot, no other',
    (policy, _when, returnAt) => {
      const rules = rulesUnder(policy);
      const { merged, survivor, s1, a2 } = mergedUnder(rules);
      const lotsBefore = merged.loyalty?.state.lots ?? [];
      const saleLotId = movedIdIn(survivor.state)(a2.transactionId);
      expect(saleLotId).toBe(a2.transactionId);
      expect(lotsBefore.find((l) => l.id === saleLotId)?.points).toBe(pointsOf(a2));

      // A partial return, re-addressed to the survivor: what the refunded part earned goes back.
      const refund = 2_500;
      const lost = pointsOf(a2) - Math.floor((pointsOf(a2) * (spendOf(a2) - refund)) / spendOf(a2));
      expect(lost).toBeGreaterThan(0);
      const back = returnOf('ret-a2', a2, [{ lineId: '1', refundAmount: refund }], {
        customerId: SURVIVOR,
        occurredAt: returnAt,
      });
      const pendingAtReturn = ms(a2.occurredAt) + PENDING_MS > ms(returnAt);
      const outlookBefore = CustomerAccount.restore(merged).snapshot(returnAt).loyalty;

      const after = new Customer(SURVIVOR, rules);
      after.state = merged;
      const applied = after.apply(back);
      expect(applied.ignored).toBeUndefined();
      expect(applied.effects.ledger).toMatchObject([
        {
          entryId: `${SURVIVOR}/tx-a2/reverse`,
          kind: 'reverse',
          points: -lost,
          balanceAfter: merged.pointsBalance - lost,
        },
      ]);
      // The sale's lot lost exactly that; the survivor's lots and a1's are untouched.
      expect(after.state.loyalty?.state.lots).toEqual(
        lotsBefore.map((l) => (l.id === saleLotId ? { ...l, points: l.points - lost } : l)),
      );
      expect(after.state.pointsBalance).toBe(merged.pointsBalance - lost);
      // Spendable points fall only by what the sale's lot lost, and only if it was spendable.
      const outlookAfter = CustomerAccount.restore(after.state).snapshot(returnAt).loyalty;
      expect(outlookAfter.spendable).toBe(outlookBefore.spendable - (pendingAtReturn ? 0 : lost));
      expect(outlookAfter.pending).toBe(outlookBefore.pending - (pendingAtReturn ? lost : 0));

      // The old rule, for contrast: the same return on the lot moved as `merged:<absorbed>:tx-a2`.
      const renamed = structuredClone(merged);
      for (const lot of renamed.loyalty?.state.lots ?? []) {
        if (lot.id === saleLotId) lot.id = `merged:${ABSORBED}:${saleLotId}`;
      }
      const old = new Customer(SURVIVOR, rules);
      old.state = renamed;
      old.apply(back);
      const oldLots = old.state.loyalty?.state.lots ?? [];
      // The sale's lot was never found...
      expect(oldLots.find((l) => l.id === `merged:${ABSORBED}:${saleLotId}`)?.points).toBe(
        pointsOf(a2),
      );
      if (policy === 'pending-only') {
        // ...so nothing was taken back.
        expect(old.state.pointsBalance).toBe(merged.pointsBalance);
      } else {
        // ...so the survivor's oldest lot paid, spendable even while the sale's points were pending.
        expect(oldLots.find((l) => l.id === s1.transactionId)?.points).toBe(pointsOf(s1) - lost);
        expect(CustomerAccount.restore(old.state).snapshot(returnAt).loyalty.spendable).toBe(
          outlookBefore.spendable - lost,
        );
      }
    },
  );
});

describe('merging two customers: a lot id both use', () => {
  it('keeps both registration bonuses, the absorbed customer’s renamed; the balance is the sum', () => {
    const WELCOME = 100;
    const rules = programOf(
      {
        pendingDays: 14,
        earn: { bonuses: [{ id: 'welcome', on: 'registration', points: WELCOME }] },
      },
      'test@welcome',
    );
    const survivor = new Customer(SURVIVOR, rules);
    const s1 = sale(SURVIVOR, 'tx-s1', '2026-03-02T10:00:00Z', 10_000);
    const survivorEvents = [
      registrationOf({ customerId: SURVIVOR, occurredAt: '2026-03-01T09:00:00Z' }),
      s1,
    ];
    for (const e of survivorEvents) expect(survivor.apply(e).ignored).toBeUndefined();
    const absorbed = new Customer(ABSORBED, rules);
    const a1 = sale(ABSORBED, 'tx-a1', '2026-04-12T10:00:00Z', 6_000);
    const absorbedEvents = [
      registrationOf({
        eventId: 'ev-reg-anon',
        customerId: ABSORBED,
        occurredAt: '2026-02-15T09:00:00Z',
      }),
      a1,
    ];
    for (const e of absorbedEvents) expect(absorbed.apply(e).ignored).toBeUndefined();
    const survivorPoints = WELCOME + pointsOf(s1);
    const absorbedPoints = WELCOME + pointsOf(a1);
    expect(survivor.state.pointsBalance).toBe(survivorPoints);
    expect(absorbed.state.pointsBalance).toBe(absorbedPoints);
    const bonusOf = (c: Customer) =>
      c.state.loyalty?.state.lots.find((l) => l.id === 'bonus/registration');
    expect(bonusOf(survivor)).toMatchObject({ points: WELCOME });
    expect(bonusOf(absorbed)).toMatchObject({ points: WELCOME });

    const merged = mergeCustomers(survivor.state, absorbed.state, {
      ...merge,
      programVersion: rules.version,
    });
    const renamedId = `merged:${ABSORBED}:bonus/registration`;
    expect(movedIdIn(survivor.state)('bonus/registration')).toBe(renamedId);
    const lots = merged.survivor.loyalty?.state.lots ?? [];
    // Oldest first: the absorbed customer registered earlier.
    expect(lots.map((l) => [l.id, l.points])).toEqual([
      [renamedId, WELCOME],
      ['bonus/registration', WELCOME],
      [s1.transactionId, pointsOf(s1)],
      [a1.transactionId, pointsOf(a1)],
    ]);
    // Each bonus lot is its own customer's, times and all.
    expect(lots.find((l) => l.id === 'bonus/registration')).toEqual(bonusOf(survivor));
    expect(lots.find((l) => l.id === renamedId)).toEqual({
      ...bonusOf(absorbed),
      id: renamedId,
    });
    expect(merged.survivor.pointsBalance).toBe(survivorPoints + absorbedPoints);
    expect(merged.survivor.loyalty?.state.lotPoints).toBe(survivorPoints + absorbedPoints);
    expect(merged.ledger?.survivor.points).toBe(absorbedPoints);
    // The survivor's own bonus stands as the one granted.
    const book = restoreState(JSON.parse(JSON.stringify(merged.survivor.loyalty?.state)));
    expect(book.bonusesGranted.get('registration')).toBe('ev-reg');
  });
});
