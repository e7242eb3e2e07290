/**
 * Calendar arithmetic on UTC days (`YYYY-MM-DD`) for the business questions: weeks (Monday
 * first), months and years, and the window a period-to-date is compared with. Pure.
 */
import { addDays } from '../window.ts';

export type Period = 'week' | 'month' | 'year';
export const PERIODS = ['week', 'month', 'year'] as const;

/** Whole days, both ends included. */
export interface DayRange {
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;
const ms = (day: string): number => Date.parse(`${day}T00:00:00Z`);
const dayAt = (time: number): string => new Date(time).toISOString().slice(0, 10);

/** The first day of the period holding `day`. */
export function startOf(period: Period, day: string): string {
  if (period === 'year') return `${day.slice(0, 4)}-01-01`;
  if (period === 'month') return `${day.slice(0, 7)}-01`;
  const weekday = (new Date(ms(day)).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return addDays(day, -weekday);
}

/** `day` moved by `n` periods; a month or year step keeps the day of month, clamped (31 → 30). */
export function shift(period: Period, day: string, n: number): string {
  if (period === 'week') return addDays(day, 7 * n);
  const date = new Date(ms(day));
  const months = period === 'year' ? 12 * n : n;
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return dayAt(Date.UTC(year, month, Math.min(date.getUTCDate(), last)));
}

/** The last day of the period holding `day`. */
export function endOf(period: Period, day: string): string {
  return addDays(startOf(period, shift(period, startOf(period, day), 1)), -1);
}

/** Days from `from` to `to`, both included. */
export function daysIn(range: DayRange): number {
  return Math.round((ms(range.to) - ms(range.from)) / DAY_MS) + 1;
}

/**
 * The period to date holding `asOfDay`, and what it is compared with: the same stretch of the
 * period before (1–15 June against 1–15 May), or the whole previous period once the current one
 * is complete, so a full June is set against all of May and not 1–30 May.
 */
export function comparedPeriods(
  period: Period,
  asOfDay: string,
): { current: DayRange; previous: DayRange } {
  const from = startOf(period, asOfDay);
  const previousFrom = shift(period, from, -1);
  const previousEnd = addDays(from, -1);
  const complete = asOfDay === endOf(period, asOfDay);
  const shifted = shift(period, asOfDay, -1);
  return {
    current: { from, to: asOfDay },
    previous: {
      from: previousFrom,
      to: complete || shifted > previousEnd ? previousEnd : shifted,
    },
  };
}

/**
 * The `count` whole periods that end just before the period holding `asOfDay`: the unfinished
 * period is left out, since a part-week or part-month would read as a drop in demand.
 */
export function completePeriods(period: Period, asOfDay: string, count: number): DayRange {
  const current = startOf(period, asOfDay);
  return { from: shift(period, current, -count), to: addDays(current, -1) };
}

/** The first days of the months from `from`'s month to `to`'s, in order. */
/** Each day from `from` to `to`, both included. */
export function daysOf(range: DayRange): string[] {
  const days: string[] = [];
  for (let d = range.from; d <= range.to; d = addDays(d, 1)) days.push(d);
  return days;
}

export function monthsOf(range: DayRange): string[] {
  const months: string[] = [];
  for (let m = startOf('month', range.from); m <= range.to; m = shift('month', m, 1)) {
    months.push(m);
  }
  return months;
}

/** Whole months from the month of `from` to the month of `to` (0 for the same month). */
export function monthsBetween(from: string, to: string): number {
  return (
    (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 +
    Number(to.slice(5, 7)) -
    Number(from.slice(5, 7))
  );
}
