/**
 * Lifecycle occasions: when each rule of the program's `lifecycle` section is next due for a
 * customer, and what fires when it is. Pure: the customer's facts and the instant are passed in;
 * the memory of what fired is the caller's (carried in the customer's state), changed in place.
 *
 * **Exactly once.** Every occasion has a key, `<ruleId>@<occasion>` (the local date of a
 * birthday, the last purchase a lapse counts from, `once` for a milestone); a key fired is
 * remembered, so a second timer for the same occasion (a repeated daylight-saving hour, a
 * replay, a continue-as-new, a program change) fires nothing. Yearly rules also remember how
 * far they fired (`firedThrough`): the next occasion is looked for after it, so forgetting old
 * keys never lets an old occasion fire again.
 *
 * **Late, not lost.** An occasion whose instant passed while nobody looked (a worker down, a
 * customer whose events arrived late) fires once when next asked, with its own due instant; a
 * yearly one only up to `YEARLY_LATE_MS` late.
 *
 * **From its version on.** Yearly occasions are looked for from `since`: the later of when the
 * rules' version came into force and when the customer became one, so a rule added today fires
 * no birthday of last year. A lapse is a state: a rule added today finds the customers already
 * lapsed and fires for them at once (with the instant they lapsed).
 *
 * Milestones and a lapsed customer's return fire on the sale that reaches them (`onSale`), not
 * on a timer.
 */

import type { LifecycleTriggerMessage } from '../effects.ts';
import { addDaysToDate, instantAt, localDateOf, nextAnnual } from './local-time.ts';
import type { Lifecycle, LifecycleRule } from './rules-schema.ts';

const DAY_MS = 86_400_000;
/** How many fired keys the memory keeps (older yearly ones are covered by `firedThrough`). */
export const FIRED_KEPT = 200;
/** How many purchase dates of a replenished item the memory keeps, per rule. */
export const PURCHASES_KEPT = 6;

/** What the customer's record knows that the rules read. */
export interface LifecycleFacts {
  customerId: string;
  registeredAt?: string;
  /** `MM-DD` (no year), when the member gave a birth date. */
  birthMonthDay?: string;
  lastPurchaseAt?: string;
  visits: number;
  spendMinor: number;
  tier?: string;
  /** When the customer reached their tier. */
  tierSince?: string;
  customerType?: string;
  /** The customer's home store, for the time zone. */
  homeStoreId?: string;
}

/** What fired, remembered with the customer (plain JSON). */
export interface LifecycleMemory {
  /** Keys of the occasions fired, oldest first (the last `FIRED_KEPT`). */
  fired: string[];
  /** Per yearly rule, the due instant (ms) of the latest occasion fired. */
  firedThrough: Record<string, number>;
  /** Per replenishment rule, the local dates of the last purchases of its items, oldest first. */
  bought: Record<string, string[]>;
  /** Cues waiting for the customer's next visit, oldest first. */
  waiting: WaitingCue[];
}

export interface WaitingCue {
  ruleId: string;
  occasion: string;
  message: string;
  /** Stale from then on (ISO instant). */
  until: string;
}

export const noLifecycleMemory = (): LifecycleMemory => ({
  fired: [],
  firedThrough: {},
  bought: {},
  waiting: [],
});

/** An occasion of a rule: its key, and the instant it is due (ms). */
export interface Occasion {
  ruleId: string;
  on: LifecycleRule['on'];
  /** `<ruleId>@<occasion>`: what makes it once. */
  key: string;
  /** When it is due: what the trigger says (`dueAt`). */
  dueMs: number;
  /** When the clock fires it: the due instant plus the customer's share of `spreadMinutes`. */
  fireMs: number;
}

/** An occasion before the spread is applied (one a sale fires is fired at once). */
type Due = Omit<Occasion, 'fireMs'>;

/** A rule fired for a customer: what campaigns, analytics and the till are told (`effects.ts`). */
export type LifecycleFired = LifecycleTriggerMessage;

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The customer's fixed offset within `spreadMinutes` (ms): a hash of their id (FNV-1a), so the
 * same customer fires at the same offset on every occasion and in every replay.
 */
export function spreadOffsetMs(customerId: string, spreadMinutes = 0): number {
  if (spreadMinutes <= 0) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < customerId.length; i++) {
    hash ^= customerId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % (spreadMinutes * 60_000);
}

/** The customer's zone: their home store's, else the program's. */
export function zoneOf(lifecycle: Lifecycle, facts: LifecycleFacts): string {
  return own(lifecycle.storeTimeZones, facts.homeStoreId) ?? lifecycle.timeZone;
}

/** The days without a purchase after which `rule` calls the customer lapsed. */
function lapseDays(rule: Extract<LifecycleRule, { on: 'lapsed' }>, facts: LifecycleFacts): number {
  return (
    own(rule.byTier, facts.tier) ?? own(rule.byCustomerType, facts.customerType) ?? rule.afterDays
  );
}

/** `record[key]` when the record itself holds it (a tier named `constructor` finds nothing). */
function own<V>(record: Partial<Record<string, V>> | undefined, key: string | undefined) {
  return record !== undefined && key !== undefined && Object.hasOwn(record, key)
    ? record[key]
    : undefined;
}

/** The next occasion of a yearly rule after `afterMs` whose key has not fired. */
function nextYearly(
  lifecycle: Lifecycle,
  rule: Extract<LifecycleRule, { on: 'birthday' | 'membership-anniversary' | 'tier-anniversary' }>,
  monthDay: string,
  zone: string,
  memory: LifecycleMemory,
  afterMs: number,
): Due {
  let after = Math.max(afterMs, memory.firedThrough[rule.id] ?? Number.NEGATIVE_INFINITY);
  for (;;) {
    const next = nextAnnual({
      zone,
      monthDay,
      time: rule.at,
      leapDayRule: lifecycle.leapDay,
      leadDays: rule.leadDays,
      afterMs: after,
    });
    const key = `${rule.id}@${next.date}`;
    if (!memory.fired.includes(key))
      return { ruleId: rule.id, on: rule.on, key, dueMs: next.dueMs };
    after = next.dueMs;
  }
}

/** `MM-DD` of an instant in the zone. */
const monthDayOf = (zone: string, at: string): string =>
  localDateOf(zone, Date.parse(at)).slice(5, 10);

/**
 * The instant the local day of `at` ends in the zone: not 24 hours on, as a day the clocks go
 * back has 25 (24.5 on Lord Howe).
 */
const endOfLocalDay = (zone: string, at: string): number =>
  instantAt(zone, addDaysToDate(localDateOf(zone, Date.parse(at)), 1), '00:00');

/**
 * The next occasion of each rule that can fall due on the clock, after `since` (ms): the ones
 * not fired yet, earliest first. Milestones and returns fire on sales, not here.
 */
export function upcoming(
  lifecycle: Lifecycle,
  facts: LifecycleFacts,
  memory: LifecycleMemory,
  since: number,
): Occasion[] {
  const zone = zoneOf(lifecycle, facts);
  // A customer's occasions count from when they became one (and the rules' version).
  const start = Math.max(since, facts.registeredAt ? Date.parse(facts.registeredAt) : since);
  const found: Due[] = [];
  for (const rule of lifecycle.rules) {
    switch (rule.on) {
      case 'lapsed': {
        const last = facts.lastPurchaseAt;
        if (last === undefined) break;
        const key = `${rule.id}@${last}`;
        if (memory.fired.includes(key)) break;
        found.push({
          ruleId: rule.id,
          on: rule.on,
          key,
          dueMs: Date.parse(last) + lapseDays(rule, facts) * DAY_MS,
        });
        break;
      }
      case 'birthday':
        if (facts.birthMonthDay !== undefined) {
          found.push(nextYearly(lifecycle, rule, facts.birthMonthDay, zone, memory, start));
        }
        break;
      case 'membership-anniversary':
        if (facts.registeredAt !== undefined) {
          // The first anniversary is a year on, never the day of registering.
          const after = Math.max(start, endOfLocalDay(zone, facts.registeredAt));
          found.push(
            nextYearly(lifecycle, rule, monthDayOf(zone, facts.registeredAt), zone, memory, after),
          );
        }
        break;
      case 'tier-anniversary':
        if (facts.tierSince !== undefined) {
          const after = Math.max(start, endOfLocalDay(zone, facts.tierSince));
          found.push(
            nextYearly(lifecycle, rule, monthDayOf(zone, facts.tierSince), zone, memory, after),
          );
        }
        break;
      case 'replenishment': {
        const dates = memory.bought[rule.id] ?? [];
        const last = dates.at(-1);
        if (last === undefined) break;
        const key = `${rule.id}@${last}`;
        if (memory.fired.includes(key)) break;
        const due = addDaysToDate(last, intervalDays(dates, rule) - rule.leadDays);
        found.push({ ruleId: rule.id, on: rule.on, key, dueMs: instantAt(zone, due, rule.at) });
        break;
      }
      case 'returned':
      case 'visits':
      case 'lifetime-spend':
        break;
    }
  }
  const offset = spreadOffsetMs(facts.customerId, lifecycle.spreadMinutes);
  return found
    .map((occasion) => ({ ...occasion, fireMs: occasion.dueMs + offset }))
    .sort((a, b) => a.fireMs - b.fireMs || (a.key < b.key ? -1 : 1));
}

/**
 * Days until an item is due again: the customer's own mean interval between purchases (whole
 * days, rounded) once there are `minPurchases`, else the rule's cycle.
 */
export function intervalDays(
  dates: readonly string[],
  rule: Extract<LifecycleRule, { on: 'replenishment' }>,
): number {
  if (dates.length < rule.minPurchases) return rule.cycleDays;
  const first = Date.parse(`${dates[0]}T00:00:00Z`);
  const last = Date.parse(`${dates.at(-1)}T00:00:00Z`);
  return Math.max(1, Math.round((last - first) / DAY_MS / (dates.length - 1)));
}

/** Remembers `key` as fired (and the yearly watermark); false if it had fired before. */
function remember(memory: LifecycleMemory, occasion: Due): boolean {
  if (memory.fired.includes(occasion.key)) return false;
  memory.fired.push(occasion.key);
  if (memory.fired.length > FIRED_KEPT) memory.fired.splice(0, memory.fired.length - FIRED_KEPT);
  if (yearly(occasion.on)) {
    memory.firedThrough[occasion.ruleId] = Math.max(
      memory.firedThrough[occasion.ruleId] ?? Number.NEGATIVE_INFINITY,
      occasion.dueMs,
    );
  }
  return true;
}

/**
 * How late a yearly occasion may still fire (a worker down over its day): later, it is
 * remembered as passed and fires nothing, as a birthday message a month late does more harm
 * than good. A lapse or an item due again is a state, not a day: it fires however late.
 */
export const YEARLY_LATE_MS = 7 * DAY_MS;

const yearly = (on: LifecycleRule['on']): boolean =>
  on === 'birthday' || on === 'membership-anniversary' || on === 'tier-anniversary';

/** Fires `occasion` once: the trigger and the cue it leaves, or nothing if it fired before. */
function fire(
  lifecycle: Lifecycle,
  facts: LifecycleFacts,
  memory: LifecycleMemory,
  occasion: Due,
  nowMs: number,
): LifecycleFired | undefined {
  if (!remember(memory, occasion)) return undefined;
  if (yearly(occasion.on) && nowMs - occasion.dueMs > YEARLY_LATE_MS) return undefined;
  const rule = lifecycle.rules.find((r) => r.id === occasion.ruleId);
  const fired: LifecycleFired = {
    customerId: facts.customerId,
    ruleId: occasion.ruleId,
    on: occasion.on,
    occasion: occasion.key.slice(occasion.ruleId.length + 1),
    dueAt: iso(occasion.dueMs),
    firedAt: iso(Math.max(nowMs, occasion.dueMs)),
  };
  if (rule?.cue) {
    const until = iso(Math.max(nowMs, occasion.dueMs) + rule.cue.validDays * DAY_MS);
    fired.cue = { message: rule.cue.message, until };
    // Stale cues go as new ones come: the list holds what may still be shown.
    memory.waiting = waitingCues(memory, nowMs);
    memory.waiting.push({
      ruleId: occasion.ruleId,
      occasion: fired.occasion,
      message: rule.cue.message,
      until,
    });
  }
  return fired;
}

/** Cues still waiting at `nowMs` (reading changes nothing: a query may ask). */
export function waitingCues(memory: LifecycleMemory, nowMs: number): WaitingCue[] {
  return memory.waiting.filter((cue) => Date.parse(cue.until) > nowMs);
}

/** Every occasion due by `nowMs`, fired once each, earliest first. */
export function fireDue(
  lifecycle: Lifecycle,
  facts: LifecycleFacts,
  memory: LifecycleMemory,
  since: number,
  nowMs: number,
): LifecycleFired[] {
  const fired: LifecycleFired[] = [];
  // A yearly rule may have more than one occasion due (a worker down for over a year): each in
  // turn, as firing one moves its rule on to the next.
  for (let round = 0; round < 10; round++) {
    const due = upcoming(lifecycle, facts, memory, since).filter((o) => o.fireMs <= nowMs);
    if (due.length === 0) break;
    for (const occasion of due) {
      const one = fire(lifecycle, facts, memory, occasion, nowMs);
      if (one) fired.push(one);
    }
  }
  return fired;
}

/** A sale as the lifecycle rules read it. */
export interface LifecycleSale {
  occurredAt: string;
  lines: readonly { sku: string; category: string }[];
}

/**
 * A sale: remembers the purchases of replenished items, and fires what the sale itself reaches:
 * a lapsed customer's return (`before`: the customer's facts before it), the Nth visit, a spend
 * threshold. `after`: the facts with the sale counted.
 */
export function onSale(
  lifecycle: Lifecycle,
  before: LifecycleFacts,
  after: LifecycleFacts,
  memory: LifecycleMemory,
  sale: LifecycleSale,
): LifecycleFired[] {
  const zone = zoneOf(lifecycle, after);
  const at = Date.parse(sale.occurredAt);
  const day = localDateOf(zone, at);
  const fired: LifecycleFired[] = [];
  const once = (rule: LifecycleRule, occasion: string) => {
    const one = fire(
      lifecycle,
      after,
      memory,
      { ruleId: rule.id, on: rule.on, key: `${rule.id}@${occasion}`, dueMs: at },
      at,
    );
    if (one) fired.push(one);
  };
  for (const rule of lifecycle.rules) {
    switch (rule.on) {
      case 'returned': {
        const last = before.lastPurchaseAt;
        if (last !== undefined && at - Date.parse(last) >= rule.afterDays * DAY_MS) once(rule, day);
        break;
      }
      case 'visits':
        if (before.visits < rule.count && after.visits >= rule.count) once(rule, 'once');
        break;
      case 'lifetime-spend':
        if (before.spendMinor < rule.thresholdMinor && after.spendMinor >= rule.thresholdMinor) {
          once(rule, 'once');
        }
        break;
      case 'replenishment': {
        const matches = sale.lines.some(
          (line) => rule.skus?.includes(line.sku) || rule.categories?.includes(line.category),
        );
        if (!matches) break;
        const dates = memory.bought[rule.id] ?? [];
        // One purchase a day counts once; a late sale goes in its place.
        if (!dates.includes(day)) {
          const next = [...dates, day].sort().slice(-PURCHASES_KEPT);
          memory.bought[rule.id] = next;
        }
        break;
      }
      default:
        break;
    }
  }
  return fired;
}

/** The next instant anything is due (ms), for the workflow's timer; undefined when nothing is. */
export function nextDue(
  lifecycle: Lifecycle,
  facts: LifecycleFacts,
  memory: LifecycleMemory,
  since: number,
): number | undefined {
  return upcoming(lifecycle, facts, memory, since)[0]?.fireMs;
}
