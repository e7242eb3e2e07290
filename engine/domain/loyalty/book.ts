/**
 * A customer's loyalty book as the customer workflow keeps it: the loyalty state and the program
 * versions it has been given. Each event is applied under the version the router found in force
 * at the event's time; the clock and redemptions use the newest known version in force at `now`.
 * Versions arrive as data (in a delivery), never by I/O, so replays see the same programs.
 */
import type { CustomerEvent, FieldIssue } from '../events.ts';
import type { BaseEarnProgram } from './base-earn.ts';
import {
  advance,
  applyLoyalty,
  checkEvent,
  checkRedemption,
  type LoyaltyEffects,
  type LoyaltyInput,
  type LoyaltyOutlook,
  type LoyaltyResult,
  nextDue,
  outlook,
  type RedemptionCheck,
  type RedemptionRequest,
  standing,
  takeBackEarlier,
} from './evaluator.ts';
import { addLot } from './lots.ts';
import type { Program } from './program.ts';
import { balanceOf, initialLoyaltyState, key, type LoyaltyState } from './state.ts';
import { compareVersions, versionInForce } from './versions.ts';

/** What a workflow carries across continue-as-new. Plain JSON. */
export interface LoyaltyBookState {
  state: LoyaltyState;
  /** The versions it knows, oldest first by when they are in force. */
  programs: Program[];
}

/** A deep copy of plain JSON (the workflow sandbox has no structuredClone). */
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The versions a book keeps; older ones are asked for again if a late event needs them. */
const PROGRAMS_KEPT = 4;

export class LoyaltyBook {
  private readonly state: LoyaltyState;
  private programs: Program[];

  private constructor(carried: LoyaltyBookState) {
    this.state = carried.state;
    this.programs = [...carried.programs];
  }

  /**
   * A new book; a balance from before the customer had one becomes its opening lot, earned and
   * spendable from `asOf` (when the customer's last event earned it).
   */
  static open(
    customerId: string,
    programs: Program[],
    openingBalance: number,
    asOf: string,
  ): LoyaltyBook {
    const book = new LoyaltyBook({ state: initialLoyaltyState(customerId), programs: [] });
    book.learn(programs);
    if (openingBalance > 0) {
      const program = book.programAt(asOf);
      addLot(book.state, {
        id: 'opening',
        earnedAt: asOf,
        availableAt: asOf,
        points: openingBalance,
        storeId: 'opening',
        version: program?.version ?? 'opening',
      });
    }
    return book;
  }

  /** From a carried state; it is copied, never shared. */
  static restore(carried: LoyaltyBookState): LoyaltyBook {
    return new LoyaltyBook(copy(carried));
  }

  toState(): LoyaltyBookState {
    return copy({ state: this.state, programs: this.programs });
  }

  get balance(): number {
    return balanceOf(this.state);
  }

  knows(version: string): boolean {
    return this.programs.some((p) => p.version === version);
  }

  /** Versions not known yet are added; the book keeps the newest few. */
  learn(programs: readonly Program[]) {
    for (const program of programs) {
      if (!this.knows(program.version)) this.programs.push(program);
    }
    this.programs.sort(compareVersions);
    if (this.programs.length > PROGRAMS_KEPT) this.programs = this.programs.slice(-PROGRAMS_KEPT);
  }

  program(version: string): Program | undefined {
    return this.programs.find((p) => p.version === version);
  }

  /** The newest known version in force at `at` (or the oldest known, before any is). */
  programAt(at: string): Program | undefined {
    return versionInForce(this.programs, at) ?? this.programs[0];
  }

  apply(input: LoyaltyInput, program: Program, now: string, out: LoyaltyEffects): LoyaltyResult {
    return applyLoyalty(this.state, input, program, now, out);
  }

  /** What the clock made due by `now`, under the version in force then. */
  advance(now: string, out: LoyaltyEffects) {
    const program = this.programAt(now);
    if (program) advance(this.state, program, now, out);
  }

  /** Takes back points a return (at `at`) reverses for a sale the book does not hold. */
  takeBackEarlier(points: number, program: Program, at: string): number {
    return takeBackEarlier(this.state, program, at, points);
  }

  /** What makes an event impossible for this customer, by field (nothing is changed). */
  check(event: CustomerEvent): FieldIssue[] {
    return checkEvent(this.state, event);
  }

  /** The sale is remembered: a return of it is the book's to reverse. */
  holdsSale(transactionId: string): boolean {
    return Object.hasOwn(this.state.sales, key(transactionId));
  }

  /**
   * The customer's clock: the latest event time applied or timer instant run. Cues show the
   * customer's standing as of it, so a late event's cue says what it said live.
   */
  get clock(): string | undefined {
    return this.state.clockAt;
  }

  /**
   * The rules for an event dated before the program's first version: the base earn rate, as a
   * version of its own (no tiers, rules, bonuses, expiry or pending days; returns and markets
   * as the program's), so such an event earns what it did before the program and never
   * expires at once.
   */
  beforeFirstVersion(base: BaseEarnProgram): Program | undefined {
    const first = this.programs[0];
    return first ? baseRateVersion(base, first) : undefined;
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
    if (this.state.dueAt !== undefined) return this.state.dueAt;
    const program = this.programAt(now);
    return program ? nextDue(this.state, program) : undefined;
  }

  /** Spendable points, tier and next tier at `now`: what every cue shows. */
  standing(now: string): ReturnType<typeof standing> | undefined {
    const program = this.programAt(now);
    return program ? standing(this.state, program, now) : undefined;
  }

  outlook(now: string): LoyaltyOutlook | undefined {
    const program = this.programAt(now);
    return program ? outlook(this.state, program, now) : undefined;
  }

  hasRedemption(redemptionId: string): boolean {
    return Object.hasOwn(this.state.redemptions, key(redemptionId));
  }

  /** The sale a remembered redemption paid for, once a sale's points tender named it. */
  redemptionUsedBy(redemptionId: string): string | undefined {
    return this.state.redemptions[key(redemptionId)]?.usedBy;
  }

  /** The store a remembered redemption was granted to. */
  redemptionStore(redemptionId: string): string | undefined {
    return this.state.redemptions[key(redemptionId)]?.storeId;
  }

  /** Points a redemption took, if the book remembers it (for the receipt of the sale it paid). */
  redeemedBy(redemptionId: string): number | undefined {
    return this.state.redemptions[key(redemptionId)]?.points;
  }
}

/** The base earn rate as a program version, on the terms of the program's `like` version. */
export function baseRateVersion(base: BaseEarnProgram, like: Program): Program {
  return {
    ...like,
    version: base.version,
    name: 'Base earn rate',
    effectiveFrom: '1970-01-01T00:00:00.000Z',
    earn: {
      base: { rate: { points: base.basePointsPerUnit, perMinor: base.spendUnitMinor } },
      rounding: 'down',
      // As the base rules: only what was paid with points earns nothing.
      excludeTenders: ['points'],
      excludeTax: false,
      excludeCategories: [],
      rules: [],
      bonuses: [],
    },
    tiers: undefined,
    expiry: { warnDays: like.expiry.warnDays },
    pendingDays: 0,
    returns: {
      ...like.returns,
      policy: like.returns.policy === 'pending-only' ? 'within-balance' : like.returns.policy,
    },
    partners: [],
  };
}
