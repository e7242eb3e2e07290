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
  if (n === 0) return [];
  let sum = 0;
  for (const w of weights) sum += w;
  const shares = new Array<number>(n).fill(0);
  if (total === 0) return shares;
  const ws = sum === 0 ? weights.map(() => 1) : weights;
  const denominator = sum === 0 ? n : sum;
  const remainders: { i: number; r: number }[] = [];
  let given = 0;
  for (let i = 0; i < n; i++) {
    const w = ws[i] ?? 0;
    const exact = mulDiv(total, w, denominator);
    shares[i] = exact;
    given += exact;
    // The remainder of total·w / denominator, compared exactly as a numerator.
    remainders.push({ i, r: remainderOf(total, w, denominator) });
  }
  remainders.sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; given < total; k++) {
    const next = remainders[k % n];
    if (!next) break;
    shares[next.i] = (shares[next.i] ?? 0) + 1;
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

/** The instant `days` whole days after `instant`, as an ISO string in UTC. */
export function addDays(instant: string, days: number): string {
  return new Date(Date.parse(instant) + days * DAY_MS).toISOString();
}

/**
 * The instant `months` calendar months after `instant` (UTC), clamped to the month's last day:
 * 31 January + 1 month is 28 (or 29) February.
 */
export function addMonths(instant: string, months: number): string {
  const d = new Date(Date.parse(instant));
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d.toISOString();
}

/** Instants compared as moments, whatever offset they were written with. */
export function isAtOrBefore(a: string, b: string): boolean {
  return Date.parse(a) <= Date.parse(b);
}

/** `YYYY-MM-DD` of the event's own clock (the offset it was written with: the store's). */
export const localDate = (instant: string): string => instant.slice(0, 10);

/** `YYYY-MM` of the event's own clock. */
export const localMonth = (instant: string): string => instant.slice(0, 7);

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** The weekday of a local date `YYYY-MM-DD`. */
export function weekdayOf(date: string): (typeof WEEKDAYS)[number] {
  const [y, m, d] = date.split('-').map(Number);
  return WEEKDAYS[new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1)).getUTCDay()] ?? 'sun';
}

/** The month `YYYY-MM` that is `back` months before `month`. */
export function monthsBefore(month: string, back: number): string {
  const [y, m] = month.split('-').map(Number);
  const index = (y ?? 0) * 12 + ((m ?? 1) - 1) - back;
  const year = Math.floor(index / 12);
  return `${String(year).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}
