import { describe, expect, it } from 'vitest';
import { describeCue } from '../../engine/domain/cue-wording.ts';
import { applyEvent } from '../../engine/domain/customer/apply-event.ts';
import { type CustomerState, initialState } from '../../engine/domain/customer/state.ts';
import type { CueFacts } from '../../engine/domain/effects.ts';
import {
  type CustomerEvent,
  parseRetailEvent,
  withoutPersonalData,
} from '../../engine/domain/events.ts';
import { registrationInput, returnInput, saleInput } from '../support/events.ts';

const program = { version: 'test-1', basePointsPerUnit: 1, spendUnitMinor: 100 };

function event(input: unknown): CustomerEvent {
  const parsed = parseRetailEvent(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return withoutPersonalData(parsed.event);
}

function run(events: CustomerEvent[], state: CustomerState = initialState('c-0000001', program)) {
  const ledger = [];
  const cues = [];
  for (const e of events) {
    const applied = applyEvent(state, e);
    state = applied.state;
    ledger.push(...applied.effects.ledger);
    cues.push(...applied.effects.cues);
  }
  return { state, ledger, cues };
}

describe('customer rules', () => {
  it('earns base points on net spend, rounded down, and says so in the cue', () => {
    const { state, ledger, cues } = run([event(saleInput())]); // 3998 minor units
    expect(state.pointsBalance).toBe(39);
    expect(state.visits).toBe(1);
    expect(state.spendMinor).toBe(3998);
    expect(ledger).toEqual([
      expect.objectContaining({
        kind: 'earn',
        points: 39,
        balanceAfter: 39,
        programVersion: 'test-1',
      }),
    ]);
    expect(cues[0]).toMatchObject({
      pointsEarned: 39,
      pointsBalance: 39,
      storeId: 'S001',
      tillId: 'T1',
    });
  });

  it('refuses a points tender: without a program no redemption was ever granted', () => {
    const sale = event(
      saleInput({
        tenders: [
          { type: 'points', amount: 1998, redemptionId: 'rd-1' },
          { type: 'card', amount: 2000 },
        ],
      }),
    );
    const start = initialState('c-0000001', program);
    const refused = applyEvent(start, sale);
    expect(refused.ignored).toBe('refused');
    expect(refused.state).toBe(start);
    expect(refused.effects.ledger).toEqual([]);
    expect(refused.effects.cues).toMatchObject([
      { kind: 'refused', pointsEarned: 0, issues: [{ field: 'tenders[0].redemptionId' }] },
    ]);
    expect(describeCue(refused.effects.cues[0] as CueFacts)).toMatch(
      /^Not applied: tenders\[0\]\.redemptionId names no redemption granted to this customer/,
    );
  });

  it('refuses a return refunding more than its sale was paid, counting earlier returns', () => {
    const sale = saleInput({ transactionId: 'tx-refund' }); // 3998 minor units
    const sold = run([event(sale)]);
    const half = { lineId: '1', sku: 'COF-BEAN-1KG', quantity: 1, refundAmount: 1999 };
    const first = returnInput(sale, { lines: [half], tenders: [{ type: 'card', amount: 1999 }] });
    const after = run([event(first)], sold.state);
    expect(after.state.spendMinor).toBe(1999);
    const all = { lineId: '1', sku: 'COF-BEAN-1KG', quantity: 2, refundAmount: 3998 };
    const second = returnInput(sale, { lines: [all], tenders: [{ type: 'card', amount: 3998 }] });
    const refused = applyEvent(after.state, event(second));
    expect(refused.ignored).toBe('refused');
    expect(refused.state).toBe(after.state);
    expect(refused.effects.cues[0]?.issues?.map((issue) => issue.field)).toEqual([
      'lines[0].quantity',
      'lines[0].refundAmount',
    ]);
  });

  it('counts visits this month and greets a returning customer', () => {
    const a = event(saleInput({ occurredAt: '2026-11-02T10:00:00Z' }));
    const b = event(saleInput({ occurredAt: '2026-11-09T10:00:00Z' }));
    const c = event(saleInput({ occurredAt: '2026-11-20T10:00:00Z' }));
    const { cues, state } = run([a, b, c]);
    expect(state.monthVisits).toEqual({ month: '2026-11', count: 3 });
    expect(cues.map((c) => c.kind)).toEqual(['first-purchase', 'repeat-visit', 'repeat-visit']);
    expect(describeCue(cues[2] as CueFacts)).toContain('3rd visit this month');
    const december = run([event(saleInput({ occurredAt: '2026-12-01T10:00:00Z' }))], state);
    expect(december.cues[0]?.visitsThisMonth).toBe(1);
  });

  it('ignores an event it has already applied', () => {
    const sale = event(saleInput());
    const once = run([sale]);
    const twice = run([sale, sale]);
    expect(twice.state).toEqual(once.state);
    expect(twice.ledger).toHaveLength(1);
  });

  it('does not earn twice for one transaction sent under two event ids', () => {
    const first = event(saleInput({ transactionId: 'tx-same' }));
    const again = event(saleInput({ transactionId: 'tx-same' }));
    const { state, ledger } = run([first, again]);
    expect(state.pointsBalance).toBe(39);
    expect(ledger).toHaveLength(1);
  });

  it('a full return takes back every point the sale earned, a partial one its share', () => {
    const sale = event(saleInput({ transactionId: 'tx-r' }));
    const partial = event(
      returnInput(
        { transactionId: 'tx-r' },
        {
          lines: [{ lineId: '2', sku: 'MLK-OAT-1L', quantity: 1, refundAmount: 200 }],
          tenders: [{ type: 'card', amount: 200 }],
        },
      ),
    );
    const rest = event(returnInput({ transactionId: 'tx-r' }));
    const afterPartial = run([sale, partial]);
    expect(afterPartial.state.pointsBalance).toBe(37); // 3798 left earns 37
    const afterAll = run([rest], afterPartial.state);
    expect(afterAll.state.pointsBalance).toBe(0);
    expect(afterAll.state.spendMinor).toBe(0);
    const reversed = [...afterPartial.ledger, ...afterAll.ledger].filter(
      (e) => e.kind === 'reverse',
    );
    // One reversal line for the sale, revised: its highest revision holds the whole reversal.
    expect(reversed.map((e) => [e.entryId, e.revision, e.points])).toEqual([
      ['c-0000001/tx-r/reverse', 1, -2],
      ['c-0000001/tx-r/reverse', 2, -39],
    ]);
  });

  it('a return of a sale it does not know reverses nothing', () => {
    const { state, ledger } = run([event(returnInput({ transactionId: 'unknown-tx' }))]);
    expect(state.pointsBalance).toBe(0);
    expect(ledger).toEqual([]);
  });

  it('records registration and consent', () => {
    const { state, cues } = run([event(registrationInput())]);
    expect(state.registeredAt).toBe('2026-11-01T08:00:00Z');
    expect(state.consent?.email).toBe(true);
    expect(cues[0]?.kind).toBe('welcome');
    expect(describeCue(cues[0] as CueFacts)).toContain('Welcome');
  });

  it('ignores events for another customer', () => {
    const applied = applyEvent(initialState('c-0000002', program), event(saleInput()));
    expect(applied.ignored).toBe('other-customer');
    expect(applied.state.pointsBalance).toBe(0);
  });

  it('never mutates the state it is given', () => {
    const before = initialState('c-0000001', program);
    const frozen = JSON.stringify(before);
    applyEvent(before, event(saleInput()));
    expect(JSON.stringify(before)).toBe(frozen);
  });
});
