/**
 * The generated history as events, in time order across the whole run: what `clientele generate
 * --send` sends through the gateways. The same run as generateBatches (generate.ts), so the same
 * events with the same ids: the rows it writes and the rows the live sink makes of these events
 * describe one history.
 *
 * The run makes events customer by customer, so ordering them across customers needs them all
 * at hand. Up to `maxHeld` events are simply sorted in memory; beyond that, the run is made
 * again once per window of days holding at most `maxHeld` events, keeping only that window's:
 * memory stays bounded at the price of a few more runs, cheap beside a gateway's pace.
 */
import type { RetailEvent } from '../domain/events.ts';
import { DAY_MS } from './calendar.ts';
import { type GeneratorOptions, runEvents, type TimedEvent } from './generate.ts';

export interface OrderedEvents {
  /** How many events the run makes. */
  total: number;
  /** Instants (ms) of the first and the last event; NaN when there are none. */
  firstMs: number;
  lastMs: number;
  /** The events in time order (ties in the run's order); iterable more than once. */
  events: Iterable<RetailEvent>;
}

/** Events held in memory at once: about 2 KB each. */
export const MAX_HELD_EVENTS = 250_000;

const byTime = (a: TimedEvent, b: TimedEvent) => a.ms - b.ms;

/**
 * Makes the run once to count its events, their span and how many fall on each day, and returns
 * them ready to iterate in time order.
 */
export function orderGeneratedEvents(
  options: GeneratorOptions,
  maxHeld = MAX_HELD_EVENTS,
): OrderedEvents {
  const perDay = new Map<number, number>();
  let held: TimedEvent[] | undefined = [];
  let total = 0;
  let firstMs = Number.POSITIVE_INFINITY;
  let lastMs = Number.NEGATIVE_INFINITY;
  for (const part of runEvents(options)) {
    for (const timed of part) {
      const day = Math.floor(timed.ms / DAY_MS);
      perDay.set(day, (perDay.get(day) ?? 0) + 1);
      if (timed.ms < firstMs) firstMs = timed.ms;
      if (timed.ms > lastMs) lastMs = timed.ms;
    }
    total += part.length;
    if (held && total <= maxHeld) for (const timed of part) held.push(timed);
    else held = undefined;
  }
  if (total === 0) return { total, firstMs: Number.NaN, lastMs: Number.NaN, events: [] };

  if (held) {
    const events = held.sort(byTime).map((t) => t.event);
    return { total, firstMs, lastMs, events };
  }
  const windows = dayWindows(perDay, maxHeld);
  return {
    total,
    firstMs,
    lastMs,
    events: {
      *[Symbol.iterator]() {
        for (const [first, last] of windows) {
          const inWindow: TimedEvent[] = [];
          for (const part of runEvents(options)) {
            for (const timed of part) {
              const day = Math.floor(timed.ms / DAY_MS);
              if (day >= first && day <= last) inWindow.push(timed);
            }
          }
          for (const timed of inWindow.sort(byTime)) yield timed.event;
        }
      },
    },
  };
}

/** Consecutive days grouped into windows of at most `max` events (a busier day on its own). */
function dayWindows(perDay: Map<number, number>, max: number): Array<[number, number]> {
  const days = [...perDay.keys()].sort((a, b) => a - b);
  const windows: Array<[number, number]> = [];
  let first = days[0] as number;
  let count = 0;
  for (const [i, day] of days.entries()) {
    const n = perDay.get(day) as number;
    if (count > 0 && count + n > max) {
      windows.push([first, days[i - 1] as number]);
      first = day;
      count = 0;
    }
    count += n;
  }
  windows.push([first, days.at(-1) as number]);
  return windows;
}

/**
 * The seeded population's events (registrations with profiles, sales, returns) in time order:
 * exactly the events whose rows generateBatches writes, with the same ids.
 */
export function generateEvents(options: GeneratorOptions): Iterable<RetailEvent> {
  return orderGeneratedEvents(options).events;
}
