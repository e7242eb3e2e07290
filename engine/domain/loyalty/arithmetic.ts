/**
 * Integer arithmetic for points and money: rounding of exact fractions, fair shares, calendar
 * steps. No floats touch an amount (a float product can be off by one after rounding), and large
 * products fall back to BigInt rather than lose precision.
 */
import type { Rounding } from './program.ts';

/** `a × b / c`, rounded as asked; a, b ≥ 0, c > 0, all integers. */
export function mulDiv(a: number, b: number, c: number, rounding: Rounding = 'down'): number {
  const product = a * b;
  if (Number.isSafeInteger(product)) {
    const q = Math.floor(product / c);
    const r = product - q * c;
    return roundQuotient(q, r, c, rounding);
  }
  const big = BigInt(a) * BigInt(b);
  const bc = BigInt(c);
  const q = big / bc;
  const r = big - q * bc;
  return roundQuotient(Number(q), Number(r), c, rounding);
}

function roundQuotient(q: number, r: number, c: number, rounding: Rounding): number {
  if (r === 0) return q;
  if (rounding === 'up') return q + 1;
  if (rounding === 'nearest') return 2 * r >= c ? q + 1 : q;
  return q;
}

/**
 * Shares `total` over `weights` in proportion, as integers that add up to `total` exactly
 * (largest remainder; ties go to the earlier weight). All-zero weights get equal shares.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  const n = weights.length;
  // Pushed, not `new Array(n).fill(0)`: a packed array of small integers, built without a call.
  const shares: number[] = [];
  if (n === 0) return shares;
  if (n === 1) {
    shares.push(total);
    return shares;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i] as number;
  const denominator = sum === 0 ? n : sum;
  let given = 0;
  for (let i = 0; i < n; i++) {
    const exact =
      total === 0 ? 0 : mulDiv(total, sum === 0 ? 1 : (weights[i] as number), denominator);
    shares.push(exact);
    given += exact;
  }
  if (given >= total) return shares;
  // The units left go by remainder of total·w / denominator (compared exactly, as numerators),
  // largest first, ties to the earlier weight; a handful of lines, so an insertion sort.
  const remainders = new Array<number>(n);
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const r = remainderOf(total, sum === 0 ? 1 : (weights[i] ?? 0), denominator);
    remainders[i] = r;
    let j = i;
    while (j > 0 && (remainders[order[j - 1] as number] as number) < r) {
      order[j] = order[j - 1] as number;
      j -= 1;
    }
    order[j] = i;
  }
  for (let k = 0; given < total; k++) {
    const i = order[k % n] as number;
    shares[i] = (shares[i] as number) + 1;
    given += 1;
  }
  return shares;
}

function remainderOf(a: number, b: number, c: number): number {
  const product = a * b;
  if (Number.isSafeInteger(product)) return product % c;
  return Number((BigInt(a) * BigInt(b)) % BigInt(c));
}

const DAY_MS = 86_400_000;

/*
 * Instants are ISO strings in the state and the events, and the rules compare and step them many
 * times per event: `Date.parse` and above all `toISOString` cost more than the rules themselves.
 * The canonical form (`YYYY-MM-DDTHH:MM:SS.sssZ`, years 1970-9999) is read and written here by
 * integer arithmetic; anything else goes to `Date`, so every result is the one `Date` gives.
 */

const MIN_FAST_MS = 0;
/** 9999-12-31T23:59:59.999Z: `toISOString` writes four-digit years up to there. */
const MAX_FAST_MS = 253_402_300_799_999;

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Days in a common year before each month (1-12), the leap day not counted. */
const DAYS_BEFORE_MONTH = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** The two digits at `i` as a number; -1 if either is not a digit. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Whether `parseCanonical` read its last string itself: `isoOf` would write it back unchanged. */
let canonical = false;

function parseCanonical(s: string): number {
  if (
    s.length !== 24 ||
    s.charCodeAt(4) !== 45 || // -
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 || // T
    s.charCodeAt(13) !== 58 || // :
    s.charCodeAt(16) !== 58 ||
    s.charCodeAt(19) !== 46 || // .
    s.charCodeAt(23) !== 90 // Z
  ) {
    return Date.parse(s);
  }
  const century = twoDigits(s, 0);
  const yy = twoDigits(s, 2);
  const m = twoDigits(s, 5);
  const d = twoDigits(s, 8);
  const h = twoDigits(s, 11);
  const mi = twoDigits(s, 14);
  const sec = twoDigits(s, 17);
  const ms1 = twoDigits(s, 20);
  const ms2 = s.charCodeAt(22) - 48;
  const y = century * 100 + yy;
  if (
    century < 0 ||
    yy < 0 ||
    y < 1970 ||
    m < 1 ||
    m > 12 ||
    d < 1 ||
    d > daysInMonth(y, m) ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59 ||
    sec < 0 ||
    sec > 59 ||
    ms1 < 0 ||
    ms2 < 0 ||
    ms2 > 9
  ) {
    return Date.parse(s);
  }
  const before = y - 1;
  const leaps = ((before / 4) | 0) - ((before / 100) | 0) + ((before / 400) | 0) - 477;
  const leapDay = m > 2 && ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0) ? 1 : 0;
  const days = (y - 1970) * 365 + leaps + (DAYS_BEFORE_MONTH[m] as number) + leapDay + d - 1;
  canonical = true;
  return days * DAY_MS + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms1 * 10 + ms2;
}

// The same few instants are read again and again within one event (its time, the customer's
// previous one, the due instant, the new lot's expiry), so the last few read are kept, and
// whether each was canonical (then `isoOf` gives it back as it is).
const CACHED = 4;
const cachedText: string[] = new Array<string>(CACHED).fill('');
const cachedMs: number[] = new Array<number>(CACHED).fill(Number.NaN);
const cachedCanonical: boolean[] = new Array<boolean>(CACHED).fill(false);
let cacheNext = 0;
let lastCanonical = false;

/** `Date.parse(instant)`, for what the rules write and read. */
export function instantMs(instant: string): number {
  for (let i = 0; i < CACHED; i++) {
    if (cachedText[i] === instant) {
      lastCanonical = cachedCanonical[i] as boolean;
      return cachedMs[i] as number;
    }
  }
  canonical = false;
  const t = parseCanonical(instant);
  remember(instant, t, canonical);
  lastCanonical = canonical;
  return t;
}

function remember(instant: string, ms: number, isCanonical: boolean) {
  cachedText[cacheNext] = instant;
  cachedMs[cacheNext] = ms;
  cachedCanonical[cacheNext] = isCanonical;
  cacheNext = (cacheNext + 1) % CACHED;
}

// The date `civil` last worked out (module fields rather than an object: no allocation).
let civilYear = 1970;
let civilMonth = 1;
let civilDay = 1;

/** The proleptic Gregorian date of a day since 1970-01-01 (H. Hinnant's algorithm). */
function civil(days: number) {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  civilDay = doy - Math.floor((153 * mp + 2) / 5) + 1;
  civilMonth = mp < 10 ? mp + 3 : mp - 9;
  civilYear = yoe + era * 400 + (civilMonth <= 2 ? 1 : 0);
}

/** The proleptic Gregorian date of a day since 1970-01-01, as numbers (month 1-12). */
export function civilDate(days: number): { year: number; month: number; day: number } {
  civil(days);
  return { year: civilYear, month: civilMonth, day: civilDay };
}

let lastFormattedMs = Number.NaN;
let lastFormatted = '';

/** `new Date(ms).toISOString()`, throwing as it does for an invalid time. */
export function isoOf(ms: number): string {
  if (ms === lastFormattedMs) return lastFormatted;
  if (!(ms >= MIN_FAST_MS && ms <= MAX_FAST_MS) || !Number.isInteger(ms)) {
    return new Date(ms).toISOString();
  }
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const mi = Math.floor(rest / 60_000);
  rest -= mi * 60_000;
  const sec = Math.floor(rest / 1000);
  const milli = rest - sec * 1000;
  civil(days);
  const y = civilYear;
  const m = civilMonth;
  const d = civilDay;
  // One flat string from its character codes: a template would leave a rope of a dozen pieces,
  // slower to read back and several times the memory in every lot that keeps it.
  const text = String.fromCharCode(
    48 + Math.floor(y / 1000),
    48 + (Math.floor(y / 100) % 10),
    48 + (Math.floor(y / 10) % 10),
    48 + (y % 10),
    45,
    48 + Math.floor(m / 10),
    48 + (m % 10),
    45,
    48 + Math.floor(d / 10),
    48 + (d % 10),
    84,
    48 + Math.floor(h / 10),
    48 + (h % 10),
    58,
    48 + Math.floor(mi / 10),
    48 + (mi % 10),
    58,
    48 + Math.floor(sec / 10),
    48 + (sec % 10),
    46,
    48 + Math.floor(milli / 100),
    48 + (Math.floor(milli / 10) % 10),
    48 + (milli % 10),
    90,
  );
  lastFormattedMs = ms;
  lastFormatted = text;
  // What is written is read back next (a new lot's expiry, the next due instant): known already.
  remember(text, ms, true);
  return text;
}

/** The instant `days` whole days after `instant`, as an ISO string in UTC. */
export function addDays(instant: string, days: number): string {
  const t = instantMs(instant);
  if (days === 0 && lastCanonical) return instant;
  return isoOf(t + days * DAY_MS);
}

/**
 * The instant `months` calendar months after `instant` (UTC), clamped to the month's last day:
 * 31 January + 1 month is 28 (or 29) February.
 */
export function addMonths(instant: string, months: number): string {
  const t = instantMs(instant);
  if (t >= MIN_FAST_MS && t <= MAX_FAST_MS && Number.isInteger(months)) {
    const days = Math.floor(t / DAY_MS);
    const time = t - days * DAY_MS;
    civil(days);
    const d = civilDay;
    const index = civilYear * 12 + (civilMonth - 1) + months;
    const ty = Math.floor(index / 12);
    const tm = index - ty * 12 + 1;
    if (ty >= 1970 && ty <= 9999) {
      return isoOf(daysFromCivil(ty, tm, Math.min(d, daysInMonth(ty, tm))) * DAY_MS + time);
    }
  }
  const date = new Date(t);
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + months);
  const last = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, last));
  return date.toISOString();
}

/** Instants compared as moments, whatever offset they were written with. */
export function isAtOrBefore(a: string, b: string): boolean {
  return instantMs(a) <= instantMs(b);
}

/** `YYYY-MM-DD` of the event's own clock (the offset it was written with: the store's). */
export const localDate = (instant: string): string => instant.slice(0, 10);

/** `YYYY-MM` of the event's own clock. */
export const localMonth = (instant: string): string => instant.slice(0, 7);

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

let lastWeekdayOf = '';
let lastWeekday: (typeof WEEKDAYS)[number] = 'sun';

/** The weekday of a local date `YYYY-MM-DD`. */
export function weekdayOf(date: string): (typeof WEEKDAYS)[number] {
  // Asked for every sale under a rule limited to some weekdays, nearly always the same day.
  if (date === lastWeekdayOf) return lastWeekday;
  const [y, m, d] = date.split('-').map(Number);
  lastWeekday = WEEKDAYS[new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1)).getUTCDay()] ?? 'sun';
  lastWeekdayOf = date;
  return lastWeekday;
}

let lastMonth = '';
let lastBack = 0;
let lastMonthBefore = '';

/** The month `YYYY-MM` that is `back` months before `month`. */
export function monthsBefore(month: string, back: number): string {
  // Every sale and every cue asks for the start of the tier window, nearly always the same one.
  if (month === lastMonth && back === lastBack) return lastMonthBefore;
  const [y, m] = month.split('-').map(Number);
  const index = (y ?? 0) * 12 + ((m ?? 1) - 1) - back;
  const year = Math.floor(index / 12);
  const result = `${String(year).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
  lastMonth = month;
  lastBack = back;
  lastMonthBefore = result;
  return result;
}
