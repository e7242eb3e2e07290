/**
 * The live figures the console shows beside the stored ones: sales and net revenue over a
 * sliding 60-second window, and the rate of retail events, from the events as they pass through
 * NATS. Only the window is kept, so memory stays bounded however long the gateway runs; figures
 * over longer periods come from the analytics store. Pure: no clock (the caller passes `now`, in
 * epoch milliseconds), no I/O. Money stays integer minor units, per currency; the page formats it.
 *
 * Ledger entries and cues count towards nothing here, but each call says whether it brought
 * something new, which is how the push tells pages that the stored figures moved. The same id
 * seen twice (a till resending after a lost ack, an activity retried) is new once, within a
 * bounded memory of recent ids.
 */
import type { Cue, LedgerEntry } from '../../engine/domain/effects.ts';
import type { RetailEvent, ReturnEvent } from '../../engine/domain/events.ts';
import { saleTotal } from '../../engine/domain/loyalty/base-earn.ts';

/** Integer minor units per ISO 4217 currency code, e.g. `{ EUR: 123456 }`. */
export type Money = Record<string, number>;

export interface LastMinute {
  sales: number;
  /** Net revenue: sale totals less refunds, per currency. */
  revenue: Money;
}

export interface Figures {
  /** Retail events (sales, returns, registrations) per second, averaged over the last 10 seconds. */
  eventsPerSecond: number;
  /** Over the last 60 seconds. */
  lastMinute: LastMinute;
}

export const WINDOW_SECONDS = 60;
export const RATE_SECONDS = 10;

export interface LiveFiguresOptions {
  /** How many ids of each kind are remembered to recognise a repeat. */
  rememberIds?: number;
}

/** One second of the window. */
interface Bucket extends LastMinute {
  events: number;
}

const refundTotal = (ret: ReturnEvent) => ret.lines.reduce((sum, l) => sum + l.refundAmount, 0);

const addMoney = (money: Money, currency: string, amount: number) => {
  money[currency] = (money[currency] ?? 0) + amount;
};

/** A set that forgets its oldest members beyond `capacity`. */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly capacity: number) {}

  /** True if the id is new (and remembers it), false if it was seen recently. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}

/** The latest revision seen of each ledger line: a revised line is new, a late older copy is not. */
class LineRevisions {
  private readonly lines = new Map<string, number>();
  constructor(private readonly capacity: number) {}

  /** True if this entry is newer than what was seen of its line (and remembers it). */
  add(entry: LedgerEntry): boolean {
    const seen = this.lines.get(entry.entryId);
    if (seen !== undefined && seen >= entry.revision) return false;
    this.lines.delete(entry.entryId);
    this.lines.set(entry.entryId, entry.revision);
    if (this.lines.size > this.capacity) {
      const oldest = this.lines.keys().next().value;
      if (oldest !== undefined) this.lines.delete(oldest);
    }
    return true;
  }
}

export class LiveFigures {
  /** Per-second buckets of the sliding window, keyed by epoch second. */
  private readonly buckets = new Map<number, Bucket>();
  private latestSecond = Number.NEGATIVE_INFINITY;
  private readonly seenEvents: RecentIds;
  private readonly ledgerLines: LineRevisions;
  private readonly seenCues: RecentIds;

  constructor(options: LiveFiguresOptions = {}) {
    const remember = options.rememberIds ?? 50_000;
    this.seenEvents = new RecentIds(remember);
    this.ledgerLines = new LineRevisions(remember);
    this.seenCues = new RecentIds(remember);
  }

  /** Counts a retail event that arrived at `now`. Returns false for a repeat (not counted). */
  addEvent(event: RetailEvent, now: number): boolean {
    if (!this.seenEvents.add(event.eventId)) return false;
    const bucket = this.bucketAt(now);
    if (!bucket) return true; // already outside the window
    bucket.events += 1;
    if (event.type === 'sale') {
      bucket.sales += 1;
      addMoney(bucket.revenue, event.currency, saleTotal(event));
    } else if (event.type === 'return') {
      addMoney(bucket.revenue, event.currency, -refundTotal(event));
    }
    return true;
  }

  /** Whether a points-ledger entry is new: false for a repeat or an older revision of its line. */
  addLedgerEntry(entry: LedgerEntry): boolean {
    return this.ledgerLines.add(entry);
  }

  /** Whether a cue is new: false for a repeat. */
  addCue(cue: Cue): boolean {
    return this.seenCues.add(cue.cueId);
  }

  /** The figures as of `now`. */
  figures(now: number): Figures {
    const second = Math.floor(now / 1000);
    this.prune(second);
    const lastMinute: LastMinute = { sales: 0, revenue: {} };
    let recentEvents = 0;
    for (const [s, bucket] of this.buckets) {
      if (s > second) continue; // arrived after `now`
      lastMinute.sales += bucket.sales;
      for (const [c, v] of Object.entries(bucket.revenue)) addMoney(lastMinute.revenue, c, v);
      if (s > second - RATE_SECONDS) recentEvents += bucket.events;
    }
    return { eventsPerSecond: recentEvents / RATE_SECONDS, lastMinute };
  }

  /** The bucket of the second of `now`, or undefined if that second has left the window. */
  private bucketAt(now: number): Bucket | undefined {
    const second = Math.floor(now / 1000);
    this.prune(second);
    if (second <= this.latestSecond - WINDOW_SECONDS) return undefined;
    let bucket = this.buckets.get(second);
    if (!bucket) {
      bucket = { events: 0, sales: 0, revenue: {} };
      this.buckets.set(second, bucket);
    }
    return bucket;
  }

  /** Forgets the buckets that fell out of the window ending at the latest second seen. */
  private prune(second: number): void {
    if (second > this.latestSecond) this.latestSecond = second;
    for (const key of this.buckets.keys()) {
      if (key <= this.latestSecond - WINDOW_SECONDS) this.buckets.delete(key);
    }
  }
}
