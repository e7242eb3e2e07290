/**
 * The live figures marketers watch: running totals since the dashboard started, and the same
 * figures over a sliding 60-second window, from the retail events, ledger entries and cues as
 * they pass through NATS. Pure: no clock (the caller passes `now`, in epoch milliseconds), no
 * I/O. Money stays integer minor units, per currency; the page formats it.
 *
 * The same id seen twice (a till resending after a lost ack, an activity retried) is counted
 * once, within a bounded memory of recent ids.
 */
import type { Cue, LedgerEntry } from '../../engine/domain/effects.ts';
import type { RetailEvent, ReturnEvent } from '../../engine/domain/events.ts';
import { saleTotal } from '../../engine/domain/loyalty/base-earn.ts';

/** Integer minor units per ISO 4217 currency code, e.g. `{ EUR: 123456 }`. */
export type Money = Record<string, number>;

export interface Counts {
  /** Retail events: sales, returns and registrations. */
  events: number;
  sales: number;
  returns: number;
  registrations: number;
  /** Sales without a customer id. */
  anonymousSales: number;
  /** Net revenue: sale totals less refunds, per currency. */
  revenue: Money;
  /** Refunded by returns, per currency (already subtracted from `revenue`). */
  refunds: Money;
  /** Points credited by accruals. */
  pointsIssued: number;
  /** Points taken back by reversals (a positive number). */
  pointsReversed: number;
  /** Cues sent to tills and the web shop. */
  cues: number;
}

export interface StoreFigures {
  storeId: string;
  sales: number;
  returns: number;
  /** Net revenue of the store, per currency. */
  revenue: Money;
}

export interface Figures {
  /** The instant these figures describe (ISO 8601, UTC). */
  at: string;
  /** Retail events per second, averaged over the last 10 seconds. */
  eventsPerSecond: number;
  /** Retail events in each of the last 60 seconds, oldest first (the last one is the current second). */
  eventsPerSecondSeries: number[];
  /** Since the dashboard started. */
  total: Counts;
  /** Over the last 60 seconds. */
  lastMinute: Counts;
  /** Share of sales without a customer id (0..1) since start; null before the first sale. */
  anonymousShare: number | null;
  /** Per store since start, by store id. */
  stores: StoreFigures[];
}

export const WINDOW_SECONDS = 60;
export const RATE_SECONDS = 10;

export interface LiveFiguresOptions {
  /** How many ids of each kind are remembered to recognise a repeat. */
  rememberIds?: number;
}

const emptyCounts = (): Counts => ({
  events: 0,
  sales: 0,
  returns: 0,
  registrations: 0,
  anonymousSales: 0,
  revenue: {},
  refunds: {},
  pointsIssued: 0,
  pointsReversed: 0,
  cues: 0,
});

const refundTotal = (ret: ReturnEvent) => ret.lines.reduce((sum, l) => sum + l.refundAmount, 0);

const addMoney = (money: Money, currency: string, amount: number) => {
  money[currency] = (money[currency] ?? 0) + amount;
};

function mergeInto(target: Counts, source: Counts): void {
  target.events += source.events;
  target.sales += source.sales;
  target.returns += source.returns;
  target.registrations += source.registrations;
  target.anonymousSales += source.anonymousSales;
  for (const [c, v] of Object.entries(source.revenue)) addMoney(target.revenue, c, v);
  for (const [c, v] of Object.entries(source.refunds)) addMoney(target.refunds, c, v);
  target.pointsIssued += source.pointsIssued;
  target.pointsReversed += source.pointsReversed;
  target.cues += source.cues;
}

const copyCounts = (c: Counts): Counts => ({
  ...c,
  revenue: { ...c.revenue },
  refunds: { ...c.refunds },
});

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

/** The latest revision seen of each ledger line, so a revised line counts by its change only. */
class LineRevisions {
  private readonly lines = new Map<string, { revision: number; points: number }>();
  constructor(private readonly capacity: number) {}

  /** The change in points this entry brings, or undefined if it is not newer than what was seen. */
  change(entry: LedgerEntry): number | undefined {
    const seen = this.lines.get(entry.entryId);
    if (seen && seen.revision >= entry.revision) return undefined;
    this.lines.delete(entry.entryId);
    this.lines.set(entry.entryId, { revision: entry.revision, points: entry.points });
    if (this.lines.size > this.capacity) {
      const oldest = this.lines.keys().next().value;
      if (oldest !== undefined) this.lines.delete(oldest);
    }
    return entry.points - (seen?.points ?? 0);
  }
}

export class LiveFigures {
  private readonly total = emptyCounts();
  /** Per-second buckets of the sliding window, keyed by epoch second. */
  private readonly buckets = new Map<number, Counts>();
  private latestSecond = Number.NEGATIVE_INFINITY;
  private readonly stores = new Map<string, StoreFigures>();
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
    this.count(now, (c) => {
      c.events += 1;
      switch (event.type) {
        case 'sale': {
          const total = saleTotal(event);
          c.sales += 1;
          if (event.customerId === undefined) c.anonymousSales += 1;
          addMoney(c.revenue, event.currency, total);
          break;
        }
        case 'return': {
          const refund = refundTotal(event);
          c.returns += 1;
          addMoney(c.revenue, event.currency, -refund);
          addMoney(c.refunds, event.currency, refund);
          break;
        }
        case 'customer.registered':
          c.registrations += 1;
          break;
      }
    });
    if (event.type === 'sale' || event.type === 'return') {
      const store = this.storeFigures(event.storeId);
      if (event.type === 'sale') {
        store.sales += 1;
        addMoney(store.revenue, event.currency, saleTotal(event));
      } else {
        store.returns += 1;
        addMoney(store.revenue, event.currency, -refundTotal(event));
      }
    }
    return true;
  }

  /** Counts a points-ledger entry that arrived at `now`. Returns false for a repeat. */
  addLedgerEntry(entry: LedgerEntry, now: number): boolean {
    // A revised line (a further return of the same sale) counts by its difference.
    const change = this.ledgerLines.change(entry);
    if (change === undefined) return false;
    this.count(now, (c) => {
      if (change > 0) c.pointsIssued += change;
      else c.pointsReversed += -change;
    });
    return true;
  }

  /** Counts a cue that arrived at `now`. Returns false for a repeat. */
  addCue(cue: Cue, now: number): boolean {
    if (!this.seenCues.add(cue.cueId)) return false;
    this.count(now, (c) => {
      c.cues += 1;
    });
    return true;
  }

  /** The figures as of `now`. */
  figures(now: number): Figures {
    const second = Math.floor(now / 1000);
    this.prune(second);
    const lastMinute = emptyCounts();
    const series: number[] = [];
    for (let s = second - WINDOW_SECONDS + 1; s <= second; s += 1) {
      const bucket = this.buckets.get(s);
      series.push(bucket?.events ?? 0);
      if (bucket) mergeInto(lastMinute, bucket);
    }
    const recent = series.slice(-RATE_SECONDS).reduce((sum, n) => sum + n, 0);
    return {
      at: new Date(now).toISOString(),
      eventsPerSecond: recent / RATE_SECONDS,
      eventsPerSecondSeries: series,
      total: copyCounts(this.total),
      lastMinute,
      anonymousShare: this.total.sales > 0 ? this.total.anonymousSales / this.total.sales : null,
      stores: [...this.stores.values()]
        .sort((a, b) => (a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0))
        .map((s) => ({ ...s, revenue: { ...s.revenue } })),
    };
  }

  private count(now: number, apply: (c: Counts) => void): void {
    apply(this.total);
    const second = Math.floor(now / 1000);
    this.prune(second);
    if (second <= this.latestSecond - WINDOW_SECONDS) return; // already outside the window
    let bucket = this.buckets.get(second);
    if (!bucket) {
      bucket = emptyCounts();
      this.buckets.set(second, bucket);
    }
    apply(bucket);
  }

  /** Forgets the buckets that fell out of the window ending at the latest second seen. */
  private prune(second: number): void {
    if (second > this.latestSecond) this.latestSecond = second;
    for (const key of this.buckets.keys()) {
      if (key <= this.latestSecond - WINDOW_SECONDS) this.buckets.delete(key);
    }
  }

  private storeFigures(storeId: string): StoreFigures {
    let store = this.stores.get(storeId);
    if (!store) {
      store = { storeId, sales: 0, returns: 0, revenue: {} };
      this.stores.set(storeId, store);
    }
    return store;
  }
}
