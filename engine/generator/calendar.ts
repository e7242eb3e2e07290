/**
 * When people shop: the days of the period weighted by season (a December peak, a summer dip,
 * Black Friday on the web) and weekday (Saturday busiest, Sunday quiet: most shops are shut), and
 * the hours of a day (lunchtime and after-work peaks at the tills, evenings on the web). Times
 * are generated as local shop time and stored as UTC, as a till with its clock on UTC would.
 */
import { type Rng, WeightedPicker } from './random.ts';

export const DAY_MS = 86_400_000;

export interface Calendar {
  /** Midnight UTC of the first day, in ms. */
  startMs: number;
  /** Number of days in the period (inclusive of both ends). */
  days: number;
  /** Day weights for visits to a store and to the web shop. */
  till: WeightedPicker;
  web: WeightedPicker;
  tillHours: WeightedPicker;
  webHours: WeightedPicker;
}

/** 'YYYY-MM-DD' → midnight UTC in ms, refusing anything else. */
export function dayMs(date: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`"${date}" is not a date (YYYY-MM-DD)`);
  const ms = Date.parse(`${date}T00:00:00.000Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new Error(`"${date}" is not a date of the calendar`);
  }
  return ms;
}

/** The month's share of trade, January first: low after Christmas, a summer dip, a December peak. */
const MONTH_FACTOR = [0.85, 0.85, 0.95, 1.0, 1.0, 0.97, 0.85, 0.83, 0.97, 1.02, 1.1, 1.45];
/** Monday first. */
const TILL_WEEKDAY = [0.9, 0.88, 0.93, 1.0, 1.2, 1.45, 0.3];
const WEB_WEEKDAY = [1.1, 1.05, 1.0, 0.95, 0.9, 0.85, 1.15];
/** Tills open 7:00–21:00; busiest at lunch and after work. */
const TILL_HOURS = [
  0, 0, 0, 0, 0, 0, 0, 0.3, 0.6, 0.8, 1.0, 1.2, 1.3, 1.1, 0.9, 0.9, 1.1, 1.4, 1.5, 1.1, 0.6, 0.2, 0,
  0,
];
const WEB_HOURS = [
  0.3, 0.15, 0.08, 0.05, 0.05, 0.1, 0.25, 0.5, 0.7, 0.8, 0.85, 0.9, 1.0, 0.95, 0.9, 0.9, 0.95, 1.0,
  1.1, 1.3, 1.5, 1.5, 1.1, 0.6,
];

/** A day's extra factor: the run-up to Christmas, the shut days after it, Black Friday online. */
function specialDay(date: Date, web: boolean): number {
  const month = date.getUTCMonth();
  const day = date.getUTCDate();
  if (month === 11) {
    if (day === 25 || day === 26) return web ? 0.6 : 0.05;
    if (day >= 18 && day <= 23) return web ? 1.1 : 1.35;
    if (day === 24) return web ? 0.5 : 0.8;
    if (day === 31) return web ? 0.7 : 0.9;
  }
  if (month === 0 && day === 1) return web ? 0.6 : 0.05;
  // Black Friday: the Friday after the fourth Thursday of November.
  if (month === 10 && date.getUTCDay() === 5 && day >= 23 && day <= 29) return web ? 3.0 : 1.4;
  if (month === 10 && date.getUTCDay() === 1 && day >= 26) return web ? 2.0 : 1.0; // Cyber Monday
  return 1;
}

export function buildCalendar(from: string, to: string): Calendar {
  const startMs = dayMs(from);
  const endMs = dayMs(to);
  if (endMs < startMs) throw new Error(`the period ends (${to}) before it starts (${from})`);
  const days = Math.round((endMs - startMs) / DAY_MS) + 1;
  const till = new Float64Array(days);
  const web = new Float64Array(days);
  for (let d = 0; d < days; d++) {
    const date = new Date(startMs + d * DAY_MS);
    const month = MONTH_FACTOR[date.getUTCMonth()] as number;
    const weekday = (date.getUTCDay() + 6) % 7;
    till[d] = month * (TILL_WEEKDAY[weekday] as number) * specialDay(date, false);
    web[d] = month * (WEB_WEEKDAY[weekday] as number) * specialDay(date, true);
  }
  return {
    startMs,
    days,
    till: new WeightedPicker(till),
    web: new WeightedPicker(web),
    tillHours: new WeightedPicker(TILL_HOURS),
    webHours: new WeightedPicker(WEB_HOURS),
  };
}

/** An instant (ms) on day `day` of the period, at an hour of the channel's profile. */
export function timeOnDay(calendar: Calendar, rng: Rng, day: number, web: boolean): number {
  const hour = (web ? calendar.webHours : calendar.tillHours).pick(rng);
  return calendar.startMs + day * DAY_MS + hour * 3_600_000 + rng.int(3_600_000);
}
