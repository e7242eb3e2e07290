/**
 * The analytics benchmark: every question (engine/analytics/questions) timed on a generated data
 * set, 1M customers / 20M sale lines by default (`--quick`: 100k / 2M), against ceilings of the
 * same engine measured in the same run (a full scan of the sale lines, a scan of the customers'
 * daily aggregate, a `SELECT 1` round trip), so the figures read as ratios on a shared machine.
 *
 *   npx tsx bench/analytics.ts [--quick] [--out DIR] [--data DIR] [--keep]
 *
 * `--data DIR` reuses a folder a previous run kept (`--keep`): generation is skipped, so the
 * result holds no generator figures. Writes `<out>/analytics-latest.json` and a copy named by
 * its time, and prints a summary table. chDB allows one open folder per process: a caller that
 * embeds this (bench/run.ts) must have closed its own store first.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { settingsSchema } from '../config/settings.ts';
import { createAnalyticsStore } from '../engine/analytics/open-store.ts';
import { BUSINESS_QUESTIONS } from '../engine/analytics/questions/business/index.ts';
import type { AnyQuestion } from '../engine/analytics/questions/question.ts';
import { askQuestion, QUESTIONS, type RawParams } from '../engine/analytics/questions/registry.ts';
import type { AnalyticsStore } from '../engine/analytics/store.ts';
import { ClienteleError } from '../engine/domain/error-codes.ts';
import { DEFAULT_GENERATOR_OPTIONS, type GeneratorOptions } from '../engine/generator/generate.ts';
import { type GenerateProgress, writeGenerated } from '../engine/generator/write.ts';
import { saveGroup } from '../engine/segments/groups.ts';
import { benchConsole, type ConsoleBenchResult } from './console.ts';
import { benchSimulator, type SimulatorBenchResult } from './simulator.ts';

export interface AnalyticsBenchOptions {
  /** 100k customers / 2M sale lines instead of 1M / 20M. */
  quick?: boolean;
  /** Where the JSON goes (default `bench/results`). */
  out?: string;
  /** A data folder kept by an earlier run: no generation, its data as it is. */
  dataDir?: string;
  /** Keep the generated folder (for `--data` later) instead of deleting it. */
  keep?: boolean;
  /** The database inside the chDB folder (default `analytics_bench`). */
  database?: string;
  /** Timed runs per question after the warm-up (default 3). */
  timedRuns?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface LatencyMs {
  minMs: number;
  medianMs: number;
  maxMs: number;
}

export interface QuestionTiming {
  question: string;
  /** Which of the question's variants (`default`, `by=store`, …). */
  variant: string;
  params: RawParams;
  /** Absent when it threw. */
  latency?: LatencyMs;
  /**
   * The untimed first call, with no RFM scores kept (rfm-scores.ts): what the first question
   * after a sale pays for scoring every customer again. The timed runs read the kept scores.
   */
  firstMs?: number;
  /** Rows of the answer's table. */
  rows?: number;
  /** Median over the sale lines' full scan measured in the same run. */
  ratioToFullScan?: number;
  withinTarget: boolean;
  error?: string;
}

export interface AnalyticsBenchResult {
  run: {
    at: string;
    quick: boolean;
    commit: string;
    /** Uncommitted changes in the tree when it ran. */
    dirty: boolean;
    cpus: number;
    cpuModel: string;
    memoryGib: number;
    node: string;
    chdb: string;
    database: string;
    /** True when `--data` reused a folder: no generation in this run. */
    dataReused: boolean;
    /** The moment every question is asked about: the data's last day, end of day. */
    asOf: string;
    timedRuns: number;
    targetMs: number;
    /** `os.loadavg()` (1, 5, 15 min): the machine is shared. */
    loadAverage: { start: number[]; afterGeneration: number[]; end: number[] };
  };
  /** Null when the data was reused. */
  generator: {
    options: GeneratorOptions;
    rows: Record<string, number>;
    totalRows: number;
    seconds: number;
    rowsPerSecond: number;
  } | null;
  data: {
    /** Rows per table as counted after generation. */
    rows: Record<string, number>;
    saleLinesActiveParts: number;
    /** Waited for background merges to finish before timing (capped). */
    mergesWaitSeconds: number;
    mergesRunningAtStart: number;
  };
  ceilings: {
    /** `SELECT sum(quantity * unit_price - discount) FROM sale_lines`. */
    saleLinesFullScan: LatencyMs;
    /** `SELECT sum(net_minor) FROM customer_days`. */
    customerDaysScan: LatencyMs;
    /** Every customer's sum over customer_days: the shape of most customer questions. */
    customerDaysGroupByCustomer: LatencyMs;
    /** `SELECT 1`: the engine's fixed cost per query. */
    selectOne: LatencyMs;
  };
  /**
   * Saving a group (`saveGroup`, `clientele groups save`) with a week of history: one measure of
   * the condition per day end and one now, then its members kept.
   */
  savedGroup: {
    group: string;
    when: string;
    historyDays: number;
    totalMs: number;
    /** The save's time over its measures (a group's daily refresh costs about one). */
    perMeasureMs: number;
    members: number;
  } | null;
  questions: QuestionTiming[];
  /** `clientele simulate` over the data set's span (bench/simulator.ts); null if it failed. */
  simulator: SimulatorBenchResult | null;
  /** The console's pages against this data set (bench/console.ts); null if it failed. */
  console: ConsoleBenchResult | null;
  targets: {
    everyQuestionWithin1s: boolean;
    /** The simulator's time for a year within 5 minutes. */
    simulatorYearWithin5Minutes: boolean;
    /** Every console page answered within 1 s (its HTML and its calls). */
    consolePagesWithin1s: boolean;
    overTarget: string[];
    failed: string[];
  };
}

const TARGET_MS = 1000;
const QUICK_GENERATOR: Partial<GeneratorOptions> = { customers: 100_000, saleLines: 2_000_000 };
/** Inserts of large batches on a loaded machine, and slow questions at 20M lines. */
const REQUEST_TIMEOUT_MS = 15 * 60_000;
const CEILING_RUNS = 5;

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const loads = () => loadavg().map((l) => round(l, 2));

const latencyOf = (samples: number[]): LatencyMs => {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] ?? Number.NaN)
      : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
  return {
    minMs: round(sorted[0] ?? Number.NaN),
    medianMs: round(median),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
};

/** Facts of the data set the variants need (a real customer, store, category). */
interface Sample {
  from: string;
  to: string;
  customerId: string;
  storeIds: string;
  category: string;
}

type Variant = { name: string; params: (s: Sample) => RawParams };
const v = (name: string, params: RawParams | ((s: Sample) => RawParams) = {}): Variant => ({
  name,
  params: typeof params === 'function' ? params : () => params,
});

/** The saved group the run saves (a week of history) and whose questions it times. */
const BENCH_GROUP = {
  id: 'bench-lapsing-regulars',
  when: 'visits(365) >= 6 and recency_days > 45',
  historyDays: 7,
};

/**
 * The variants worth timing apart: the cuts and periods that change which tables a question
 * reads or how much of them. A question not named here runs once with its defaults.
 */
const VARIANTS: Record<string, Variant[]> = {
  rfm: [
    v('default'),
    v('customers', { customers: true }),
    v('customers segment=champions', { customers: true, segment: 'champions' }),
  ],
  'full-price-index': [
    v('default (each segment)'),
    v('population=all', { population: 'all' }),
    v('population=rfm:champions', { population: 'rfm:champions' }),
  ],
  'cross-sell': [v('default'), v('pairs', { pairs: true })],
  'category-affinity': [
    v('default (each segment)'),
    v('population=rfm:champions', { population: 'rfm:champions' }),
  ],
  demographics: ['age', 'gender', 'source', 'type'].map((by) => v(`by=${by}`, { by })),
  clv: ['all', 'source', 'month'].map((by) => v(`by=${by}`, { by })),
  cohorts: ['month', 'source'].flatMap((by) =>
    ['retention', 'margin'].map((matrix) => v(`by=${by} matrix=${matrix}`, { by, matrix })),
  ),
  'abc-xyz': [
    v('default (revenue, week)'),
    v('measure=margin bucket=month', { measure: 'margin', bucket: 'month' }),
    v('list', { list: true }),
  ],
  sales: [
    ...[
      'day',
      'all',
      'week',
      'month',
      'store',
      'channel',
      'associate',
      'hour',
      'weekday',
      'category',
      'brand',
      'sku',
    ].map((by) => v(`by=${by}`, { by })),
    v('whole year by=month', (s) => ({ from: s.from, by: 'month' })),
    v('whole year by=sku', (s) => ({ from: s.from, by: 'sku' })),
    v('filtered: members, total ≥ 50.00, 17–20 h, weekend, by=category', {
      by: 'category',
      customers: 'members',
      'min-total': '5000',
      'hour-from': '17',
      'hour-to': '20',
      weekdays: 'sat,sun',
    }),
    v('line filter: one category, price ≥ 5.00, by=store', (s) => ({
      by: 'store',
      categories: s.category,
      'min-price': '500',
    })),
    v('points: earned ≥ 100, by=day', { 'min-earned': '100' }),
    v('one customer, whole year', (s) => ({ from: s.from, customer: s.customerId, by: 'month' })),
  ],
  'store-performance': ['week', 'month', 'year'].map((period) => v(`period=${period}`, { period })),
  'associate-performance': [
    ...['week', 'month', 'year'].map((period) => v(`period=${period}`, { period })),
    v('period=year, three stores', (s) => ({ period: 'year', stores: s.storeIds })),
  ],
  points: [v('default'), v('by=month', { by: 'month' })],
  segment: [
    v('lapsed gold', { when: 'recency_days > 90 and tier in [gold, platinum]' }),
    v('visits, not a category', (s) => ({
      when: `visits(365) >= 6 and not ("${s.category}" in categories(60))`,
    })),
    v('spend or tag', { when: 'spend_minor(90) >= 50000 or tags has vip' }),
    v('age, channel, home store, points', (s) => ({
      when: `age >= 30 and channel == web and home_store != "${s.storeIds.split(',')[0]}" and points_balance > 500`,
    })),
  ],
  // Live segments are written by the customers' workflows, which the generator does not run:
  // these time the queries over an empty segment_changes.
  'segment-members': [v('lapsed-gold', { segment: 'lapsed-gold' })],
  'segment-sizes': [v('lapsed-gold', { segment: 'lapsed-gold' })],
  // The group the run saves before timing the questions.
  'group-sizes': [v(BENCH_GROUP.id, { group: BENCH_GROUP.id })],
  'group-members': [v(BENCH_GROUP.id, { group: BENCH_GROUP.id })],
};

/** Every question once: the registry's, then the business ones it does not already hold. */
export function allQuestions(): AnyQuestion[] {
  const seen = new Set<string>();
  const all: AnyQuestion[] = [];
  for (const q of [...QUESTIONS, ...BUSINESS_QUESTIONS]) {
    if (seen.has(q.name)) continue;
    seen.add(q.name);
    all.push(q);
  }
  return all;
}

const errorText = (err: unknown): string => {
  if (err instanceof ClienteleError && err.issues.length > 0) {
    return `${err.code}: ${err.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`;
  }
  return err instanceof Error ? err.message : String(err);
};

async function timeIt(runs: number, work: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  return samples;
}

const git = (command: string): string => {
  try {
    return execSync(`git ${command}`, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
};

async function countRows(store: AnalyticsStore): Promise<Record<string, number>> {
  const rows = await store.query<{ table: string; rows: string }>(
    `SELECT table, sum(rows) AS rows FROM system.parts
     WHERE database = {db:String} AND active GROUP BY table ORDER BY table`,
    { db: store.database },
  );
  return Object.fromEntries(rows.map((r) => [r.table, Number(r.rows)]));
}

/**
 * Background merges right after a bulk load compete with the queries for the two cores; a live
 * store would have finished them, so timing waits (up to a cap) and records what it waited.
 */
async function settleMerges(store: AnalyticsStore, capSeconds: number, log: (l: string) => void) {
  const running = async () => {
    const [row] = await store.query<{ n: string }>(
      'SELECT count() AS n FROM system.merges WHERE database = {db:String}',
      { db: store.database },
    );
    return Number(row?.n ?? 0);
  };
  const atStart = await running();
  const started = performance.now();
  let now = atStart;
  while (now > 0 && performance.now() - started < capSeconds * 1000) {
    await new Promise((r) => setTimeout(r, 2000));
    now = await running();
  }
  const waited = (performance.now() - started) / 1000;
  if (atStart > 0)
    log(`waited ${waited.toFixed(0)} s for ${atStart} merges (${now} still running)`);
  return { mergesWaitSeconds: round(waited), mergesRunningAtStart: atStart };
}

export async function runAnalyticsBench(
  options: AnalyticsBenchOptions = {},
): Promise<AnalyticsBenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[analytics] ${line}\n`));
  const quick = options.quick === true;
  const timedRuns = options.timedRuns ?? 3;
  const database = options.database ?? 'analytics_bench';
  const reused = options.dataDir !== undefined;
  const dataDir = reused
    ? resolve(options.dataDir as string)
    : mkdtempSync(join(tmpdir(), 'clientele-analytics-bench-'));
  const generatorOptions: GeneratorOptions = {
    ...DEFAULT_GENERATOR_OPTIONS,
    ...(quick ? QUICK_GENERATOR : {}),
  };
  const loadStart = loads();
  log(`chDB in ${dataDir}, database ${database}${reused ? ' (reused: no generation)' : ''}`);

  const store = await createAnalyticsStore(
    settingsSchema.parse({ dataDir, clickhouse: { backend: 'chdb', database } }),
    { requestTimeoutMs: REQUEST_TIMEOUT_MS },
  );
  try {
    await store.migrate();
    const db = store.database;
    const [held] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${db}.sale_lines`);
    const heldLines = Number(held?.n ?? 0);
    if (reused && heldLines === 0) throw new Error(`${dataDir} holds no sale lines in ${db}`);
    if (!reused && heldLines > 0) throw new Error(`the fresh folder ${dataDir} holds sale lines`);

    let generator: AnalyticsBenchResult['generator'] = null;
    if (!reused) {
      let seen: GenerateProgress = { customers: 0, events: 0, saleLines: 0, rows: 0 };
      const started = performance.now();
      const progress = setInterval(() => {
        const s = (performance.now() - started) / 1000;
        const share = (100 * seen.saleLines) / generatorOptions.saleLines;
        log(
          `generating: ${s.toFixed(0)} s · customers ${seen.customers} · sale lines ${seen.saleLines} (${share.toFixed(0)} %) · rows ${seen.rows} · ${Math.round(seen.rows / s)} rows/s · load ${loads().join(' ')}`,
        );
      }, 5000);
      try {
        const generated = await writeGenerated(store, generatorOptions, (p) => {
          seen = p;
        });
        generator = {
          options: generatorOptions,
          rows: generated.rows as Record<string, number>,
          totalRows: generated.totalRows,
          seconds: round(generated.seconds),
          rowsPerSecond: generated.rowsPerSecond,
        };
      } finally {
        clearInterval(progress);
      }
      log(
        `generated ${generator.totalRows} rows in ${generator.seconds} s (${generator.rowsPerSecond} rows/s)`,
      );
    }
    const loadAfterGeneration = loads();

    const merges = await settleMerges(store, quick ? 60 : 300, log);
    const rows = await countRows(store);
    const [parts] = await store.query<{ n: string }>(
      `SELECT count() AS n FROM system.parts WHERE database = {db:String} AND table = 'sale_lines' AND active`,
      { db },
    );

    // The data's own last day, so a reused folder is asked about the days it holds.
    const [span] = await store.query<{ from: string; to: string }>(
      `SELECT toString(min(toDate(occurred_at))) AS from, toString(max(toDate(occurred_at))) AS to FROM ${db}.sale_lines`,
    );
    const from = span?.from ?? generatorOptions.from;
    const to = span?.to ?? generatorOptions.to;
    const asOf = `${to}T23:59:59.999Z`;
    const [busiest] = await store.query<{ customer_id: string }>(
      `SELECT customer_id FROM ${db}.customer_days GROUP BY customer_id ORDER BY sum(sales) DESC, customer_id LIMIT 1`,
    );
    const storeIds = await store.query<{ store_id: string }>(
      `SELECT store_id FROM ${db}.stores ORDER BY store_id LIMIT 3`,
    );
    const [category] = await store.query<{ category: string }>(
      `SELECT category FROM ${db}.category_days GROUP BY category ORDER BY sum(net_minor) DESC LIMIT 1`,
    );
    const sample: Sample = {
      from,
      to,
      customerId: busiest?.customer_id ?? '',
      storeIds: storeIds.map((s) => s.store_id).join(','),
      category: category?.category ?? '',
    };

    log('ceilings…');
    const ceiling = async (sql: string) => {
      await store.query(sql);
      return latencyOf(await timeIt(CEILING_RUNS, () => store.query(sql)));
    };
    const ceilings = {
      saleLinesFullScan: await ceiling(
        `SELECT sum(quantity * unit_price - discount) AS net FROM ${db}.sale_lines`,
      ),
      customerDaysScan: await ceiling(`SELECT sum(net_minor) AS net FROM ${db}.customer_days`),
      customerDaysGroupByCustomer: await ceiling(
        `SELECT count() AS n, sum(net) AS net FROM (SELECT customer_id, sum(net_minor) AS net FROM ${db}.customer_days GROUP BY customer_id)`,
      ),
      selectOne: await ceiling('SELECT 1 AS one'),
    };
    log(
      `ceilings (median ms): sale_lines scan ${ceilings.saleLinesFullScan.medianMs} · customer_days scan ${ceilings.customerDaysScan.medianMs} · by customer ${ceilings.customerDaysGroupByCustomer.medianMs} · SELECT 1 ${ceilings.selectOne.medianMs}`,
    );

    log(`saving the group ${BENCH_GROUP.id} with ${BENCH_GROUP.historyDays} days of history…`);
    let savedGroup: AnalyticsBenchResult['savedGroup'] = null;
    try {
      const started = performance.now();
      const saved = await saveGroup(
        store,
        { id: BENCH_GROUP.id, when: BENCH_GROUP.when, savedBy: 'bench' },
        new Date(asOf),
        { historyDays: BENCH_GROUP.historyDays, replace: true },
      );
      const totalMs = round(performance.now() - started);
      savedGroup = {
        group: BENCH_GROUP.id,
        when: BENCH_GROUP.when,
        historyDays: BENCH_GROUP.historyDays,
        totalMs,
        perMeasureMs: round(totalMs / saved.sizes.length),
        members: saved.members,
      };
      log(`saved ${BENCH_GROUP.id}: ${totalMs} ms, ${saved.members} members`);
    } catch (err) {
      log(`saving ${BENCH_GROUP.id} failed: ${errorText(err)}`);
    }

    const questions = allQuestions();
    const timings: QuestionTiming[] = [];
    for (const question of questions) {
      for (const variant of VARIANTS[question.name] ?? [v('default')]) {
        const params = variant.params(sample);
        const ask = () =>
          askQuestion(store, { question: question.name, params, asOf }, new Date(asOf), questions);
        const timing: QuestionTiming = {
          question: question.name,
          variant: variant.name,
          params,
          withinTarget: false,
        };
        try {
          await store.command(`TRUNCATE TABLE ${db}.rfm_scores`);
          const firstStarted = performance.now();
          const warm = await ask();
          timing.firstMs = round(performance.now() - firstStarted);
          const latency = latencyOf(await timeIt(timedRuns, ask));
          timing.latency = latency;
          timing.rows = warm.answer.rows.length;
          timing.ratioToFullScan = round(latency.medianMs / ceilings.saleLinesFullScan.medianMs, 2);
          timing.withinTarget = latency.medianMs <= TARGET_MS;
          log(
            `${question.name} [${variant.name}]: median ${latency.medianMs} ms (${timing.ratioToFullScan}× scan), first ${timing.firstMs} ms, ${timing.rows} rows`,
          );
        } catch (err) {
          timing.error = errorText(err);
          log(`${question.name} [${variant.name}]: failed: ${timing.error}`);
        }
        timings.push(timing);
      }
    }

    let consolePages: ConsoleBenchResult | null = null;
    try {
      consolePages = await benchConsole(store, {
        asOf,
        fullScanMs: ceilings.saleLinesFullScan.medianMs,
        log,
      });
    } catch (err) {
      log(`console pages failed: ${errorText(err)}`);
    }

    let simulator: SimulatorBenchResult | null = null;
    try {
      simulator = await benchSimulator(store, { from, to }, log);
    } catch (err) {
      log(`simulator failed: ${errorText(err)}`);
    }

    const label = (t: QuestionTiming) => `${t.question} [${t.variant}]`;
    const result: AnalyticsBenchResult = {
      run: {
        at: new Date().toISOString(),
        quick,
        commit: git('rev-parse --short HEAD').trim() || 'unknown',
        dirty: git('status --porcelain').trim() !== '',
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGib: round(totalmem() / 2 ** 30),
        node: process.version,
        chdb:
          (await store.query<{ v: string }>('SELECT version() AS v').catch(() => []))[0]?.v ??
          'unknown',
        database: db,
        dataReused: reused,
        asOf,
        timedRuns,
        targetMs: TARGET_MS,
        loadAverage: { start: loadStart, afterGeneration: loadAfterGeneration, end: loads() },
      },
      generator,
      data: { rows, saleLinesActiveParts: Number(parts?.n ?? 0), ...merges },
      ceilings,
      savedGroup,
      questions: timings,
      simulator,
      console: consolePages,
      targets: {
        everyQuestionWithin1s: timings.every((t) => t.withinTarget),
        simulatorYearWithin5Minutes: simulator?.within_target === true,
        consolePagesWithin1s: consolePages?.withinTarget === true,
        overTarget: timings.filter((t) => t.latency && !t.withinTarget).map(label),
        failed: timings.filter((t) => t.error !== undefined).map(label),
      },
    };

    const out = resolve(options.out ?? 'bench/results');
    mkdirSync(out, { recursive: true });
    const json = `${JSON.stringify(result, null, 2)}\n`;
    writeFileSync(join(out, 'analytics-latest.json'), json);
    writeFileSync(join(out, `analytics-${result.run.at.replace(/[:.]/g, '-')}.json`), json);
    printSummary(result);
    log(`wrote ${join(out, 'analytics-latest.json')}`);
    return result;
  } finally {
    await store.close();
    if (!reused && !options.keep) rmSync(dataDir, { recursive: true, force: true });
    else if (!reused) log(`kept ${dataDir} (reuse with --data ${dataDir})`);
  }
}

function printSummary(result: AnalyticsBenchResult): void {
  const g = result.generator;
  const c = result.ceilings;
  const lines = [
    g
      ? `generator: ${g.totalRows.toLocaleString('en')} rows (${(g.rows.sale_lines ?? 0).toLocaleString('en')} sale lines) in ${g.seconds} s, ${g.rowsPerSecond.toLocaleString('en')} rows/s`
      : 'generator: skipped (data reused)',
    `ceilings, median ms: sale_lines full scan ${c.saleLinesFullScan.medianMs} · customer_days scan ${c.customerDaysScan.medianMs} · customer_days by customer ${c.customerDaysGroupByCustomer.medianMs} · SELECT 1 ${c.selectOne.medianMs}`,
    result.savedGroup
      ? `saved group (${result.savedGroup.historyDays} days of history): ${result.savedGroup.totalMs} ms, ${result.savedGroup.perMeasureMs} ms per measure, ${result.savedGroup.members} members`
      : 'saved group: failed',
    `load average: start ${result.run.loadAverage.start.join(' ')} · after generation ${result.run.loadAverage.afterGeneration.join(' ')} · end ${result.run.loadAverage.end.join(' ')}`,
  ];
  const sim = result.simulator;
  lines.push(
    sim
      ? `simulator: ${sim.customers.toLocaleString('en')} customers, ${sim.events.toLocaleString('en')} events (${sim.period.days} days) in ${sim.seconds} s on ${sim.workers} workers: ${sim.events_per_s.toLocaleString('en')} events/s, ${sim.ratio_to_loyalty_evaluator_ceiling}× the evaluator ceiling per worker; a year ${sim.seconds_for_a_year} s (target ${sim.target_seconds_for_a_year} s)`
      : 'simulator: failed',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  console.table(
    result.questions.map((t) => ({
      question: t.question,
      variant: t.variant,
      'median ms': t.latency?.medianMs ?? '–',
      'min–max ms': t.latency ? `${t.latency.minMs}–${t.latency.maxMs}` : '–',
      'first ms': t.firstMs ?? '–',
      rows: t.rows ?? '–',
      '× scan': t.ratioToFullScan ?? '–',
      '≤ 1 s': t.error ? `error: ${t.error.slice(0, 60)}` : t.withinTarget ? 'yes' : 'NO',
    })),
  );
  const { overTarget, failed } = result.targets;
  process.stdout.write(
    `${overTarget.length === 0 && failed.length === 0 ? 'every question within 1 s' : `over 1 s: ${overTarget.join(', ') || 'none'}; failed: ${failed.join(', ') || 'none'}`}\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const cli = new Command()
    .option('--quick', '100k customers and 2M sale lines instead of 1M and 20M')
    .option('--out <dir>', 'where the JSON goes', 'bench/results')
    .option('--data <dir>', 'reuse a data folder kept by an earlier run (no generation)')
    .option('--keep', 'keep the generated data folder for --data')
    .option('--database <name>', 'the database in the chDB folder', 'analytics_bench')
    .parse();
  const flags = cli.opts<{
    quick?: boolean;
    out: string;
    data?: string;
    keep?: boolean;
    database: string;
  }>();
  await runAnalyticsBench({
    quick: flags.quick,
    out: flags.out,
    dataDir: flags.data,
    keep: flags.keep,
    database: flags.database,
  });
}
