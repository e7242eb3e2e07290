/**
 * The period a question looks at: whole UTC days, the `days` days ending on the as-of moment's
 * day (inclusive), because the daily aggregates cannot cut a day. Questions that read the fact
 * tables use the same days, so every question agrees on what "the last 365 days" holds.
 */
import type { QueryParams } from '../store.ts';

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of an instant, in UTC. */
export const dayOf = (instant: Date): string => instant.toISOString().slice(0, 10);

/** `day` moved by `delta` days. */
export const addDays = (day: string, delta: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + delta * DAY_MS).toISOString().slice(0, 10);

export interface Window {
  /** First day, `YYYY-MM-DD`. */
  from: string;
  /** Last day (the as-of moment's), `YYYY-MM-DD`. */
  to: string;
}

export function windowOf(asOf: Date, days: number): Window {
  const to = dayOf(asOf);
  return { from: addDays(to, -(days - 1)), to };
}

/**
 * The window as bound parameters, named with `prefix`: `<prefix>from` and `<prefix>to` (Date)
 * for the aggregates' `day`, `<prefix>start` and `<prefix>end` (DateTime64, end exclusive) for
 * the facts' `occurred_at`, whose partitions and sorting key prune on it.
 */
export function windowParams(window: Window, prefix = ''): QueryParams {
  return {
    [`${prefix}from`]: window.from,
    [`${prefix}to`]: window.to,
    [`${prefix}start`]: `${window.from} 00:00:00.000`,
    [`${prefix}end`]: `${addDays(window.to, 1)} 00:00:00.000`,
  };
}

/** SQL conditions on the window's parameters (see windowParams). */
export const onDays = (prefix = '', column = 'day') =>
  `${column} BETWEEN {${prefix}from:Date} AND {${prefix}to:Date}`;
export const onFacts = (prefix = '', column = 'occurred_at') =>
  `${column} >= {${prefix}start:DateTime64(3, 'UTC')} AND ${column} < {${prefix}end:DateTime64(3, 'UTC')}`;
