/**
 * A customer's loyalty book as the customer workflow keeps it: the loyalty state and the program
 * versions it has been given. Every customer has one: before any program version is in force
 * (or without a program at all) the base earn rate is the version in force (`baseRateProgram`).
 * Each event is applied under the version the router found in force at the event's time; the
 * clock and redemptions use the newest known version in force at `now`. Versions arrive as data
 * (in a delivery), never by I/O, so replays see the same programs.
 */

import { instantMs, isoOf } from './arithmetic.ts';
import { type CarriedLoyaltyState, carryState, restoreState } from './carried-state.ts';
import { dueUnder } from './clock.ts';
import {
  advance,
  applyLoyalty,
  checkRedemption,
  type LoyaltyEffects,
  type LoyaltyInput,
  type LoyaltyOutlook,
  type LoyaltyResult,
  outlook,
  type RedemptionCheck,
  type RedemptionRequest,
  standing,
} from './evaluator.ts';
import { addLot } from './lots.ts';
import {
  type GiveResult,
  givePoints,
  type PoolGive,
  type PoolReceive,
  type ReceiveResult,
  receivePoints,
  refusalToGive,
} from './pooling.ts';
import { firstTime, rememberForgottenSale } from './posting.ts';
import type { Program } from './program.ts';
import { balanceOf, initialLoyaltyState, type LoyaltyState } from './state.ts';
import { compareVersions, versionInForce } from './versions.ts';

/** What a workflow carries across continue-as-new. Plain JSON. */
export interface LoyaltyBookState {
  state: CarriedLoyaltyState;
  /** The published versions it knows, oldest first by when they are in force. */
  programs: Program[];
}

/** A deep copy of plain JSON (the workflow sandbox has no structuredClone). */
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The versions a book keeps; older ones are asked for again if a late event needs them. */
const PROGRAMS_KEPT = 4;

export class LoyaltyBook {
  private segmentsNow: readonly string[] = [];
  private readonly state: LoyaltyState;
  private programs: Program[];
  /**
   * `programAt`'s last answer and the instants it holds for, [from, until) in ms (forgotten when
   * versions are learnt): every event and every cue asks, nearly always within one version.
   */
  private inForce: { program: Program; from: number; until: number } | undefined;

  /** `base`: the base earn rate, in force before every published version. */
  private constructor(
    state: LoyaltyState,
    programs: Program[],
    private readonly base: Program,
  ) {
    this.state = state;
    this.programs = programs;
  }

  static open(customerId: string, base: Program): LoyaltyBook {
    return new LoyaltyBook(initialLoyaltyState(customerId), [], base);
  }

  /** From a carried state; it is copied, never shared (the versions, never changed, are). */
  static restore(carried: LoyaltyBookState, base: Program): LoyaltyBook {
    return new LoyaltyBook(restoreState(copy(carried.state)), [...carried.programs], base);
  }

  /** The same book, apart: what either applies from now on leaves the other as it was. */
  clone(): LoyaltyBook {
    return new LoyaltyBook(
      restoreState(copy(carryState(this.state))),
      [...this.programs],
      this.base,
    );
  }

  /**
   * A book for a customer whose points were kept outside one (a state carried from before every
   * customer had a book): the balance becomes its opening lot, earned and spendable from `asOf`
   * (when the customer's last event earned it), under the base rate.
   */
  static opening(
    customerId: string,
    base: Program,
    balance: number,
    asOf: string | undefined,
  ): LoyaltyBook {
    const book = LoyaltyBook.open(customerId, base);
    if (balance > 0 && asOf !== undefined) {
      addLot(book.state, {
        id: 'opening',
        earnedAt: asOf,
        availableAt: asOf,
        points: balance,
        storeId: 'opening',
        version: base.version,
      });
    }
    return book;
  }

  /** Ids applied outside the book (a carried state from before it), so they stay duplicates. */
  rememberApplied(eventIds: readonly string[], transactionIds: readonly string[]) {
    for (const id of eventIds) firstTime(this.state, id);
    for (const id of transactionIds) rememberForgottenSale(this.state, id);
  }

  toState(): LoyaltyBookState {
    // The versions are never changed once published: the list is new, the versions shared.
    return { state: copy(carryState(this.state)), programs: [...this.programs] };
  }

  get balance(): number {
    return balanceOf(this.state);
  }

  /** Whether a published version is known (the base rate needs no sending). */
  knows(version: string): boolean {
    return version === this.base.version || this.programs.some((p) => p.version === version);
  }

  /** Whether any published version has been given: the customer is under a loyalty program. */
  get underProgram(): boolean {
    return this.programs.length > 0;
  }

  /** Versions not known yet are added; the book keeps the newest few. */
  learn(programs: readonly Program[]) {
    for (const program of programs) {
      if (!this.knows(program.version)) this.programs.push(program);
    }
    this.programs.sort(compareVersions);
    if (this.programs.length > PROGRAMS_KEPT) this.programs = this.programs.slice(-PROGRAMS_KEPT);
    this.inForce = undefined;
  }

  /**
   * Empties the tier window: for replaying runs whose book began with the first program
   * version, so sales before it were never in the window.
   */
  forgetTierMonths() {
    this.state.months = [];
  }

  program(version: string): Program | undefined {
    if (version === this.base.version) return this.base;
    return this.programs.find((p) => p.version === version);
  }

  /** The newest known version in force at `at`; the base rate before any is. */
  programAt(at: string): Program {
    const t = instantMs(at);
    const known = this.inForce;
    if (known && t >= known.from && t < known.until) return known.program;
    const program = versionInForce(this.programs, at) ?? this.base;
    // It holds from its own start until the next version's (the versions are sorted by it).
    let from = Number.NEGATIVE_INFINITY;
    let until = Number.POSITIVE_INFINITY;
    for (const p of this.programs) {
      const start = instantMs(p.effectiveFrom);
      if (start <= t) from = Math.max(from, start);
      else until = Math.min(until, start);
    }
    this.inForce = { program, from, until };
    return program;
  }

  /** The base earn rate: the rules for events dated before every published version. */
  get baseRate(): Program {
    return this.base;
  }

  apply(input: LoyaltyInput, program: Program, now: string, out: LoyaltyEffects): LoyaltyResult {
    return applyLoyalty(this.state, input, program, now, out, this.segmentsNow);
  }

  /** What the clock made due by `now`, under the version in force then. */
  advance(now: string, out: LoyaltyEffects) {
    advance(this.state, this.programAt(now), now, out);
  }

  /** When the customer reached their tier, when the book knows. */
  get tierSince(): string | undefined {
    return this.state.tier?.since;
  }

  /** The customer's tags (from registration and profile changes). */
  get tags(): readonly string[] {
    return this.state.tags;
  }

  /**
   * The segments the customer is in, for the earn rules of the inputs that follow. Not state:
   * the customer's record keeps membership and says it before each input.
   */
  inSegments(ids: readonly string[]) {
    this.segmentsNow = ids;
  }

  /** The member's month and day of birth (`MM-DD`), when they gave a birth date. */
  get birthMonthDay(): string | undefined {
    return this.state.birthMonthDay;
  }

  /**
   * The customer's clock: the latest event time applied or timer instant run. Cues show the
   * customer's standing as of it, so a late event's cue says what it said live.
   */
  get clock(): string | undefined {
    return this.state.clockAt;
  }

  /**
   * Household pooling, the giving member's step: `request.points` leave the spendable lots,
   * oldest first, under the version in force at `now`. The clock runs to `now` first, as for a
   * redemption, so no lot expired by then is given.
   */
  give(request: PoolGive, now: string, out: LoyaltyEffects): GiveResult {
    const program = this.programAt(now);
    advance(this.state, program, now, out);
    return givePoints(this.state, request, program, out);
  }

  /**
   * Household pooling, the receiving member's step: the given lots come in with their dates. The
   * clock runs to `now` first, and again after (as after any input): a pooled lot already past
   * its expiry on this customer's clock expires at once, and the next due instant accounts for
   * the pooled lots.
   */
  receive(request: PoolReceive, now: string, out: LoyaltyEffects): ReceiveResult {
    const program = this.programAt(now);
    advance(this.state, program, now, out);
    const result = receivePoints(this.state, request, program, out);
    advance(this.state, program, this.state.clockAt ?? now, out);
    return result;
  }

  checkRedemption(request: RedemptionRequest, program: Program, now: string): RedemptionCheck {
    return checkRedemption(this.state, request, program, now);
  }

  /**
   * When the clock next has something to do (expiry, a warning, a review). Every input and every
   * run of the clock leave that instant in the state (`dueAt`, never later than the truth), so
   * the workflow asks after each delivery without another pass over the lots.
   */
  nextDue(now: string): string | undefined {
    const due = dueUnder(this.state, this.programAt(now));
    return due === Number.POSITIVE_INFINITY ? undefined : isoOf(due);
  }

  /** Spendable points, tier and next tier at `now`: what every cue shows. */
  standing(now: string): ReturnType<typeof standing> {
    return standing(this.state, this.programAt(now), now);
  }

  outlook(now: string): LoyaltyOutlook {
    return outlook(this.state, this.programAt(now), now);
  }

  /** Why this book cannot give what a household transfer asks (`refusalToGive`), if it cannot. */
  refusalToGive(request: PoolGive, now: string): GiveResult['reason'] {
    return refusalToGive(this.state, request, this.programAt(now));
  }

  hasRedemption(redemptionId: string): boolean {
    return this.state.redemptions.has(redemptionId);
  }

  /** The sale a remembered redemption paid for, once a sale's points tender named it. */
  redemptionUsedBy(redemptionId: string): string | undefined {
    return this.state.redemptions.get(redemptionId)?.usedBy;
  }

  /** The store a remembered redemption was granted to. */
  redemptionStore(redemptionId: string): string | undefined {
    return this.state.redemptions.get(redemptionId)?.storeId;
  }

  /** Points a redemption took, if the book remembers it (for the receipt of the sale it paid). */
  redeemedBy(redemptionId: string): number | undefined {
    return this.state.redemptions.get(redemptionId)?.points;
  }

  /**
   * What each earn rule gave a remembered sale, per line and as receipt bonuses (for the
   * what-if's cost of each rule); undefined once the sale is forgotten.
   */
  ruleEarning(transactionId: string):
    | {
        lines: { lineId: string; rules: Record<string, number> }[];
        bonuses: { id: string; points: number }[];
      }
    | undefined {
    const sale = this.state.sales.get(transactionId);
    if (!sale) return undefined;
    return {
      lines: sale.lines.flatMap((line) =>
        line.rules ? [{ lineId: line.lineId, rules: line.rules }] : [],
      ),
      bonuses: sale.bonuses
        .filter((b) => b.kind === 'rule')
        .map((b) => ({ id: b.id, points: b.points })),
    };
  }
}
