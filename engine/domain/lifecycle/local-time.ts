/**
 * Local wall-clock arithmetic for lifecycle triggers (a birthday at 09:00 local, a membership
 * anniversary, a lapse after N days): the instant a local time falls at in an IANA time zone, and
 * back. Pure and deterministic: every instant is passed in as UTC milliseconds, nothing reads a
 * clock, and the zone rules come from `Intl.DateTimeFormat` (the only thing used beyond plain
 * arithmetic), so it runs as it is inside the Temporal workflow sandbox.
 *
 * Dates are `YYYY-MM-DD` and times `HH:MM` (00:00-23:59), proleptic Gregorian, years 0001-9999.
 * Instants handled are those whose local date, in any zone, stays within those years.
 *
 * The zone rules are the tz database of the ICU the process was built with: a worker on another
 * Node (or another ICU) may place an instant differently once a country changes its rules, so
 * an instant worked out here belongs in the workflow's history (or is worked out again on
 * purpose), never recomputed on replay with the expectation that it cannot move.
 */

import { civilDate, daysFromCivil, daysInMonth, isLeapYear } from '../loyalty/arithmetic.ts';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** Where an annual occasion on 29 February falls in a year that has none. */
export type LeapDayRule = 'feb-28' | 'mar-1';

/** The `YYYY-MM-DD` of a day since 1970-01-01. */
function dateOfDay(days: number): string {
  const { year: y, month: m, day: d } = civilDate(days);
  if (y < 1 || y > 9999) throw new RangeError(`date out of range (years 0001-9999): year ${y}`);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2})$/;
const MONTH_DAY = /^(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of a `YYYY-MM-DD`; a RangeError for anything else. */
function dayOf(date: string): number {
  const match = DATE.exec(date);
  const y = Number(match?.[1]);
  const m = Number(match?.[2]);
  const d = Number(match?.[3]);
  if (!match || y < 1 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) {
    throw new RangeError(`not a date YYYY-MM-DD (years 0001-9999): ${JSON.stringify(date)}`);
  }
  return daysFromCivil(y, m, d);
}

/** Milliseconds since midnight of an `HH:MM`; a RangeError for anything else. */
function msOfTime(time: string): number {
  const match = TIME.exec(time);
  const h = Number(match?.[1]);
  const mi = Number(match?.[2]);
  if (!match || h > 23 || mi > 59) {
    throw new RangeError(`not a time HH:MM (00:00-23:59): ${JSON.stringify(time)}`);
  }
  return h * 3_600_000 + mi * MINUTE_MS;
}

// One formatter per zone, kept for good: making one costs far more than using it, and the zones
// are few (those of the customers and stores). A zone Intl refuses is never kept.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    // An absent zone would quietly be the host's (non-deterministic); an offset such as '+01:00'
    // is no IANA zone, and some Node versions accept it while others do not.
    if (typeof zone !== 'string' || zone === '' || zone[0] === '+' || zone[0] === '-') {
      throw new RangeError(`not an IANA time zone: ${JSON.stringify(zone)}`);
    }
    // Throws a RangeError for a zone it does not know. Locale, calendar, digits and the 0-23
    // hour cycle are fixed so that the parts read below do not depend on the host's settings.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Earliest and latest instant whose local date is within 0001-9999 in every zone (±1 day). */
const MIN_MS = daysFromCivil(1, 1, 2) * DAY_MS;
const MAX_MS = daysFromCivil(9999, 12, 31) * DAY_MS - 1;

/**
 * The local wall clock at `atMs` (whole seconds), as milliseconds since 1970-01-01T00:00 of that
 * wall clock read as if it were UTC.
 */
function wallMs(zone: string, atMs: number): number {
  const formatter = formatterFor(zone);
  if (!(atMs >= MIN_MS && atMs <= MAX_MS)) {
    throw new RangeError(`instant out of range (years 0001-9999): ${atMs}`);
  }
  let y = 0;
  let m = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let s = 0;
  for (const part of formatter.formatToParts(Math.floor(atMs / 1000) * 1000)) {
    if (part.type === 'year') y = Number(part.value);
    else if (part.type === 'month') m = Number(part.value);
    else if (part.type === 'day') d = Number(part.value);
    else if (part.type === 'hour')
      h = Number(part.value) % 24; // '24' from older engines
    else if (part.type === 'minute') mi = Number(part.value);
    else if (part.type === 'second') s = Number(part.value);
  }
  return daysFromCivil(y, m, d) * DAY_MS + h * 3_600_000 + mi * MINUTE_MS + s * 1000;
}

/** The zone's offset from UTC at `atMs`, in milliseconds (east positive). */
function offsetMs(zone: string, atMs: number): number {
  return wallMs(zone, atMs) - Math.floor(atMs / 1000) * 1000;
}

/**
 * The zone's offset from UTC at the instant `atMs`, in minutes, east positive: 120 for Berlin in
 * summer, -300 for New York in winter, 330 for Kolkata. (Only a local mean time from before the
 * zone's first rule, with seconds in it, gives a fraction.)
 */
export function offsetMinutes(zone: string, atMs: number): number {
  return offsetMs(zone, atMs) / MINUTE_MS;
}

/** The local date `YYYY-MM-DD` in `zone` at the instant `atMs`. */
export function localDateOf(zone: string, atMs: number): string {
  return dateOfDay(Math.floor(wallMs(zone, atMs) / DAY_MS));
}

/** The local date `YYYY-MM-DD` and time `HH:MM` (seconds dropped) in `zone` at `atMs`. */
export function localDateTimeOf(zone: string, atMs: number): { date: string; time: string } {
  const wall = wallMs(zone, atMs);
  const days = Math.floor(wall / DAY_MS);
  const minutes = Math.floor((wall - days * DAY_MS) / MINUTE_MS);
  return {
    date: dateOfDay(days),
    time: `${pad(Math.floor(minutes / 60), 2)}:${pad(minutes % 60, 2)}`,
  };
}

/**
 * The instant (UTC milliseconds) at which the wall clocks of `zone` show `time` on `date`.
 *
 * - A time that happens twice (clocks put back: in Europe/Berlin 2026-10-25 02:30 comes once in
 *   summer time, 00:30Z, and again an hour later in winter time, 01:30Z) gives the FIRST one,
 *   the earlier instant, so a trigger never fires an hour late nor twice.
 * - A time that never happens (clocks put forward: in Europe/Berlin 2026-03-29 they go from
 *   02:00 straight to 03:00, so there is no 02:30) gives the instant the clocks jumped at plus
 *   the minutes missing, i.e. the time read with the offset from before the change: 02:30 gives
 *   01:30Z, which the clocks show as 03:30 summer time. The trigger still fires that day, as
 *   late after the jump as it was meant to be after 02:00. (This is what `Temporal`'s
 *   'compatible' disambiguation and `java.time` do.)
 *
 * Offsets of any size (Kolkata +05:30, Kathmandu +05:45, Lord Howe's half-hour summer time)
 * are handled alike; zone changes are assumed more than a day apart, as they are in the tz data.
 */
export function instantAt(zone: string, date: string, time: string): number {
  const wall = dayOf(date) * DAY_MS + msOfTime(time);
  // The offsets in force a day either side of the wall time read as UTC: at most one change
  // lies between, so every instant showing that wall time uses one of the two.
  const before = offsetMs(zone, wall - DAY_MS);
  const after = offsetMs(zone, wall + DAY_MS);
  const early = wall - Math.max(before, after);
  const late = wall - Math.min(before, after);
  if (early + offsetMs(zone, early) === wall) return early;
  if (late + offsetMs(zone, late) === wall) return late;
  // Skipped: the wall time read with the offset from before the change.
  return wall - before;
}

/** The date `days` calendar days after `date` (before it when negative); no zone involved. */
export function addDaysToDate(date: string, days: number): string {
  if (!Number.isSafeInteger(days)) throw new RangeError(`not a whole number of days: ${days}`);
  return dateOfDay(dayOf(date) + days);
}

/**
 * The date in `year` of an annual occasion on `monthDay` (`MM-DD`, as a birthday or the day a
 * membership began): 29 February, in a year without one, falls on 28 February ('feb-28') or on
 * 1 March ('mar-1').
 */
export function anniversaryIn(year: number, monthDay: string, leapDayRule: LeapDayRule): string {
  const match = MONTH_DAY.exec(monthDay);
  const m = Number(match?.[1]);
  const d = Number(match?.[2]);
  if (!match || m < 1 || m > 12 || d < 1 || d > daysInMonth(2000, m)) {
    throw new RangeError(`not a month and day MM-DD: ${JSON.stringify(monthDay)}`);
  }
  if (!Number.isInteger(year) || year < 1 || year > 9999) {
    throw new RangeError(`not a year 1-9999: ${year}`);
  }
  if (leapDayRule !== 'feb-28' && leapDayRule !== 'mar-1') {
    throw new RangeError(`not a leap-day rule ('feb-28' or 'mar-1'): ${String(leapDayRule)}`);
  }
  if (m === 2 && d === 29 && !isLeapYear(year)) {
    return leapDayRule === 'feb-28' ? `${pad(year, 4)}-02-28` : `${pad(year, 4)}-03-01`;
  }
  return `${pad(year, 4)}-${monthDay}`;
}

export interface AnnualOccasion {
  /** The IANA zone of the customer (or of their home store). */
  zone: string;
  /** `MM-DD` of the occasion. */
  monthDay: string;
  /** `HH:MM` local at which it is due. */
  time: string;
  leapDayRule: LeapDayRule;
  /** Days ahead of the occasion it is due (0: on the day; negative: that many days after). */
  leadDays: number;
  /** The occasion returned is the first one due strictly after this instant. */
  afterMs: number;
}

/**
 * The first annual occasion due strictly after `afterMs`: its date (the key of the occasion, as
 * `2027-02-28` for a 29 February birthday under 'feb-28'; the same date whatever the lead) and
 * the instant it is due, `leadDays` before that date at `time` in `zone` (see `instantAt` for a
 * time the clocks skip or repeat).
 *
 * That is this local year's occasion, or next year's when this year's is due at or before
 * `afterMs`; with a lead that crosses the new year (an occasion on 2 January due five days
 * ahead) the first one due after `afterMs` can be the one of the year after next, and is the one
 * returned. Asked again with `afterMs` at the instant just returned, it gives the next year's.
 */
export function nextAnnual(occasion: AnnualOccasion): { date: string; dueMs: number } {
  const { zone, monthDay, time, leapDayRule, leadDays, afterMs } = occasion;
  if (!Number.isSafeInteger(leadDays) || Math.abs(leadDays) > 36_500) {
    throw new RangeError(`not a whole number of days (at most 36500): ${leadDays}`);
  }
  // Take Y, the year of the local date of `afterMs` plus the lead. The occasion of Y - 1 falls
  // before that date, so it is due on a local date before that of `afterMs`: it is tried anyway,
  // as a zone whose clocks jump at midnight can carry a skipped due time into the next day. The
  // occasion of Y + 1 is due on a later local date. So at most three years are tried.
  const year = Number(addDaysToDate(localDateOf(zone, afterMs), leadDays).slice(0, 4));
  for (let y = Math.max(1, year - 1); ; y++) {
    const date = anniversaryIn(y, monthDay, leapDayRule);
    const dueMs = instantAt(zone, addDaysToDate(date, -leadDays), time);
    if (dueMs > afterMs) return { date, dueMs };
  }
}

/** Whether `zone` is a time zone Intl knows (IANA names; case and old aliases are accepted). */
export function isValidZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}
