/**
 * Live segments in a customer's record: entering and leaving on events, the instant time alone
 * changes membership (a lapse at day 91, a purchase leaving its window), earn rules that ask
 * for a segment, and programs whose segments are wrong.
 */
import { describe, expect, it } from 'vitest';
import { CustomerAccount, noEffects } from '../../engine/domain/customer/account.ts';
import { ProgramError } from '../../engine/domain/loyalty/program-schema.ts';
import {
  DAY_MS,
  evaluateSegments,
  type LiveSegment,
  nextMembershipChange,
  noSegmentMemory,
  rememberPurchase,
} from '../../engine/domain/segments/membership.ts';
import { parseWrittenProgram } from '../../engine/programs/program-segments.ts';
import { parseCondition } from '../../engine/segments/expression.ts';
import { CUSTOMER, line, programOf, returnOf, saleOf } from '../support/loyalty.ts';

const segment = (id: string, when: string): LiveSegment => ({
  id,
  condition: parseCondition(when),
});
const facts = { pointsBalance: 0, tags: [] as string[] };
const at = (iso: string) => Date.parse(iso);

function purchase(iso: string, spend: number, categories: string[] = ['coffee'], sale: 0 | 1 = 1) {
  return {
    at: at(iso),
    sale,
    spend,
    margin: spend / 2,
    categories,
    storeId: 'S1',
    channel: 'till',
  };
}

describe('segment membership', () => {
  it('a lapse: due exactly 91 days after the last sale, entered then, left on the next sale', () => {
    const lapsed = [segment('lapsed', 'recency_days > 90 and visits(365) >= 2')];
    const memory = noSegmentMemory();
    rememberPurchase(memory, purchase('2026-01-10T12:00:00Z', 1000), 365);
    rememberPurchase(memory, purchase('2026-02-01T09:30:00Z', 2000), 365);
    expect(evaluateSegments(lapsed, memory, facts, '2026-02-01T09:30:00.000Z')).toEqual([]);
    const due = nextMembershipChange(lapsed, memory, facts, at('2026-02-01T09:30:00Z'));
    expect(due).toBe(at('2026-02-01T09:30:00Z') + 91 * DAY_MS);
    // A moment before, still not lapsed; at the instant, lapsed.
    expect(
      evaluateSegments(lapsed, memory, facts, new Date((due as number) - 1).toISOString()),
    ).toEqual([]);
    const when = new Date(due as number).toISOString();
    expect(evaluateSegments(lapsed, memory, facts, when)).toEqual([
      { segmentId: 'lapsed', change: 'entered', at: when },
    ]);
    expect(memory.members).toEqual({ lapsed: when });
    rememberPurchase(memory, purchase('2026-06-01T10:00:00Z', 500), 365);
    expect(evaluateSegments(lapsed, memory, facts, '2026-06-01T10:00:00.000Z')).toEqual([
      { segmentId: 'lapsed', change: 'exited', at: '2026-06-01T10:00:00.000Z' },
    ]);
  });

  it('a window: spend leaves it to the millisecond, 30 days after the purchase', () => {
    const spenders = [segment('spenders', 'spend_minor(30) >= 5000')];
    const memory = noSegmentMemory();
    rememberPurchase(memory, purchase('2026-03-01T10:00:00Z', 3000), 30);
    rememberPurchase(memory, purchase('2026-03-05T10:00:00Z', 2500), 30);
    expect(evaluateSegments(spenders, memory, facts, '2026-03-05T10:00:00.000Z')).toEqual([
      { segmentId: 'spenders', change: 'entered', at: '2026-03-05T10:00:00.000Z' },
    ]);
    // The first purchase leaves the window on 31 March at 10:00: 2,500 is below 5,000.
    expect(nextMembershipChange(spenders, memory, facts, at('2026-03-05T10:00:00Z'))).toBe(
      at('2026-03-31T10:00:00Z'),
    );
    // A return inside the window lowers spend at once.
    rememberPurchase(memory, purchase('2026-03-06T10:00:00Z', -600, [], 0), 30);
    expect(evaluateSegments(spenders, memory, facts, '2026-03-06T10:00:00.000Z')).toEqual([
      { segmentId: 'spenders', change: 'exited', at: '2026-03-06T10:00:00.000Z' },
    ]);
    expect(nextMembershipChange(spenders, memory, facts, at('2026-03-06T10:00:00Z'))).toBe(
      undefined,
    );
  });

  it('stamps a change after the previous one, so the latest change by a moment is one', () => {
    const lapsed = [segment('lapsed', 'recency_days > 20')];
    const memory = noSegmentMemory();
    rememberPurchase(memory, purchase('2026-01-01T00:00:00Z', 100), 0);
    // The timer found the customer lapsed on 22 January...
    expect(evaluateSegments(lapsed, memory, facts, '2026-01-22T00:00:00.000Z')).toHaveLength(1);
    // ...then a sale of 15 January arrives late: evaluated no earlier than the last look, and
    // its exit stamped just after the entry, never at the same instant.
    rememberPurchase(memory, purchase('2026-01-15T00:00:00Z', 100), 0);
    expect(evaluateSegments(lapsed, memory, facts, '2026-01-22T00:00:00.000Z')).toEqual([
      { segmentId: 'lapsed', change: 'exited', at: '2026-01-22T00:00:00.001Z' },
    ]);
  });

  it('forgets purchases older than the longest window, never the last sale', () => {
    const memory = noSegmentMemory();
    rememberPurchase(memory, purchase('2025-01-01T00:00:00Z', 100), 30);
    rememberPurchase(memory, purchase('2026-01-01T00:00:00Z', 100), 30);
    expect(memory.purchases.map((p) => p.at)).toEqual([at('2026-01-01T00:00:00Z')]);
    expect(memory.lastSaleAt).toBe(at('2026-01-01T00:00:00Z'));
    expect(memory.stores).toEqual({ S1: 2 });
  });

  it('leaves a segment the program no longer has, at once', () => {
    const memory = noSegmentMemory();
    memory.members.gone = '2026-01-01T00:00:00.000Z';
    expect(nextMembershipChange([], memory, facts, at('2026-02-01T00:00:00Z'))).toBe(
      at('2026-02-01T00:00:00Z'),
    );
    expect(evaluateSegments([], memory, facts, '2026-02-01T00:00:00.000Z')).toEqual([
      { segmentId: 'gone', change: 'exited', at: '2026-02-01T00:00:00.000Z' },
    ]);
  });
});

describe('segments in a customer account', () => {
  const written = (segments: unknown[], rules: unknown[] = []) => {
    const definition = parseWrittenProgram({
      id: 'test',
      name: 'Test Rewards',
      currency: 'EUR',
      pointValue: { points: 100, minor: 100 },
      earn: { base: { rate: { points: 1, perMinor: 100 } }, rules },
      segments,
    });
    return { ...definition, version: 'test@1', effectiveFrom: '2026-01-01T00:00:00Z' };
  };

  it('enters on the event that makes it so, and earns by a rule that asks for the segment', () => {
    const program = written(
      [{ id: 'coffee-lovers', when: 'coffee in categories(90)' }],
      [
        {
          id: 'coffee-lovers-double',
          name: 'Double points for coffee lovers',
          when: { segments: ['coffee-lovers'] },
          effect: { multiply: 2 },
        },
      ],
    );
    const account = CustomerAccount.open(CUSTOMER, programOf().earn.base as never);
    account.learn([program]);
    const first = noEffects();
    account.apply(
      saleOf('t1', [line({ lineId: 'l1', category: 'coffee', unitPrice: 1000 })]),
      first,
      program,
    );
    // Not in the segment when the sale happened: base points only.
    expect(first.ledger[0]?.points).toBe(10);
    expect(first.segments).toEqual([
      {
        customerId: CUSTOMER,
        segmentId: 'coffee-lovers',
        change: 'entered',
        at: '2026-03-02T10:00:00.000Z',
        cause: 'event',
        eventId: 'ev-t1',
        programVersion: 'test@1',
      },
    ]);
    const second = noEffects();
    account.apply(
      saleOf('t2', [line({ lineId: 'l1', category: 'bakery', unitPrice: 1000 })], {
        occurredAt: '2026-03-03T10:00:00Z',
      }),
      second,
      program,
    );
    // In it now: the rule doubles the sale's points.
    expect(second.ledger[0]?.points).toBe(20);
    expect(second.segments).toBeUndefined();
    expect(account.segments).toEqual(['coffee-lovers']);
    // 90 days after the coffee, time alone takes the customer out.
    const due = account.segmentsDue('2026-03-03T10:00:00.000Z');
    expect(due).toBe(Date.parse('2026-05-31T10:00:00Z'));
    const clock = noEffects();
    account.fireSegments(new Date(due as number).toISOString(), clock);
    expect(clock.segments?.map((c) => [c.segmentId, c.change, c.cause, c.at])).toEqual([
      ['coffee-lovers', 'exited', 'time', '2026-05-31T10:00:00.000Z'],
    ]);
    // Carried across continue-as-new.
    const restored = CustomerAccount.restore(structuredClone(account.toState()));
    expect(restored.segments).toEqual([]);
    expect(restored.toState().segments?.lastSaleAt).toBe(Date.parse('2026-03-03T10:00:00Z'));
  });

  it('counts returns in spend', () => {
    const program = written([{ id: 'spenders', when: 'spend_minor(30) >= 1500' }]);
    const account = CustomerAccount.open(CUSTOMER, programOf().earn.base as never);
    account.learn([program]);
    const sale = saleOf('t1', [
      line({ lineId: 'l1', unitPrice: 1000 }),
      line({ lineId: 'l2', unitPrice: 1000 }),
    ]);
    account.apply(sale, noEffects(), program);
    expect(account.segments).toEqual(['spenders']);
    const out = noEffects();
    account.apply(
      returnOf('r1', sale, [{ lineId: 'l2', refundAmount: 1000 }], {
        occurredAt: '2026-03-04T10:00:00Z',
      }),
      out,
      program,
    );
    expect(out.segments?.map((c) => c.change)).toEqual(['exited']);
  });
});

describe('a program with segments', () => {
  const program = (segments: unknown[], rules: unknown[] = []) => ({
    id: 'test',
    name: 'Test Rewards',
    currency: 'EUR',
    pointValue: { points: 100, minor: 100 },
    earn: { base: { rate: { points: 1, perMinor: 100 } }, rules },
    segments,
  });
  const issuesOf = (input: unknown) => {
    try {
      parseWrittenProgram(input, 'p.yaml');
      return [];
    } catch (err) {
      if (!(err instanceof ProgramError)) throw err;
      return err.issues.map((i) => `${i.field}: ${i.message}`);
    }
  };

  it('names a condition it cannot read, an age, a repeated id and a rule naming no segment', () => {
    expect(issuesOf(program([{ id: 'a', when: 'recency_days >' }]))).toEqual([
      expect.stringMatching(/^segments\[0\]\.when: /),
    ]);
    expect(issuesOf(program([{ id: 'b', when: 'age >= 30' }]))).toEqual([
      expect.stringMatching(/^segments\[0\]\.when: names age, which live segments cannot evaluate/),
    ]);
    const rule = { id: 'r', name: 'Bonus', when: { segments: ['nope'] }, effect: { bonus: 10 } };
    expect(
      issuesOf(
        program(
          [
            { id: 'c', when: 'visits(30) > 1' },
            { id: 'c', when: 'visits(60) > 1' },
          ],
          [rule],
        ),
      ),
    ).toEqual([
      'segments[1].id: repeats "c"',
      'earn.rules[0].when.segments[0]: names no segment of this program ("nope")',
    ]);
  });
});
