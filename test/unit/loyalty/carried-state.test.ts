/**
 * The book's state crosses continue-as-new as plain JSON (`carryState`) and the rules work on
 * its Maps and Sets (`restoreState`): a customer carried through JSON after every input earns,
 * caps, redeems and returns exactly as one never carried, and what it remembers (sales and their
 * lines, redemptions, returns waiting for their sale, day caps, one-off bonuses, the ids seen)
 * survives the trip.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CustomerAccount,
  type Effects,
  noEffects,
} from '../../../engine/domain/customer/account.ts';
import type { CustomerEvent } from '../../../engine/domain/events.ts';
import type { RedemptionRequest } from '../../../engine/domain/loyalty/evaluator.ts';
import type { Program } from '../../../engine/domain/loyalty/program.ts';
import { loadProgramFile } from '../../../engine/programs/load-program.ts';
import {
  CUSTOMER,
  line,
  redemptionOf,
  registrationOf,
  returnOf,
  saleOf,
} from '../../support/loyalty.ts';

const base = { version: 'base-1-per-100', basePointsPerUnit: 1, spendUnitMinor: 100 };
let grocer: Program;

beforeAll(async () => {
  const { definition } = await loadProgramFile('config/programs/grocer.yaml');
  grocer = { ...definition, version: 'greenleaf@test', effectiveFrom: '2026-01-01T00:00:00Z' };
});

type Input = CustomerEvent | RedemptionRequest;

/** A Saturday in the winter campaign: fresh lines doubled, coffee packs, a big basket. */
const weekend = '2026-12-05T10:00:00.000Z';
const basket = saleOf(
  'sat',
  [
    line({ lineId: '1', category: 'bakery', quantity: 2, unitPrice: 450 }),
    line({ lineId: '2', category: 'coffee', brand: 'Roastery', quantity: 3, unitPrice: 899 }),
    line({ lineId: '3', category: 'cheese', unitPrice: 1_250 }),
    line({ lineId: '4', category: 'tobacco', unitPrice: 900 }),
  ],
  { occurredAt: weekend },
);

const inputs = (): Input[] => [
  registrationOf({ occurredAt: '2026-12-01T09:00:00.000Z', birthMonthDay: '12-24' }),
  // A return that overtakes its sale waits for it.
  returnOf('early', { transactionId: 'later' }, [{ lineId: '1', refundAmount: 1_000 }], {
    occurredAt: '2026-12-05T12:00:00.000Z',
  }),
  basket,
  saleOf('same-day', [line({ lineId: '1', category: 'flowers', unitPrice: 4_000 })], {
    occurredAt: '2026-12-05T11:00:00.000Z',
  }),
  saleOf(
    'later',
    [line({ lineId: '1', unitPrice: 2_000 }), line({ lineId: '2', unitPrice: 500 })],
    {
      occurredAt: '2026-12-05T11:30:00.000Z',
    },
  ),
  redemptionOf('rd-1', 500, 20_000),
  saleOf('paid', [line({ lineId: '1', unitPrice: 20_000 })], {
    occurredAt: '2026-12-06T10:00:00.000Z',
    tenders: [
      { type: 'points', amount: 500, redemptionId: 'rd-1' },
      { type: 'card', amount: 19_500 },
    ],
  }),
  returnOf('back', basket, [{ lineId: '2', quantity: 3, refundAmount: 2_697 }], {
    occurredAt: '2026-12-07T10:00:00.000Z',
  }),
  returnOf('back-paid', { transactionId: 'paid' }, [{ lineId: '1', refundAmount: 10_000 }], {
    occurredAt: '2026-12-07T11:00:00.000Z',
  }),
  // Sent again: every one of them is known.
  { ...basket, eventId: 'sat-again' },
  returnOf('back', basket, [{ lineId: '2', quantity: 3, refundAmount: 2_697 }], {
    occurredAt: '2026-12-07T10:00:00.000Z',
  }),
];

const now = '2026-12-06T09:00:00.000Z';

function drive(carryEachTime: boolean): { effects: Effects[]; state: unknown } {
  let account = CustomerAccount.open(CUSTOMER, base);
  account.learn([grocer]);
  const effects: Effects[] = [];
  for (const input of inputs()) {
    const out = noEffects();
    if (input.type === 'redemption') account.redeem(input, grocer, now, out);
    else account.apply(input, out, grocer);
    effects.push(out);
    if (carryEachTime) {
      account = CustomerAccount.restore(JSON.parse(JSON.stringify(account.toState())));
    }
  }
  return { effects, state: account.toState() };
}

describe('the carried state', () => {
  it('changes nothing the rules do: carried after every input or never, the same effects and state', () => {
    const never = drive(false);
    const always = drive(true);
    expect(always.effects).toEqual(never.effects);
    expect(always.state).toEqual(never.state);
  });

  it('remembers what the rules need, as plain JSON keyed by `#id`', () => {
    const { effects, state } = drive(true);
    const carried = (state as ReturnType<CustomerAccount['toState']>).loyalty?.state;
    expect(Object.keys(carried?.sales ?? {})).toEqual(['#sat', '#same-day', '#later', '#paid']);
    expect(carried?.sales['#sat']?.lineOrder).toEqual(['#1', '#2', '#3', '#4']);
    expect(carried?.sales['#sat']?.lines['#2']).toMatchObject({ quantity: 3, refundedQuantity: 3 });
    expect(carried?.redemptions['#rd-1']).toMatchObject({
      points: 500,
      usedBy: 'paid',
      restored: 250,
    });
    expect(carried?.earlyReturns).toEqual({});
    expect(Object.keys(carried?.dayUsage ?? {})).toEqual(
      expect.arrayContaining(['#2026-12-05|winter-weekends', '#2026-12-05|big-basket']),
    );
    expect(carried?.bonusesGranted['#registration']).toBe('ev-reg');
    expect(carried?.seen['#ev-reg']).toBe(1);
    // The early return was settled by its sale; both repeats are duplicates (no effect).
    expect(effects.at(4)?.ledger.map((l) => l.kind)).toEqual(['earn', 'reverse']);
    expect(effects.at(-2)).toEqual({ ledger: [], cues: [] });
    expect(effects.at(-1)).toEqual({ ledger: [], cues: [] });
  });
});
