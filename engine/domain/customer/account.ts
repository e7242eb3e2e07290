/**
 * The customer rules, applied in place: a `CustomerAccount` owns one customer's state and applies
 * each event to it, returning what the event caused. Deterministic (no clock, no random, no I/O),
 * so the workflow, replays, the what-if and the tests all get the same answer.
 *
 * In place, because the workflow applies every event of a long-lived customer: an immutable copy
 * per event cost O(history) (thousands of remembered ids and sales copied each time) and capped
 * the rules at ~15,000 events/s. Here every event costs O(1); the plain-JSON `CustomerState`
 * is produced only when it is carried across continue-as-new (`toState`). `applyEvent` in
 * `apply-event.ts` keeps the `(state, event) → { state, effects }` form for tests and oracles.
 */
import type { CueFacts, CueKind, LedgerEntry } from '../effects.ts';
import type { CustomerEvent, FieldIssue, ReturnEvent, SaleEvent } from '../events.ts';
import { eligibleSpend, pointsFor, saleTotal } from '../loyalty/base-earn.ts';
import { LoyaltyBook } from '../loyalty/book.ts';
import {
  type LoyaltyEffects,
  type LoyaltyResult,
  type LoyaltyTrigger,
  noLoyaltyEffects,
  type RedemptionCancel,
  type RedemptionRequest,
} from '../loyalty/evaluator.ts';
import type { Program } from '../loyalty/program.ts';
import type { TierChange } from '../loyalty/tiers.ts';
import { RecentMap } from './recent.ts';
import {
  type CustomerScalars,
  type CustomerSnapshot,
  type CustomerState,
  initialState,
  limits,
  snapshotOf,
  type TransactionMemory,
} from './state.ts';

/**
 * What events caused: ledger lines, cues as facts (worded at publication, `describeCue`), and,
 * under a loyalty program, tier changes and triggers (expiry warnings and the like).
 */
export interface Effects {
  ledger: LedgerEntry[];
  cues: CueFacts[];
  tierChanges?: (TierChange & { customerId: string })[];
  triggers?: (LoyaltyTrigger & { customerId: string })[];
}

/** The program version an event is applied under, and the receiving clock. */
export interface LoyaltyContext {
  program: Program;
  now: string;
}

/** Loyalty effects into the customer's effects (tier changes and triggers named by customer). */
export function addLoyaltyEffects(out: Effects, customerId: string, effects: LoyaltyEffects) {
  if (effects.ledger.length > 0) out.ledger.push(...effects.ledger);
  if (effects.tierChanges.length > 0) {
    out.tierChanges ??= [];
    for (const change of effects.tierChanges) out.tierChanges.push({ ...change, customerId });
  }
  if (effects.triggers.length > 0) {
    out.triggers ??= [];
    for (const trigger of effects.triggers) out.triggers.push({ ...trigger, customerId });
  }
}

export const noEffects = (): Effects => ({ ledger: [], cues: [] });

/**
 * What applying an event did: `applied`, or why nothing happened (`refused`: it cannot be true
 * of this customer; its cue names the fields).
 */
export type Outcome =
  | 'applied'
  | 'duplicate-event'
  | 'duplicate-transaction'
  | 'other-customer'
  | 'refused';

type RegistrationEvent = Extract<CustomerEvent, { type: 'customer.registered' }>;

/** A return of a sale earned at the base rate: its memory and the points the refund reverses. */
interface EarlierReturn {
  memory: TransactionMemory;
  reversed: number;
}

/** What the loyalty book said about one event, for its cue. */
interface LoyaltyFacts {
  result: LoyaltyResult;
}

const own = <V>(record: Record<string, V>, key: string): V | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

/** Own properties only, so any id (even `__proto__`) is an ordinary key of the JSON state. */
function recordOf<V>(map: RecentMap<V>, keys: readonly string[]): Record<string, V> {
  return Object.fromEntries(keys.map((key) => [key, map.get(key) as V]));
}

/** The earlier of two instants, either of which may be missing. */
function earliest(a: string | undefined, b: string): string {
  return a !== undefined && a < b ? a : b;
}

export class CustomerAccount {
  /** The plain fields; the remembered ids and sales live in `RecentMap`s beside them. */
  private readonly scalars: CustomerScalars;
  /** Ids of recent events other than sales (sales are remembered by their transaction). */
  private readonly seen: RecentMap<true>;
  private readonly transactions: RecentMap<TransactionMemory>;
  /**
   * Refunds of sales not (yet) seen, by the sale's transaction id: settled when the sale
   * arrives, so a return that overtakes its sale still reverses exactly what the sale earned.
   */
  private readonly pendingReturns: RecentMap<{ refundedMinor: number }>;
  /**
   * The loyalty program's book, once the workflow has attached one: points then come from the
   * program (lots, tiers, rules) rather than the base earn rate.
   */
  private book: LoyaltyBook | undefined;

  private constructor(state: CustomerState) {
    const {
      seenEventIds,
      transactions,
      transactionOrder,
      pendingReturns,
      pendingReturnOrder,
      loyalty,
      ...scalars
    } = state;
    this.book = loyalty ? LoyaltyBook.restore(loyalty) : undefined;
    // Every field present, in one order: every account then has the same shape, and the
    // rules' property accesses stay monomorphic (fields added later would fork the shape).
    this.scalars = {
      customerId: scalars.customerId,
      program: scalars.program,
      registeredAt: scalars.registeredAt,
      consent: scalars.consent,
      visits: scalars.visits,
      spendMinor: scalars.spendMinor,
      firstPurchaseAt: scalars.firstPurchaseAt,
      lastPurchaseAt: scalars.lastPurchaseAt,
      pointsBalance: scalars.pointsBalance,
      monthVisits: { month: scalars.monthVisits.month, count: scalars.monthVisits.count },
      eventsApplied: scalars.eventsApplied,
    };
    this.seen = RecentMap.from(limits.seenEventIds, seenEventIds, () => true as const);
    this.transactions = RecentMap.from(limits.transactions, transactionOrder, (id) => {
      const memory = own(transactions, id);
      return memory && { ...memory };
    });
    this.pendingReturns = RecentMap.from(limits.transactions, pendingReturnOrder, (id) => {
      const pending = own(pendingReturns, id);
      return pending && { ...pending };
    });
  }

  static open(customerId: string, program: CustomerState['program']): CustomerAccount {
    return new CustomerAccount(initialState(customerId, program));
  }

  /** From a carried (or recorded) state; the state itself is copied, never kept or changed. */
  static restore(state: CustomerState): CustomerAccount {
    return new CustomerAccount(state);
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

  get program(): CustomerState['program'] {
    return this.scalars.program;
  }

  /** The whole state as plain JSON (for continue-as-new): O(remembered ids), not for every event. */
  toState(): CustomerState {
    const transactionOrder = this.transactions.keysOldestFirst();
    const pendingReturnOrder = this.pendingReturns.keysOldestFirst();
    return {
      ...this.scalars,
      monthVisits: { ...this.scalars.monthVisits },
      transactions: recordOf(this.transactions, transactionOrder),
      transactionOrder,
      pendingReturns: recordOf(this.pendingReturns, pendingReturnOrder),
      pendingReturnOrder,
      seenEventIds: this.seen.keysOldestFirst(),
      ...(this.book ? { loyalty: this.book.toState() } : {}),
    };
  }

  /** The 360 snapshot; with a loyalty program, what the customer sees of it at `now`. */
  snapshot(now?: string): CustomerSnapshot {
    const snapshot = snapshotOf(this.scalars);
    const outlook = now !== undefined ? this.book?.outlook(now) : undefined;
    if (!outlook) return snapshot;
    // One version on the record: the program's, in force at `now`.
    const { programVersion, ...loyalty } = outlook;
    return { ...snapshot, programVersion, loyalty };
  }

  /** The loyalty book, when a program is attached. */
  get loyalty(): LoyaltyBook | undefined {
    return this.book;
  }

  /**
   * Puts the customer under a loyalty program from now on. A balance earned at the base rate
   * before becomes the book's opening lot, so no point is lost or counted twice.
   */
  attachLoyalty(programs: readonly Program[], now: string) {
    if (this.book) {
      this.book.learn(programs);
      return;
    }
    // The balance was earned by the customer's events, not at the moment the program arrived:
    // it is dated by the last of them, so a late event's cue counts it as it would have live.
    const s = this.scalars;
    this.book = LoyaltyBook.open(
      s.customerId,
      [...programs],
      s.pointsBalance,
      s.lastPurchaseAt ?? s.registeredAt ?? now,
    );
    this.scalars.pointsBalance = this.book.balance;
  }

  /** What the clock made due by `now` under the loyalty program (expiry, warnings, reviews). */
  advanceLoyalty(now: string, out: Effects) {
    const book = this.book;
    if (!book) return;
    const effects = noLoyaltyEffects();
    book.advance(now, effects);
    addLoyaltyEffects(out, this.scalars.customerId, effects);
    this.scalars.pointsBalance = book.balance;
  }

  /**
   * A till's request to spend points (or to give back a redemption), under the loyalty program;
   * the caller has attached one. Its ledger line goes to `out`.
   */
  redeem(
    request: RedemptionRequest | RedemptionCancel,
    program: Program,
    now: string,
    out: Effects,
  ): LoyaltyResult {
    const book = this.book;
    if (!book) throw new Error('redeem needs a loyalty program attached');
    const effects = noLoyaltyEffects();
    const result = book.apply(request, program, now, effects);
    addLoyaltyEffects(out, this.scalars.customerId, effects);
    this.scalars.pointsBalance = book.balance;
    return result;
  }

  /**
   * Applies one event; its ledger entries and cues are appended to `out`. With a loyalty book
   * attached, `loyalty` names the program version in force at the event's time and the clock.
   */
  apply(event: CustomerEvent, out: Effects, loyalty?: LoyaltyContext): Outcome {
    const s = this.scalars;
    if (event.customerId !== s.customerId) return 'other-customer';
    if (event.type === 'sale') {
      // A sale is known by its transaction, remembered as long as its event id would be: the
      // same sale again, under its own event id or a till's new one, must not earn twice.
      if (this.transactions.has(event.transactionId)) {
        return this.seen.has(event.eventId) ? 'duplicate-event' : 'duplicate-transaction';
      }
    } else if (this.seen.has(event.eventId)) return 'duplicate-event';
    const book = this.book && loyalty ? this.book : undefined;
    // Refused whole, before anything is written. A return of a sale the book does not hold is
    // checked against what the account remembers of it.
    const byBook =
      book !== undefined &&
      (event.type !== 'return' || book.holdsSale(event.originalTransactionId));
    const issues = byBook ? book.check(event) : this.check(event);
    if (issues.length > 0) {
      out.cues.push({ ...this.cue(event, 'refused', 0), issues });
      return 'refused';
    }
    if (event.type !== 'sale') this.seen.add(event.eventId, true);
    s.eventsApplied += 1;
    let earlier: EarlierReturn | undefined;
    switch (event.type) {
      case 'sale':
        this.applySale(event, out, book === undefined);
        break;
      case 'return':
        earlier = this.applyReturn(event, out, book === undefined);
        break;
      case 'customer.registered':
        this.applyRegistration(event, out, book === undefined);
        break;
      case 'points.adjusted':
      case 'partner.accrual':
        // Points only: without a program there is nothing to apply them to.
        break;
    }
    if (book && loyalty && earlier && event.type === 'return') {
      this.applyEarlierReturn(book, event, earlier, loyalty.program, out);
    } else if (book && loyalty) {
      this.applyLoyalty(book, event, loyalty, out);
    }
    return 'applied';
  }

  /**
   * Without a program, what an event cannot be: a points tender (no redemption is ever granted
   * at the base rate), a return refunding more than its sale was paid. (Under a program the book
   * checks each line.)
   */
  private check(event: CustomerEvent): FieldIssue[] {
    const issues: FieldIssue[] = [];
    if (event.type === 'sale') {
      event.tenders.forEach((tender, i) => {
        if (tender.type !== 'points') return;
        issues.push({
          field: `tenders[${i}]`,
          message: 'is a points tender, but points cannot be spent without a loyalty program',
        });
      });
    } else if (event.type === 'return') {
      const original = this.transactions.get(event.originalTransactionId);
      let refund = 0;
      for (const line of event.lines) refund += line.refundAmount;
      if (original && refund + original.refundedMinor > original.netMinor) {
        const before =
          original.refundedMinor > 0 ? ` (${original.refundedMinor} refunded before)` : '';
        issues.push({
          field: 'lines',
          message: `refund ${refund} in all, but sale ${event.originalTransactionId} was paid ${original.netMinor}${before}`,
        });
      }
    }
    return issues;
  }

  /**
   * A return of a sale the program's book does not hold: one earned at the base rate before the
   * customer came under the program (its points are in the opening lot), whose refund the base
   * rules reverse and the book takes back as the return policy allows, on the sale's own
   * reversal line; or one the book has forgotten, its return period long over (nothing).
   */
  private applyEarlierReturn(
    book: LoyaltyBook,
    ret: ReturnEvent,
    { memory, reversed }: EarlierReturn,
    program: Program,
    out: Effects,
  ) {
    const s = this.scalars;
    const taken = reversed > 0 ? book.takeBackEarlier(reversed, program, ret.occurredAt) : 0;
    memory.pointsForgiven = (memory.pointsForgiven ?? 0) + (reversed - taken);
    s.pointsBalance = book.balance;
    if (taken > 0) {
      const cumulative = memory.pointsReversed - memory.pointsForgiven;
      out.ledger.push(
        this.ledgerLine(
          ret,
          ret.originalTransactionId,
          'reverse',
          memory.refundedMinor,
          -cumulative,
          book.balance,
        ),
      );
    }
    const result: LoyaltyResult = { outcome: 'applied', earned: 0, redeemed: 0, reversed: taken };
    out.cues.push(this.loyaltyCue(ret, 'return', { result }));
  }

  /** The program's part of an event: points, tier, triggers, and the event's cue. */
  private applyLoyalty(book: LoyaltyBook, event: CustomerEvent, at: LoyaltyContext, out: Effects) {
    const s = this.scalars;
    const effects = noLoyaltyEffects();
    const result = book.apply(event, at.program, at.now, effects);
    addLoyaltyEffects(out, s.customerId, effects);
    s.pointsBalance = book.balance;
    const facts: LoyaltyFacts = { result };
    switch (event.type) {
      case 'sale': {
        const redemptionId = event.tenders.find((t) => t.redemptionId !== undefined)?.redemptionId;
        const redeemed = redemptionId !== undefined ? book.redeemedBy(redemptionId) : undefined;
        out.cues.push(
          this.loyaltyCue(
            event,
            s.visits === 1 ? 'first-purchase' : 'repeat-visit',
            facts,
            redeemed,
          ),
        );
        break;
      }
      case 'return':
        out.cues.push(
          this.loyaltyCue(
            event,
            result.outcome === 'held' ? 'return-of-unknown-sale' : 'return',
            facts,
          ),
        );
        break;
      case 'customer.registered':
        out.cues.push(this.loyaltyCue(event, 'welcome', facts));
        break;
      case 'points.adjusted':
        out.cues.push(this.loyaltyCue(event, 'points-adjusted', facts));
        break;
      case 'partner.accrual':
        break;
    }
  }

  private loyaltyCue(
    event: CustomerEvent,
    kind: CueKind,
    { result }: LoyaltyFacts,
    pointsRedeemed?: number,
  ): CueFacts {
    const cue = this.cue(event, kind, result.earned - result.reversed);
    // As of the customer's clock (the event's time, or later for a late event), not the
    // receiving clock: the same event gives the same cue whenever it arrives.
    const book = this.book;
    const clock = book?.clock ?? event.occurredAt;
    const standing = book?.standing(clock);
    return {
      ...cue,
      ...(pointsRedeemed !== undefined ? { pointsRedeemed } : {}),
      ...(standing?.tier !== undefined ? { tier: standing.tier } : {}),
      ...(standing?.nextTier ? { nextTier: standing.nextTier } : {}),
      ...(standing ? { spendablePoints: standing.spendable } : {}),
    };
  }

  private applyRegistration(event: RegistrationEvent, out: Effects, cue: boolean) {
    const s = this.scalars;
    s.registeredAt = earliest(s.registeredAt, event.occurredAt);
    s.consent = event.consent;
    if (cue) out.cues.push(this.cue(event, 'welcome', 0));
  }

  /** `basePoints`: earn at the base rate (no loyalty program attached), with the ledger and cue. */
  private applySale(sale: SaleEvent, out: Effects, basePoints: boolean) {
    const s = this.scalars;
    const net = saleTotal(sale);
    const points = basePoints ? pointsFor(eligibleSpend(sale), s.program) : 0;
    const memory: TransactionMemory = {
      netMinor: net,
      refundedMinor: 0,
      pointsEarned: points,
      pointsReversed: 0,
    };
    // Returns of this sale that arrived before it (a redelivery after a crash can overtake) are
    // applied now, so the outcome does not depend on the order events arrive in.
    const early =
      this.pendingReturns.size > 0 ? this.pendingReturns.get(sale.transactionId) : undefined;
    let reversed = 0;
    let spendReduction = 0;
    if (early) {
      ({ reversed, spendReduction } = reverseTo(memory, early.refundedMinor, s.program));
      this.pendingReturns.delete(sale.transactionId);
    }
    this.transactions.add(sale.transactionId, memory); // absent: `apply` checked

    const firstVisit = s.visits === 0;
    const balanceAfterEarn = s.pointsBalance + points;
    const balance = balanceAfterEarn - reversed;
    // `YYYY-MM`, compared in place: most sales fall in the month already counted.
    const visits = s.monthVisits;
    if (visits.month !== '' && sale.occurredAt.startsWith(visits.month)) visits.count += 1;
    else {
      const month = sale.occurredAt.slice(0, 7);
      // (a late sale from an earlier month does not count for this one)
      if (month > visits.month) s.monthVisits = { month, count: 1 };
    }
    s.visits += 1;
    s.spendMinor += net - spendReduction;
    s.firstPurchaseAt = earliest(s.firstPurchaseAt, sale.occurredAt);
    if (s.lastPurchaseAt === undefined || sale.occurredAt > s.lastPurchaseAt) {
      s.lastPurchaseAt = sale.occurredAt;
    }
    if (!basePoints) return;
    s.pointsBalance = balance;

    const tx = sale.transactionId;
    if (points > 0) out.ledger.push(this.ledgerLine(sale, tx, 'earn', 0, points, balanceAfterEarn));
    if (reversed > 0) {
      out.ledger.push(
        this.ledgerLine(sale, tx, 'reverse', memory.refundedMinor, -memory.pointsReversed, balance),
      );
    }
    out.cues.push(
      this.cue(sale, firstVisit ? 'first-purchase' : 'repeat-visit', points - reversed),
    );
  }

  /**
   * Returns what a sale earned at the base rate before a program gives back, when the program's
   * book must take it back (`basePoints` false).
   */
  private applyReturn(
    ret: ReturnEvent,
    out: Effects,
    basePoints: boolean,
  ): EarlierReturn | undefined {
    const s = this.scalars;
    let refund = 0;
    for (const line of ret.lines) refund += line.refundAmount;
    const tx = ret.originalTransactionId;
    const original = this.transactions.get(tx);
    if (!original) {
      // The sale is not (yet) known: remember the refund and settle it if the sale arrives.
      const pending = this.pendingReturns.get(tx);
      if (pending) pending.refundedMinor += refund;
      else this.pendingReturns.set(tx, { refundedMinor: refund });
      if (basePoints) out.cues.push(this.cue(ret, 'return-of-unknown-sale', 0));
      return undefined;
    }
    const { reversed, spendReduction } = reverseTo(
      original,
      original.refundedMinor + refund,
      s.program,
    );
    s.spendMinor -= spendReduction;
    if (!basePoints) {
      // Under a program, the book reverses the sales it holds; for the others (earned here
      // before the program, or forgotten by the book) the base rules say what is reversed.
      return this.book?.holdsSale(tx) ? undefined : { memory: original, reversed };
    }
    s.pointsBalance -= reversed;
    const balance = s.pointsBalance;
    if (reversed > 0) {
      // The sale's reversal line, at its new cumulative total.
      out.ledger.push(
        this.ledgerLine(
          ret,
          tx,
          'reverse',
          original.refundedMinor,
          -original.pointsReversed,
          balance,
        ),
      );
    }
    out.cues.push(this.cue(ret, 'return', -reversed));
    return undefined;
  }

  private cue(event: CustomerEvent, kind: CueKind, pointsEarned: number): CueFacts {
    const s = this.scalars;
    return {
      cueId: `${event.eventId}:cue`,
      customerId: s.customerId,
      eventId: event.eventId,
      storeId: event.storeId,
      tillId: event.tillId,
      channel: event.channel,
      occurredAt: event.occurredAt,
      kind,
      pointsEarned,
      pointsBalance: s.pointsBalance,
      visitsThisMonth: s.monthVisits.count,
    };
  }

  private ledgerLine(
    event: CustomerEvent,
    transactionId: string,
    kind: LedgerEntry['kind'],
    revision: number,
    points: number,
    balanceAfter: number,
  ): LedgerEntry {
    const s = this.scalars;
    return {
      entryId: `${s.customerId}/${transactionId}/${kind}`,
      customerId: s.customerId,
      eventId: event.eventId,
      transactionId,
      kind,
      revision,
      points,
      balanceAfter,
      storeId: event.storeId,
      occurredAt: event.occurredAt,
      programVersion: s.program.version,
    };
  }
}

/**
 * Brings a sale's reversal in line with its refunded total, in place: the points kept are what
 * the unrefunded spend would have earned, so partial returns add up exactly, a full return takes
 * back every point, and the result depends only on the total refunded, not on the order.
 */
function reverseTo(
  memory: TransactionMemory,
  refundedTotal: number,
  program: CustomerState['program'],
): { reversed: number; spendReduction: number } {
  const refundedMinor = Math.min(memory.netMinor, refundedTotal);
  const keptPoints = Math.min(
    memory.pointsEarned,
    pointsFor(memory.netMinor - refundedMinor, program),
  );
  const reversed = Math.max(0, memory.pointsEarned - memory.pointsReversed - keptPoints);
  const spendReduction = refundedMinor - memory.refundedMinor;
  memory.refundedMinor = refundedMinor;
  memory.pointsReversed += reversed;
  return { reversed, spendReduction };
}
