/**
 * Lifecycle occasions: when each rule is due for a customer, and that it fires once, late rather
 * than never, from its version on.
 *
 * Expected values are worked out by hand from the rules, in the comments. Europe/Berlin is CET
 * +1, and CEST +2 from the last Sunday of March to the last Sunday of October, both changes at
 * 01:00Z (2026: 29 March, 25 October; 2027: 28 March, 31 October). America/New_York is EDT -4
 * in May.
 */
import { describe, expect, it } from 'vitest';
import {
  FIRED_KEPT,
  fireDue,
  intervalDays,
  type LifecycleFacts,
  type LifecycleMemory,
  type LifecycleSale,
  nextDue,
  noLifecycleMemory,
  onSale,
  spreadOffsetMs,
  upcoming,
  waitingCues,
  zoneOf,
} from '../../../engine/domain/lifecycle/occasions.ts';
import { lifecycle } from '../../../engine/domain/lifecycle/rules-schema.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const DAY = 86_400_000;
/** A `since` long before anything in these tests. */
const LONG_AGO = at('2020-01-01T00:00:00Z');

/** A lifecycle section in Berlin with `rules`, parsed so that defaults are filled. */
const section = (rules: unknown[], more: Record<string, unknown> = {}) =>
  lifecycle.parse({ timeZone: 'Europe/Berlin', ...more, rules });

const facts = (more: Partial<LifecycleFacts> = {}): LifecycleFacts => ({
  customerId: 'c1',
  visits: 0,
  spendMinor: 0,
  ...more,
});

const sale = (occurredAt: string, category = 'coffee', sku = 'beans-1kg'): LifecycleSale => ({
  occurredAt,
  lines: [{ sku, category }],
});

describe('lapsed', () => {
  const rules = section([{ id: 'lapsed', on: 'lapsed', afterDays: 90 }]);
  const T = '2026-01-10T15:00:00.000Z';

  it('is due exactly 90 days after the last purchase, and fires once', () => {
    const customer = facts({ lastPurchaseAt: T });
    const memory = noLifecycleMemory();
    const due = at(T) + 90 * DAY; // 90 days of 24 hours: no zone involved
    expect(upcoming(rules, customer, memory, LONG_AGO)).toEqual([
      { ruleId: 'lapsed', on: 'lapsed', key: `lapsed@${T}`, dueMs: due, fireMs: due },
    ]);
    expect(nextDue(rules, customer, memory, LONG_AGO)).toBe(due);

    expect(fireDue(rules, customer, memory, LONG_AGO, due - 1)).toEqual([]);
    expect(fireDue(rules, customer, memory, LONG_AGO, due)).toEqual([
      {
        customerId: 'c1',
        ruleId: 'lapsed',
        on: 'lapsed',
        occasion: T, // the purchase the lapse counts from
        dueAt: iso(due),
        firedAt: iso(due),
      },
    ]);
    expect(fireDue(rules, customer, memory, LONG_AGO, due + DAY)).toEqual([]);
    // Nothing more is due until the customer buys again.
    expect(nextDue(rules, customer, memory, LONG_AGO)).toBeUndefined();
  });

  it('counts again from a purchase made before the lapse', () => {
    const memory = noLifecycleMemory();
    // A purchase on day 89 moves the last purchase: nothing at T + 90 days.
    const again = iso(at(T) + 89 * DAY);
    const customer = facts({ lastPurchaseAt: again });
    expect(fireDue(rules, customer, memory, LONG_AGO, at(T) + 90 * DAY)).toEqual([]);
    // The new lapse is 90 days after the new purchase (T + 179 days).
    const due = at(again) + 90 * DAY;
    expect(nextDue(rules, customer, memory, LONG_AGO)).toBe(due);
    expect(fireDue(rules, customer, memory, LONG_AGO, due - 1)).toEqual([]);
    const fired = fireDue(rules, customer, memory, LONG_AGO, due);
    expect(fired.map((f) => [f.occasion, f.dueAt])).toEqual([[again, iso(due)]]);
    // The lapse counted from T never fires.
    expect(memory.fired).toEqual([`lapsed@${again}`]);
  });

  it('takes the tier’s days, else the customer type’s, else afterDays', () => {
    const tiered = section([
      {
        id: 'lapsed',
        on: 'lapsed',
        afterDays: 90,
        byTier: { gold: 120 },
        byCustomerType: { business: 60 },
      },
    ]);
    const dueAfterDays = (more: Partial<LifecycleFacts>) =>
      ((nextDue(tiered, facts({ lastPurchaseAt: T, ...more }), noLifecycleMemory(), LONG_AGO) ??
        Number.NaN) -
        at(T)) /
      DAY;
    expect(dueAfterDays({ tier: 'gold', customerType: 'business' })).toBe(120); // tier wins
    expect(dueAfterDays({ tier: 'gold' })).toBe(120);
    expect(dueAfterDays({ tier: 'silver', customerType: 'business' })).toBe(60); // no silver days
    expect(dueAfterDays({ customerType: 'business' })).toBe(60);
    expect(dueAfterDays({ tier: 'silver', customerType: 'individual' })).toBe(90);
    expect(dueAfterDays({})).toBe(90);
  });

  it('is not due for a customer who never bought', () => {
    expect(upcoming(rules, facts(), noLifecycleMemory(), LONG_AGO)).toEqual([]);
  });
});

describe('birthday, 09:00 three days ahead, in Berlin', () => {
  const rules = section([{ id: 'birthday', on: 'birthday', at: '09:00', leadDays: 3 }]);
  const since = at('2026-01-01T00:00:00Z');

  it('is due in summer time, fires once, then next year’s comes', () => {
    const customer = facts({ birthMonthDay: '07-15' });
    const memory = noLifecycleMemory();
    // 15 July less 3 days is 12 July; 09:00 CEST (+2) is 07:00Z.
    const due = at('2026-07-12T07:00:00Z');
    expect(upcoming(rules, customer, memory, since)).toEqual([
      { ruleId: 'birthday', on: 'birthday', key: 'birthday@2026-07-15', dueMs: due, fireMs: due },
    ]);
    expect(fireDue(rules, customer, memory, since, due - 1)).toEqual([]);
    const fired = fireDue(rules, customer, memory, since, due);
    expect(fired).toEqual([
      {
        customerId: 'c1',
        ruleId: 'birthday',
        on: 'birthday',
        occasion: '2026-07-15', // the birthday itself, whatever the lead
        dueAt: iso(due),
        firedAt: iso(due),
      },
    ]);
    // Not again on the day itself, nor later that year.
    expect(fireDue(rules, customer, memory, since, at('2026-07-15T07:00:00Z'))).toEqual([]);
    expect(fireDue(rules, customer, memory, since, at('2026-12-31T12:00:00Z'))).toEqual([]);
    // Next: 12 July 2027, CEST again, 07:00Z.
    expect(upcoming(rules, customer, memory, since)).toEqual([
      {
        ruleId: 'birthday',
        on: 'birthday',
        key: 'birthday@2027-07-15',
        dueMs: at('2027-07-12T07:00:00Z'),
        fireMs: at('2027-07-12T07:00:00Z'),
      },
    ]);
  });

  it('is due in winter time an hour later in UTC', () => {
    // 15 December less 3 days: 12 December 09:00 CET (+1) is 08:00Z.
    const customer = facts({ birthMonthDay: '12-15' });
    const memory = noLifecycleMemory();
    expect(nextDue(rules, customer, memory, since)).toBe(at('2026-12-12T08:00:00Z'));
    expect(fireDue(rules, customer, memory, since, at('2026-12-12T08:00:00Z'))).toHaveLength(1);
    expect(upcoming(rules, customer, memory, since).map((o) => [o.key, iso(o.dueMs)])).toEqual([
      ['birthday@2027-12-15', '2027-12-12T08:00:00.000Z'],
    ]);
  });

  it('takes the offset of the day it is due, not of the birthday', () => {
    // 31 March 2026 is in summer time, but 3 days ahead is 28 March, still CET: 08:00Z.
    const customer = facts({ birthMonthDay: '03-31' });
    expect(nextDue(rules, customer, noLifecycleMemory(), since)).toBe(at('2026-03-28T08:00:00Z'));
  });
});

describe('29 February', () => {
  const rule = { id: 'birthday', on: 'birthday', at: '09:00' };
  const customer = facts({ birthMonthDay: '02-29' });
  // After February 2026: the next one is in 2027, which has no 29 February.
  const since = at('2026-06-01T00:00:00Z');

  it("falls on 28 February in a year without one under 'feb-28'", () => {
    const rules = section([rule], { leapDay: 'feb-28' });
    // 28 February 2027, 09:00 CET (+1) is 08:00Z.
    expect(upcoming(rules, customer, noLifecycleMemory(), since)).toEqual([
      {
        ruleId: 'birthday',
        on: 'birthday',
        key: 'birthday@2027-02-28',
        dueMs: at('2027-02-28T08:00:00Z'),
        fireMs: at('2027-02-28T08:00:00Z'),
      },
    ]);
  });

  it("falls on 1 March in a year without one under 'mar-1'", () => {
    const rules = section([rule], { leapDay: 'mar-1' });
    expect(upcoming(rules, customer, noLifecycleMemory(), since)).toEqual([
      {
        ruleId: 'birthday',
        on: 'birthday',
        key: 'birthday@2027-03-01',
        dueMs: at('2027-03-01T08:00:00Z'),
        fireMs: at('2027-03-01T08:00:00Z'),
      },
    ]);
  });

  it('falls on 29 February itself in a leap year, under either rule', () => {
    for (const leapDay of ['feb-28', 'mar-1']) {
      const rules = section([rule], { leapDay });
      const memory = noLifecycleMemory();
      // Fire 2027's, then 2028 (a leap year) has its own: 29 February 09:00 CET, 08:00Z.
      expect(fireDue(rules, customer, memory, since, at('2027-03-02T00:00:00Z'))).toHaveLength(1);
      expect(upcoming(rules, customer, memory, since)).toEqual([
        {
          ruleId: 'birthday',
          on: 'birthday',
          key: 'birthday@2028-02-29',
          dueMs: at('2028-02-29T08:00:00Z'),
          fireMs: at('2028-02-29T08:00:00Z'),
        },
      ]);
    }
  });
});

describe('daylight saving', () => {
  // Berlin puts the clocks back on 25 October 2026 at 01:00Z: 03:00 CEST becomes 02:00 CET, so
  // 02:30 shows at 00:30Z (+2) and again at 01:30Z (+1).
  const rules = section([{ id: 'birthday', on: 'birthday', at: '02:30' }]);
  const customer = facts({ birthMonthDay: '10-25' });
  const since = at('2026-01-01T00:00:00Z');
  const first = at('2026-10-25T00:30:00Z');
  const second = at('2026-10-25T01:30:00Z');

  it('fires once in all in the repeated hour, at the first 02:30', () => {
    const memory = noLifecycleMemory();
    expect(nextDue(rules, customer, memory, since)).toBe(first);
    const atFirst = fireDue(rules, customer, memory, since, first);
    expect(atFirst.map((f) => [f.occasion, f.dueAt])).toEqual([['2026-10-25', iso(first)]]);
    expect(fireDue(rules, customer, memory, since, second)).toEqual([]);
    // Next year's: 25 October 2027 is before the change of 31 October, so CEST, 00:30Z.
    expect(nextDue(rules, customer, memory, since)).toBe(at('2027-10-25T00:30:00Z'));
  });

  it('fires once, due at the first, when first asked at the second', () => {
    const memory = noLifecycleMemory();
    const fired = fireDue(rules, customer, memory, since, second);
    expect(fired.map((f) => [f.dueAt, f.firedAt])).toEqual([[iso(first), iso(second)]]);
    expect(fireDue(rules, customer, memory, since, second + 60_000)).toEqual([]);
  });
});

describe('late, once', () => {
  const rules = section([{ id: 'birthday', on: 'birthday', at: '09:00' }]);
  const customer = facts({ birthMonthDay: '07-15' });
  // 15 July, 09:00 CEST (+2): 07:00Z.
  const due = at('2026-07-15T07:00:00Z');

  it('fires when next asked, with its own due instant', () => {
    const memory = noLifecycleMemory();
    const since = at('2026-01-01T00:00:00Z');
    const later = due + 2 * DAY; // nothing was asked at the due instant
    const fired = fireDue(rules, customer, memory, since, later);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({
      occasion: '2026-07-15',
      dueAt: iso(due),
      firedAt: iso(later),
    });
    expect(fireDue(rules, customer, memory, since, later + 1)).toEqual([]);
  });

  it('fires a missed occasion up to a week late; older ones pass, remembered, unfired', () => {
    // Looked for since 2024, first asked at the start of 2026: the birthdays of 2024 and 2025
    // (both CEST, 07:00Z) passed unseen, each months ago: remembered as passed, not fired.
    const memory = noLifecycleMemory();
    const since = at('2024-01-01T00:00:00Z');
    const now = at('2026-01-01T00:00:00Z');
    expect(fireDue(rules, customer, memory, since, now)).toEqual([]);
    expect(memory.fired).toEqual(['birthday@2024-07-15', 'birthday@2025-07-15']);
    expect(nextDue(rules, customer, memory, since)).toBe(at('2026-07-15T07:00:00Z'));
    // This year's, asked three days late (a worker down over the day): it fires, once.
    const late = at('2026-07-18T07:00:00Z');
    expect(fireDue(rules, customer, memory, since, late).map((f) => [f.dueAt, f.firedAt])).toEqual([
      ['2026-07-15T07:00:00.000Z', iso(late)],
    ]);
    expect(fireDue(rules, customer, memory, since, late)).toEqual([]);
    // A week and a moment late: passed, not fired.
    const week = 7 * DAY;
    const next = at('2027-07-15T07:00:00Z');
    expect(fireDue(rules, customer, memory, since, next + week + 1)).toEqual([]);
    expect(memory.fired).toContain('birthday@2027-07-15');
  });

  it('passes each of many missed years once, however many calls it takes', () => {
    // Looked for since 2010, first asked at the start of 2026: 16 birthdays, 2010 to 2025, none
    // within a week: each remembered as passed, none fired.
    const memory = noLifecycleMemory();
    const since = at('2010-01-01T00:00:00Z');
    const now = at('2026-01-01T00:00:00Z');
    for (let call = 0; call < 3; call++) {
      expect(fireDue(rules, customer, memory, since, now)).toEqual([]);
    }
    const years = Array.from({ length: 16 }, (_, i) => `birthday@${2010 + i}-07-15`);
    expect(memory.fired).toEqual(years);
    expect(nextDue(rules, customer, memory, since)).toBe(at('2026-07-15T07:00:00Z'));
  });

  it('fires nothing due before its version came into force', () => {
    const memory = noLifecycleMemory();
    // The rules' version came in an hour after this year's birthday was due.
    const since = due + 3_600_000;
    expect(fireDue(rules, customer, memory, since, due + 2 * DAY)).toEqual([]);
    expect(nextDue(rules, customer, memory, since)).toBe(at('2027-07-15T07:00:00Z'));
    // A version in force a moment before it: it fires.
    expect(fireDue(rules, customer, memory, due - 1, due + 2 * DAY)).toHaveLength(1);
  });

  it('fires nothing due before the customer registered', () => {
    // Registered a day after this year's birthday: the first is next year's.
    const registered = facts({ birthMonthDay: '07-15', registeredAt: iso(due + DAY) });
    const memory = noLifecycleMemory();
    expect(fireDue(rules, registered, memory, LONG_AGO, due + 2 * DAY)).toEqual([]);
    expect(nextDue(rules, registered, memory, LONG_AGO)).toBe(at('2027-07-15T07:00:00Z'));
  });
});

describe('memory limits', () => {
  it('forgets the oldest keys, yet a yearly occasion never fires again', () => {
    const rules = section([
      { id: 'birthday', on: 'birthday', at: '09:00' },
      { id: 'lapsed', on: 'lapsed', afterDays: 1 },
    ]);
    const since = at('2026-01-01T00:00:00Z');
    const memory = noLifecycleMemory();
    // The birthday of 15 July 2026 (07:00Z) fires first...
    const birthdayDue = at('2026-07-15T07:00:00Z');
    expect(fireDue(rules, facts({ birthMonthDay: '07-15' }), memory, since, birthdayDue)).toEqual([
      expect.objectContaining({ ruleId: 'birthday', occasion: '2026-07-15' }),
    ]);
    // ...then FIRED_KEPT lapses, one a minute apart (each a day after its own last purchase,
    // all well before next year's birthday), push its key out.
    const base = at('2026-08-01T10:00:00Z');
    const lapseKeys: string[] = [];
    for (let i = 0; i < FIRED_KEPT; i++) {
      const last = iso(base + i * 60_000);
      const customer = facts({ birthMonthDay: '07-15', lastPurchaseAt: last });
      const fired = fireDue(rules, customer, memory, since, at(last) + DAY);
      expect(fired.map((f) => f.ruleId)).toEqual(['lapsed']);
      lapseKeys.push(`lapsed@${last}`);
    }
    expect(memory.fired).toHaveLength(FIRED_KEPT);
    expect(memory.fired).not.toContain('birthday@2026-07-15');
    expect(memory.fired).toEqual(lapseKeys); // oldest first, the birthday gone
    expect(memory.firedThrough).toEqual({ birthday: birthdayDue });

    // The birthday's key is forgotten, yet it does not fire again: it is looked for after
    // firedThrough, so next year's comes next.
    const customer = facts({ birthMonthDay: '07-15', lastPurchaseAt: iso(base) });
    const now = base + 2 * DAY;
    expect(fireDue(rules, customer, memory, since, now)).toEqual([]);
    expect(upcoming(rules, customer, memory, since).map((o) => o.key)).toContain(
      'birthday@2027-07-15',
    );
    // Without firedThrough the same memory would look at it again: that is what keeps it once.
    const withoutThrough: LifecycleMemory = { ...structuredClone(memory), firedThrough: {} };
    expect(upcoming(rules, customer, withoutThrough, since).map((o) => o.key)).toContain(
      'birthday@2026-07-15',
    );

    // One more key: the oldest lapse key goes too.
    const last = iso(base + FIRED_KEPT * 60_000);
    fireDue(rules, facts({ lastPurchaseAt: last }), memory, since, at(last) + DAY);
    expect(memory.fired).toHaveLength(FIRED_KEPT);
    expect(memory.fired[0]).toBe(lapseKeys[1]);
    expect(memory.fired.at(-1)).toBe(`lapsed@${last}`);
  });
});

describe('membership anniversary', () => {
  const rules = section([{ id: 'anniv', on: 'membership-anniversary', at: '09:00' }]);

  it('is a year on, not on the day of registering', () => {
    // Registered 10 May 2026 at 08:00 CEST (06:00Z): its 09:00 that day (07:00Z) is no
    // anniversary; the first is 10 May 2027, 09:00 CEST, 07:00Z.
    const customer = facts({ registeredAt: '2026-05-10T06:00:00.000Z' });
    const memory = noLifecycleMemory();
    expect(fireDue(rules, customer, memory, LONG_AGO, at('2026-05-10T07:00:00Z'))).toEqual([]);
    expect(fireDue(rules, customer, memory, LONG_AGO, at('2026-05-10T21:59:59Z'))).toEqual([]);
    expect(upcoming(rules, customer, memory, LONG_AGO)).toEqual([
      {
        ruleId: 'anniv',
        on: 'membership-anniversary',
        key: 'anniv@2027-05-10',
        dueMs: at('2027-05-10T07:00:00Z'),
        fireMs: at('2027-05-10T07:00:00Z'),
      },
    ]);
    const fired = fireDue(rules, customer, memory, LONG_AGO, at('2027-05-10T07:00:00Z'));
    expect(fired.map((f) => f.occasion)).toEqual(['2027-05-10']);
    expect(nextDue(rules, customer, memory, LONG_AGO)).toBe(at('2028-05-10T07:00:00Z'));
  });

  it('is not on the day of registering when that day has 25 hours', () => {
    // Registered at 00:10 CEST on 25 October 2026 (22:10Z the day before); the clocks go back
    // that night, so 24 hours on is 23:10 CET the same day. A rule at 23:30 (CET, 22:30Z) must
    // still wait a year: 25 October 2027, 23:30 CEST (before 31 October), 21:30Z.
    const late = section([
      { id: 'anniv', on: 'membership-anniversary', at: '23:30' },
      { id: 'tier', on: 'tier-anniversary', at: '23:30' },
    ]);
    const customer = facts({
      registeredAt: '2026-10-24T22:10:00.000Z',
      tierSince: '2026-10-24T22:10:00.000Z',
    });
    const memory = noLifecycleMemory();
    expect(fireDue(late, customer, memory, LONG_AGO, at('2026-10-25T22:59:59Z'))).toEqual([]);
    expect(upcoming(late, customer, memory, LONG_AGO).map((o) => [o.key, iso(o.dueMs)])).toEqual([
      ['anniv@2027-10-25', '2027-10-25T21:30:00.000Z'],
      ['tier@2027-10-25', '2027-10-25T21:30:00.000Z'],
    ]);
  });

  it('is in the customer’s zone: the home store’s before the program’s', () => {
    // Registered at 23:30Z on 10 May 2025: 01:30 CEST on 11 May in Berlin, 19:30 EDT on 10 May
    // in New York.
    const zoned = section([{ id: 'anniv', on: 'membership-anniversary', at: '09:00' }], {
      timeZone: 'America/New_York',
      storeTimeZones: { S1: 'Europe/Berlin' },
    });
    const registeredAt = '2025-05-10T23:30:00.000Z';
    const due = (homeStoreId?: string) => {
      const customer = facts({ registeredAt, ...(homeStoreId ? { homeStoreId } : {}) });
      return upcoming(zoned, customer, noLifecycleMemory(), LONG_AGO).map((o) => [
        o.key,
        iso(o.dueMs),
      ]);
    };
    // Home store S1, in Berlin: 11 May 2026, 09:00 CEST (+2), 07:00Z.
    expect(zoneOf(zoned, facts({ homeStoreId: 'S1' }))).toBe('Europe/Berlin');
    expect(due('S1')).toEqual([['anniv@2026-05-11', '2026-05-11T07:00:00.000Z']]);
    // No home store, or one without a zone of its own: New York, 10 May 09:00 EDT (-4), 13:00Z.
    expect(zoneOf(zoned, facts({ homeStoreId: 'S2' }))).toBe('America/New_York');
    expect(due()).toEqual([['anniv@2026-05-10', '2026-05-10T13:00:00.000Z']]);
    expect(due('S2')).toEqual([['anniv@2026-05-10', '2026-05-10T13:00:00.000Z']]);
  });
});

describe('replenishment', () => {
  const rules = section([
    {
      id: 'beans',
      on: 'replenishment',
      categories: ['coffee'],
      cycleDays: 30,
      minPurchases: 3,
      leadDays: 2,
      at: '09:00',
    },
  ]);
  const customer = facts();
  const buy = (memory: LifecycleMemory, occurredAt: string, category = 'coffee') =>
    onSale(rules, customer, customer, memory, sale(occurredAt, category));
  const dueOf = (memory: LifecycleMemory) =>
    upcoming(rules, customer, memory, LONG_AGO).map((o) => [o.key, iso(o.dueMs)]);

  it('is due the cycle less the lead after one purchase, at 09:00 local', () => {
    const memory = noLifecycleMemory();
    expect(buy(memory, '2026-05-01T10:00:00Z')).toEqual([]); // a purchase fires nothing itself
    expect(memory.bought).toEqual({ beans: ['2026-05-01'] });
    // One purchase: the rule's cycle, 30 - 2 = 28 days on, 29 May, 09:00 CEST (+2), 07:00Z.
    expect(dueOf(memory)).toEqual([['beans@2026-05-01', '2026-05-29T07:00:00.000Z']]);
    const due = at('2026-05-29T07:00:00Z');
    expect(fireDue(rules, customer, memory, LONG_AGO, due - 1)).toEqual([]);
    const fired = fireDue(rules, customer, memory, LONG_AGO, due);
    expect(fired.map((f) => [f.occasion, f.dueAt])).toEqual([['2026-05-01', iso(due)]]);
    expect(fireDue(rules, customer, memory, LONG_AGO, due + 10 * DAY)).toEqual([]);
    expect(nextDue(rules, customer, memory, LONG_AGO)).toBeUndefined();
  });

  it('takes the customer’s own interval from the third purchase', () => {
    const memory = noLifecycleMemory();
    buy(memory, '2026-05-01T10:00:00Z');
    buy(memory, '2026-05-11T10:00:00Z');
    // Two purchases are fewer than minPurchases: still the cycle, 11 May + 28 = 8 June.
    expect(dueOf(memory)).toEqual([['beans@2026-05-11', '2026-06-08T07:00:00.000Z']]);
    buy(memory, '2026-05-21T10:00:00Z');
    // Three, 10 days apart: their own interval, 10 - 2 = 8 days after 21 May, 29 May.
    expect(dueOf(memory)).toEqual([['beans@2026-05-21', '2026-05-29T07:00:00.000Z']]);
    buy(memory, '2026-06-02T10:00:00Z');
    // Four over 32 days: a mean of 32 / 3 = 10.67, rounded 11; 11 - 2 = 9 days after 2 June.
    expect(dueOf(memory)).toEqual([['beans@2026-06-02', '2026-06-11T07:00:00.000Z']]);
  });

  it('counts two purchases on one local day once', () => {
    const memory = noLifecycleMemory();
    buy(memory, '2026-05-01T06:00:00Z'); // 08:00 CEST on 1 May
    buy(memory, '2026-05-01T21:59:00Z'); // 23:59 CEST, still 1 May in Berlin
    expect(memory.bought).toEqual({ beans: ['2026-05-01'] });
    buy(memory, '2026-05-01T22:00:00Z'); // 00:00 CEST on 2 May: another day
    expect(memory.bought).toEqual({ beans: ['2026-05-01', '2026-05-02'] });
  });

  it('is not moved by a sale of something else', () => {
    const memory = noLifecycleMemory();
    buy(memory, '2026-05-01T10:00:00Z');
    const before = structuredClone(memory);
    expect(buy(memory, '2026-05-20T10:00:00Z', 'tea')).toEqual([]);
    expect(memory).toEqual(before);
    expect(dueOf(memory)).toEqual([['beans@2026-05-01', '2026-05-29T07:00:00.000Z']]);
  });

  it('moves with a new purchase, and the old occasion never fires', () => {
    const memory = noLifecycleMemory();
    buy(memory, '2026-05-01T10:00:00Z'); // due 29 May, as above
    buy(memory, '2026-05-20T10:00:00Z');
    // Two purchases: the cycle from the last, 20 May + 28 = 17 June, 07:00Z.
    const due = at('2026-06-17T07:00:00Z');
    expect(fireDue(rules, customer, memory, LONG_AGO, at('2026-05-29T07:00:00Z'))).toEqual([]);
    expect(fireDue(rules, customer, memory, LONG_AGO, due - 1)).toEqual([]);
    const fired = fireDue(rules, customer, memory, LONG_AGO, due);
    expect(fired.map((f) => [f.occasion, f.dueAt])).toEqual([['2026-05-20', iso(due)]]);
    expect(memory.fired).toEqual(['beans@2026-05-20']);
  });

  it('matches SKUs when the rule names SKUs', () => {
    const bySku = section([{ id: 'filters', on: 'replenishment', skus: ['f-100'], cycleDays: 60 }]);
    const memory = noLifecycleMemory();
    onSale(bySku, customer, customer, memory, sale('2026-05-01T10:00:00Z', 'coffee', 'beans'));
    expect(memory.bought).toEqual({});
    onSale(bySku, customer, customer, memory, sale('2026-05-02T10:00:00Z', 'misc', 'f-100'));
    expect(memory.bought).toEqual({ filters: ['2026-05-02'] });
  });

  it('averages whole days between the dates kept', () => {
    const rule = rules.rules[0];
    if (rule?.on !== 'replenishment') throw new Error('not a replenishment rule');
    expect(intervalDays(['2026-05-01', '2026-05-11'], rule)).toBe(30); // two: the cycle
    expect(intervalDays(['2026-05-01', '2026-05-11', '2026-05-21'], rule)).toBe(10);
    expect(intervalDays(['2026-05-01', '2026-05-02', '2026-05-04'], rule)).toBe(2); // 3/2 = 1.5
  });
});

describe('onSale milestones', () => {
  const saleAt = '2026-05-01T10:00:00.000Z';

  it('fires the 10th visit on the sale that makes it, once', () => {
    const rules = section([{ id: 'tenth', on: 'visits', count: 10 }]);
    const memory = noLifecycleMemory();
    const nine = facts({ visits: 9 });
    const ten = facts({ visits: 10 });
    const eleven = facts({ visits: 11 });
    expect(onSale(rules, facts({ visits: 8 }), nine, memory, sale(saleAt))).toEqual([]);
    expect(onSale(rules, nine, ten, memory, sale(saleAt))).toEqual([
      {
        customerId: 'c1',
        ruleId: 'tenth',
        on: 'visits',
        occasion: 'once',
        dueAt: saleAt,
        firedAt: saleAt,
      },
    ]);
    // The same sale again (a redelivery), and the 11th visit: nothing.
    expect(onSale(rules, nine, ten, memory, sale(saleAt))).toEqual([]);
    expect(onSale(rules, ten, eleven, memory, sale('2026-05-02T10:00:00Z'))).toEqual([]);
    // Not on the 11th even with nothing remembered: it did not make the 10th.
    expect(onSale(rules, ten, eleven, noLifecycleMemory(), sale(saleAt))).toEqual([]);
  });

  it('fires lifetime spend on crossing the threshold, once', () => {
    const rules = section([{ id: 'big', on: 'lifetime-spend', thresholdMinor: 100_000 }]);
    const memory = noLifecycleMemory();
    const below = facts({ spendMinor: 99_999 });
    const above = facts({ spendMinor: 100_500 });
    expect(onSale(rules, facts({ spendMinor: 50_000 }), below, memory, sale(saleAt))).toEqual([]);
    expect(onSale(rules, below, above, memory, sale(saleAt)).map((f) => f.occasion)).toEqual([
      'once',
    ]);
    expect(onSale(rules, below, above, memory, sale(saleAt))).toEqual([]);
    expect(onSale(rules, above, facts({ spendMinor: 120_000 }), memory, sale(saleAt))).toEqual([]);
    // Exactly the threshold counts as reaching it.
    const exactly = facts({ spendMinor: 100_000 });
    expect(onSale(rules, below, exactly, noLifecycleMemory(), sale(saleAt))).toHaveLength(1);
  });

  it('fires a return 120 days or more after the last purchase, not 119', () => {
    const rules = section([{ id: 'back', on: 'returned', afterDays: 120 }]);
    const last = '2026-01-10T15:00:00.000Z';
    const before = facts({ lastPurchaseAt: last, visits: 3 });
    const returnAt = (ms: number) =>
      onSale(rules, before, facts({ visits: 4 }), noLifecycleMemory(), sale(iso(ms)));
    expect(returnAt(at(last) + 119 * DAY)).toEqual([]);
    expect(returnAt(at(last) + 120 * DAY - 1)).toEqual([]);
    // 120 days on: 10 May 2026, 15:00Z is 17:00 CEST, so the occasion is 10 May.
    expect(returnAt(at(last) + 120 * DAY)).toEqual([
      {
        customerId: 'c1',
        ruleId: 'back',
        on: 'returned',
        occasion: '2026-05-10',
        dueAt: iso(at(last) + 120 * DAY),
        firedAt: iso(at(last) + 120 * DAY),
      },
    ]);
    expect(returnAt(at(last) + 300 * DAY)).toHaveLength(1);
    // No earlier purchase: a first sale is no return.
    expect(onSale(rules, facts(), facts({ visits: 1 }), noLifecycleMemory(), sale(saleAt))).toEqual(
      [],
    );
  });
});

describe('cues', () => {
  const rules = section([
    { id: 'lapsed', on: 'lapsed', afterDays: 90, cue: { message: 'We missed you', validDays: 7 } },
  ]);
  const T = '2026-01-10T15:00:00.000Z';
  const customer = facts({ lastPurchaseAt: T });

  it('leaves a cue until 7 days after it fired', () => {
    const memory = noLifecycleMemory();
    const due = at(T) + 90 * DAY;
    const firedAt = due + 2 * DAY; // fired late: the cue counts from the firing
    const until = iso(firedAt + 7 * DAY);
    const fired = fireDue(rules, customer, memory, LONG_AGO, firedAt);
    expect(fired).toEqual([
      expect.objectContaining({
        dueAt: iso(due),
        firedAt: iso(firedAt),
        cue: { message: 'We missed you', until },
      }),
    ]);
    const cue = { ruleId: 'lapsed', occasion: T, message: 'We missed you', until };
    expect(waitingCues(memory, at(until) - 1)).toEqual([cue]);
    expect(memory.waiting).toEqual([cue]);
    expect(waitingCues(memory, at(until))).toEqual([]);
    // Reading changes nothing (a query may ask); a stale cue goes when the next one comes.
    expect(memory.waiting).toEqual([cue]);
  });

  it('takes 7 days by default, from the sale for a sale’s rule', () => {
    const back = section([{ id: 'back', on: 'returned', afterDays: 120, cue: { message: 'Hi' } }]);
    const memory = noLifecycleMemory();
    const saleAt = at(T) + 200 * DAY;
    onSale(back, customer, facts(), memory, sale(iso(saleAt)));
    expect(memory.waiting.map((c) => c.until)).toEqual([iso(saleAt + 7 * DAY)]);
  });
});

describe('inputs', () => {
  it('upcoming and nextDue change neither the memory nor the facts', () => {
    const rules = section([
      { id: 'lapsed', on: 'lapsed', afterDays: 90 },
      { id: 'birthday', on: 'birthday', leadDays: 3 },
      { id: 'anniv', on: 'membership-anniversary' },
      { id: 'tier', on: 'tier-anniversary' },
      { id: 'beans', on: 'replenishment', categories: ['coffee'], cycleDays: 30 },
    ]);
    const customer = facts({
      registeredAt: '2024-03-01T10:00:00.000Z',
      birthMonthDay: '07-15',
      lastPurchaseAt: '2026-04-01T10:00:00.000Z',
      tier: 'gold',
      tierSince: '2025-02-01T10:00:00.000Z',
    });
    const memory: LifecycleMemory = {
      fired: ['birthday@2025-07-15', 'anniv@2025-03-01'],
      firedThrough: { birthday: at('2025-07-12T07:00:00Z'), anniv: at('2025-03-01T08:00:00Z') },
      bought: { beans: ['2026-03-01', '2026-04-01'] },
      waiting: [{ ruleId: 'x', occasion: 'once', message: 'm', until: '2026-01-01T00:00:00.000Z' }],
    };
    const memoryCopy = structuredClone(memory);
    const factsCopy = structuredClone(customer);
    const found = upcoming(rules, customer, memory, at('2024-01-01T00:00:00Z'));
    expect(found.map((o) => o.ruleId).sort()).toEqual([
      'anniv',
      'beans',
      'birthday',
      'lapsed',
      'tier',
    ]);
    // Earliest first.
    expect(found.map((o) => o.dueMs)).toEqual([...found.map((o) => o.dueMs)].sort((a, b) => a - b));
    nextDue(rules, customer, memory, at('2024-01-01T00:00:00Z'));
    expect(memory).toEqual(memoryCopy);
    expect(customer).toEqual(factsCopy);
  });
});

describe('spread', () => {
  const rules = section([{ id: 'birthday', on: 'birthday', at: '09:00' }], { spreadMinutes: 10 });
  const WINDOW = 10 * 60_000;

  it('gives each customer a fixed offset within the minutes, the same every time', () => {
    expect(spreadOffsetMs('c1', 0)).toBe(0);
    expect(spreadOffsetMs('c1')).toBe(0);
    const offsets = Array.from({ length: 2000 }, (_, i) => spreadOffsetMs(`c-${i}`, 10));
    expect(offsets.every((o) => Number.isInteger(o) && o >= 0 && o < WINDOW)).toBe(true);
    expect(offsets.map((_, i) => spreadOffsetMs(`c-${i}`, 10))).toEqual(offsets);
    // Every minute of the ten gets about a tenth of the customers (200 each, give or take).
    const perMinute = Array.from(
      { length: 10 },
      (_, m) => offsets.filter((o) => Math.floor(o / 60_000) === m).length,
    );
    expect(Math.min(...perMinute)).toBeGreaterThan(150);
    expect(Math.max(...perMinute)).toBeLessThan(250);
  });

  it('fires at the due instant plus the offset, saying when it was due', () => {
    const customer = facts({ customerId: 'c-spread-1', birthMonthDay: '07-15' });
    const memory = noLifecycleMemory();
    // 15 July 2026, 09:00 in Berlin (CEST, +2): 07:00Z.
    const due = at('2026-07-15T07:00:00Z');
    const offset = spreadOffsetMs('c-spread-1', 10);
    expect(offset).toBeGreaterThan(0);
    const since = at('2026-07-01T00:00:00Z');
    expect(nextDue(rules, customer, memory, since)).toBe(due + offset);
    expect(fireDue(rules, customer, memory, since, due + offset - 1)).toEqual([]);
    expect(fireDue(rules, customer, memory, since, due + offset)).toEqual([
      {
        customerId: 'c-spread-1',
        ruleId: 'birthday',
        on: 'birthday',
        occasion: '2026-07-15',
        dueAt: iso(due),
        firedAt: iso(due + offset),
      },
    ]);
    expect(fireDue(rules, customer, memory, since, due + WINDOW)).toEqual([]);
  });
});
