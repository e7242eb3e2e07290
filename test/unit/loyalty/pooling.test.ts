/**
 * Household pooling: points move from one member's book to another's, oldest spendable lots
 * first, keeping their expiry; each step once per transfer; the two ledger lines sum to zero.
 * Two customers' books are built from real events under a program with pending days, expiry and
 * tiers; every figure expected is worked out here from the events sent.
 */
import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../../engine/domain/effects.ts';
import type { SaleEvent } from '../../../engine/domain/events.ts';
import { LoyaltyBook } from '../../../engine/domain/loyalty/book.ts';
import { carryState, restoreState } from '../../../engine/domain/loyalty/carried-state.ts';
import {
  type LoyaltyEffects,
  type LoyaltyInput,
  noLoyaltyEffects,
} from '../../../engine/domain/loyalty/evaluator.ts';
import {
  givePoints,
  type PoolGive,
  type PoolReceive,
} from '../../../engine/domain/loyalty/pooling.ts';
import { initialLoyaltyState } from '../../../engine/domain/loyalty/state.ts';
import {
  adjustmentOf,
  LedgerView,
  line,
  programOf,
  redemptionOf,
  returnOf,
  saleOf,
} from '../../support/loyalty.ts';

const PENDING_DAYS = 14;
const LOT_MONTHS = 6;
const WARN_DAYS = 30;
const DAY = 86_400_000;

const program = programOf({
  pendingDays: PENDING_DAYS,
  expiry: { lotMonths: LOT_MONTHS, warnDays: WARN_DAYS },
  // Under `unlimited` a return of spent points leaves the customer owing them.
  returns: { policy: 'unlimited' },
  tiers: {
    metric: 'spend',
    levels: [
      { id: 'member', name: 'Member', threshold: 0 },
      { id: 'silver', name: 'Silver', threshold: 1_000_000 },
    ],
  },
});

/** 1 point per 100 minor units (the program's base rate), no tier multiplier. */
const pointsOf = (sale: SaleEvent): number =>
  Math.floor(sale.lines.reduce((sum, l) => sum + l.quantity * l.unitPrice - l.discount, 0) / 100);
const iso = (ms: number): string => new Date(ms).toISOString();
const plusDays = (at: string, days: number): string => iso(Date.parse(at) + days * DAY);
const plusMonths = (at: string, months: number): string => {
  const d = new Date(at);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString();
};

/** A member's book, its ledger as the analytics store reads it, and every effect it produced. */
function member(customerId: string) {
  const book = LoyaltyBook.open(customerId, program);
  const ledger = new LedgerView();
  const lines: LedgerEntry[] = [];
  const step = <T>(act: (out: LoyaltyEffects) => T): { result: T; out: LoyaltyEffects } => {
    const out = noLoyaltyEffects();
    const result = act(out);
    ledger.add(out.ledger);
    lines.push(...out.ledger);
    return { result, out };
  };
  const apply = (input: LoyaltyInput, now: string) =>
    step((out) => book.apply({ ...input, customerId } as LoyaltyInput, program, now, out));
  /** The state as the workflow carries it: a deep copy, for reading and comparing. */
  const snapshot = () => book.toState();
  return { book, ledger, lines, step, apply, snapshot };
}

const sale = (tx: string, occurredAt: string, unitPrice: number) =>
  saleOf(tx, [line({ lineId: '1', unitPrice })], { occurredAt });

// The donor: two sales spendable by `now`, a third still pending, and a goodwill adjustment
// after it (spendable at once): a pending lot between spendable ones.
const oldest = sale('d-1', '2026-01-10T10:00:00.000Z', 20_000);
const older = sale('d-2', '2026-02-05T10:00:00.000Z', 30_000);
const recent = sale('d-3', '2026-03-01T10:00:00.000Z', 40_000);
const goodwill = adjustmentOf('gw', 100, {
  occurredAt: '2026-03-03T12:00:00.000Z',
  storeId: 'DESK',
});
const now = '2026-03-05T10:00:00.000Z';
const spendableNow =
  [oldest, older, recent]
    .filter((s) => plusDays(s.occurredAt, PENDING_DAYS) <= now)
    .reduce((sum, s) => sum + pointsOf(s), 0) + goodwill.points;
const pendingNow = pointsOf(recent);

// The receiver's own sale, earlier than `now` but still pending.
const own = sale('r-1', '2026-02-25T10:00:00.000Z', 5_000);

function donor() {
  const d = member('donor-1');
  for (const e of [oldest, older, recent, goodwill]) d.apply(e, e.occurredAt);
  return d;
}

function receiver() {
  const r = member('receiver-1');
  r.apply(own, own.occurredAt);
  return r;
}

const give = (transferId: string, points: number): PoolGive => ({
  transferId,
  to: 'receiver-1',
  points,
  storeId: 'S001',
  at: now,
});

describe('giving points to a household member', () => {
  it('takes them from the oldest spendable lots, never pending ones', () => {
    const d = donor();
    expect(spendableNow).toBe(600);
    expect(d.book.balance).toBe(spendableNow + pendingNow);
    const before = d.book.balance;

    const { result, out } = d.step((o) => d.book.give(give('t1', 300), now, o));

    expect(result.outcome).toBe('given');
    expect(result.points).toBe(300);
    // The oldest lot whole, then the rest from the next one: each with its own dates and store.
    expect(result.lots).toEqual([
      {
        earnedAt: oldest.occurredAt,
        availableAt: plusDays(oldest.occurredAt, PENDING_DAYS),
        expiresAt: plusMonths(oldest.occurredAt, LOT_MONTHS),
        points: pointsOf(oldest),
        version: program.version,
        storeId: oldest.storeId,
      },
      {
        earnedAt: older.occurredAt,
        availableAt: plusDays(older.occurredAt, PENDING_DAYS),
        expiresAt: plusMonths(older.occurredAt, LOT_MONTHS),
        points: 300 - pointsOf(oldest),
        version: program.version,
        storeId: older.storeId,
      },
    ]);
    expect(d.book.balance).toBe(before - 300);
    expect(d.snapshot().state.lots.map((l) => [l.id, l.points])).toEqual([
      [older.transactionId, pointsOf(older) - (300 - pointsOf(oldest))],
      [recent.transactionId, pendingNow],
      [`adjust/${goodwill.adjustmentId}`, goodwill.points],
    ]);
    expect(out.ledger).toEqual([
      {
        entryId: 'donor-1/pool:t1/pool-out',
        customerId: 'donor-1',
        eventId: 'pool:t1',
        transactionId: 'pool:t1',
        kind: 'pool-out',
        revision: 0,
        points: -300,
        balanceAfter: before - 300,
        storeId: 'S001',
        occurredAt: now,
        programVersion: program.version,
      },
    ]);
    expect(d.ledger.sum).toBe(d.book.balance);
  });

  it('gives every spendable point, passing over a pending lot older than a spendable one', () => {
    const d = donor();
    const { result } = d.step((o) => d.book.give(give('t1', spendableNow), now, o));
    expect(result.outcome).toBe('given');
    expect(result.lots.map((l) => [l.earnedAt, l.points, l.storeId])).toEqual([
      [oldest.occurredAt, pointsOf(oldest), oldest.storeId],
      [older.occurredAt, pointsOf(older), older.storeId],
      [goodwill.occurredAt, goodwill.points, goodwill.storeId],
    ]);
    expect(d.snapshot().state.lots.map((l) => [l.id, l.points])).toEqual([
      [recent.transactionId, pendingNow],
    ]);
    expect(d.book.balance).toBe(pendingNow);
    expect(d.ledger.sum).toBe(d.book.balance);
  });

  it('refuses more than the spendable points, pending ones not counted, changing nothing', () => {
    const d = donor();
    // The clock runs to `now` before any request (as for a redemption): bring it there first.
    d.step((o) => d.book.advance(now, o));
    const before = d.snapshot();
    expect(d.book.balance).toBeGreaterThan(spendableNow);

    const { result, out } = d.step((o) => d.book.give(give('t1', spendableNow + 1), now, o));

    expect(result).toEqual({
      outcome: 'refused',
      lots: [],
      points: 0,
      reason: 'insufficient_balance',
    });
    expect(out.ledger).toEqual([]);
    expect(d.snapshot()).toEqual(before);
    // Refused, the transfer id is not used up: the same transfer may be asked again.
    expect(d.step((o) => d.book.give(give('t1', spendableNow), now, o)).result.outcome).toBe(
      'given',
    );
  });

  it.each([0, -5, 1.5])('refuses %s points, changing nothing', (points) => {
    const d = donor();
    d.step((o) => d.book.advance(now, o));
    const before = d.snapshot();
    const { result, out } = d.step((o) => d.book.give(give('t1', points), now, o));
    expect(result).toMatchObject({ outcome: 'refused', reason: 'not_positive', points: 0 });
    expect(out.ledger).toEqual([]);
    expect(d.snapshot()).toEqual(before);
  });

  it('changes nothing in the state it refuses (the pure rule)', () => {
    const d = donor();
    d.step((o) => d.book.advance(now, o));
    const state = restoreState(d.snapshot().state);
    const copy = JSON.stringify(carryState(state));
    const out = noLoyaltyEffects();
    expect(givePoints(state, give('t1', spendableNow + 1), program, out).outcome).toBe('refused');
    expect(givePoints(state, give('t2', 0), program, out).outcome).toBe('refused');
    expect(JSON.stringify(carryState(state))).toBe(copy);
    expect(out).toEqual(noLoyaltyEffects());
  });

  it('gives nothing from a customer with nothing', () => {
    const out = noLoyaltyEffects();
    const state = initialLoyaltyState('nobody');
    expect(givePoints(state, give('t1', 1), program, out)).toMatchObject({
      outcome: 'refused',
      reason: 'insufficient_balance',
    });
    expect(state).toEqual(initialLoyaltyState('nobody'));
  });
});

describe('receiving pooled points', () => {
  function pooled(transferId = 't1', points = 300) {
    const d = donor();
    const r = receiver();
    const given = d.step((o) => d.book.give(give(transferId, points), now, o)).result;
    const request: PoolReceive = {
      transferId,
      from: 'donor-1',
      lots: given.lots,
      storeId: 'S001',
      at: now,
    };
    return { d, r, given, request };
  }

  it('adds them as lots keeping their dates, and expires each on time', () => {
    const { r, given, request } = pooled();
    const before = r.book.balance;
    expect(before).toBe(pointsOf(own));

    const { result, out } = r.step((o) => r.book.receive(request, now, o));

    expect(result).toEqual({ outcome: 'received', points: 300 });
    expect(r.book.balance).toBe(before + 300);
    expect(out.ledger).toEqual([
      {
        entryId: 'receiver-1/pool:t1/pool-in',
        customerId: 'receiver-1',
        eventId: 'pool:t1',
        transactionId: 'pool:t1',
        kind: 'pool-in',
        revision: 0,
        points: 300,
        balanceAfter: before + 300,
        storeId: 'S001',
        occurredAt: now,
        programVersion: program.version,
      },
    ]);
    const lots = r.snapshot().state.lots;
    expect(lots.map((l) => [l.id, l.earnedAt, l.availableAt, l.expiresAt, l.points])).toEqual([
      ['pool:t1:0', ...dates(given.lots[0]), given.lots[0]?.points],
      ['pool:t1:1', ...dates(given.lots[1]), given.lots[1]?.points],
      [
        own.transactionId,
        own.occurredAt,
        plusDays(own.occurredAt, PENDING_DAYS),
        plusMonths(own.occurredAt, LOT_MONTHS),
        pointsOf(own),
      ],
    ]);

    // The receiver's clock knows of the pooled lots: the first is due for its warning first.
    const first = given.lots[0] as (typeof given.lots)[number];
    const firstExpiry = first.expiresAt as string;
    expect(r.book.nextDue(now)).toBe(plusDays(firstExpiry, -WARN_DAYS));

    // Past the first pooled lot's expiry (before the second's): exactly its points expire.
    const after = plusDays(firstExpiry, 1);
    expect(after < (given.lots[1]?.expiresAt as string)).toBe(true);
    const { out: clock } = r.step((o) => r.book.advance(after, o));
    const expired = clock.ledger.filter((l) => l.kind === 'expire');
    expect(expired).toEqual([
      expect.objectContaining({
        transactionId: 'pool:t1:0',
        points: -first.points,
        occurredAt: firstExpiry,
        storeId: first.storeId,
        programVersion: first.version,
        balanceAfter: before + 300 - first.points,
      }),
    ]);
    expect(r.book.balance).toBe(before + 300 - first.points);
    expect(r.ledger.sum).toBe(r.book.balance);
  });

  it('expires at once a pooled lot already past its expiry on the receiver’s clock', () => {
    const { r, given, request } = pooled();
    const firstExpiry = given.lots[0]?.expiresAt as string;
    const late = plusDays(firstExpiry, 1);
    const { out } = r.step((o) => r.book.receive(request, late, o));
    expect(out.ledger.map((l) => [l.kind, l.points])).toEqual([
      ['pool-in', 300],
      ['expire', -(given.lots[0]?.points as number)],
    ]);
    expect(r.ledger.sum).toBe(r.book.balance);
  });

  it('pays a receiver’s debt first', () => {
    const r = member('receiver-2');
    const earn = sale('r-9', '2026-02-01T10:00:00.000Z', 10_000);
    const spendAt = '2026-02-20T10:00:00.000Z';
    r.apply(earn, earn.occurredAt);
    r.apply(redemptionOf('spend', pointsOf(earn), 1_000_000), spendAt);
    const back = returnOf('back', earn, [{ lineId: '1', refundAmount: 10_000 }], {
      occurredAt: '2026-02-25T10:00:00.000Z',
    });
    r.apply(back, back.occurredAt);
    const debt = pointsOf(earn);
    expect(r.book.balance).toBe(-debt);
    expect(r.snapshot().state.debt).toBe(debt);

    const { given, request } = pooled();
    const { result, out } = r.step((o) => r.book.receive(request, now, o));

    expect(result.points).toBe(300);
    expect(out.ledger).toMatchObject([{ kind: 'pool-in', points: 300, balanceAfter: 300 - debt }]);
    const state = r.snapshot().state;
    expect(state.debt).toBe(0);
    // The debt came out of the first (oldest) pooled lot.
    expect(state.lots.map((l) => [l.id, l.points])).toEqual([
      ['pool:t1:0', (given.lots[0]?.points as number) - debt],
      ['pool:t1:1', given.lots[1]?.points],
    ]);
    expect(r.book.balance).toBe(300 - debt);
    expect(r.ledger.sum).toBe(r.book.balance);
  });
});

describe('a transfer asked again', () => {
  it('changes nothing the second time and answers the same lots and points', () => {
    const d = donor();
    const r = receiver();
    const first = d.step((o) => d.book.give(give('t1', 300), now, o)).result;
    const donorAfter = d.snapshot();

    const again = d.step((o) => d.book.give(give('t1', 300), now, o));
    expect(again.result).toEqual({ outcome: 'duplicate', lots: first.lots, points: 300 });
    expect(again.out.ledger).toEqual([]);
    expect(d.snapshot()).toEqual(donorAfter);

    // Also after continue-as-new: the gift is carried with the state.
    const carried = LoyaltyBook.restore(d.snapshot(), program);
    expect(carried.give(give('t1', 300), now, noLoyaltyEffects())).toEqual(again.result);

    // Even asked with other figures: the transfer id decides.
    expect(d.step((o) => d.book.give(give('t1', 1), now, o)).result).toEqual(again.result);

    const request: PoolReceive = {
      transferId: 't1',
      from: 'donor-1',
      lots: first.lots,
      storeId: 'S001',
      at: now,
    };
    expect(r.step((o) => r.book.receive(request, now, o)).result).toEqual({
      outcome: 'received',
      points: 300,
    });
    const receiverAfter = r.snapshot();
    const repeat = r.step((o) => r.book.receive(request, now, o));
    expect(repeat.result).toEqual({ outcome: 'duplicate', points: 300 });
    expect(repeat.out.ledger).toEqual([]);
    expect(r.snapshot()).toEqual(receiverAfter);
  });
});

describe('the ledger', () => {
  it('moves points without making or losing any: pool-out and pool-in sum to zero', () => {
    const d = donor();
    const r = receiver();
    const totalBefore = d.book.balance + r.book.balance;
    const given = d.step((o) => d.book.give(give('t1', 300), now, o)).result;
    r.step((o) =>
      r.book.receive(
        { transferId: 't1', from: 'donor-1', lots: given.lots, storeId: 'S001', at: now },
        now,
        o,
      ),
    );
    const pool = [...d.lines, ...r.lines].filter((l) => l.transactionId === 'pool:t1');
    expect(pool.map((l) => [l.customerId, l.kind, l.points])).toEqual([
      ['donor-1', 'pool-out', -300],
      ['receiver-1', 'pool-in', 300],
    ]);
    expect(pool.reduce((sum, l) => sum + l.points, 0)).toBe(0);
    expect(d.book.balance + r.book.balance).toBe(totalBefore);
    expect(d.ledger.sum).toBe(d.book.balance);
    expect(r.ledger.sum).toBe(r.book.balance);
  });
});

/** A pooled lot's dates, as the receiver's lot must keep them. */
function dates(lot: { earnedAt: string; availableAt: string; expiresAt?: string } | undefined) {
  return [lot?.earnedAt, lot?.availableAt, lot?.expiresAt];
}
