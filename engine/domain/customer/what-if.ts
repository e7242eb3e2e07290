/**
 * The what-if of a candidate program for one customer: their log replayed under the versions that
 * were in force up to `from`, then twice from there to `to` (`CustomerReplay.fork`): under those
 * versions (the baseline) and under the candidate. What each side did in the period is read from
 * its ledger lines (each at its latest revision), its tier and balance at `to`, and what each earn
 * rule gave each sale. The visits stay the ones that happened: a replay cannot know the visits a
 * program would have added (`breakEvenVisits` says how many it would need).
 *
 * Pure: no I/O, no clock. `WhatIfTotals` adds customers up (and workers' totals together).
 */
import type { LedgerEntry } from '../effects.ts';
import type { SaleEvent } from '../events.ts';
import { mulDiv } from '../loyalty/arithmetic.ts';
import type { BaseEarnProgram } from '../loyalty/base-earn.ts';
import type { Program } from '../loyalty/program.ts';
import type { ProgramCatalog } from '../loyalty/versions.ts';
import {
  type CustomerLog,
  CustomerReplay,
  inputsUntil,
  inputTime,
  type LoggedInput,
} from './rebuild.ts';

export interface WhatIfOptions {
  base: BaseEarnProgram;
  /** The versions that were in force. */
  baseline: ProgramCatalog;
  /** The same up to `from`; the candidate from `from` on. */
  candidate: ProgramCatalog;
  from: string;
  to: string;
}

/** Points and money one side moved in the period (positive numbers, money in minor units). */
export interface SideFigures {
  /** Earned by sales, bonuses and partners, less what returns took back. */
  issued: number;
  /** Spent on redemptions, less redemptions cancelled or given back by returns. */
  redeemed: number;
  expired: number;
  /** Service-desk adjustments (signed). */
  adjusted: number;
  /** Balance at `to`, and what it is worth at the side's point value then. */
  balance: number;
  liabilityMinor: number;
  /** What the points issued are worth: the program's reward cost. */
  rewardCostMinor: number;
  /** By earn rule: points given (at the sale) and the margin of what they were given on. */
  rules: Record<string, { points: number; costMinor: number; marginMinor: number }>;
}

export interface CustomerWhatIf {
  customerId: string;
  /** Inputs in the period (events and granted requests). */
  inputs: number;
  visits: number;
  marginMinor: number;
  tierAtFrom: string;
  baseline: SideFigures;
  candidate: SideFigures;
  baselineTier: string;
  candidateTier: string;
  /** Redemptions the candidate's balance would not have covered (paid by card instead). */
  redemptionsRefused: number;
}

/** Shown for no tier (a program without tiers, or before any). */
export const NO_TIER = '-';

const emptySide = (): SideFigures => ({
  issued: 0,
  redeemed: 0,
  expired: 0,
  adjusted: 0,
  balance: 0,
  liabilityMinor: 0,
  rewardCostMinor: 0,
  rules: {},
});

const ISSUED = new Set(['earn', 'bonus', 'partner-earn', 'reverse']);
const REDEEMED = new Set(['redeem', 'partner-burn', 'redeem-cancel', 'restore']);

const worth = (program: Program, points: number) =>
  mulDiv(points, program.pointValue.minor, program.pointValue.points);

function addRule(rules: SideFigures['rules'], rule: string, more: SideFigures['rules'][string]) {
  const held = rules[rule] ?? { points: 0, costMinor: 0, marginMinor: 0 };
  rules[rule] = held;
  held.points += more.points;
  held.costMinor += more.costMinor;
  held.marginMinor += more.marginMinor;
}

const lineMargin = (line: SaleEvent['lines'][number]) =>
  line.quantity * line.unitPrice - line.discount - line.quantity * line.unitCost;

/** One side of the period: its ledger lines by entry (latest revision), its rules' points. */
class Side {
  readonly lines = new Map<string, LedgerEntry>();
  readonly rules: SideFigures['rules'] = {};
  refused = 0;
  replay!: CustomerReplay;

  constructor(private readonly from: number) {}

  take(ledger: readonly LedgerEntry[], input: LoggedInput | undefined) {
    for (const line of ledger) {
      const held = this.lines.get(line.entryId);
      if (!held || held.revision <= line.revision) this.lines.set(line.entryId, line);
    }
    if (input?.kind === 'event' && input.event.type === 'sale') {
      if (Date.parse(input.event.occurredAt) >= this.from) this.rulesOf(input.event);
    }
  }

  private rulesOf(sale: SaleEvent) {
    const earning = this.replay.account.loyalty.ruleEarning(sale.transactionId);
    if (!earning) return;
    const program = this.replay.account.loyalty.programAt(sale.occurredAt);
    const margins = new Map(sale.lines.map((line) => [line.lineId, lineMargin(line)]));
    const add = (rule: string, points: number, margin: number) => {
      addRule(this.rules, rule, {
        points,
        costMinor: worth(program, points),
        marginMinor: margin,
      });
    };
    for (const line of earning.lines) {
      for (const [rule, points] of Object.entries(line.rules)) {
        if (points > 0) add(rule, points, margins.get(line.lineId) ?? 0);
      }
    }
    const receipt = [...margins.values()].reduce((a, b) => a + b, 0);
    for (const bonus of earning.bonuses) add(bonus.id, bonus.points, receipt);
  }

  figures(to: string): SideFigures {
    const side = emptySide();
    for (const line of this.lines.values()) {
      if (Date.parse(line.occurredAt) < this.from) continue;
      if (ISSUED.has(line.kind)) side.issued += line.points;
      else if (REDEEMED.has(line.kind)) side.redeemed -= line.points;
      else if (line.kind === 'expire') side.expired -= line.points;
      else if (line.kind === 'adjust') side.adjusted += line.points;
    }
    const account = this.replay.account;
    const program = account.loyalty.programAt(to);
    side.balance = account.pointsBalance;
    side.liabilityMinor = worth(program, Math.max(0, side.balance));
    side.rewardCostMinor = worth(program, side.issued);
    side.rules = this.rules;
    return side;
  }
}

/**
 * The version as the what-if runs it: without lifecycle rules (they fire triggers, never
 * points), and without live segments when no earn rule reads them. They cost most of a replay,
 * and change no figure reported.
 */
export function pointsOnly(program: Program): Program {
  const { lifecycle: _lifecycle, segments, ...rest } = program;
  const read = program.earn.rules.some((rule) => rule.when.segments !== undefined);
  return read && segments ? { ...rest, segments } : rest;
}

/** Inputs before the period that are replayed twice rather than copied. */
const SHORT_PAST = 4;

const tierOf = (replay: CustomerReplay, at: string) =>
  replay.account.loyalty.standing(at).tier ?? NO_TIER;

export function simulateCustomer(log: CustomerLog, options: WhatIfOptions): CustomerWhatIf {
  const from = Date.parse(options.from);
  // The period is the events' own dates: each replayed as if it had arrived at its time.
  const inputs = inputsUntil(log, options.to, 'occurred');
  const split = inputs.findIndex((input) => Date.parse(inputTime(input, 'occurred')) >= from);
  const before = split < 0 ? inputs : inputs.slice(0, split);
  const period = split < 0 ? [] : inputs.slice(split);

  const replay = (catalog: ProgramCatalog, side: Side) =>
    new CustomerReplay(
      log.customerId,
      { catalog, base: options.base, timeline: 'occurred' },
      (effects, input) => side.take(effects.ledger, input),
    );
  const sides = { baseline: new Side(from), candidate: new Side(from) };
  // The two programs share the past: it is replayed once and the candidate's copy taken at
  // `from` (a short past is cheaper replayed twice than copied).
  sides.baseline.replay = replay(options.baseline, sides.baseline);
  for (const input of before) sides.baseline.replay.apply(input);
  if (before.length > 0) sides.baseline.replay.runClock(options.from);
  const tierAtFrom = before.length > 0 ? tierOf(sides.baseline.replay, options.from) : NO_TIER;
  if (before.length > SHORT_PAST) {
    sides.candidate.replay = sides.baseline.replay.fork(options.candidate, (effects, input) =>
      sides.candidate.take(effects.ledger, input),
    );
  } else {
    sides.candidate.replay = replay(options.candidate, sides.candidate);
    for (const input of before) sides.candidate.replay.apply(input);
    if (before.length > 0) sides.candidate.replay.runClock(options.from);
  }
  let visits = 0;
  let marginMinor = 0;
  for (const input of period) {
    const redemption = input.kind === 'redemption' ? input.redemptionId : undefined;
    for (const side of Object.values(sides)) {
      side.replay.apply(input);
      if (redemption !== undefined && !side.replay.account.loyalty.hasRedemption(redemption)) {
        side.refused += 1;
      }
    }
    if (input.kind === 'event' && input.event.type === 'sale') {
      visits += 1;
      for (const line of input.event.lines) marginMinor += lineMargin(line);
    }
  }
  for (const side of Object.values(sides)) side.replay.runClock(options.to);
  return {
    customerId: log.customerId,
    inputs: period.length,
    visits,
    marginMinor,
    tierAtFrom,
    baseline: sides.baseline.figures(options.to),
    candidate: sides.candidate.figures(options.to),
    baselineTier: tierOf(sides.baseline.replay, options.to),
    candidateTier: tierOf(sides.candidate.replay, options.to),
    redemptionsRefused: Math.max(0, sides.candidate.refused - sides.baseline.refused),
  };
}

/** A customer the candidate treats differently: other points moved, or another tier. */
export function affected(c: CustomerWhatIf): boolean {
  const a = c.baseline;
  const b = c.candidate;
  return (
    a.issued !== b.issued ||
    a.redeemed !== b.redeemed ||
    a.expired !== b.expired ||
    a.balance !== b.balance ||
    c.baselineTier !== c.candidateTier
  );
}

/** Customers by a tier (rows) and another (columns). */
export type TierMatrix = Record<string, Record<string, number>>;

/** Customers added up: what a worker sends back, and what the report is made of. */
export interface WhatIfTotals {
  customers: number;
  inputs: number;
  visits: number;
  marginMinor: number;
  affected: { customers: number; visits: number };
  baseline: SideFigures;
  candidate: SideFigures;
  /** Tier migration: customers by tier at `from` → tier at `to` → count, under each program. */
  tiers: { baseline: TierMatrix; candidate: TierMatrix };
  redemptionsRefused: number;
}

export const noTotals = (): WhatIfTotals => ({
  customers: 0,
  inputs: 0,
  visits: 0,
  marginMinor: 0,
  affected: { customers: 0, visits: 0 },
  baseline: emptySide(),
  candidate: emptySide(),
  tiers: { baseline: {}, candidate: {} },
  redemptionsRefused: 0,
});

function addSide(into: SideFigures, side: SideFigures) {
  into.issued += side.issued;
  into.redeemed += side.redeemed;
  into.expired += side.expired;
  into.adjusted += side.adjusted;
  into.balance += side.balance;
  into.liabilityMinor += side.liabilityMinor;
  into.rewardCostMinor += side.rewardCostMinor;
  for (const [rule, f] of Object.entries(side.rules)) {
    addRule(into.rules, rule, f);
  }
}

function addMatrix(into: TierMatrix, matrix: TierMatrix) {
  for (const [from, row] of Object.entries(matrix)) {
    const held = into[from] ?? {};
    into[from] = held;
    for (const [to, n] of Object.entries(row)) held[to] = (held[to] ?? 0) + n;
  }
}

export function addCustomer(totals: WhatIfTotals, c: CustomerWhatIf): void {
  totals.customers += 1;
  totals.inputs += c.inputs;
  totals.visits += c.visits;
  totals.marginMinor += c.marginMinor;
  if (affected(c)) {
    totals.affected.customers += 1;
    totals.affected.visits += c.visits;
  }
  addSide(totals.baseline, c.baseline);
  addSide(totals.candidate, c.candidate);
  addMatrix(totals.tiers.baseline, { [c.tierAtFrom]: { [c.baselineTier]: 1 } });
  addMatrix(totals.tiers.candidate, { [c.tierAtFrom]: { [c.candidateTier]: 1 } });
  totals.redemptionsRefused += c.redemptionsRefused;
}

export function addTotals(totals: WhatIfTotals, more: WhatIfTotals): void {
  totals.customers += more.customers;
  totals.inputs += more.inputs;
  totals.visits += more.visits;
  totals.marginMinor += more.marginMinor;
  totals.affected.customers += more.affected.customers;
  totals.affected.visits += more.affected.visits;
  addSide(totals.baseline, more.baseline);
  addSide(totals.candidate, more.candidate);
  addMatrix(totals.tiers.baseline, more.tiers.baseline);
  addMatrix(totals.tiers.candidate, more.tiers.candidate);
  totals.redemptionsRefused += more.redemptionsRefused;
}
