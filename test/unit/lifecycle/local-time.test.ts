import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  addDaysToDate,
  anniversaryIn,
  instantAt,
  isValidZone,
  localDateOf,
  localDateTimeOf,
  nextAnnual,
  offsetMinutes,
} from '../../../engine/domain/lifecycle/local-time.ts';

/*
 * Expected values come from the zone rules, worked out by hand in the comments:
 * - Europe/Berlin: CET +1, CEST +2 from the last Sunday of March to the last Sunday of October,
 *   both changes at 01:00Z (2026: 29 March, 25 October; 2027: 28 March, 31 October).
 * - America/New_York: EST -5, EDT -4 from the second Sunday of March 02:00 local to the first
 *   Sunday of November 02:00 local (2026: 8 March at 07:00Z, 1 November at 06:00Z).
 * - Asia/Kolkata: +5:30 all year. Asia/Kathmandu: +5:45 all year.
 * - Australia/Lord_Howe: +10:30, and +11 (only half an hour more) from the first Sunday of
 *   October 02:00 to the first Sunday of April 02:00 local (2026: 5 April at 15:00Z, clocks back
 *   from 02:00 to 01:30; 4 October at 15:30Z on 3 October, clocks on from 02:00 to 02:30).
 */
const at = (iso: string) => Date.parse(iso);

describe('offsetMinutes', () => {
  it('gives each zone its offset, east positive, summer and winter', () => {
    expect(offsetMinutes('Europe/Berlin', at('2026-06-15T12:00:00Z'))).toBe(120); // CEST
    expect(offsetMinutes('Europe/Berlin', at('2026-12-15T12:00:00Z'))).toBe(60); // CET
    expect(offsetMinutes('America/New_York', at('2026-06-15T12:00:00Z'))).toBe(-240); // EDT
    expect(offsetMinutes('America/New_York', at('2026-12-15T12:00:00Z'))).toBe(-300); // EST
    expect(offsetMinutes('Asia/Kolkata', at('2026-01-15T12:00:00Z'))).toBe(330);
    expect(offsetMinutes('Asia/Kolkata', at('2026-07-15T12:00:00Z'))).toBe(330);
    expect(offsetMinutes('Asia/Kathmandu', at('2026-07-15T12:00:00Z'))).toBe(345);
    expect(offsetMinutes('Australia/Lord_Howe', at('2026-12-15T12:00:00Z'))).toBe(660); // +11
    expect(offsetMinutes('Australia/Lord_Howe', at('2026-06-15T12:00:00Z'))).toBe(630); // +10:30
    expect(offsetMinutes('UTC', at('2026-06-15T12:00:00Z'))).toBe(0);
  });

  it('changes at the very instant the clocks do', () => {
    // Berlin changes at 01:00Z both ways.
    expect(offsetMinutes('Europe/Berlin', at('2026-03-29T00:59:59.999Z'))).toBe(60);
    expect(offsetMinutes('Europe/Berlin', at('2026-03-29T01:00:00Z'))).toBe(120);
    expect(offsetMinutes('Europe/Berlin', at('2026-10-25T00:59:59.999Z'))).toBe(120);
    expect(offsetMinutes('Europe/Berlin', at('2026-10-25T01:00:00Z'))).toBe(60);
    // New York: 02:00 EST (-5) is 07:00Z; 02:00 EDT (-4) is 06:00Z.
    expect(offsetMinutes('America/New_York', at('2026-03-08T06:59:59Z'))).toBe(-300);
    expect(offsetMinutes('America/New_York', at('2026-03-08T07:00:00Z'))).toBe(-240);
    expect(offsetMinutes('America/New_York', at('2026-11-01T05:59:59Z'))).toBe(-240);
    expect(offsetMinutes('America/New_York', at('2026-11-01T06:00:00Z'))).toBe(-300);
    // Lord Howe: 02:00 at +11 is 15:00Z on 4 April; 02:00 at +10:30 is 15:30Z on 3 October.
    expect(offsetMinutes('Australia/Lord_Howe', at('2026-04-04T14:59:59Z'))).toBe(660);
    expect(offsetMinutes('Australia/Lord_Howe', at('2026-04-04T15:00:00Z'))).toBe(630);
    expect(offsetMinutes('Australia/Lord_Howe', at('2026-10-03T15:29:59Z'))).toBe(630);
    expect(offsetMinutes('Australia/Lord_Howe', at('2026-10-03T15:30:00Z'))).toBe(660);
  });
});

describe('localDateOf and localDateTimeOf', () => {
  it('puts one instant near midnight on different dates across zones', () => {
    const t = at('2026-12-31T23:30:00Z');
    expect(localDateOf('Europe/Berlin', t)).toBe('2027-01-01'); // 00:30 CET (+1)
    expect(localDateOf('UTC', t)).toBe('2026-12-31');
    expect(localDateOf('America/New_York', t)).toBe('2026-12-31'); // 18:30 EST (-5)
    expect(localDateOf('Asia/Kolkata', t)).toBe('2027-01-01'); // 05:00 (+5:30)
    expect(localDateOf('Australia/Lord_Howe', t)).toBe('2027-01-01'); // 10:30 (+11)
    expect(localDateTimeOf('Europe/Berlin', t)).toEqual({ date: '2027-01-01', time: '00:30' });
    expect(localDateTimeOf('America/New_York', t)).toEqual({ date: '2026-12-31', time: '18:30' });
    expect(localDateTimeOf('Australia/Lord_Howe', t)).toEqual({
      date: '2027-01-01',
      time: '10:30',
    });
  });

  it('turns the date at local midnight, to the millisecond', () => {
    // Kolkata midnight of 1 January 2027 is 18:30Z the day before (+5:30).
    expect(localDateOf('Asia/Kolkata', at('2026-12-31T18:29:59.999Z'))).toBe('2026-12-31');
    expect(localDateOf('Asia/Kolkata', at('2026-12-31T18:30:00Z'))).toBe('2027-01-01');
    // Berlin midnight of 1 January 2027 is 23:00Z (+1).
    expect(localDateTimeOf('Europe/Berlin', at('2026-12-31T22:59:59.999Z'))).toEqual({
      date: '2026-12-31',
      time: '23:59',
    });
    expect(localDateTimeOf('Europe/Berlin', at('2026-12-31T23:00:00Z'))).toEqual({
      date: '2027-01-01',
      time: '00:00',
    });
  });
});

describe('instantAt', () => {
  it('places 09:00 in Berlin by the offset of the season', () => {
    // 09:00 CEST (+2) is 07:00Z; 09:00 CET (+1) is 08:00Z.
    expect(instantAt('Europe/Berlin', '2026-06-15', '09:00')).toBe(at('2026-06-15T07:00:00Z'));
    expect(instantAt('Europe/Berlin', '2026-12-15', '09:00')).toBe(at('2026-12-15T08:00:00Z'));
  });

  it('takes the first of a repeated time (Berlin, clocks back on 2026-10-25)', () => {
    // 03:00 CEST becomes 02:00 CET at 01:00Z: 02:00-02:59 is seen at +2 (00:00Z-00:59Z), then
    // again at +1 (01:00Z-01:59Z). The first 02:30 is 00:30Z; the second, 01:30Z, never comes.
    const first = instantAt('Europe/Berlin', '2026-10-25', '02:30');
    expect(first).toBe(at('2026-10-25T00:30:00Z'));
    expect(first).not.toBe(at('2026-10-25T01:30:00Z'));
    // Both instants do show 02:30 in Berlin: the time is really repeated.
    for (const t of [at('2026-10-25T00:30:00Z'), at('2026-10-25T01:30:00Z')]) {
      expect(localDateTimeOf('Europe/Berlin', t)).toEqual({ date: '2026-10-25', time: '02:30' });
    }
    expect(instantAt('Europe/Berlin', '2026-10-25', '02:00')).toBe(at('2026-10-25T00:00:00Z'));
    expect(instantAt('Europe/Berlin', '2026-10-25', '02:59')).toBe(at('2026-10-25T00:59:00Z'));
    // Either side of the repeated hour, one instant each: 01:59 CEST, 03:00 CET.
    expect(instantAt('Europe/Berlin', '2026-10-25', '01:59')).toBe(at('2026-10-24T23:59:00Z'));
    expect(instantAt('Europe/Berlin', '2026-10-25', '03:00')).toBe(at('2026-10-25T02:00:00Z'));
  });

  it('moves a skipped time on by the missing hour (Berlin, clocks on on 2026-03-29)', () => {
    // 02:00 CET becomes 03:00 CEST at 01:00Z: 02:30 never shows. Read at the old offset (+1),
    // it is 01:30Z, half an hour after the jump, which the clocks show as 03:30 CEST.
    const t = instantAt('Europe/Berlin', '2026-03-29', '02:30');
    expect(t).toBe(at('2026-03-29T01:30:00Z'));
    expect(localDateTimeOf('Europe/Berlin', t)).toEqual({ date: '2026-03-29', time: '03:30' });
    // 02:00 is the jump itself, 01:00Z, as is 03:00 CEST; 01:59 CET is 00:59Z.
    expect(instantAt('Europe/Berlin', '2026-03-29', '02:00')).toBe(at('2026-03-29T01:00:00Z'));
    expect(instantAt('Europe/Berlin', '2026-03-29', '03:00')).toBe(at('2026-03-29T01:00:00Z'));
    expect(instantAt('Europe/Berlin', '2026-03-29', '01:59')).toBe(at('2026-03-29T00:59:00Z'));
  });

  it('follows New York across 2026-03-08 and 2026-11-01', () => {
    // The days before and after: 09:00 EST (-5) is 14:00Z, 09:00 EDT (-4) is 13:00Z.
    expect(instantAt('America/New_York', '2026-03-07', '09:00')).toBe(at('2026-03-07T14:00:00Z'));
    expect(instantAt('America/New_York', '2026-03-08', '09:00')).toBe(at('2026-03-08T13:00:00Z'));
    expect(instantAt('America/New_York', '2026-10-31', '09:00')).toBe(at('2026-10-31T13:00:00Z'));
    expect(instantAt('America/New_York', '2026-11-01', '09:00')).toBe(at('2026-11-01T14:00:00Z'));
    // 8 March: 01:30 EST is 06:30Z; 02:30 is skipped, read at -5 it is 07:30Z (03:30 EDT), the
    // same instant as 03:30 EDT.
    expect(instantAt('America/New_York', '2026-03-08', '01:30')).toBe(at('2026-03-08T06:30:00Z'));
    expect(instantAt('America/New_York', '2026-03-08', '02:30')).toBe(at('2026-03-08T07:30:00Z'));
    expect(instantAt('America/New_York', '2026-03-08', '03:30')).toBe(at('2026-03-08T07:30:00Z'));
    // 1 November: 01:30 comes at -4 (05:30Z) and again at -5 (06:30Z); the first is taken.
    expect(instantAt('America/New_York', '2026-11-01', '01:30')).toBe(at('2026-11-01T05:30:00Z'));
  });

  it('handles half-hour offsets without summer time: Kolkata +5:30, Kathmandu +5:45', () => {
    // 09:00 - 5:30 = 03:30Z, any day of the year; 09:00 - 5:45 = 03:15Z.
    expect(instantAt('Asia/Kolkata', '2026-01-15', '09:00')).toBe(at('2026-01-15T03:30:00Z'));
    expect(instantAt('Asia/Kolkata', '2026-07-15', '09:00')).toBe(at('2026-07-15T03:30:00Z'));
    expect(instantAt('Asia/Kolkata', '2027-01-01', '00:00')).toBe(at('2026-12-31T18:30:00Z'));
    expect(instantAt('Asia/Kathmandu', '2026-07-15', '09:00')).toBe(at('2026-07-15T03:15:00Z'));
  });

  it('handles Lord Howe, whose clocks move by half an hour', () => {
    // Winter +10:30: 09:00 on 15 June is 22:30Z on 14 June; summer +11: 09:00 on 15 December
    // is 22:00Z on 14 December.
    expect(instantAt('Australia/Lord_Howe', '2026-06-15', '09:00')).toBe(
      at('2026-06-14T22:30:00Z'),
    );
    expect(instantAt('Australia/Lord_Howe', '2026-12-15', '09:00')).toBe(
      at('2026-12-14T22:00:00Z'),
    );
    // 5 April: back from 02:00 (+11) to 01:30 (+10:30), so 01:45 comes at 14:45Z and at 15:15Z
    // on 4 April: the first is taken.
    expect(instantAt('Australia/Lord_Howe', '2026-04-05', '01:45')).toBe(
      at('2026-04-04T14:45:00Z'),
    );
    // 4 October: on from 02:00 (+10:30) to 02:30 (+11), so 02:15 is skipped: read at +10:30 it
    // is 15:45Z on 3 October, shown as 02:45.
    const skipped = instantAt('Australia/Lord_Howe', '2026-10-04', '02:15');
    expect(skipped).toBe(at('2026-10-03T15:45:00Z'));
    expect(localDateTimeOf('Australia/Lord_Howe', skipped)).toEqual({
      date: '2026-10-04',
      time: '02:45',
    });
  });

  it('reads UTC as it is', () => {
    expect(instantAt('UTC', '2026-06-15', '09:00')).toBe(at('2026-06-15T09:00:00Z'));
    expect(instantAt('UTC', '2028-02-29', '23:59')).toBe(at('2028-02-29T23:59:00Z'));
  });

  it('gives back the local time it was given, wherever the time exists once', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
    for (const zone of zones) {
      for (const date of ['2026-01-01', '2026-04-21', '2026-07-04', '2026-12-31']) {
        for (const time of ['00:00', '09:00', '12:34', '23:59']) {
          expect(localDateTimeOf(zone, instantAt(zone, date, time))).toEqual({ date, time });
        }
      }
    }
  });

  it('refuses dates, times and zones that are not', () => {
    expect(() => instantAt('Europe/Berlin', '2026-02-29', '09:00')).toThrow(RangeError);
    expect(() => instantAt('Europe/Berlin', '2026-6-15', '09:00')).toThrow(RangeError);
    expect(() => instantAt('Europe/Berlin', '2026-06-15', '24:00')).toThrow(RangeError);
    expect(() => instantAt('Europe/Berlin', '2026-06-15', '9:00')).toThrow(RangeError);
    expect(() => instantAt('Europe/Berln', '2026-06-15', '09:00')).toThrow(RangeError);
    expect(() => localDateOf('Europe/Berlin', Number.NaN)).toThrow(RangeError);
  });
});

describe('addDaysToDate', () => {
  it('steps calendar days across months, years and leap days', () => {
    expect(addDaysToDate('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDaysToDate('2027-01-01', -1)).toBe('2026-12-31');
    expect(addDaysToDate('2028-02-28', 1)).toBe('2028-02-29'); // 2028 is a leap year
    expect(addDaysToDate('2027-02-28', 1)).toBe('2027-03-01');
    expect(addDaysToDate('2100-02-28', 1)).toBe('2100-03-01'); // divisible by 100, not by 400
    expect(addDaysToDate('2000-02-28', 1)).toBe('2000-02-29'); // divisible by 400
    expect(addDaysToDate('2026-04-21', -3)).toBe('2026-04-18');
    expect(addDaysToDate('2026-01-01', 365)).toBe('2027-01-01'); // 2026 has 365 days
    expect(addDaysToDate('2028-01-01', 365)).toBe('2028-12-31'); // 2028 has 366
    expect(addDaysToDate('2026-03-29', 0)).toBe('2026-03-29');
  });

  it('refuses what is not a date or a whole number of days', () => {
    expect(() => addDaysToDate('2026-02-30', 1)).toThrow(RangeError);
    expect(() => addDaysToDate('2026-06-15', 1.5)).toThrow(RangeError);
    expect(() => addDaysToDate('9999-12-31', 1)).toThrow(RangeError);
  });
});

describe('anniversaryIn', () => {
  it('puts 29 February on 28 February or 1 March in a common year, as the rule says', () => {
    expect(anniversaryIn(2027, '02-29', 'feb-28')).toBe('2027-02-28');
    expect(anniversaryIn(2027, '02-29', 'mar-1')).toBe('2027-03-01');
    expect(anniversaryIn(2028, '02-29', 'feb-28')).toBe('2028-02-29');
    expect(anniversaryIn(2028, '02-29', 'mar-1')).toBe('2028-02-29');
    expect(anniversaryIn(2100, '02-29', 'mar-1')).toBe('2100-03-01'); // 2100 is no leap year
  });

  it('leaves every other day as it is', () => {
    expect(anniversaryIn(2027, '04-21', 'feb-28')).toBe('2027-04-21');
    expect(anniversaryIn(2027, '02-28', 'mar-1')).toBe('2027-02-28');
    expect(anniversaryIn(2027, '12-31', 'mar-1')).toBe('2027-12-31');
  });

  it('refuses a day no year has', () => {
    expect(() => anniversaryIn(2028, '02-30', 'feb-28')).toThrow(RangeError);
    expect(() => anniversaryIn(2028, '04-31', 'feb-28')).toThrow(RangeError);
    expect(() => anniversaryIn(2028, '4-21', 'feb-28')).toThrow(RangeError);
  });
});

describe('nextAnnual', () => {
  // A birthday on 21 April, cued at 09:00 in Berlin three days ahead: 18 April 2026 09:00 CEST
  // (+2; summer time began on 29 March) is 07:00Z. In 2027, 18 April is CEST too (summer time
  // from 28 March): 07:00Z.
  const birthday = {
    zone: 'Europe/Berlin',
    monthDay: '04-21',
    time: '09:00',
    leapDayRule: 'feb-28' as const,
    leadDays: 3,
  };
  const due2026 = at('2026-04-18T07:00:00Z');
  const this2026 = { date: '2026-04-21', dueMs: due2026 };
  const next2027 = { date: '2027-04-21', dueMs: at('2027-04-18T07:00:00Z') };

  it('gives this year’s occasion until it is due, then next year’s', () => {
    expect(nextAnnual({ ...birthday, afterMs: at('2026-01-10T12:00:00Z') })).toEqual(this2026);
    expect(nextAnnual({ ...birthday, afterMs: due2026 - 1 })).toEqual(this2026);
    expect(nextAnnual({ ...birthday, afterMs: due2026 })).toEqual(next2027);
    expect(nextAnnual({ ...birthday, afterMs: due2026 + 1 })).toEqual(next2027);
    // Due, but the birthday itself not yet come: still next year's.
    expect(nextAnnual({ ...birthday, afterMs: at('2026-04-20T12:00:00Z') })).toEqual(next2027);
  });

  it('fires once: asked again at the due instant it returned, it moves on a year', () => {
    let afterMs = at('2026-01-01T00:00:00Z');
    const dates: string[] = [];
    for (let i = 0; i < 3; i++) {
      const next = nextAnnual({ ...birthday, afterMs });
      dates.push(next.date);
      afterMs = next.dueMs;
    }
    expect(dates).toEqual(['2026-04-21', '2027-04-21', '2028-04-21']);
  });

  it('keys a leap-day birthday in 2026 by each rule', () => {
    // No lead, 09:00 in Berlin, in winter (CET, +1): 08:00Z.
    const leap = { zone: 'Europe/Berlin', monthDay: '02-29', time: '09:00', leadDays: 0 };
    const afterMs = at('2026-01-15T12:00:00Z');
    expect(nextAnnual({ ...leap, leapDayRule: 'feb-28', afterMs })).toEqual({
      date: '2026-02-28',
      dueMs: at('2026-02-28T08:00:00Z'),
    });
    expect(nextAnnual({ ...leap, leapDayRule: 'mar-1', afterMs })).toEqual({
      date: '2026-03-01',
      dueMs: at('2026-03-01T08:00:00Z'),
    });
    // On 28 February after 09:00, 'feb-28' moves on to 2027 and 'mar-1' still has tomorrow.
    const noon = at('2026-02-28T11:00:00Z');
    expect(nextAnnual({ ...leap, leapDayRule: 'feb-28', afterMs: noon }).date).toBe('2027-02-28');
    expect(nextAnnual({ ...leap, leapDayRule: 'mar-1', afterMs: noon }).date).toBe('2026-03-01');
    // From mid-2027 both rules find 29 February 2028 (CET: 08:00Z).
    const summer = at('2027-06-01T12:00:00Z');
    for (const leapDayRule of ['feb-28', 'mar-1'] as const) {
      expect(nextAnnual({ ...leap, leapDayRule, afterMs: summer })).toEqual({
        date: '2028-02-29',
        dueMs: at('2028-02-29T08:00:00Z'),
      });
    }
  });

  it('keys by the occasion’s date when the lead reaches back into the year before', () => {
    // 2 January, five days ahead: due 28 December 09:00 CET (+1), 08:00Z.
    const occasion = {
      zone: 'Europe/Berlin',
      monthDay: '01-02',
      time: '09:00',
      leapDayRule: 'feb-28' as const,
      leadDays: 5,
    };
    expect(nextAnnual({ ...occasion, afterMs: at('2026-12-27T12:00:00Z') })).toEqual({
      date: '2027-01-02',
      dueMs: at('2026-12-28T08:00:00Z'),
    });
    // On 29 December 2026 the 2027 occasion is already due: the next is 2 January 2028, due on
    // 28 December 2027.
    expect(nextAnnual({ ...occasion, afterMs: at('2026-12-29T12:00:00Z') })).toEqual({
      date: '2028-01-02',
      dueMs: at('2027-12-28T08:00:00Z'),
    });
  });

  it('reads a negative lead as days after, keyed by last year’s occasion into the new year', () => {
    // A follow-up five days after 30 December: the 2026 one is due on 4 January 2027, 09:00 CET
    // (+1) = 08:00Z, so on 2 January 2027 it is still to come.
    const followUp = {
      zone: 'Europe/Berlin',
      monthDay: '12-30',
      time: '09:00',
      leapDayRule: 'feb-28' as const,
      leadDays: -5,
    };
    expect(nextAnnual({ ...followUp, afterMs: at('2027-01-02T12:00:00Z') })).toEqual({
      date: '2026-12-30',
      dueMs: at('2027-01-04T08:00:00Z'),
    });
  });

  it('does not fire again in the repeated hour, nor miss a skipped one', () => {
    // 1 November 01:30 in New York: the first 01:30 (EDT, -4) is 05:30Z. Asked at that instant,
    // the second 01:30 (06:30Z) is not another occasion: next is 2027, when 1 November is still
    // EDT (summer time ends on 7 November 2027), 05:30Z.
    const fallBack = {
      zone: 'America/New_York',
      monthDay: '11-01',
      time: '01:30',
      leapDayRule: 'feb-28' as const,
      leadDays: 0,
    };
    const first = nextAnnual({ ...fallBack, afterMs: at('2026-10-01T00:00:00Z') });
    expect(first).toEqual({ date: '2026-11-01', dueMs: at('2026-11-01T05:30:00Z') });
    expect(nextAnnual({ ...fallBack, afterMs: first.dueMs })).toEqual({
      date: '2027-11-01',
      dueMs: at('2027-11-01T05:30:00Z'),
    });
    // 29 March 02:30 in Berlin does not exist in 2026: due at 01:30Z (03:30 CEST).
    const springForward = { ...fallBack, zone: 'Europe/Berlin', monthDay: '03-29', time: '02:30' };
    expect(nextAnnual({ ...springForward, afterMs: at('2026-03-01T00:00:00Z') })).toEqual({
      date: '2026-03-29',
      dueMs: at('2026-03-29T01:30:00Z'),
    });
  });

  it('takes the year from the zone’s local date, not from UTC', () => {
    // 31 December 2026 23:30Z is already 1 January 2027 in Berlin: a New Year occasion at 00:00
    // local (23:00Z) is then past, and the next is 1 January 2028, 00:00 CET = 2027-12-31T23:00Z.
    expect(
      nextAnnual({
        zone: 'Europe/Berlin',
        monthDay: '01-01',
        time: '00:00',
        leapDayRule: 'feb-28',
        leadDays: 0,
        afterMs: at('2026-12-31T23:30:00Z'),
      }),
    ).toEqual({ date: '2028-01-01', dueMs: at('2027-12-31T23:00:00Z') });
  });
});

describe('isValidZone', () => {
  it('knows IANA zones and refuses anything else', () => {
    expect(isValidZone('Europe/Berlin')).toBe(true);
    expect(isValidZone('Australia/Lord_Howe')).toBe(true);
    expect(isValidZone('UTC')).toBe(true);
    expect(isValidZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidZone('Europe/Berln')).toBe(false);
    expect(isValidZone('')).toBe(false);
    // An offset is no zone (some Node versions accept it, others do not: refused everywhere).
    expect(isValidZone('+01:00')).toBe(false);
    // What Intl accepts as well: any case, and old names.
    expect(isValidZone('europe/berlin')).toBe(true);
    expect(isValidZone('Asia/Calcutta')).toBe(true);
  });
});

describe('in a fresh V8 context, as the Temporal workflow sandbox is', () => {
  it('has Intl with the same zone rules as the host', () => {
    // The workflow sandbox is a `vm` context with Date and Math.random replaced; Intl is its own
    // built-in, backed by the same ICU. Berlin's 02:30 CEST on 2026-10-25 is 00:30Z.
    const parts = runInNewContext(
      `new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', hourCycle: 'h23',
        hour: 'numeric', minute: 'numeric' }).format(${at('2026-10-25T00:30:00Z')})`,
    );
    expect(parts).toBe('02:30');
  });
});
