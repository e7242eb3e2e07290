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

/** What time does to a list of segments: its windows and the recency days it compares. */
interface TimePlan {
  windows: number[];
  recencyDays: number[];
  longest: number;
}

/** Per list of segments (a program version's, the same object for every event): computed once. */
const plans = new WeakMap<readonly LiveSegment[], TimePlan>();

function planOf(segments: readonly LiveSegment[]): TimePlan {
  let plan = plans.get(segments);
  if (!plan) {
    const windows = new Set<number>();
    const recency = new Set<number>();
    for (const s of segments) {
      for (const m of measuresOf(s.condition)) if (m.days !== undefined) windows.add(m.days);
      for (const days of recencyValues(s.condition)) recency.add(days);
    }
    plan = {
      windows: [...windows],
      recencyDays: [...recency],
      longest: Math.max(0, ...windows),
    };
    plans.set(segments, plan);
  }
  return plan;
}

/** The longest window the segments look back over, in days (0: none). */
export function longestWindow(segments: readonly LiveSegment[]): number {
  return planOf(segments).longest;
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
    // Its index appends only what comes after what it holds: one out of order rebuilds it.
    if (i < memory.purchases.length - 1) indexes.delete(memory);
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

/**
 * The purchases indexed for measuring at many instants: sorted times and running sums, so a
 * window's figures are two binary searches, not a pass over every purchase (a regular customer
 * may hold thousands within the longest window, and the next change is looked for at each).
 */
interface PurchaseIndex {
  at: number[];
  /** Running sums: element i is the sum over purchases [0, i). */
  visits: number[];
  spend: number[];
  margin: number[];
  /** Each category's sale times, sorted. */
  categories: Map<string, number[]>;
}

function append(index: PurchaseIndex, p: Purchase): void {
  const i = index.at.length;
  index.at.push(p.at);
  index.visits.push((index.visits[i] as number) + p.sale);
  index.spend.push((index.spend[i] as number) + p.spend);
  index.margin.push((index.margin[i] as number) + p.margin);
  for (const c of p.categories) {
    const times = index.categories.get(c);
    if (times) times.push(p.at);
    else index.categories.set(c, [p.at]);
  }
}

function buildIndex(purchases: readonly Purchase[]): PurchaseIndex {
  const index: PurchaseIndex = {
    at: [],
    visits: [0],
    spend: [0],
    margin: [0],
    categories: new Map(),
  };
  for (const p of purchases) append(index, p);
  return index;
}

/**
 * Each memory's index, kept while purchases only arrive in time order (the usual case): a new
 * purchase is appended, one forgotten at the front stays in the index, where it is older than
 * every window asked about and so changes no figure. A purchase arriving out of order, or an
 * index grown to twice the memory, is rebuilt. A cache of a pure function of the memory: the
 * answers are the same with or without it.
 */
const indexes = new WeakMap<SegmentMemory, { index: PurchaseIndex; last: Purchase | undefined }>();

function indexOf(memory: SegmentMemory): PurchaseIndex {
  const purchases = memory.purchases;
  const cached = indexes.get(memory);
  const newest = purchases[purchases.length - 1];
  if (cached && cached.last === newest) return cached.index;
  if (cached && cached.index.at.length < 2 * purchases.length + 16) {
    // Only appended since (an insertion out of order dropped the cache): add what is new.
    const from = cached.last === undefined ? 0 : purchases.lastIndexOf(cached.last) + 1;
    if (cached.last === undefined || from > 0) {
      for (const p of purchases.slice(from)) append(cached.index, p);
      cached.last = newest;
      return cached.index;
    }
  }
  const index = buildIndex(purchases);
  indexes.set(memory, { index, last: newest });
  return index;
}

/** The number of sorted `times` at or before `t`. */
function countUpTo(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The customer's measures at `now` (ms). */
export function measuresAt(
  memory: SegmentMemory,
  facts: SegmentFacts,
  now: number,
  index: PurchaseIndex = indexOf(memory),
): (m: Measure) => MeasureValue {
  /** Purchases in (now − days, now]: [from, to) of the index. */
  const window = (days: number) => ({
    from: countUpTo(index.at, now - days * DAY_MS),
    to: countUpTo(index.at, now),
  });
  const sum = (running: readonly number[], days: number) => {
    const { from, to } = window(days);
    return (running[to] as number) - (running[from] as number);
  };
  return (m) => {
    switch (m.measure) {
      case 'recency_days':
        return memory.lastSaleAt === undefined || memory.lastSaleAt > now
          ? undefined
          : Math.floor((now - memory.lastSaleAt) / DAY_MS);
      case 'visits':
        return sum(index.visits, m.days ?? 0);
      case 'spend_minor':
        return sum(index.spend, m.days ?? 0);
      case 'margin_minor':
        return sum(index.margin, m.days ?? 0);
      case 'categories': {
        const since = now - (m.days ?? 0) * DAY_MS;
        const bought: string[] = [];
        for (const [category, times] of index.categories) {
          if (countUpTo(times, now) > countUpTo(times, since)) bought.push(category);
        }
        return bought.sort();
      }
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
 * Only the instants where a time-driven measure changes are tried. With `until`, only what falls
 * due by then, and nothing at `now` itself: a catch-up before an event, which the evaluation
 * after the event completes.
 */
export function nextMembershipChange(
  segments: readonly LiveSegment[],
  memory: SegmentMemory,
  facts: SegmentFacts,
  now: number,
  until?: number,
): number | undefined {
  const defined = new Set(segments.map((s) => s.id));
  if (Object.keys(memory.members).some((id) => !defined.has(id))) return now;
  const last = until ?? Number.POSITIVE_INFINITY;
  const candidates = new Set<number>();
  const purchases = memory.purchases;
  const plan = planOf(segments);
  for (const days of plan.windows) {
    const span = days * DAY_MS;
    // Purchases leave the window at their time + span: only those leaving in (now, last].
    for (let i = firstAfter(purchases, now - span); i < purchases.length; i++) {
      const leaves = (purchases[i] as Purchase).at + span;
      if (leaves > last) break;
      candidates.add(leaves);
    }
  }
  if (memory.lastSaleAt !== undefined) {
    for (const days of plan.recencyDays) {
      candidates.add(memory.lastSaleAt + days * DAY_MS);
      candidates.add(memory.lastSaleAt + (days + 1) * DAY_MS);
    }
  }
  const later = [...candidates].filter((t) => t > now && t <= last).sort((a, b) => a - b);
  const ordered = until === undefined ? [now, ...later] : later;
  if (ordered.length === 0) return undefined;
  const index = indexOf(memory);
  for (const t of ordered) {
    const measured = measuresAt(memory, facts, t, index);
    for (const segment of segments) {
      if (meets(segment.condition, measured) !== (memory.members[segment.id] !== undefined)) {
        return t;
      }
    }
  }
  return undefined;
}

/** The index of the first purchase after `t` (ms); purchases are in time order. */
function firstAfter(purchases: readonly Purchase[], t: number): number {
  let lo = 0;
  let hi = purchases.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((purchases[mid] as Purchase).at <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
