/**
 * `npm run bench [-- --quick]`: starts the whole stack on free ports in a temporary folder, drives
 * it through real Socket.io tills with realistic traffic, and measures, in the same run, the raw
 * ceilings of the servers underneath and the end-to-end figures against them. Writes
 * bench/results/latest.json (and a copy named by its time) and prints a summary table.
 * Figures are medians of nothing: one run, read as ratios to ceilings measured alongside.
 */

import { execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { pino } from 'pino';
import { loadSettings } from '../config/settings.ts';
import type { FlushReport } from '../engine/analytics/sink.ts';
import { CustomerAccount, noEffects } from '../engine/domain/customer/account.ts';
import {
  parseRetailEvent,
  type RetailEvent,
  withoutPersonalData,
} from '../engine/domain/events.ts';
import { spreadOffsetMs } from '../engine/domain/lifecycle/occasions.ts';
import { type ComponentProcess, spawnComponent } from '../engine/runtime/processes.ts';
import { freePort } from '../engine/runtime/servers.ts';
import { startStack } from '../engine/runtime/stack.ts';
import { createTrafficGenerator, customerIdFor } from '../engine/simulator/traffic.ts';
import { runAnalyticsBench } from './analytics.ts';
import { bottlenecks } from './bottlenecks.ts';
import { customerSales, measureCustomerWorkflow } from './ceilings/customer-workflow.ts';
import { measureEvaluator } from './ceilings/evaluator.ts';
import { measureJetStream } from './ceilings/jetstream.ts';
import { measureLoyaltyEvaluator } from './ceilings/loyalty-evaluator.ts';
import { measureTemporal } from './ceilings/temporal.ts';
import { checkDelivery, compareBalances, roundedPercentiles } from './checker.ts';
import { historyFigures } from './histories.ts';
import { identifyAtRate, registerMembers, viewAtRate } from './identification.ts';
import {
  DAY_MS,
  LAPSE_RULE,
  publishLapseVersion,
  summariseBurst,
  watchTriggers,
} from './lifecycle.ts';
import { connectTills, sendAtRate, sendClosedLoop, type Tills, waitForCues } from './load.ts';
import { measureRedemptions } from './redemptions.ts';
import {
  compareLiveAndBatch,
  type SegmentAgreement,
  type SegmentLatency,
  watchSegmentChanges,
} from './segments.ts';

const cli = new Command()
  .option('--quick', 'a shorter run: smaller samples, 2,000 lapsing customers instead of 10,000')
  .option('--out <dir>', 'where the JSON goes', 'bench/results')
  .option('--skip-analytics', 'leave out the analytics questions (bench/analytics.ts)')
  .parse();
const options = cli.opts<{ quick?: boolean; out: string; skipAnalytics?: boolean }>();
const quick = options.quick === true;
const sizes = quick
  ? {
      saturationEvents: 1500,
      latencySeconds: 8,
      settleSeconds: 5,
      scaleEvents: 600,
      ceilingCalls: 800,
      jetstreamMessages: 20_000,
      evaluatorSeconds: 2,
      lifecycleCustomers: 2_000,
      lifecycleCapSeconds: 300,
      segmentCustomers: 300,
    }
  : {
      saturationEvents: 8000,
      latencySeconds: 30,
      settleSeconds: 15,
      scaleEvents: 3000,
      ceilingCalls: 3000,
      jetstreamMessages: 100_000,
      evaluatorSeconds: 5,
      lifecycleCustomers: 10_000,
      lifecycleCapSeconds: 600,
      segmentCustomers: 1_000,
    };
const SCALE_POPULATIONS = [1_000, 10_000, 100_000];
/** The sale → segment change phase: at least, and at most, this long. */
const SEGMENT_SECONDS = { least: 30, cap: 180 };
/** Sales that caused a change, for the phase to stop after its least time. */
const SEGMENT_CHANGES_WANTED = 200;
const STORES = ['S001', 'S002', 'S003'];
const TILLS_PER_STORE = 4;
/** Seconds of slack before the lifecycle triggers' due instant, beyond the estimated setup. */
const LIFECYCLE_MARGIN_SECONDS = 45;

/**
 * A steady rate (events/s) at `share` of what a closed-loop run measured. Sent at a steady rate
 * over many customers, a customer's next sale comes after the answer to its last, so each is a
 * Temporal call of its own; the closed-loop run batched several of a customer's events in a call
 * (1.8 to 5.6 events a call), so its events per second overstate what steady sales can have.
 * Shares are therefore of its Temporal calls per second.
 */
const shareOfCalls = (run: { temporal_calls_per_s: number }, share: number) =>
  Math.floor(run.temporal_calls_per_s * share);

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The generated events' time: the first is at this instant, one a second after it. */
const EVENTS_FROM = Date.parse('2026-11-02T08:00:00Z');

const dataDir = mkdtempSync(join(tmpdir(), 'clientele-bench-'));
// The grocer program, in force from before the generated events' time: events earn under it, not
// at the base rate that applies before a program's first version.
const programFile = join(dataDir, 'grocer.yaml');
writeFileSync(
  programFile,
  `effectiveFrom: ${new Date(EVENTS_FROM - 86_400_000).toISOString()}\n${readFileSync(
    resolve('config/programs/grocer.yaml'),
    'utf8',
  )}`,
);
const settings = loadSettings({
  env: {
    CLIENTELE_DATA_DIR: dataDir,
    CLIENTELE_LOYALTY_PROGRAM_FILE: programFile,
    CLIENTELE_LOG_LEVEL: 'warn',
    CLIENTELE_SIMULATOR_ENABLED: 'false',
  },
  root: dataDir,
});
const logger = pino({ level: 'warn' });

/** `count` events with ids `<prefix>-…`, for customers `<customers>-…` (the prefix by default). */
function generate(
  prefix: string,
  population: number,
  count: number,
  seed: number,
  customers = prefix,
): RetailEvent[] {
  const generator = createTrafficGenerator({
    seed,
    runId: prefix,
    customerPrefix: `${customers}-`,
    alreadyRegistered: customers !== prefix,
    stores: STORES,
    tillsPerStore: TILLS_PER_STORE,
    customers: population,
  });
  return Array.from({ length: count }, (_, i) => {
    const parsed = parseRetailEvent(generator.next(new Date(EVENTS_FROM + i * 1000)));
    if (!parsed.ok) throw new Error(`generated an invalid event: ${JSON.stringify(parsed.issues)}`);
    return parsed.event;
  });
}

/**
 * Each customer's balance as the pure rules give it over `events`: under the stack's loyalty
 * program when it follows one (each event under the version in force at its time, the clock at
 * now), at the base rate otherwise. `order` is each event's position in the EVENTS stream: the
 * router delivers a customer's events in that order, and under a program what depends on the
 * moment (a tier reached, a day cap used) follows it.
 */
function oracleBalances(
  events: readonly RetailEvent[],
  order?: ReadonlyMap<string, number>,
): Map<string, number> {
  const catalog = stack.programs;
  const sorted = order
    ? [...events].sort(
        (a, b) =>
          (order.get(a.eventId) ?? Number.MAX_SAFE_INTEGER) -
          (order.get(b.eventId) ?? Number.MAX_SAFE_INTEGER),
      )
    : events;
  const now = new Date().toISOString();
  const accounts = new Map<string, CustomerAccount>();
  const base = { version: 'oracle', ...settings.loyalty };
  for (const e of sorted) {
    if (!e.customerId) continue;
    let account = accounts.get(e.customerId);
    if (!account) {
      // As the router starts a workflow: under the version in force at the event, or now.
      account = CustomerAccount.open(e.customerId, base);
      const first = catalog?.at(e.occurredAt) ?? catalog?.at(now);
      if (first) account.learn([first]);
      accounts.set(e.customerId, account);
    }
    // Before the first version, the base earn rate (as the workflow does).
    const program = catalog?.at(e.occurredAt) ?? account.loyalty.baseRate;
    account.apply(withoutPersonalData(e), noEffects(), program, now);
  }
  return new Map([...accounts].map(([id, account]) => [id, account.pointsBalance]));
}

// The evaluator first, while no server competes for the cores (it measures one core).
log('ceilings: pure evaluator…');
const evaluator = measureEvaluator({ events: 20_000, seconds: sizes.evaluatorSeconds });
log('ceilings: pure evaluator under the grocer loyalty program…');
const loyaltyEvaluator = await measureLoyaltyEvaluator({
  events: 20_000,
  seconds: sizes.evaluatorSeconds,
});

/** What the router saw of each event it delivered: the hops inside the engine. */
const deliveries = new Map<
  string,
  { storedAtMs: number; takenAtMs: number; sentAtMs: number; appliedAtMs: number }
>();
let temporalCalls = 0;
/** The sink's batches while they are being recorded (the segment phase). */
let sinkFlushes: FlushReport[] | undefined;
const stack = await startStack({
  settings,
  logger,
  components: ['router', 'sink'],
  ephemeralPorts: true,
  onSinkFlush: (flush) => sinkFlushes?.push(flush),
  observeDeliveries: (d) => {
    temporalCalls += 1;
    for (const e of d.events) {
      deliveries.set(e.eventId, {
        storedAtMs: e.storedAtMs,
        takenAtMs: e.takenAtMs,
        sentAtMs: d.sentAtMs,
        appliedAtMs: d.appliedAtMs,
      });
    }
  },
});
const running: ComponentProcess[] = [];
const stopAll = async () => {
  await Promise.all(running.map((p) => p.stop()));
  await stack.stop();
};
process.on('SIGINT', () => {
  void stopAll().then(() => process.exit(130));
});

try {
  const store = stack.store;
  if (!store) throw new Error('the sink did not start');
  const db = settings.clickhouse.database;
  const tillPort = await freePort();
  const env = {
    CLIENTELE_TEMPORAL_ADDRESS: stack.temporalAddress,
    CLIENTELE_NATS_SERVERS: stack.natsUrl,
    CLIENTELE_DATA_DIR: dataDir,
    CLIENTELE_LOG_LEVEL: 'warn',
    CLIENTELE_GATEWAYS_TILL_PORT: String(tillPort),
  };
  const worker = spawnComponent(['worker'], env);
  const gateway = spawnComponent(['gateway', 'till'], env);
  const identityService = spawnComponent(['identity'], env);
  running.push(worker, gateway, identityService);
  const tillUrl = `http://127.0.0.1:${tillPort}`;
  const stores = Object.fromEntries(STORES.map((id) => [id, settings.stores[id] as string]));

  let tills: Tills | undefined;
  for (let attempt = 0; !tills; attempt++) {
    try {
      tills = await connectTills(tillUrl, stores, TILLS_PER_STORE);
    } catch (err) {
      if (attempt > 100) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const t = tills;
  /** Points granted by the redemption run, by customer. */
  const spentPoints = new Map<string, number>();

  /**
   * One measured run: sends, waits for every cue and every row, checks against the oracle.
   * `send` resolves with how many of the events it sent (the first n: a send that stops early
   * offered only those). `returning` names the customers' prefix and the events they had
   * before, when the run's customers are not new.
   */
  async function measured(
    label: string,
    prepared: RetailEvent[],
    send: () => Promise<number>,
    returning?: { customers: string; earlier: RetailEvent[] },
  ) {
    const callsBefore = temporalCalls;
    const started = performance.now();
    const events = prepared.slice(0, await send());
    const expectedCues = new Set(events.filter((e) => e.customerId).map((e) => e.eventId));
    await waitForCues(t, expectedCues, 30_000);
    const cuesDone = performance.now();
    const prefix = label;
    const offeredIds = events.map((e) => e.eventId);
    let storedIds: string[] = [];
    const deadline = performance.now() + 60_000;
    while (performance.now() < deadline) {
      const rows = await store?.query<{ event_id: string }>(
        `SELECT event_id FROM ${db}.events FINAL WHERE startsWith(event_id, {prefix:String})`,
        { prefix: `${prefix}-` },
      );
      storedIds = (rows ?? []).map((r) => r.event_id);
      if (storedIds.length >= offeredIds.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const finished = performance.now();
    const observedCues = [...expectedCues].flatMap((id) => (t.cuesAt.get(id) ?? []).map(() => id));
    const cueCheck = checkDelivery(expectedCues, observedCues);
    const storeCheck = checkDelivery(offeredIds, storedIds);
    // The ledger reaches ClickHouse by its own stream: wait (a while) for it to match the oracle.
    // The oracle follows the stream's order of every event the customers had: this run's and
    // each earlier run's (their ids start with the run's label).
    const runPrefixes = new Set([
      `${prefix}-`,
      ...(returning?.earlier ?? []).map((e) => `${e.eventId.slice(0, e.eventId.indexOf('-'))}-`),
    ]);
    const streamOrder = new Map<string, number>();
    for (const runPrefix of runPrefixes) {
      const seqRows = await store?.query<{ event_id: string; stream_seq: string }>(
        `SELECT event_id, stream_seq FROM ${db}.events FINAL
         WHERE startsWith(event_id, {prefix:String})`,
        { prefix: runPrefix },
      );
      for (const r of seqRows ?? []) streamOrder.set(r.event_id, Number(r.stream_seq));
    }
    const expectedBalances = oracleBalances(
      [...(returning?.earlier ?? []), ...events],
      streamOrder,
    );
    // Points the customers spent in the redemption run are in their ledger too.
    for (const [id, points] of spentPoints) {
      const expected = expectedBalances.get(id);
      if (expected !== undefined) expectedBalances.set(id, expected - points);
    }
    let ledgerBalances = new Map<string, number>();
    let balances = compareBalances(expectedBalances, ledgerBalances);
    const ledgerDeadline = performance.now() + 30_000;
    while (performance.now() < ledgerDeadline) {
      const ledger = await store?.query<{ customer_id: string; points: string }>(
        `SELECT customer_id, sum(points) AS points FROM ${db}.ledger FINAL
         WHERE startsWith(customer_id, {prefix:String}) GROUP BY customer_id`,
        { prefix: `${returning?.customers ?? prefix}-` },
      );
      ledgerBalances = new Map((ledger ?? []).map((r) => [r.customer_id, Number(r.points)]));
      balances = compareBalances(expectedBalances, ledgerBalances);
      if (balances.mismatched === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // A balance short of the oracle's is points lost; one above it, points counted twice.
    let ledgerShort = 0;
    let ledgerOver = 0;
    for (const [id, value] of expectedBalances) {
      const got = ledgerBalances.get(id) ?? 0;
      if (got < value) ledgerShort += 1;
      if (got > value) ledgerOver += 1;
    }
    const latencies = [...expectedCues].flatMap((id) => {
      const sent = t.emittedAt.get(id);
      const cue = t.cuesAt.get(id)?.[0];
      return sent !== undefined && cue !== undefined ? [cue - sent] : [];
    });
    const seconds = (finished - started) / 1000;
    const calls = temporalCalls - callsBefore;
    const touched = new Set(events.map((e) => e.customerId).filter(Boolean)).size;
    return {
      label,
      events_offered: events.length,
      customers_touched: touched,
      elapsed_s: round(seconds, 2),
      e2e_events_per_s: round(events.length / seconds),
      cues_events_per_s: round(events.length / ((cuesDone - started) / 1000)),
      temporal_calls: calls,
      /** Calls that started a customer's workflow: each run's customers are new to the stack. */
      workflow_start_share: returning ? 0 : round(touched / Math.max(1, calls), 2),
      temporal_calls_per_s: round(calls / seconds),
      events_per_temporal_call: round(expectedCues.size / Math.max(1, calls), 2),
      lost_events: Math.max(cueCheck.lost, storeCheck.lost, ledgerShort),
      duplicated_events: cueCheck.duplicated + ledgerOver,
      check: {
        cues: cueCheck,
        clickhouse_events: storeCheck,
        ledger_balances: { ...balances, short: ledgerShort, over: ledgerOver },
        refused_by_gateway: t.refused.length,
      },
      cue_latency_ms: roundedPercentiles(latencies),
      hops_ms: hops(expectedCues),
    };
  }

  /**
   * Where a cue's time goes, per event: the till's emit to the gateway's ack (validated and
   * stored by JetStream); stored to taken by the router; taken to the update sent (waiting for
   * the customer's earlier delivery or a free slot); the update's round trip with the router
   * publishing the effects it answered; and from there to the cue at the till (the gateway's
   * relay).
   */
  function hops(ids: ReadonlySet<string>) {
    const wall = (perf: number) => performance.timeOrigin + perf;
    const gatewayAck: number[] = [];
    const storedToRouter: number[] = [];
    const routerQueue: number[] = [];
    const update: number[] = [];
    const appliedToCue: number[] = [];
    for (const id of ids) {
      const emitted = t.emittedAt.get(id);
      const acked = t.ackedAt.get(id);
      const cue = t.cuesAt.get(id)?.[0];
      const d = deliveries.get(id);
      if (emitted !== undefined && acked !== undefined) gatewayAck.push(acked - emitted);
      if (!d) continue;
      storedToRouter.push(d.takenAtMs - d.storedAtMs);
      routerQueue.push(d.sentAtMs - d.takenAtMs);
      update.push(d.appliedAtMs - d.sentAtMs);
      if (cue !== undefined) appliedToCue.push(wall(cue) - d.appliedAtMs);
    }
    return {
      till_to_gateway_ack: roundedPercentiles(gatewayAck),
      stored_to_router: roundedPercentiles(storedToRouter),
      router_queue: roundedPercentiles(routerQueue),
      temporal_update_and_publish: roundedPercentiles(update),
      published_to_cue_at_till: roundedPercentiles(appliedToCue),
    };
  }

  log('warming up (worker bundling, first workflows)…');
  const warm = generate('warm', 50, 60, 1);
  await measured('warm', warm, () => sendClosedLoop(t, warm, 50));
  const workerBaseRss = worker.rssBytes();

  log('ceilings: JetStream…');
  const jetstream = await measureJetStream({
    nc: stack.nc,
    js: stack.js,
    jsm: stack.jsm,
    messages: sizes.jetstreamMessages,
    payloadBytes: 1200,
    concurrency: 256,
  });
  log('ceilings: Temporal signal-with-start and update-with-start to a no-op workflow…');
  const temporalCeilings = [];
  for (const mode of ['signal-with-start', 'update-with-start'] as const) {
    temporalCeilings.push(
      await measureTemporal({
        temporal: stack.temporal,
        temporalAddress: stack.temporalAddress,
        settings,
        workflows: 400,
        inFlight: settings.router.maxInFlight,
        calls: sizes.ceilingCalls,
        mode,
      }),
    );
  }

  log(
    'ceilings: the real customer workflow through Temporal alone, returning and first-time customers…',
  );
  const customerCeilings = {
    returning_customers: await measureCustomerWorkflow({
      temporal: stack.temporal,
      settings,
      programs: stack.programs,
      customers: quick ? 100 : 200,
      callsPerCustomer: quick ? 8 : 15,
      inFlight: settings.router.maxInFlight,
    }),
    first_visits: await measureCustomerWorkflow({
      temporal: stack.temporal,
      settings,
      programs: stack.programs,
      customers: quick ? 600 : 2000,
      callsPerCustomer: 1,
      inFlight: settings.router.maxInFlight,
    }),
  };

  log(`end to end, as fast as it goes: ${sizes.saturationEvents} events over 1,000 customers…`);
  const saturationEvents = generate('sat', 1_000, sizes.saturationEvents, 2);
  const saturation = await measured('sat', saturationEvents, () =>
    sendClosedLoop(t, saturationEvents, 1000),
  );

  log(
    `end to end, returning customers: ${sizes.saturationEvents} more events over the same 1,000…`,
  );
  const returningEvents = generate('satr', 1_000, sizes.saturationEvents, 12, 'sat');
  const returning = await measured(
    'satr',
    returningEvents,
    () => sendClosedLoop(t, returningEvents, 1000),
    { customers: 'sat', earlier: saturationEvents },
  );

  // The servers finish what the bursts above left them (Temporal's history and visibility
  // tasks, SQLite checkpoints) before latency is measured at a steady rate.
  await new Promise((r) => setTimeout(r, sizes.settleSeconds * 1000));
  log(`till-cue latency at 100 events/s for ${sizes.latencySeconds} s…`);
  const at100 = generate('l100', 1_000, 100 * sizes.latencySeconds, 3);
  const latency100 = await measured('l100', at100, () => sendAtRate(t, at100, 100));

  const nearRate = Math.max(10, shareOfCalls(saturation, 0.9));
  log(`till-cue latency near saturation, ${nearRate} events/s…`);
  const near = generate('lsat', 1_000, nearRate * sizes.latencySeconds, 4);
  const latencyNear = await measured('lsat', near, () => sendAtRate(t, near, nearRate));

  // Till-cue latency as a curve over customers the stack already knows (a retailer's steady
  // state: most sales come from known customers), at shares of what they were measured to take.
  const known = [...saturationEvents, ...returningEvents];
  /** `events` of those customers sent at `rate` (until `stop()`), measured. */
  async function returningAt(
    label: string,
    events: RetailEvent[],
    rate: number,
    stop?: () => boolean,
  ) {
    const run = await measured(label, events, () => sendAtRate(t, events, rate, stop), {
      customers: 'sat',
      earlier: [...known],
    });
    known.push(...events.slice(0, run.events_offered));
    return run;
  }
  /** Their realistic traffic at `rate` for `seconds` (or until `stop()`), measured. */
  const returningAtRate = (
    label: string,
    rate: number,
    seconds: number,
    seed: number,
    stop?: () => boolean,
  ) => returningAt(label, generate(label, 1_000, rate * seconds, seed, 'sat'), rate, stop);
  let segmentLatency: (SegmentLatency & Record<string, unknown>) | undefined;
  let segmentAgreement: SegmentAgreement | undefined;
  const curve: {
    share_of_capacity: number;
    offered_events_per_s: number;
    run: Awaited<ReturnType<typeof returningAtRate>>;
  }[] = [];
  for (const share of [0.1, 0.25, 0.5, 0.75]) {
    const rate = Math.max(5, shareOfCalls(returning, share));
    const label = `c${Math.round(share * 100)}`;
    log(`till-cue latency at ${Math.round(share * 100)} % of capacity, ${rate} events/s…`);
    await new Promise((r) => setTimeout(r, sizes.settleSeconds * 1000));
    const run = await returningAtRate(label, rate, sizes.latencySeconds, 20 + curve.length);
    curve.push({ share_of_capacity: share, offered_events_per_s: rate, run });
  }
  {
    // From an event to the segment change it causes, at half capacity. Fresh customers: the
    // returning ones above are in every segment already (thousands of purchases each), so their
    // events change none; these enter `coffee-lovers`, `big-baskets` and `regulars` as they buy.
    // Their first sales start workflows, so the capacity they are a half of is the first run's,
    // of new customers, as for identification below.
    const rate = Math.max(5, shareOfCalls(saturation, 0.5));
    const label = 'seg50';
    log(
      `sale → segment change at 50 % of capacity, ${rate} events/s, ${sizes.segmentCustomers} new customers…`,
    );
    await new Promise((r) => setTimeout(r, sizes.settleSeconds * 1000));
    if (store) {
      const watch = watchSegmentChanges(stack.nc, store, `${label}-`);
      const flushes: FlushReport[] = [];
      sinkFlushes = flushes;
      // Many customers, each with a few sales: a customer's first sales are the ones that move
      // it into segments. At least 30 s, then until the sample holds changes enough for a p99
      // (or the cap: most sales change no segment).
      const events = generate(label, sizes.segmentCustomers, rate * SEGMENT_SECONDS.cap, 31);
      const started = performance.now();
      let sentFor = 0;
      const stop = () =>
        performance.now() - started >= SEGMENT_SECONDS.least * 1000 &&
        watch.seen() >= SEGMENT_CHANGES_WANTED;
      const run = await measured(label, events, async () => {
        const sent = await sendAtRate(t, events, rate, stop);
        sentFor = (performance.now() - started) / 1000;
        return sent;
      });
      const asOf = new Date();
      // Give the last changes time to land (the sink's batch wait, its writes, the poll).
      await new Promise((r) => setTimeout(r, 3_000));
      sinkFlushes = undefined;
      segmentLatency = {
        share_of_capacity: 0.5,
        offered_events_per_s: rate,
        sent_for_s: Math.round(sentFor),
        ...(await watch.stop(t.emittedAt)),
        // The same sales' cues: where the time went when a change is late.
        cue_latency_ms: run.cue_latency_ms,
        hops_ms: run.hops_ms,
        // The sink's batches meanwhile: how long their oldest message waited, how long they took.
        sink_batches: {
          count: flushes.length,
          messages: roundedPercentiles(flushes.map((f) => f.messages)),
          waited_ms: roundedPercentiles(flushes.map((f) => f.waitedMs)),
          write_ms: roundedPercentiles(flushes.map((f) => f.writeMs)),
          failed: flushes.filter((f) => !f.ok).length,
        },
      };
      log('live against batch segment members, after the run…');
      segmentAgreement = await compareLiveAndBatch(store, programFile, asOf);
    }
  }
  const atHalf = curve.find((c) => c.share_of_capacity === 0.5)?.run;

  const scale = [];
  for (const population of SCALE_POPULATIONS) {
    log(`scale: ${sizes.scaleEvents} events over a population of ${population} customers…`);
    const events = generate(`pop${population}`, population, sizes.scaleEvents, 5 + population);
    scale.push({
      customers_population: population,
      ...(await measured(`pop${population}`, events, () => sendClosedLoop(t, events, 1000))),
    });
  }

  log('redemption round trip: customers of the saturation run spend points over NATS…');
  const withPoints = [...oracleBalances(saturationEvents)]
    .filter(([, points]) => points >= 5)
    .map(([customerId]) => customerId)
    .slice(0, quick ? 100 : 300);
  const redemptions = await measureRedemptions(
    { nc: stack.nc, js: stack.js, temporal: stack.temporal, logger },
    withPoints,
    { perSecond: 20, rounds: 2 },
    spentPoints,
  );

  log(
    'identification: members registered with cards, then looked up at 100/s while sales run at half capacity…',
  );
  const members = await registerMembers(stack.nc, {
    members: quick ? 300 : 1000,
    concurrency: 20,
    runId: 'idb',
  });
  // The registrations start their customers' workflows: let that finish before measuring.
  await new Promise((r) => setTimeout(r, sizes.settleSeconds * 1000));
  const halfRate = Math.max(10, shareOfCalls(saturation, 0.5));
  const half = generate('lhalf', 1_000, halfRate * sizes.latencySeconds, 6);
  // Alone first: what the service itself takes, against what it takes beside the sales.
  const idle = await identifyAtRate(stack.nc, members.cards, {
    perSecond: 100,
    seconds: sizes.latencySeconds / 2,
  });
  const [latencyHalf, identifying] = await Promise.all([
    measured('lhalf', half, () => sendAtRate(t, half, halfRate)),
    identifyAtRate(stack.nc, members.cards, { perSecond: 100, seconds: sizes.latencySeconds }),
  ]);
  log('customer 360 view: the members asked for at 20/s…');
  const view = await viewAtRate(stack.nc, members.customerIds, {
    perSecond: 20,
    seconds: sizes.latencySeconds / 2,
  });
  const identification = {
    registration: members.registration,
    at_100_per_s_alone: idle,
    at_100_per_s: identifying,
    customer_view_at_20_per_s: view,
    sales_beside: {
      offered_events_per_s: halfRate,
      share_of_measured_capacity: 0.5,
      cue_latency_ms: latencyHalf.cue_latency_ms,
    },
  };

  const touched = [warm, saturationEvents, at100, near, half]
    .flat()
    .concat()
    .filter((e) => e.customerId)
    .map((e) => e.customerId);
  const cached = Math.min(
    new Set(touched).size + scale.reduce((n, s) => n + s.customers_touched, 0),
    settings.worker.maxCachedWorkflows,
  );
  const workerRss = worker.rssBytes();

  log('memory per connected till: 200 more idle tills…');
  const gatewayBefore = gateway.rssBytes();
  const extra = await connectTills(tillUrl, { S001: stores.S001 as string }, 200);
  await new Promise((r) => setTimeout(r, 1000));
  const gatewayAfter = gateway.rssBytes();
  extra.close();

  // Lifecycle timers at scale, last (after the memory figures: it brings thousands more
  // workflows through the worker's cache). N new customers lapse at one instant T, each on its
  // own workflow's timer (bench/lifecycle.ts); returning customers' sales run at a share of what
  // the same run measured for them, from T until the last trigger is published, and, for
  // comparison, at the same rate before T (after the burst when the setup left no time for it).
  // Twice: every customer at the instant itself, then spread over minutes (the program's
  // `spreadMinutes`), each customer at its fixed offset.
  const lapsing = sizes.lifecycleCustomers;
  const lifecycleShare = 0.5;
  const lifecycleRate = Math.max(5, shareOfCalls(returning, lifecycleShare));
  const timerBurst = async (
    spreadMinutes: number,
    labels: {
      setup: string;
      warm: string;
      quiet: string;
      burst: string;
      warmAfter: string;
      quietAfter: string;
      seed: number;
    },
  ) => {
    // T leaves the setup time to finish at 60 % of the same run's first-visit ceiling (end to end
    // ran at ~80 % of it), then the servers time to settle and the sales without the burst to run
    // (after a sale for each of their customers, to bring their workflows back into the cache).
    const setupEstimateMs = (lapsing / (0.6 * customerCeilings.first_visits.calls_per_s)) * 1000;
    const quietSeconds = 1_000 / lifecycleRate + sizes.latencySeconds + LIFECYCLE_MARGIN_SECONDS;
    const dueMs =
      Math.ceil(
        (Date.now() + setupEstimateMs + (sizes.settleSeconds + quietSeconds) * 1000) / 1000,
      ) * 1000;
    if (!stack.programs) throw new Error('the stack follows no loyalty program');
    const lapseVersion = await publishLapseVersion(stack.nc, stack.programs, {
      file: programFile,
      effectiveFrom: new Date(dueMs - DAY_MS - 60_000).toISOString(),
      replicas: settings.nats.replicas,
      spreadMinutes,
    });
    const lapsingSales = customerSales(labels.setup, lapsing, 1, {
      from: dueMs - DAY_MS,
      stores: STORES,
      tillsPerStore: TILLS_PER_STORE,
    }).flat();
    const triggers = await watchTriggers(stack.js, `${labels.setup}-`);
    log(
      `lifecycle timers: ${lapsing} customers, one sale each a day before ${new Date(dueMs).toISOString()} (${lapseVersion.version}: lapsed after 1 day, spread over ${spreadMinutes} minutes)…`,
    );
    const lifecycleSetup = await measured(labels.setup, lapsingSales, () =>
      sendClosedLoop(t, lapsingSales, 1000),
    );
    const setupDoneMs = Date.now();
    const appliedAfterDue = lapsingSales.filter(
      (e) => (deliveries.get(e.eventId)?.appliedAtMs ?? Number.POSITIVE_INFINITY) > dueMs,
    ).length;
    await new Promise((r) => setTimeout(r, sizes.settleSeconds * 1000));
    /**
     * The same sales without the burst, with those customers' workflows in the worker's cache, as
     * they were earlier in the run (the setup's workflows pushed them out): first one sale for
     * each of the 1,000 at the same rate (`warm`), then the measured run.
     */
    const withoutBurst = async (warm: string, label: string) => {
      log(`lifecycle timers: sales at ${lifecycleRate} events/s without the burst…`);
      const everyone = customerSales(warm, 1_000, 1, {
        from: EVENTS_FROM,
        stores: STORES,
        tillsPerStore: TILLS_PER_STORE,
        customerId: (c) => customerIdFor(c, 'sat-'),
      }).flat();
      const warmUp = await returningAt(warm, everyone, lifecycleRate);
      return {
        warmUp,
        run: await returningAtRate(label, lifecycleRate, sizes.latencySeconds, labels.seed),
      };
    };
    let quiet =
      dueMs - Date.now() > quietSeconds * 1000
        ? await withoutBurst(labels.warm, labels.quiet)
        : undefined;
    const quietRuns = quiet ? [quiet.warmUp, quiet.run] : [];
    // Measured before T only if it finished before T; else again after the burst.
    const quietBefore = quiet !== undefined && Date.now() < dueMs;
    log(`lifecycle timers: waiting for ${new Date(dueMs).toISOString()}…`);
    await new Promise((r) => setTimeout(r, Math.max(0, dueMs - Date.now())));
    const salesFromMs = Date.now();
    // Every trigger in, or none for a minute; the sales stop then or at their cap.
    const triggersDone = () =>
      triggers.seen.length >= lapsing ||
      Date.now() - Math.max(triggers.lastArrivalMs() ?? dueMs, dueMs) > 60_000;
    log(`lifecycle timers: the burst, sales at ${lifecycleRate} events/s beside it…`);
    const burstSales = await returningAtRate(
      labels.burst,
      lifecycleRate,
      sizes.lifecycleCapSeconds + spreadMinutes * 60,
      labels.seed + 1,
      triggersDone,
    );
    const salesUntilMs = salesFromMs + (burstSales.events_offered / lifecycleRate) * 1000;
    while (
      !triggersDone() &&
      Date.now() - dueMs < (2 * sizes.lifecycleCapSeconds + spreadMinutes * 60) * 1000
    ) {
      await new Promise((r) => setTimeout(r, 200));
    }
    await triggers.stop();
    if (!quietBefore) {
      await new Promise((r) => setTimeout(r, sizes.settleSeconds * 1000));
      quiet = await withoutBurst(labels.warmAfter, labels.quietAfter);
      quietRuns.push(quiet.warmUp, quiet.run);
    }
    if (!quiet) throw new Error('the sales without the burst did not run');
    const curveAtShare = curve.find((c) => c.share_of_capacity === lifecycleShare)?.run;
    const salesFigures = (run: typeof burstSales) => ({
      events: run.events_offered,
      sending_s: round(run.events_offered / lifecycleRate),
      temporal_calls_per_s: run.temporal_calls_per_s,
      cue_latency_ms: run.cue_latency_ms,
      temporal_update_and_publish_ms: run.hops_ms.temporal_update_and_publish,
    });
    const lifecycleTimers = {
      customers: lapsing,
      rule: LAPSE_RULE,
      program_version: lapseVersion.version,
      due_at: new Date(dueMs).toISOString(),
      setup: {
        events_per_s: lifecycleSetup.e2e_events_per_s,
        temporal_calls_per_s: lifecycleSetup.temporal_calls_per_s,
        elapsed_s: lifecycleSetup.elapsed_s,
      },
      /** From the setup's end (every sale applied, every timer set) to the due instant. */
      due_after_setup_s: round((dueMs - setupDoneMs) / 1000),
      /** Sales applied only after the due instant: their triggers fired late for that reason. */
      sales_applied_after_due: appliedAfterDue,
      spread_minutes: spreadMinutes,
      triggers: {
        ...summariseBurst(
          lapsingSales.map((e) => e.customerId as string),
          triggers.seen,
          dueMs,
          (customerId) => spreadOffsetMs(customerId, spreadMinutes),
        ),
        /** Published while the sales below ran (they stop at the last trigger, or at their cap). */
        published_while_sales_ran: triggers.seen.filter((s) => s.publishedMs <= salesUntilMs)
          .length,
      },
      sales: {
        customers: "the saturation run's 1,000, returning",
        share_of_measured_capacity: lifecycleShare,
        measured_capacity_events_per_s: returning.e2e_events_per_s,
        measured_capacity_temporal_calls_per_s: returning.temporal_calls_per_s,
        offered_events_per_s: lifecycleRate,
        /** The curve's run at the same share, earlier in the run (before the lapsing customers). */
        before_setup: curveAtShare && {
          when: 'earlier, the till-cue curve at the same share',
          ...salesFigures(curveAtShare),
        },
        without_burst: {
          when: quietBefore ? 'before the due instant' : 'after the burst',
          ...salesFigures(quiet.run),
        },
        during_burst: {
          when: 'from the due instant to the last trigger (or the cap)',
          started_after_due_s: round((salesFromMs - dueMs) / 1000, 2),
          ...salesFigures(burstSales),
        },
      },
      runs: {
        setup: lifecycleSetup,
        without_burst_warm_up: quiet.warmUp,
        without_burst: quiet.run,
        during_burst: burstSales,
      },
    };
    return {
      timers: lifecycleTimers,
      quiet,
      burstSales,
      runs: [lifecycleSetup, ...quietRuns, burstSales],
    };
  };
  const exactBurst = await timerBurst(0, {
    setup: 'lct',
    warm: 'lcw',
    quiet: 'lcq',
    burst: 'lcb',
    warmAfter: 'lcx',
    quietAfter: 'lcy',
    seed: 40,
  });
  await new Promise((r) => setTimeout(r, sizes.settleSeconds * 1000));
  // The spread sized to the headroom the instant burst showed: the triggers it published per
  // second beside the same sales are what the engine had to spare; spread to fire at half that.
  const headroomPerS = exactBurst.timers.triggers.published_per_s ?? lapsing;
  const spreadMinutes = Math.max(1, Math.ceil(lapsing / (0.5 * headroomPerS) / 60));
  const spreadBurst = await timerBurst(spreadMinutes, {
    setup: 'lst',
    warm: 'lsw',
    quiet: 'lsq',
    burst: 'lsb',
    warmAfter: 'lsx',
    quietAfter: 'lsy',
    seed: 42,
  });
  const lifecycleTimers = { ...exactBurst.timers, spread: spreadBurst.timers };
  log("customers' workflow histories: the saturation run's 1,000 described…");
  const histories = await historyFigures(
    stack.temporal,
    Array.from({ length: 1_000 }, (_, c) => customerIdFor(c, 'sat-')),
    'sat-',
    settings.temporal.historyBudgetKib,
  );
  const { quiet, burstSales } = exactBurst;

  const allRuns = [
    saturation,
    returning,
    latency100,
    latencyNear,
    latencyHalf,
    ...curve.map((c) => c.run),
    ...scale,
    ...exactBurst.runs,
    ...spreadBurst.runs,
  ];

  const temporalUpdate = temporalCeilings.find((c) => c.mode === 'update-with-start');
  const temporalSignal = temporalCeilings.find((c) => c.mode === 'signal-with-start');
  // The yardstick: signal-with-start calls the no-op worker *handled* per second. A signal the
  // server stored but no workflow has run yet is not throughput (stored ran at about twice the
  // handled rate here), and the end-to-end figure counts events applied. One event per call
  // there; the end-to-end path may carry several per call, so a ratio above 1 is possible, and
  // `temporal_calls_per_s` compares calls with calls.
  const signalHandled = temporalSignal?.handled_calls_per_s ?? Number.NaN;
  const ceilingForE2e = signalHandled;
  const first = scale[0];
  const last = scale[scale.length - 1];
  const result = {
    run: {
      at: new Date().toISOString(),
      quick,
      commit: (() => {
        try {
          return execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
        } catch {
          return 'unknown';
        }
      })(),
      cpus: cpus().length,
      memory_gib: round(totalmem() / 2 ** 30),
      node: process.version,
      topology:
        'one machine: Temporal dev server, nats-server, worker and till gateway as child processes; router, sink (chDB) and tills in the benchmark process',
    },
    ceilings: {
      evaluator,
      evaluator_under_loyalty_program: loyaltyEvaluator,
      jetstream,
      temporal: temporalCeilings,
      temporal_customer_workflow: customerCeilings,
    },
    end_to_end: {
      saturation,
      /** The same customers again: every call goes to a running workflow. */
      returning_customers: returning,
      returning_temporal_calls_ratio_to_customer_workflow_returning_ceiling: round(
        returning.temporal_calls_per_s / customerCeilings.returning_customers.calls_per_s,
        2,
      ),
      ratio_to_temporal_update_with_start_ceiling: round(
        saturation.e2e_events_per_s / (temporalUpdate?.calls_per_s ?? Number.NaN),
        2,
      ),
      ratio_to_temporal_signal_with_start_ceiling: round(
        saturation.e2e_events_per_s / signalHandled,
        2,
      ),
      temporal_calls_ratio_to_signal_with_start_ceiling: round(
        saturation.temporal_calls_per_s / signalHandled,
        2,
      ),
      temporal_calls_ratio_to_customer_workflow_first_visits_ceiling: round(
        saturation.temporal_calls_per_s / customerCeilings.first_visits.calls_per_s,
        2,
      ),
      ratio_to_temporal_signal_with_start_stored: round(
        saturation.e2e_events_per_s / (temporalSignal?.calls_per_s ?? Number.NaN),
        2,
      ),
      ratio_to_evaluator_ceiling: round(saturation.e2e_events_per_s / evaluator.events_per_s, 5),
      ratio_to_jetstream_publish_ceiling: round(
        saturation.e2e_events_per_s / jetstream.publish_msgs_per_s,
        3,
      ),
    },
    cue_latency_ms: {
      at_100_events_per_s: latency100.cue_latency_ms,
      near_saturation: { offered_events_per_s: nearRate, ...latencyNear.cue_latency_ms },
      /** Returning customers at shares of their measured capacity (end to end, returning). */
      curve: curve.map((c) => ({
        share_of_capacity: c.share_of_capacity,
        offered_events_per_s: c.offered_events_per_s,
        ...c.run.cue_latency_ms,
        temporal_update_and_publish_p99: c.run.hops_ms.temporal_update_and_publish.p99,
      })),
      runs: {
        at_100_events_per_s: latency100,
        near_saturation: latencyNear,
        curve: curve.map((c) => c.run),
      },
    },
    /** From a till's sale to the segment change it causes, on NATS and in ClickHouse. */
    segment_change_latency: segmentLatency ?? null,
    /** The program's segments, live (the workflows') against batch (SQL over the events). */
    segments_live_against_batch: segmentAgreement ?? null,
    redemption_round_trip_ms: redemptions,
    identification,
    lifecycle_timers: lifecycleTimers,
    customer_histories: histories,
    memory: {
      worker_rss_mib: round(workerRss / 2 ** 20),
      worker_rss_per_cached_workflow_kib: round(
        (workerRss - workerBaseRss) / 1024 / Math.max(1, cached),
      ),
      cached_workflows_estimate: cached,
      gateway_rss_per_connected_till_kib: round((gatewayAfter - gatewayBefore) / 1024 / 200),
    },
    scale_curve: scale,
    scale_ratio_100k_to_1k:
      first && last ? round(last.e2e_events_per_s / first.e2e_events_per_s, 2) : null,
    targets: {
      e2e_at_least_80pct_of_temporal_ceiling:
        round(saturation.e2e_events_per_s / ceilingForE2e, 2) >= 0.8,
      zero_lost_and_duplicated: allRuns.every(
        (r) => r.lost_events === 0 && r.duplicated_events === 0,
      ),
      cue_p99_at_half_capacity_at_most_100_ms:
        (atHalf?.cue_latency_ms.p99 ?? Number.POSITIVE_INFINITY) <= 100,
      cue_p99_at_100_per_s_at_most_100_ms:
        (latency100.cue_latency_ms.p99 ?? Number.POSITIVE_INFINITY) <= 100,
      evaluator_at_least_1m_events_per_s: evaluator.events_per_s >= 1_000_000,
      throughput_100k_at_least_80pct_of_1k:
        first && last ? last.e2e_events_per_s >= 0.8 * first.e2e_events_per_s : false,
      segment_change_p99_at_half_capacity_at_most_1_s:
        (segmentLatency?.clickhouse_ms.p99 ?? Number.POSITIVE_INFINITY) <= 1_000 &&
        (segmentLatency?.nats_ms.p99 ?? Number.POSITIVE_INFINITY) <= 1_000,
      segments_live_and_batch_agree: segmentAgreement?.agree === true,
      identification_p99_at_100_per_s_at_most_20_ms:
        (identifying.round_trip_ms.p99 ?? Number.POSITIVE_INFINITY) <= 20,
    },
  };

  const targetsNotMet = bottlenecks(result.targets, {
    e2e: saturation,
    ceilings: {
      signal_handled_per_s: signalHandled,
      customer_first_visits_calls_per_s: customerCeilings.first_visits.calls_per_s,
      customer_returning_calls_per_s: customerCeilings.returning_customers.calls_per_s,
    },
    evaluator,
    cueAt100: {
      p99: latency100.cue_latency_ms.p99 ?? Number.NaN,
      update_p99: latency100.hops_ms.temporal_update_and_publish.p99 ?? Number.NaN,
      gateway_ack_p99: latency100.hops_ms.till_to_gateway_ack.p99 ?? Number.NaN,
      relay_p99: latency100.hops_ms.published_to_cue_at_till.p99 ?? Number.NaN,
      temporal_calls_per_s: latency100.temporal_calls_per_s,
    },
    scale,
    cueAtHalf: {
      p99: atHalf?.cue_latency_ms.p99 ?? Number.NaN,
      update_p99: atHalf?.hops_ms.temporal_update_and_publish.p99 ?? Number.NaN,
      gateway_ack_p99: atHalf?.hops_ms.till_to_gateway_ack.p99 ?? Number.NaN,
      relay_p99: atHalf?.hops_ms.published_to_cue_at_till.p99 ?? Number.NaN,
      temporal_calls_per_s: atHalf?.temporal_calls_per_s ?? Number.NaN,
    },
    identification: {
      p99: identifying.round_trip_ms.p99 ?? Number.NaN,
      aloneP99: idle.round_trip_ms.p99 ?? Number.NaN,
      salesPerSecond: halfRate,
    },
    segments: {
      natsP99: segmentLatency?.nats_ms.p99 ?? Number.NaN,
      clickhouseP99: segmentLatency?.clickhouse_ms.p99 ?? Number.NaN,
      cueP99: atHalf?.cue_latency_ms.p99 ?? Number.NaN,
      sinkFlushMs: settings.sink.flushMs,
    },
    segmentDifferences: segmentAgreement?.segments ?? [],
  });
  const report = { ...result, bottlenecks: targetsNotMet };

  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(join(out, 'latest.json'), json);
  writeFileSync(join(out, `${result.run.at.replace(/[:.]/g, '-')}.json`), json);

  console.table({
    'evaluator events/s (1 core): fresh / long-lived accounts': {
      value: `${Math.round(evaluator.events_per_s)} / ${Math.round(evaluator.steady_state_events_per_s)}`,
    },
    'JetStream publish msgs/s': { value: jetstream.publish_msgs_per_s },
    'JetStream consume msgs/s': { value: jetstream.consume_msgs_per_s },
    'Temporal signal-with-start calls/s, handled (stored)': {
      value: `${round(signalHandled)} (${round(temporalSignal?.calls_per_s ?? Number.NaN)})`,
    },
    'Temporal update-with-start calls/s': { value: temporalUpdate?.calls_per_s },
    'customer workflow alone, calls/s: returning / first visits': {
      value: `${round(customerCeilings.returning_customers.calls_per_s)} / ${round(customerCeilings.first_visits.calls_per_s)}`,
    },
    'end-to-end events/s': { value: saturation.e2e_events_per_s },
    'end-to-end Temporal calls/s (events per call, starts)': {
      value: `${saturation.temporal_calls_per_s} (${saturation.events_per_temporal_call}, ${Math.round(saturation.workflow_start_share * 100)} %)`,
    },
    'end-to-end, returning customers: events/s; calls/s (events per call)': {
      value: `${returning.e2e_events_per_s}; ${returning.temporal_calls_per_s} (${returning.events_per_temporal_call})`,
    },
    'e2e / signal-with-start ceiling (handled)': {
      value: result.end_to_end.ratio_to_temporal_signal_with_start_ceiling,
    },
    'e2e / update-with-start ceiling': {
      value: result.end_to_end.ratio_to_temporal_update_with_start_ceiling,
    },
    'lost / duplicated (all runs)': {
      value: `${allRuns.reduce((n, r) => n + r.lost_events, 0)} / ${allRuns.reduce((n, r) => n + r.duplicated_events, 0)}`,
    },
    'cue p50/p99 ms at 100/s': {
      value: `${latency100.cue_latency_ms.p50} / ${latency100.cue_latency_ms.p99}`,
    },
    [`cue p50/p99 ms at ${nearRate}/s`]: {
      value: `${latencyNear.cue_latency_ms.p50} / ${latencyNear.cue_latency_ms.p99}`,
    },
    ...Object.fromEntries(
      curve.map((c) => [
        `cue p50/p95/p99 ms at ${Math.round(c.share_of_capacity * 100)} % (${c.offered_events_per_s}/s), returning`,
        {
          value: `${c.run.cue_latency_ms.p50} / ${c.run.cue_latency_ms.p95} / ${c.run.cue_latency_ms.p99}`,
        },
      ]),
    ),
    'sale → segment change p50/p99 ms at 50 %: on NATS; in ClickHouse (events)': {
      value: segmentLatency
        ? `${segmentLatency.nats_ms.p50} / ${segmentLatency.nats_ms.p99}; ${segmentLatency.clickhouse_ms.p50} / ${segmentLatency.clickhouse_ms.p99} (${segmentLatency.events_with_changes})`
        : 'not measured',
    },
    [`identification p50/p99 ms at 100/s: alone; sales at ${halfRate}/s`]: {
      value: `${idle.round_trip_ms.p50} / ${idle.round_trip_ms.p99}; ${identifying.round_trip_ms.p50} / ${identifying.round_trip_ms.p99}`,
    },
    'customer 360 view p50/p99 ms at 20/s': {
      value: `${view.round_trip_ms.p50} / ${view.round_trip_ms.p99}`,
    },
    'registrations/s (20 at once)': { value: members.registration.per_s },
    [`lifecycle: ${lapsing} triggers due at once, due → published p50/p99/max ms`]: {
      value: `${lifecycleTimers.triggers.due_to_published_ms.p50} / ${lifecycleTimers.triggers.due_to_published_ms.p99} / ${lifecycleTimers.triggers.due_to_published_ms.max} (${lifecycleTimers.triggers.triggers_published} published)`,
    },
    [`cue p50/p99 ms at ${lifecycleRate}/s (${Math.round(lifecycleShare * 100)} %), returning: without; during the timer burst`]:
      {
        value: `${quiet.run.cue_latency_ms.p50} / ${quiet.run.cue_latency_ms.p99}; ${burstSales.cue_latency_ms.p50} / ${burstSales.cue_latency_ms.p99}`,
      },
    [`lifecycle: ${lapsing} triggers spread over ${spreadMinutes} min, scheduled → published p50/p99/max ms; cue p50/p99 ms during`]:
      {
        value: `${spreadBurst.timers.triggers.scheduled_to_published_ms.p50} / ${spreadBurst.timers.triggers.scheduled_to_published_ms.p99} / ${spreadBurst.timers.triggers.scheduled_to_published_ms.max}; ${spreadBurst.burstSales.cue_latency_ms.p50} / ${spreadBurst.burstSales.cue_latency_ms.p99}`,
      },
    [`history of the returning customers' current runs, p50/max KiB (budget ${histories.budget_kib}); runs continued as new`]:
      {
        value: `${histories.current_run_kib.p50} / ${histories.current_run_kib.max}; ${histories.runs_continued_as_new}`,
      },
    ...Object.fromEntries(
      scale.map((s) => [
        `e2e events/s, ${s.customers_population} customers`,
        { value: s.e2e_events_per_s },
      ]),
    ),
    'worker KiB per cached workflow': { value: result.memory.worker_rss_per_cached_workflow_kib },
    'gateway KiB per connected till': { value: result.memory.gateway_rss_per_connected_till_kib },
  });
  for (const [target, why] of Object.entries(targetsNotMet)) log(`not met: ${target}: ${why}`);
  log(`wrote ${join(options.out, 'latest.json')}`);
  t.close();
} finally {
  await stopAll();
}

// The analytics questions on a generated retailer (1M members, 20M sale lines; --quick: 100k,
// 2M), in their own chDB folder: only once the stack's store is closed (one chDB folder per
// process). Written to analytics-latest.json beside latest.json.
if (!options.skipAnalytics) {
  log('analytics: generating a retailer and timing every question…');
  await runAnalyticsBench({ quick, out: options.out });
}
