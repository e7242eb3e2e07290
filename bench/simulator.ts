/**
 * The what-if simulator (`clientele simulate`, engine/replay/simulate.ts) on the analytics
 * benchmark's data set: the whole span of its sales (a year by default) through the grocer
 * program and a candidate that doubles the fresh-produce rule's multiplier, on every core. Read
 * against the same run's ceiling: the rules under the grocer program on one core
 * (bench/ceilings/loyalty-evaluator.ts). Each event of the period runs under both programs, so a
 * simulator keeping every core as busy as the ceiling would reach 0.5 × cores × the ceiling.
 */
import { availableParallelism } from 'node:os';
import type { AnalyticsStore } from '../engine/analytics/store.ts';
import { pointsOnly } from '../engine/domain/customer/what-if.ts';
import type { Program } from '../engine/domain/loyalty/program.ts';
import { loadProgramFile } from '../engine/programs/load-program.ts';
import { simulate } from '../engine/replay/simulate.ts';
import { measureLoyaltyEvaluator } from './ceilings/loyalty-evaluator.ts';

/** The target: a year of a million customers in under five minutes. */
const TARGET_SECONDS_FOR_A_YEAR = 300;
const PROGRAM_FILE = 'config/programs/grocer.yaml';
const CANDIDATE_RULE = 'fresh-double';

export interface SimulatorBenchResult {
  period: { from: string; to: string; days: number };
  candidate: string;
  customers: number;
  events: number;
  periodEvents: number;
  workers: number;
  partitions: number;
  seconds: number;
  events_per_s: number;
  /** The seconds scaled to 365 days of the same data. */
  seconds_for_a_year: number;
  target_seconds_for_a_year: number;
  within_target: boolean;
  /** The rules under the grocer program, fresh accounts, one core, in this run. */
  loyalty_evaluator_events_per_s: number;
  /** events/s ÷ (workers × the ceiling); 0.5 would keep every core as busy as the ceiling. */
  ratio_to_loyalty_evaluator_ceiling: number;
  /** What the candidate did, as a check the run simulated something. */
  extra_points_issued: number;
  customers_affected: number;
}

export async function benchSimulator(
  store: AnalyticsStore,
  span: { from: string; to: string },
  log: (line: string) => void,
): Promise<SimulatorBenchResult> {
  log('simulator: the rules under the grocer program on one core (ceiling)…');
  const ceiling = await measureLoyaltyEvaluator({ events: 20_000, seconds: 3 });
  const { definition } = await loadProgramFile(PROGRAM_FILE);
  const baseline: Program = {
    ...definition,
    version: `${definition.id}@in-force`,
    effectiveFrom: '1970-01-01T00:00:00.000Z',
  };
  const from = `${span.from}T00:00:00.000Z`;
  const to = `${span.to}T23:59:59.999Z`;
  const candidate: Program = {
    ...baseline,
    version: `${definition.id}@candidate`,
    effectiveFrom: from,
    earn: {
      ...baseline.earn,
      rules: baseline.earn.rules.map((rule) =>
        rule.id === CANDIDATE_RULE && 'multiply' in rule.effect && rule.effect.multiply
          ? { ...rule, effect: { multiply: rule.effect.multiply * 2 } }
          : rule,
      ),
    },
  };
  const workers = availableParallelism();
  log(`simulator: ${span.from} to ${span.to} on ${workers} workers…`);
  let lastLog = 0;
  const run = await simulate({
    store,
    base: { version: 'base', basePointsPerUnit: 1, spendUnitMinor: 100 },
    baseline: [baseline].map(pointsOnly),
    candidate,
    from,
    to,
    workers,
    onProgress: (p) => {
      if (p.customers - lastLog >= 100_000) {
        lastLog = p.customers;
        log(`simulator: ${p.customers} customers, ${p.inputs} events`);
      }
    },
  });
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
  const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
  const secondsForAYear = round((run.seconds * 365) / days);
  const result: SimulatorBenchResult = {
    period: { from: span.from, to: span.to, days: round(days) },
    candidate: `${PROGRAM_FILE} with ${CANDIDATE_RULE} × 2`,
    customers: run.scope.customers,
    events: run.scope.events,
    periodEvents: run.scope.periodEvents,
    workers: run.workers,
    partitions: run.partitions,
    seconds: round(run.seconds),
    events_per_s: Math.round(run.eventsPerSecond),
    seconds_for_a_year: secondsForAYear,
    target_seconds_for_a_year: TARGET_SECONDS_FOR_A_YEAR,
    within_target: secondsForAYear <= TARGET_SECONDS_FOR_A_YEAR,
    loyalty_evaluator_events_per_s: ceiling.events_per_s,
    ratio_to_loyalty_evaluator_ceiling: round(
      run.eventsPerSecond / (run.workers * ceiling.events_per_s),
      3,
    ),
    extra_points_issued: run.totals.candidate.issued - run.totals.baseline.issued,
    customers_affected: run.totals.affected.customers,
  };
  log(
    `simulator: ${result.customers} customers, ${result.events} events in ${result.seconds} s (${result.events_per_s} events/s, ${result.ratio_to_loyalty_evaluator_ceiling}× the ceiling per worker); a year: ${result.seconds_for_a_year} s`,
  );
  return result;
}
