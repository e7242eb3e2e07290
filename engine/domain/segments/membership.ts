/**
 * Live segment membership: what a customer's record keeps to evaluate the program's segments, who
 * they are in, and when time alone will change that. Pure: the instant and the customer's other
 * facts are passed in; the memory is the caller's (carried in the customer's state), changed in
 * place.
 *
 * The measures (conditions.ts) are defined so that ClickHouse computes the same from the stored
 * events (engine/segments/sql.ts), which is what lets reconciliation find zero differences:
 * - a window of N days holds what happened in (now − N days, now], to the millisecond;
 * - `recency_days` is whole days since the last sale: floor((now − last sale) / 1 day);
 * - `visits` counts sales; `spend_minor` is sales' net less returns' refunds; `margin_minor` is
 *   sales' net less the cost of their goods (returns lower spend, not margin); `categories` are
 *   the categories of the lines sold;
 * - `home_store` and `channel` are the store and channel of most sales ever (a tie: the first in
 *   alphabetical order);
 * - `age` is not known to a customer's workflow (the birth year is personal data and stays out
 *   of it): a live segment may not name it (the program refuses it).
 *
 * Purchases are remembered for the longest window the segments use, so memory is bounded by what
 * the program asks.
 */
import type { Condition, Measure, MeasureValue } from './conditions.ts';
import { measuresOf, meets } from './conditions.ts';

export const DAY_MS = 86_400_000;

/** A segment of the program: its id and its condition (compiled from `when`). */
export interface LiveSegment {
  id: string;
  condition: Condition;
}

/** A sale or a return, as the memory keeps it. */
export interface Purchase {
  /** ms since the epoch. */
  at: number;
  /** 1 for a sale, 0 for a return. */
  sale: 0 | 1;
  /** Net amount in minor units: a sale's net, or minus a return's refund. */
  spend: number;
  /** A sale's net less the cost of its goods; 0 for a return. */
  margin: number;
  categories: string[];
}

/** What a customer's record keeps for their segments (plain JSON). */
export interface SegmentMemory {
  /** Purchases within the longest window in use, oldest first. */
  purchases: Purchase[];
  /** The latest sale (ms), kept beyond any window for `recency_days`. */
  lastSaleAt?: number;
  /** Sales by store and by channel, ever. */
  stores: Record<string, number>;
  channels: Record<string, number>;
  /** The segments the customer is in, with when they entered (ISO instant). */
  members: Record<string, string>;
  /** The latest instant membership was evaluated at (ISO). */
  evaluatedAt?: string;
  /** The instant of the latest change (ISO): no later change is stamped at or before it. */
  changedAt?: string;
}

export const noSegmentMemory = (): SegmentMemory => ({
  purchases: [],
  stores: {},
  channels: {},
  members: {},
});

/** What the rest of the customer's record says at the instant evaluated. */
export interface SegmentFacts {
  pointsBalance: number;
  tier?: string;
  tags: readonly string[];
}

/** A customer entered or left a segment. */
export interface MembershipChange {
  segmentId: string;
  change: 'entered' | 'exited';
  /** When it became so (ISO instant). */
  at: string;
}

/** The longest window the segments look back over, in days (0: none). */
export function longestWindow(segments: readonly LiveSegment[]): number {
  let days = 0;
  for (const s of segments)
    for (const m of measuresOf(s.condition)) days = Math.max(days, m.days ?? 0);
  return days;
}

/** Remembers a sale or a return, then forgets purchases older than the longest window. */
export function rememberPurchase(
  memory: SegmentMemory,
  purchase: Purchase & { storeId: string; channel: string },
  keepDays: number,
): void {
  const { storeId, channel, ...kept } = purchase;
  if (kept.sale === 1) {
    memory.lastSaleAt = Math.max(memory.lastSaleAt ?? kept.at, kept.at);
    memory.stores[storeId] = (memory.stores[storeId] ?? 0) + 1;
    memory.channels[channel] = (memory.channels[channel] ?? 0) + 1;
  }
  if (keepDays > 0) {
    // Events mostly arrive in order: insert from the end.
    let i = memory.purchases.length;
    while (i > 0 && (memory.purchases[i - 1] as Purchase).at > kept.at) i -= 1;
    memory.purchases.splice(i, 0, kept);
  }
  forgetBefore(memory, kept.at - keepDays * DAY_MS);
}

function forgetBefore(memory: SegmentMemory, ms: number): void {
  let drop = 0;
  while (drop < memory.purchases.length && (memory.purchases[drop] as Purchase).at <= ms) drop += 1;
  if (drop > 0) memory.purchases.splice(0, drop);
}

/** The store (or channel) of most sales; a tie goes to the first in alphabetical order. */
function mostOf(counts: Record<string, number>): string | undefined {
  let best: string | undefined;
  for (const [key, n] of Object.entries(counts)) {
    const top = best === undefined ? -1 : (counts[best] as number);
    if (n > top || (n === top && best !== undefined && key < best)) best = key;
  }
  return best;
}

/** The customer's measures at `now` (ms). */
export function measuresAt(
  memory: SegmentMemory,
  facts: SegmentFacts,
  now: number,
): (m: Measure) => MeasureValue {
  const within = (days: number) =>
    memory.purchases.filter((p) => p.at > now - days * DAY_MS && p.at <= now);
  return (m) => {
    switch (m.measure) {
      case 'recency_days':
        return memory.lastSaleAt === undefined || memory.lastSaleAt > now
          ? undefined
          : Math.floor((now - memory.lastSaleAt) / DAY_MS);
      case 'visits':
        return within(m.days ?? 0).reduce((n, p) => n + p.sale, 0);
      case 'spend_minor':
        return within(m.days ?? 0).reduce((n, p) => n + p.spend, 0);
      case 'margin_minor':
        return within(m.days ?? 0).reduce((n, p) => n + p.margin, 0);
      case 'categories':
        return [...new Set(within(m.days ?? 0).flatMap((p) => p.categories))].sort();
      case 'points_balance':
        return facts.pointsBalance;
      case 'tier':
        return facts.tier;
      case 'tags':
        return facts.tags;
      case 'home_store':
        return mostOf(memory.stores);
      case 'channel':
        return mostOf(memory.channels);
      case 'age':
        return undefined;
    }
  };
}

/**
 * Brings the membership up to date at `now`: each segment the customer now meets and was not in
 * is entered, each they no longer meet (or that the program no longer has) is left. Returns the
 * changes, in the segments' order.
 */
export function evaluateSegments(
  segments: readonly LiveSegment[],
  memory: SegmentMemory,
  facts: SegmentFacts,
  now: string,
): MembershipChange[] {
  const measured = measuresAt(memory, facts, Date.parse(now));
  // Changes of one customer are stamped in the order they were made, so that "the latest change
  // by then" is always one: a late event's change lands just after the previous one.
  const last = memory.changedAt;
  const at = last !== undefined && last >= now ? new Date(Date.parse(last) + 1).toISOString() : now;
  const changes: MembershipChange[] = [];
  const defined = new Set<string>();
  for (const segment of segments) {
    defined.add(segment.id);
    const isIn = meets(segment.condition, measured);
    const was = memory.members[segment.id] !== undefined;
    if (isIn && !was) {
      memory.members[segment.id] = at;
      changes.push({ segmentId: segment.id, change: 'entered', at });
    } else if (!isIn && was) {
      delete memory.members[segment.id];
      changes.push({ segmentId: segment.id, change: 'exited', at });
    }
  }
  for (const id of Object.keys(memory.members).sort()) {
    if (defined.has(id)) continue;
    delete memory.members[id];
    changes.push({ segmentId: id, change: 'exited', at });
  }
  if (changes.length > 0) memory.changedAt = at;
  return changes;
}

/**
 * The first instant from `now` (ms) at which the customer's membership differs from what is
 * recorded: `now` itself when an evaluation is pending, else the instant time alone changes it (a
 * day more since the last sale, a purchase leaving a window), or undefined if it never will.
 * Only the instants where a time-driven measure changes are tried.
 */
export function nextMembershipChange(
  segments: readonly LiveSegment[],
  memory: SegmentMemory,
  facts: SegmentFacts,
  now: number,
): number | undefined {
  const defined = new Set(segments.map((s) => s.id));
  if (Object.keys(memory.members).some((id) => !defined.has(id))) return now;
  const candidates = new Set<number>();
  for (const segment of segments) {
    for (const m of measuresOf(segment.condition)) {
      if (m.days !== undefined) {
        for (const p of memory.purchases) candidates.add(p.at + m.days * DAY_MS);
      }
    }
    if (memory.lastSaleAt !== undefined) {
      for (const days of recencyValues(segment.condition)) {
        for (const d of [days, days + 1]) candidates.add(memory.lastSaleAt + d * DAY_MS);
      }
    }
  }
  const ordered = [now, ...[...candidates].filter((t) => t > now).sort((a, b) => a - b)];
  for (const t of ordered) {
    const measured = measuresAt(memory, facts, t);
    for (const segment of segments) {
      if (meets(segment.condition, measured) !== (memory.members[segment.id] !== undefined)) {
        return t;
      }
    }
  }
  return undefined;
}

/** The whole days a condition compares `recency_days` with. */
function recencyValues(cond: Condition): number[] {
  if ('all' in cond) return cond.all.flatMap(recencyValues);
  if ('any' in cond) return cond.any.flatMap(recencyValues);
  if ('not' in cond) return recencyValues(cond.not);
  if (cond.of.measure !== 'recency_days') return [];
  const values = 'oneOf' in cond ? cond.oneOf : 'value' in cond ? [cond.value] : [];
  return values.filter((v): v is number => typeof v === 'number').map((v) => Math.ceil(v));
}
