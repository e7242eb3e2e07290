/**
 * A customer's state rebuilt from their log: the events they had and the requests they were
 * granted (redemptions, cancellations, merges), applied with the customer rules as the customer
 * workflow applies them, with the workflow's timers firing on time (expiry, warnings, tier
 * reviews, lifecycle occasions, segments that time alone changes). Each event is applied under
 * the program version in force at its time, as the router names it; each request under the
 * version its ledger line was written under.
 *
 * Two timelines (`Timeline`). The points depend only on the events' own times, whatever order
 * they arrived in; lifecycle occasions and segments that time changes depend on when the
 * workflow learnt of each event (a lapse is not fired for a customer whose return the workflow
 * already knows of, though a backlog dates it later). `received` replays the inputs as they
 * reached the engine, the workflow's own timeline: it gives what the workflow held at any
 * moment. `occurred` replays them as if each had arrived at its own time: the complete log's
 * account of a moment, late events included.
 *
 * Pure: no I/O, no clock (`until` is given).
 */
import type { LedgerEntry } from '../effects.ts';
import type { CustomerEvent } from '../events.ts';
import type { Program } from '../loyalty/program.ts';
import type { ProgramCatalog } from '../loyalty/versions.ts';
import { BACKLOG_SETTLE_MS, CustomerAccount, type Effects, noEffects } from './account.ts';
import { handedOver, mergeCustomers } from './merge.ts';
import type { CustomerState } from './state.ts';

/** What a ledger line of a granted request says happened, with the version it was written under. */
interface Granted {
  /** The receiving clock when it was granted (the ledger line's `occurredAt`). */
  at: string;
  /** The version the ledger line names (`base` or a program version). */
  version: string;
}

/** One thing the customer's log holds, in the form the rules take it. */
export type LoggedInput =
  | {
      kind: 'event';
      event: CustomerEvent;
      /** When the engine received it (the stream's time): what a new customer's workflow started under. */
      receivedAt?: string;
    }
  | (Granted & {
      kind: 'redemption';
      redemptionId: string;
      points: number;
      storeId: string;
      partnerId?: string;
    })
  | (Granted & { kind: 'redemption.cancel'; redemptionId: string })
  /** Another customer merged into this one: their own log, up to the merge. */
  | (Granted & { kind: 'merge-in'; mergeId: string; storeId: string; absorbed: CustomerLog })
  /** This customer merged into another: nothing applies to it from then on. */
  | (Granted & { kind: 'merge-out'; mergeId: string; storeId: string; survivorId: string });

/** A ledger line of a granted redemption or cancellation. */
export interface GrantedLine {
  kind: 'redeem' | 'partner-burn' | 'redeem-cancel';
  transactionId: string;
  /** The line's points (negative for a spend). */
  points: number;
  storeId: string;
  /** '' when none. */
  partnerId: string;
  at: string;
  version: string;
}

/** The log's input a granted line records. */
export function grantedRequest(line: GrantedLine): LoggedInput {
  const granted = { at: line.at, version: line.version };
  if (line.kind === 'redeem-cancel') {
    return { kind: 'redemption.cancel', ...granted, redemptionId: line.transactionId };
  }
  return {
    kind: 'redemption',
    ...granted,
    redemptionId: line.transactionId,
    points: -line.points,
    storeId: line.storeId,
    ...(line.partnerId !== '' ? { partnerId: line.partnerId } : {}),
  };
}

export interface CustomerLog {
  customerId: string;
  inputs: LoggedInput[];
}

export interface RebuildOptions {
  /** Every published program version. */
  catalog: ProgramCatalog;
  /** The base earn rate the customer's workflow was started with. */
  base: CustomerState['program'];
  /** Apply the inputs up to this instant, on `timeline`. */
  until: string;
  /** `received` (the default): as the inputs reached the engine; `occurred`: at their own times. */
  timeline?: Timeline;
}

export type Timeline = 'received' | 'occurred';

/** When an input comes on the timeline: an event when received (or occurred); a request when granted. */
export const inputTime = (input: LoggedInput, timeline: Timeline = 'received'): string =>
  input.kind === 'event'
    ? timeline === 'received'
      ? (input.receivedAt ?? input.event.occurredAt)
      : input.event.occurredAt
    : input.at;

const ms = (instant: string) => Date.parse(instant);

/**
 * The log's inputs up to `until`, in time order (the log's order among equal instants), with
 * each redemption before the sale it paid for: the till asked for it first, though its clock may
 * put the sale a moment earlier than the engine's put the redemption.
 */
export function inputsUntil(
  log: CustomerLog,
  until: string,
  timeline: Timeline = 'received',
): LoggedInput[] {
  const end = ms(until);
  const sorted = log.inputs
    .map((input, i) => ({ input, i, t: ms(inputTime(input, timeline)) }))
    .filter((x) => x.t <= end)
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.input);
  const redemptions = new Map<string, number>();
  sorted.forEach((input, i) => {
    if (input.kind === 'redemption') redemptions.set(input.redemptionId, i);
  });
  if (redemptions.size === 0) return sorted;
  const ordered: LoggedInput[] = [];
  const moved = new Set<number>();
  sorted.forEach((input, i) => {
    if (moved.has(i)) return;
    if (input.kind === 'event' && input.event.type === 'sale') {
      for (const tender of input.event.tenders) {
        const at =
          tender.redemptionId === undefined ? undefined : redemptions.get(tender.redemptionId);
        if (at !== undefined && at > i && !moved.has(at)) {
          ordered.push(sorted[at] as LoggedInput);
          moved.add(at);
        }
      }
    }
    ordered.push(input);
  });
  return ordered;
}

/** Steps of the clock between two inputs at most: a rule that kept falling due would loop. */
const CLOCK_STEPS = 10_000;

/** Whatever the rules caused, each time they caused something (ledger lines, tier changes…). */
export type EffectsSink = (effects: Effects, input: LoggedInput | undefined) => void;

/**
 * A customer's account, driven as the workflow drives it: `apply` each input in time order,
 * `runClock` to the end. `fork` continues from the same point under other program versions (the
 * what-if).
 */
export class CustomerReplay {
  account: CustomerAccount;
  /** The workflow's clock: the instant of the last input or timer. */
  private at: number | undefined;
  private started = false;
  /**
   * Redemptions the rules refused (a what-if under which the customer had fewer points): the
   * sale they paid for is paid by card instead.
   */
  private readonly refused = new Set<string>();
  /**
   * While a backlog comes in, the clock waits until deliveries have paused (ms; as the workflow
   * waits, `BACKLOG_SETTLE_MS`).
   */
  private settledAt: number | undefined;

  constructor(
    readonly customerId: string,
    private readonly options: Omit<RebuildOptions, 'until'>,
    private readonly sink?: EffectsSink,
  ) {
    this.account = CustomerAccount.open(customerId, options.base);
  }

  /** Every input of `log` up to `until` on the timeline, then the clock run to `until`. */
  replayTo(log: CustomerLog, until: string): this {
    for (const input of inputsUntil(log, until, this.options.timeline)) this.apply(input);
    this.runClock(until);
    return this;
  }

  /** The same customer at the same point, continued under `catalog`. */
  fork(catalog: ProgramCatalog, sink?: EffectsSink): CustomerReplay {
    const next = new CustomerReplay(this.customerId, { ...this.options, catalog }, sink);
    next.account = this.account.clone();
    next.at = this.at;
    next.started = this.started;
    next.settledAt = this.settledAt;
    for (const id of this.refused) next.refused.add(id);
    return next;
  }

  private learn(program: Program | undefined) {
    if (program && !this.account.loyalty.knows(program.version)) {
      this.account.learn([program]);
    }
  }

  /** The version a ledger line names, when it is a published one. */
  private named(version: string): Program | undefined {
    return this.options.catalog.get(version);
  }

  /**
   * What the workflow's timers fire between the clock and `to`: each due instant in turn, the
   * loyalty clock, then the lifecycle occasions and segments due by then.
   */
  runClock(to: string) {
    const end = ms(to);
    let fired: number | undefined;
    for (let step = 0; step < CLOCK_STEPS; step++) {
      if (this.account.mergedInto || this.at === undefined) break;
      const now = new Date(this.at).toISOString();
      const loyaltyDue = this.account.loyalty.nextDue(now);
      let due = loyaltyDue === undefined ? Number.POSITIVE_INFINITY : ms(loyaltyDue);
      // (An occasion already past is due at once: late, but once.)
      const occasion = this.account.lifecycleDue(now);
      if (occasion !== undefined) due = Math.min(due, Math.max(occasion, this.at));
      const change = this.account.segmentsDue(now);
      if (change !== undefined) due = Math.min(due, Math.max(change, this.at));
      if (this.settledAt !== undefined) due = Math.max(due, this.settledAt);
      // What is due at an instant already fired stays for the next input to bring on.
      if (due > end || due === fired) break;
      this.fire(new Date(due).toISOString());
      this.settledAt = undefined;
      fired = due;
    }
    if (this.at === undefined || end > this.at) this.at = end;
  }

  private fire(now: string) {
    const effects = noEffects();
    this.account.advance(now, effects);
    if (this.account.lifecycleDue(now) !== undefined) this.account.fireLifecycle(now, effects);
    if (this.account.segmentsDue(now) !== undefined) this.account.fireSegments(now, effects);
    this.at = ms(now);
    this.sink?.(effects, undefined);
  }

  /**
   * Something already due before the event reached the engine (a lot past its expiry, a segment
   * change time made): a backlog is coming in, and the clock waits for it to settle.
   */
  private noteBacklog(now: string) {
    const t = ms(now);
    const due = this.account.loyalty.nextDue(now);
    const behind = this.account.segmentsDueSinceLastLook();
    if ((due !== undefined && ms(due) < t) || (behind !== undefined && behind < t)) {
      this.settledAt = t + BACKLOG_SETTLE_MS;
    }
  }

  /** A sale paid with a redemption the rules refused is paid by card instead. */
  private paidOtherwise(event: CustomerEvent): CustomerEvent {
    if (this.refused.size === 0 || event.type !== 'sale') return event;
    if (
      !event.tenders.some((t) => t.redemptionId !== undefined && this.refused.has(t.redemptionId))
    ) {
      return event;
    }
    return {
      ...event,
      tenders: event.tenders.map((t) =>
        t.redemptionId !== undefined && this.refused.has(t.redemptionId)
          ? { type: 'card' as const, amount: t.amount }
          : t,
      ),
    };
  }

  apply(input: LoggedInput) {
    const time = inputTime(input, this.options.timeline);
    if (!this.started) {
      this.started = true;
      this.at = ms(time);
      // A new customer's workflow starts under the version in force when the first delivery
      // came, even when its first events predate every version.
      const catalog = this.options.catalog;
      const first = input.kind === 'event' ? catalog.at(input.event.occurredAt) : undefined;
      this.learn(first ?? catalog.at(time));
    } else {
      this.runClock(time);
    }
    if (this.account.mergedInto) return;
    const effects = noEffects();
    switch (input.kind) {
      case 'event': {
        const inForce = this.options.catalog.at(input.event.occurredAt);
        this.learn(inForce);
        const event = this.paidOtherwise(
          input.event.customerId === this.customerId
            ? input.event
            : { ...input.event, customerId: this.customerId },
        );
        const program = this.account.programFor(event, inForce?.version ?? null);
        this.account.apply(event, effects, program, time);
        this.noteBacklog(time);
        break;
      }
      case 'redemption': {
        const program = this.named(input.version);
        this.learn(program);
        const result = this.account.redeem(
          {
            type: 'redemption',
            redemptionId: input.redemptionId,
            customerId: this.customerId,
            points: input.points,
            // Granted, so within the program's share of its basket and in a currency it spends:
            // the line keeps the points, not the basket.
            basketMinor: Number.MAX_SAFE_INTEGER,
            currency: (program ?? this.account.loyalty.programAt(time)).currency,
            channel:
              (program ?? this.account.loyalty.programAt(time)).redemption.channels[0] ?? 'till',
            storeId: input.storeId,
            ...(input.partnerId !== undefined ? { partnerId: input.partnerId } : {}),
          },
          program ?? this.account.loyalty.programAt(time),
          time,
          effects,
        );
        if (result.outcome === 'refused') this.refused.add(input.redemptionId);
        break;
      }
      case 'redemption.cancel':
        this.account.redeem(
          {
            type: 'redemption.cancel',
            redemptionId: input.redemptionId,
            customerId: this.customerId,
          },
          this.account.loyalty.programAt(time),
          time,
          effects,
        );
        break;
      case 'merge-in': {
        const absorbed = handedOverFor(input, this.customerId, { ...this.options, until: time });
        const merged = mergeCustomers(this.account.toState(), absorbed, {
          mergeId: input.mergeId,
          at: input.at,
          storeId: input.storeId,
          programVersion: input.version,
        });
        this.account = CustomerAccount.restore(merged.survivor);
        break;
      }
      case 'merge-out': {
        this.account.handOver({
          mergeId: input.mergeId,
          customerId: input.survivorId,
          at: input.at,
        });
        const settled = handedOver(this.account.toState(), {
          mergeId: input.mergeId,
          at: input.at,
          storeId: input.storeId,
          programVersion: input.version,
        });
        this.account = CustomerAccount.restore(settled.absorbed);
        break;
      }
    }
    this.sink?.(effects, input);
  }
}

/**
 * The absorbed customer as it handed its state over in the merge: its log up to the merge
 * (without the merge's own `merge-out`, which comes after the hand-over), its clock at the merge.
 */
function handedOverFor(
  merge: Extract<LoggedInput, { kind: 'merge-in' }>,
  survivorId: string,
  options: RebuildOptions,
): CustomerState {
  const at = options.until;
  const log = merge.absorbed;
  const inputs = log.inputs.filter((i) => !(i.kind === 'merge-out' && i.mergeId === merge.mergeId));
  const driver = new CustomerReplay(log.customerId, options).replayTo({ ...log, inputs }, at);
  driver.account.handOver({ mergeId: merge.mergeId, customerId: survivorId, at: merge.at });
  return driver.account.toState();
}

/**
 * The customer's state after every input of the log up to `until`, with the clock run to
 * `until`. A customer merged into another keeps the state it was handed over with.
 */
export function rebuildCustomer(log: CustomerLog, options: RebuildOptions): CustomerState {
  return new CustomerReplay(log.customerId, options).replayTo(log, options.until).account.toState();
}

/** What a customer's log causes: the rows the analytics store derives from the events. */
export interface Derived {
  /** Each ledger line at its latest revision. */
  ledger: LedgerEntry[];
  tierChanges: NonNullable<Effects['tierChanges']>;
  segments: NonNullable<Effects['segments']>;
  lifecycle: NonNullable<Effects['lifecycle']>;
}

/** Everything the customer's log causes up to `until` (`clientele backfill`). */
export function deriveCustomer(log: CustomerLog, options: RebuildOptions): Derived {
  const ledger = new Map<string, LedgerEntry>();
  const derived: Derived = { ledger: [], tierChanges: [], segments: [], lifecycle: [] };
  const driver = new CustomerReplay(log.customerId, options, (effects) => {
    for (const line of effects.ledger) {
      const held = ledger.get(line.entryId);
      if (!held || held.revision <= line.revision) ledger.set(line.entryId, line);
    }
    derived.tierChanges.push(...(effects.tierChanges ?? []));
    derived.segments.push(...(effects.segments ?? []));
    derived.lifecycle.push(...(effects.lifecycle ?? []));
  });
  driver.replayTo(log, options.until);
  derived.ledger = [...ledger.values()];
  return derived;
}

/** The events and granted requests the rebuild applies up to `until` (merged customers' too). */
export function inputsApplied(
  log: CustomerLog,
  until: string,
  timeline: Timeline = 'received',
): { events: number; requests: number } {
  const counts = { events: 0, requests: 0 };
  for (const input of inputsUntil(log, until, timeline)) {
    if (input.kind === 'event') counts.events += 1;
    else counts.requests += 1;
    if (input.kind === 'merge-in') {
      const absorbed = inputsApplied(input.absorbed, input.at, timeline);
      counts.events += absorbed.events;
      counts.requests += absorbed.requests;
    }
  }
  return counts;
}
