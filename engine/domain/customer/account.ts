/**
 * The customer, applied in place: a `CustomerAccount` owns one customer's state, hands each event
 * to the customer's loyalty book (points, lots, tiers, what is refused, what was seen before),
 * keeps the customer's own figures (visits, spend, first and last purchase, registration), and
 * words nothing: it returns what the event caused as facts (ledger lines, cues, tier changes,
 * triggers). Deterministic (no clock, no random, no I/O), so the workflow, replays, the what-if
 * and the tests all get the same answer.
 *
 * In place, because the workflow applies every event of a long-lived customer: the plain-JSON
 * `CustomerState` is produced only when it is carried across continue-as-new (`toState`).
 * `applyEvent` in `apply-event.ts` keeps the `(state, event) → { state, effects }` form for tests
 * and oracles.
 */
import type { CueFacts, CueKind, LedgerEntry, SegmentChangeMessage } from '../effects.ts';
import type { CustomerEvent, ReturnEvent, SaleEvent } from '../events.ts';
import {
  fireDue,
  type LifecycleFacts,
  type LifecycleFired,
  type LifecycleMemory,
  nextDue,
  noLifecycleMemory,
  onSale,
  type WaitingCue,
  waitingCues,
} from '../lifecycle/occasions.ts';
import type { Lifecycle } from '../lifecycle/rules-schema.ts';
import { baseRateProgram, saleTotal } from '../loyalty/base-earn.ts';
import { LoyaltyBook } from '../loyalty/book.ts';
import {
  type LoyaltyEffects,
  type LoyaltyResult,
  type LoyaltyTrigger,
  noLoyaltyEffects,
  type RedemptionCancel,
  type RedemptionRequest,
} from '../loyalty/evaluator.ts';
import type { GiveResult, PoolGive, PoolReceive, ReceiveResult } from '../loyalty/pooling.ts';
import type { Program } from '../loyalty/program.ts';
import type { TierChange } from '../loyalty/tiers.ts';
import {
  evaluateSegments,
  type LiveSegment,
  longestWindow,
  nextMembershipChange,
  noSegmentMemory,
  rememberPurchase,
  type SegmentFacts,
  type SegmentMemory,
} from '../segments/membership.ts';
import {
  type CarriedBeforeBook,
  type CustomerScalars,
  type CustomerSnapshot,
  type CustomerState,
  initialScalars,
  type MergeRecord,
  RECENT_KEPT,
  snapshotOf,
} from './state.ts';

/**
 * What events caused: ledger lines, cues as facts (worded at publication, `describeCue`), tier
 * changes, triggers (expiry warnings and the like) and lifecycle triggers.
 */
export interface Effects {
  ledger: LedgerEntry[];
  cues: CueFacts[];
  tierChanges?: (TierChange & { customerId: string })[];
  triggers?: (LoyaltyTrigger & { customerId: string })[];
  /** Lifecycle rules fired (`lifecycle/occasions.ts`). */
  lifecycle?: LifecycleFired[];
  /** Segments entered and left (`segments/membership.ts`). */
  segments?: SegmentChangeMessage[];
}

export const noEffects = (): Effects => ({ ledger: [], cues: [] });

/**
 * A backlog (events dated before something already due: an offline till's upload, an imported
 * history) runs the clock only once deliveries have paused this long, so a timer does not run
 * the clock past events still on their way. The customer workflow waits so; a replay does too.
 */
export const BACKLOG_SETTLE_MS = 5_000;

/**
 * Moves the book's effects into the customer's (tier changes and triggers named by customer),
 * leaving `effects` empty for the next input.
 */
function moveLoyaltyEffects(out: Effects, customerId: string, effects: LoyaltyEffects) {
  if (effects.ledger.length > 0) {
    for (const line of effects.ledger) out.ledger.push(line);
    effects.ledger.length = 0;
  }
  if (effects.tierChanges.length > 0) {
    out.tierChanges ??= [];
    for (const change of effects.tierChanges) out.tierChanges.push({ ...change, customerId });
    effects.tierChanges.length = 0;
  }
  if (effects.triggers.length > 0) {
    out.triggers ??= [];
    for (const trigger of effects.triggers) out.triggers.push({ ...trigger, customerId });
    effects.triggers.length = 0;
  }
}

/**
 * What applying an event did: `applied`, or why nothing happened (`refused`: it cannot be true
 * of this customer; its cue names the fields).
 */
export type Outcome = 'applied' | 'duplicate' | 'other-customer' | 'refused';

/**
 * A list of the latest few records, in time order (a late one goes in its place), and the count
 * of all of them.
 */
function keepRecent<T extends { occurredAt: string }>(
  recent: readonly T[] = [],
  count = 0,
  record: T,
): { count: number; recent: T[] } {
  const list = [...recent, record].sort((a, b) =>
    a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0,
  );
  return { count: count + 1, recent: list.slice(-RECENT_KEPT) };
}

/** A program's lifecycle rules, when it has any. */
function lifecycleOf(program: Program): Lifecycle | undefined {
  const rules = program.lifecycle;
  return rules && rules.rules.length > 0 ? rules : undefined;
}

/** A copy of the lifecycle memory (the account never shares the state it was given). */
function copyLifecycle(memory: LifecycleMemory): LifecycleMemory {
  return {
    fired: [...memory.fired],
    firedThrough: { ...memory.firedThrough },
    bought: Object.fromEntries(Object.entries(memory.bought).map(([k, v]) => [k, [...v]])),
    waiting: memory.waiting.map((cue) => ({ ...cue })),
  };
}

/** A sale or a return as the segments remember it (membership.ts defines each figure). */
function purchaseOf(event: SaleEvent | ReturnEvent): Parameters<typeof rememberPurchase>[1] {
  const place = {
    at: Date.parse(event.occurredAt),
    storeId: event.storeId,
    channel: event.channel,
  };
  if (event.type === 'return') {
    const refund = event.lines.reduce((sum, line) => sum + line.refundAmount, 0);
    return { ...place, sale: 0, spend: -refund, margin: 0, categories: [] };
  }
  const net = saleTotal(event);
  const cost = event.lines.reduce((sum, line) => sum + line.quantity * line.unitCost, 0);
  const categories = [...new Set(event.lines.map((line) => line.category))];
  return { ...place, sale: 1, spend: net, margin: net - cost, categories };
}

/** A program's live segments, when it has any. */
function segmentsOf(program: Program): readonly LiveSegment[] | undefined {
  return program.segments && program.segments.length > 0 ? program.segments : undefined;
}

function copySegmentMemory(memory: SegmentMemory): SegmentMemory {
  return {
    purchases: memory.purchases.map((p) => ({ ...p, categories: [...p.categories] })),
    ...(memory.lastSaleAt !== undefined ? { lastSaleAt: memory.lastSaleAt } : {}),
    ...(memory.evaluatedAt !== undefined ? { evaluatedAt: memory.evaluatedAt } : {}),
    ...(memory.changedAt !== undefined ? { changedAt: memory.changedAt } : {}),
    stores: { ...memory.stores },
    channels: { ...memory.channels },
    members: { ...memory.members },
  };
}

/** The earlier of two instants, either of which may be missing. */
function earliest(a: string | undefined, b: string): string {
  return a !== undefined && a < b ? a : b;
}

export class CustomerAccount {
  private readonly scalars: CustomerScalars;
  private readonly book: LoyaltyBook;
  /** What the book's rules write an input's effects to, emptied into the caller's each time. */
  private readonly effects: LoyaltyEffects = noLoyaltyEffects();

  private constructor(state: CustomerScalars, book: LoyaltyBook) {
    // Every field present, in one order: every account then has the same shape, and the
    // rules' property accesses stay monomorphic (fields added later would fork the shape).
    this.scalars = {
      customerId: state.customerId,
      program: state.program,
      registeredAt: state.registeredAt,
      accountNumber: state.accountNumber,
      consent: state.consent,
      customerType: state.customerType,
      preferredStoreId: state.preferredStoreId,
      service: state.service && {
        contacts: state.service.contacts,
        recent: [...state.service.recent],
      },
      campaigns: state.campaigns && {
        responses: state.campaigns.responses,
        recent: [...state.campaigns.recent],
      },
      visits: state.visits,
      spendMinor: state.spendMinor,
      firstPurchaseAt: state.firstPurchaseAt,
      lastPurchaseAt: state.lastPurchaseAt,
      pointsBalance: state.pointsBalance,
      monthVisits: { month: state.monthVisits.month, count: state.monthVisits.count },
      eventsApplied: state.eventsApplied,
      mergedInto: state.mergedInto && { ...state.mergedInto },
      mergedFrom: state.mergedFrom?.map((m) => ({ ...m })),
      absorbing: state.absorbing && { ...state.absorbing },
      lifecycle: state.lifecycle && copyLifecycle(state.lifecycle),
      segments: state.segments && copySegmentMemory(state.segments),
    };
    this.book = book;
  }

  static open(customerId: string, program: CustomerState['program']): CustomerAccount {
    return new CustomerAccount(
      initialScalars(customerId, program),
      LoyaltyBook.open(customerId, baseRateProgram(program)),
    );
  }

  /** From a carried (or recorded) state; the state itself is copied, never kept or changed. */
  static restore(state: CustomerState & CarriedBeforeBook): CustomerAccount {
    const base = baseRateProgram(state.program);
    if (state.loyalty) return new CustomerAccount(state, LoyaltyBook.restore(state.loyalty, base));
    const book = LoyaltyBook.opening(
      state.customerId,
      base,
      state.pointsBalance,
      state.lastPurchaseAt ?? state.registeredAt,
    );
    // What the state remembered as applied stays known, sales by their transaction.
    book.rememberApplied(state.seenEventIds ?? [], state.transactionOrder ?? []);
    return new CustomerAccount(state, book);
  }

  /** The same customer, apart: what either applies from now on leaves the other as it was. */
  clone(): CustomerAccount {
    return new CustomerAccount(this.scalars, this.book.clone());
  }

  get customerId(): string {
    return this.scalars.customerId;
  }

  get pointsBalance(): number {
    return this.scalars.pointsBalance;
  }

  get eventsApplied(): number {
    return this.scalars.eventsApplied;
  }

  /** The merge that took this customer into another, once one has. */
  get mergedInto(): CustomerState['mergedInto'] {
    return this.scalars.mergedInto;
  }

  /** The merge into this customer under way, if one is. */
  get absorbing(): CustomerState['absorbing'] {
    return this.scalars.absorbing;
  }

  /** The customer merged into this one by `mergeId`, if that merge has happened. */
  absorbed(mergeId: string): NonNullable<CustomerState['mergedFrom']>[number] | undefined {
    return this.scalars.mergedFrom?.find((m) => m.mergeId === mergeId);
  }

  /** A merge into this customer begins: no merge may take this customer elsewhere meanwhile. */
  reserveMerge(mergeId: string, customerId: string) {
    this.scalars.absorbing = { mergeId, customerId };
  }

  /** The merge `mergeId` will not happen (or has): the reservation goes. */
  releaseMerge(mergeId: string) {
    if (this.scalars.absorbing?.mergeId === mergeId) this.scalars.absorbing = undefined;
  }

  /** This customer is handed over to another: from now on it applies nothing. */
  handOver(merge: MergeRecord) {
    this.scalars.mergedInto ??= { ...merge };
  }

  /** The base earn rate (the rules before any published program version). */
  get program(): CustomerState['program'] {
    return this.scalars.program;
  }

  /** The customer's loyalty book: the program versions it knows, redemptions, the clock. */
  get loyalty(): LoyaltyBook {
    return this.book;
  }

  /** The whole state as plain JSON (for continue-as-new): O(remembered ids), not for every event. */
  toState(): CustomerState {
    return {
      ...this.scalars,
      monthVisits: { ...this.scalars.monthVisits },
      loyalty: this.book.toState(),
    };
  }

  /** The 360 snapshot: the customer's figures and what they see of the program at `now`. */
  snapshot(now: string): CustomerSnapshot {
    return snapshotOf(this.scalars, this.book.outlook(now), now, this.waitingCues(now));
  }

  /** Program versions the book does not know yet (the router and the redemption service send them). */
  learn(programs: readonly Program[]) {
    this.book.learn(programs);
  }

  /**
   * The version an event is applied under: the one the router named; the base earn rate when
   * the router found none in force at its time (`null`); else the newest the book knows at its
   * time (deliveries that named no versions).
   */
  programFor(event: CustomerEvent, version: string | null | undefined): Program {
    if (version === null) return this.book.baseRate;
    return (
      (version ? this.book.program(version) : undefined) ?? this.book.programAt(event.occurredAt)
    );
  }

  /** What the clock made due by `now` (expiry, warnings, reviews). */
  advance(now: string, out: Effects) {
    this.book.advance(now, this.effects);
    moveLoyaltyEffects(out, this.scalars.customerId, this.effects);
    this.scalars.pointsBalance = this.book.balance;
  }

  /**
   * A till's request to spend points (or to give back a redemption) at the receiving clock `now`.
   * Its ledger line goes to `out`.
   */
  redeem(
    request: RedemptionRequest | RedemptionCancel,
    program: Program,
    now: string,
    out: Effects,
  ): LoyaltyResult {
    const result = this.book.apply(request, program, now, this.effects);
    moveLoyaltyEffects(out, this.scalars.customerId, this.effects);
    this.scalars.pointsBalance = this.book.balance;
    return result;
  }

  /** What the lifecycle rules read of this customer, at `now` (their tier then). */
  private lifecycleFacts(now: string): LifecycleFacts {
    const s = this.scalars;
    return {
      customerId: s.customerId,
      registeredAt: s.registeredAt,
      birthMonthDay: this.book.birthMonthDay,
      lastPurchaseAt: s.lastPurchaseAt,
      visits: s.visits,
      spendMinor: s.spendMinor,
      tier: this.book.standing(now).tier,
      tierSince: this.book.tierSince,
      customerType: s.customerType,
      homeStoreId: s.preferredStoreId,
    };
  }

  private lifecycleMemory(): LifecycleMemory {
    this.scalars.lifecycle ??= noLifecycleMemory();
    return this.scalars.lifecycle;
  }

  /**
   * When a lifecycle rule of the version in force at `now` is next due (ms), for the workflow's
   * timer; undefined when none is.
   */
  lifecycleDue(now: string): number | undefined {
    const program = this.book.programAt(now);
    const rules = lifecycleOf(program);
    if (!rules) return undefined;
    const memory = this.scalars.lifecycle ?? noLifecycleMemory();
    return nextDue(rules, this.lifecycleFacts(now), memory, Date.parse(program.effectiveFrom));
  }

  /** Fires the lifecycle occasions due by `now`, once each; their triggers go to `out`. */
  fireLifecycle(now: string, out: Effects) {
    const program = this.book.programAt(now);
    const rules = lifecycleOf(program);
    if (!rules) return;
    const since = Date.parse(program.effectiveFrom);
    const fired = fireDue(
      rules,
      this.lifecycleFacts(now),
      this.lifecycleMemory(),
      since,
      Date.parse(now),
    );
    if (fired.length > 0) out.lifecycle = [...(out.lifecycle ?? []), ...fired];
  }

  private segmentMemory(): SegmentMemory {
    this.scalars.segments ??= noSegmentMemory();
    return this.scalars.segments;
  }

  /** What the segments read of the rest of the record at `now`. */
  private segmentFacts(now: string): SegmentFacts {
    return {
      pointsBalance: this.book.balance,
      tier: this.book.standing(now).tier,
      tags: this.book.tags,
    };
  }

  /**
   * Brings the segments of `program` up to date at `at` (never before the last evaluation: a
   * late event does not take membership back in time); the changes go to `out`.
   */
  private evaluateSegments(
    segments: readonly LiveSegment[],
    program: Program,
    at: string,
    cause: SegmentChangeMessage['cause'],
    out: Effects,
    eventId?: string,
  ) {
    const memory = this.segmentMemory();
    // (Instants compared and stored in one form: events may carry an offset.)
    const iso = new Date(at).toISOString();
    const now =
      memory.evaluatedAt !== undefined && memory.evaluatedAt > iso ? memory.evaluatedAt : iso;
    memory.evaluatedAt = now;
    const changes = evaluateSegments(segments, memory, this.segmentFacts(now), now);
    if (changes.length === 0) return;
    out.segments ??= [];
    for (const change of changes) {
      out.segments.push({
        customerId: this.scalars.customerId,
        ...change,
        cause,
        ...(eventId !== undefined ? { eventId } : {}),
        programVersion: program.version,
      });
    }
  }

  /**
   * When time alone next changes the customer's segments under the version in force at `now`
   * (ms), for the workflow's timer; undefined when it never will.
   */
  segmentsDue(now: string): number | undefined {
    const segments = segmentsOf(this.book.programAt(now));
    const memory = this.scalars.segments;
    if (!segments)
      return memory && Object.keys(memory.members).length > 0 ? Date.parse(now) : undefined;
    return nextMembershipChange(
      segments,
      memory ?? noSegmentMemory(),
      this.segmentFacts(now),
      Date.parse(now),
    );
  }

  /**
   * The first instant after the last evaluation at which time alone changes the customer's
   * segments (ms): before the receiving clock, events are arriving late (a backlog), and the
   * workflow lets them settle before its timer stamps what time did.
   */
  segmentsDueSinceLastLook(): number | undefined {
    const memory = this.scalars.segments;
    if (memory?.evaluatedAt === undefined) return undefined;
    const segments = segmentsOf(this.book.programAt(memory.evaluatedAt)) ?? [];
    const since = Date.parse(memory.evaluatedAt);
    return nextMembershipChange(segments, memory, this.segmentFacts(memory.evaluatedAt), since);
  }

  /** The segments' changes that time alone made by `now` (or a new version's segments). */
  fireSegments(now: string, out: Effects) {
    const program = this.book.programAt(now);
    const segments = segmentsOf(program);
    if (!segments && !this.scalars.segments) return;
    this.catchUpSegments(segments ?? [], program, now, out);
  }

  /**
   * The changes time alone made since the last evaluation, up to `until`, each at its own
   * instant (a lapse at day 91 is stamped day 91, however late the timer or the next event).
   */
  private catchUpSegments(
    segments: readonly LiveSegment[],
    program: Program,
    until: string,
    out: Effects,
  ) {
    const memory = this.segmentMemory();
    const end = Date.parse(until);
    // Each change moves the evaluation on; a bound keeps a faulty condition from looping.
    for (let i = 0; i < 1_000; i++) {
      const from = memory.evaluatedAt !== undefined ? Date.parse(memory.evaluatedAt) : end;
      const due = nextMembershipChange(
        segments,
        memory,
        this.segmentFacts(new Date(from).toISOString()),
        from,
        end,
      );
      if (due === undefined || due > end) break;
      this.evaluateSegments(segments, program, new Date(due).toISOString(), 'time', out);
    }
  }

  /** The segments the customer is in (ids, sorted). */
  get segments(): string[] {
    return Object.keys(this.scalars.segments?.members ?? {}).sort();
  }

  /** Lifecycle cues waiting for the customer's next visit, at `now`. */
  waitingCues(now: string): WaitingCue[] {
    const memory = this.scalars.lifecycle;
    return memory ? waitingCues(memory, Date.parse(now)) : [];
  }

  /** Household pooling: this member gives points to another (`LoyaltyBook.give`). */
  give(request: PoolGive, now: string, out: Effects): GiveResult {
    const result = this.book.give(request, now, this.effects);
    moveLoyaltyEffects(out, this.scalars.customerId, this.effects);
    this.scalars.pointsBalance = this.book.balance;
    return result;
  }

  /** Household pooling: this member takes in what another gave (`LoyaltyBook.receive`). */
  receive(request: PoolReceive, now: string, out: Effects): ReceiveResult {
    const result = this.book.receive(request, now, this.effects);
    moveLoyaltyEffects(out, this.scalars.customerId, this.effects);
    this.scalars.pointsBalance = this.book.balance;
    return result;
  }

  /**
   * Applies one event under `program` (by default the version in force at its time, as the book
   * knows it) at the receiving clock `now`; its ledger lines, cue, tier changes and triggers go
   * to `out`.
   */
  apply(
    event: CustomerEvent,
    out: Effects,
    program: Program = this.book.programAt(event.occurredAt),
    now: string = event.occurredAt,
  ): Outcome {
    const s = this.scalars;
    if (event.customerId !== s.customerId) return 'other-customer';
    const segments = segmentsOf(program);
    if (segments) {
      // What time alone changed since the last look comes first, and is what earn rules see.
      this.catchUpSegments(segments, program, event.occurredAt, out);
      this.book.inSegments(this.segments);
    }
    const result = this.book.apply(event, program, now, this.effects);
    // A return held for its sale counted as applied when it came; refused once the sale came
    // (more returned than sold), it was not: the count is the same whatever the order.
    for (const trigger of this.effects.triggers) {
      if (trigger.kind === 'return-refused') s.eventsApplied -= 1;
    }
    // A duplicate may still bring the customer's clock to its time (points expiring on the way).
    moveLoyaltyEffects(out, s.customerId, this.effects);
    s.pointsBalance = this.book.balance;
    if (result.outcome === 'duplicate') return 'duplicate';
    if (result.outcome === 'refused') {
      out.cues.push({ ...this.cue(event, 'refused', result), issues: result.issues ?? [] });
      return 'refused';
    }
    s.eventsApplied += 1;
    const refunded = result.refundedMinor ?? 0;
    switch (event.type) {
      case 'sale': {
        // Lifecycle rules of the version the sale is applied under: a return after a lapse,
        // a milestone reached, an item bought that comes due again.
        const rules = lifecycleOf(program);
        const before = rules && this.lifecycleFacts(event.occurredAt);
        this.countSale(event, refunded);
        if (rules && before) {
          const fired = onSale(
            rules,
            before,
            this.lifecycleFacts(event.occurredAt),
            this.lifecycleMemory(),
            event,
          );
          if (fired.length > 0) out.lifecycle = [...(out.lifecycle ?? []), ...fired];
        }
        const redemptionId = event.tenders.find((t) => t.redemptionId !== undefined)?.redemptionId;
        const redeemed =
          redemptionId !== undefined ? this.book.redeemedBy(redemptionId) : undefined;
        const kind = s.visits === 1 ? 'first-purchase' : 'repeat-visit';
        out.cues.push(this.cue(event, kind, result, redeemed));
        break;
      }
      case 'return':
        s.spendMinor -= refunded;
        out.cues.push(
          this.cue(event, result.outcome === 'held' ? 'return-of-unknown-sale' : 'return', result),
        );
        break;
      case 'customer.registered':
        s.registeredAt = earliest(s.registeredAt, event.occurredAt);
        // One account number per customer: the first registration's stands.
        s.accountNumber ??= event.accountNumber;
        s.consent = event.consent;
        if (event.customerType) s.customerType = event.customerType;
        if (event.preferredStoreId) s.preferredStoreId = event.preferredStoreId;
        out.cues.push(this.cue(event, 'welcome', result));
        break;
      case 'profile.changed':
        if (event.customerType !== undefined) s.customerType = event.customerType ?? undefined;
        if (event.preferredStoreId !== undefined) {
          s.preferredStoreId = event.preferredStoreId ?? undefined;
        }
        break;
      case 'service.interaction': {
        const { interactionId, occurredAt, storeId, channel, reason, outcome, operatorId } = event;
        const kept = keepRecent(s.service?.recent, s.service?.contacts, {
          interactionId,
          occurredAt,
          storeId,
          channel,
          reason,
          outcome,
          operatorId,
        });
        s.service = { contacts: kept.count, recent: kept.recent };
        break;
      }
      case 'campaign.response': {
        const { responseId, occurredAt, campaignId, action, offerId, transactionId } = event;
        const kept = keepRecent(s.campaigns?.recent, s.campaigns?.responses, {
          responseId,
          occurredAt,
          campaignId,
          action,
          ...(offerId !== undefined ? { offerId } : {}),
          ...(transactionId !== undefined ? { transactionId } : {}),
        });
        s.campaigns = { responses: kept.count, recent: kept.recent };
        break;
      }
      case 'points.adjusted':
        out.cues.push(this.cue(event, 'points-adjusted', result));
        break;
      case 'partner.accrual':
        break;
    }
    if (segments) {
      if (event.type === 'sale' || event.type === 'return') {
        rememberPurchase(this.segmentMemory(), purchaseOf(event), longestWindow(segments));
      }
      this.evaluateSegments(segments, program, event.occurredAt, 'event', out, event.eventId);
    }
    return 'applied';
  }

  /** The sale's visit and spend (less refunds of it that arrived before it). */
  private countSale(sale: SaleEvent, refunded: number) {
    const s = this.scalars;
    // `YYYY-MM`, compared in place: most sales fall in the month already counted.
    const visits = s.monthVisits;
    if (visits.month !== '' && sale.occurredAt.startsWith(visits.month)) visits.count += 1;
    else {
      const month = sale.occurredAt.slice(0, 7);
      // (a late sale from an earlier month does not count for this one)
      if (month > visits.month) s.monthVisits = { month, count: 1 };
    }
    s.visits += 1;
    s.spendMinor += saleTotal(sale) - refunded;
    s.firstPurchaseAt = earliest(s.firstPurchaseAt, sale.occurredAt);
    if (s.lastPurchaseAt === undefined || sale.occurredAt > s.lastPurchaseAt) {
      s.lastPurchaseAt = sale.occurredAt;
    }
  }

  /**
   * An event's cue: what it earned (less what it reversed) and the customer's standing as of
   * their clock (the event's time, or later for a late event), not the receiving clock: the
   * same event gives the same cue whenever it arrives.
   */
  private cue(
    event: CustomerEvent,
    kind: CueKind,
    result: LoyaltyResult,
    pointsRedeemed?: number,
  ): CueFacts {
    const s = this.scalars;
    const standing = this.book.standing(this.book.clock ?? event.occurredAt);
    // One literal, the optional fields set when present: a cue is built for every event.
    const cue: CueFacts = {
      cueId: `${event.eventId}:cue`,
      customerId: s.customerId,
      eventId: event.eventId,
      storeId: event.storeId,
      tillId: event.tillId,
      channel: event.channel,
      occurredAt: event.occurredAt,
      kind,
      pointsEarned: result.earned - result.reversed,
      pointsBalance: s.pointsBalance,
      visitsThisMonth: s.monthVisits.count,
    };
    if (pointsRedeemed !== undefined) cue.pointsRedeemed = pointsRedeemed;
    if (standing.tier !== undefined) cue.tier = standing.tier;
    if (standing.nextTier) cue.nextTier = standing.nextTier;
    cue.spendablePoints = standing.spendable;
    return cue;
  }
}
