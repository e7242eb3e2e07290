/**
 * The console's pages on the analytics benchmark's data set (1M customers / 20M sale lines by
 * default): a real console gateway with its sign-in, its questions, groups and timeline services
 * answered from the benchmark's store over a real nats-server, and each page's requests sent as
 * the page sends them (its HTML, then its API calls at once, in stages where the page waits for
 * one before the next), as a signed-in marketer, at the data set's last moment. A page's time is
 * its HTML plus each stage's slowest call; the target is 1 s, for a visit after the first. Read beside the same run's full scan of the sale lines (bench/analytics.ts).
 *
 * The customer page is timed for what the analytics store answers (the timeline of the customer
 * with the most events): the generated set has no identity index, summaries or workflows to
 * answer the 360 view and the live state from. The search by name is timed over the profiles of
 * PROFILES_NAMED customers written to a real profile store first (the set has no names).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { settingsSchema } from '../config/settings.ts';
import { startHistoryService } from '../engine/analytics/history-service.ts';
import { startQuestionsService } from '../engine/analytics/questions-service.ts';
import type { AnalyticsStore } from '../engine/analytics/store.ts';
import { openProfileStore, type ProfileStore } from '../engine/customer-view/profile-store.ts';
import { openSummaryStore } from '../engine/customer-view/summary-store.ts';
import type { CustomerRegisteredEvent } from '../engine/domain/events.ts';
import { customerIdOf } from '../engine/generator/population.ts';
import { keyedHash, openIdentityIndex } from '../engine/identity/identity-index.ts';
import { loadProgramFile } from '../engine/programs/load-program.ts';
import { freePort, startNatsServer } from '../engine/runtime/servers.ts';
import { startGroupsService } from '../engine/segments/groups-service.ts';
import { createProgramCatalog } from '../engine/services/program-catalog.ts';
import { auditLog } from '../engine/staff/audit-log.ts';
import { openChartMarks } from '../engine/staff/chart-marks.ts';
import { argon2Hasher } from '../engine/staff/passwords.ts';
import { openSessions } from '../engine/staff/sessions.ts';
import { openStaffDirectory } from '../engine/staff/staff-directory.ts';
import { declareStreams } from '../engine/streams/declare.ts';
import { startDashboardGateway } from '../gateways/dashboard/server.ts';
import { SESSION_COOKIE } from '../gateways/dashboard/staff-auth.ts';

const TARGET_MS = 1000;
const PROGRAM_FILE = 'config/programs/grocer.yaml';

export interface PageTiming {
  page: string;
  /** API calls the page makes after its HTML (at once, or in stages as the page does). */
  calls: number;
  /**
   * The first visit once the gateway has warmed (the members' portrait, tiers and lapsed
   * customers asked at its start and kept fresh: slow-answers.ts); the store's own first-use
   * work (RFM scores) still falls on it.
   */
  firstMs: number;
  minMs: number;
  medianMs: number;
  maxMs: number;
  /** The slowest call of the median run. */
  slowest: string;
  ratioToFullScan: number;
  withinTarget: boolean;
  error?: string;
}

export interface ConsoleBenchResult {
  asOf: string;
  targetMs: number;
  /** From the gateway's start until its slow-moving figures were first kept. */
  warmUpMs: number;
  timedRuns: number;
  pages: PageTiming[];
  withinTarget: boolean;
}

const round = (n: number) => Math.round(n * 10) / 10;
const dayOf = (time: number) => new Date(time).toISOString().slice(0, 10);
const DAY = 86_400_000;

/** What each page asks, as its script does, for a marketer, at `asOf` (the data's last moment). */
function pages(asOf: string, segments: string[], customer: string) {
  const end = Date.parse(asOf);
  const to = dayOf(end);
  const week = { from: dayOf(end - 6 * DAY), to };
  // No `as-of`: the services' clock is set to the data's last moment, as a live console asks.
  const q = (question: string, params: Record<string, string | number> = {}) =>
    `/api/analytics/${question}?${new URLSearchParams(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])))}`;
  const frame = ['/api/session', '/api/console'];
  return [
    {
      page: 'console (week)',
      html: '/',
      // The figures, then the members' portrait below them (as console.js asks).
      stages: [
        [
          ...frame,
          '/api/marks?chart=sales',
          '/api/marks?chart=points',
          '/api/marks?chart=segments',
          q('sales', { by: 'day', ...week }),
          q('sales', { by: 'all', ...week }),
          q('sales', { by: 'store', ...week }),
          q('points', { by: 'day', ...week, 'point-value-points': 100, 'point-value-minor': 100 }),
          q('tiers'),
          ...segments.map((segment) => q('segment-sizes', { segment, days: 7 })),
          q('not-seen', { days: 60, limit: 5 }),
          q('fraud-flags', { days: 7, limit: 8 }),
        ],
        [
          q('demographics', { by: 'age', days: 7 }),
          q('rfm', { days: 365 }),
          q('cohorts', { by: 'month', months: 12, matrix: 'retention' }),
        ],
      ],
    },
    {
      page: 'segments',
      html: '/segments',
      stages: [
        [
          ...frame,
          q('groups'),
          ...segments.map((segment) => q('segment-sizes', { segment, days: 30 })),
        ],
      ],
    },
    {
      page: 'segment count while typing',
      html: undefined,
      stages: [[q('segment', { when: 'recency_days > 90 and visits(365) >= 2', limit: 0 })]],
    },
    {
      page: 'stores (month)',
      html: '/stores',
      stages: [[...frame, q('stores'), q('store-performance', { period: 'month' })]],
    },
    { page: 'programs', html: '/programs', stages: [[...frame, '/api/programs']] },
    {
      page: 'customers by name',
      html: '/customers',
      stages: [[...frame, `/api/customers?${new URLSearchParams({ by: 'name', value: 'rossi' })}`]],
    },
    {
      page: 'customers by full name',
      html: undefined,
      stages: [[`/api/customers?${new URLSearchParams({ by: 'name', value: 'Mia Rossi' })}`]],
    },
    {
      page: 'customer (timeline)',
      html: `/customers/${customer}`,
      stages: [[...frame, `/api/customers/${customer}/timeline?limit=100`]],
    },
  ];
}

/**
 * How many customers get a profile with a name for the search by name (the generated set has
 * none): a share of the million, as writing every profile through the store would take longer
 * than the rest of the bench. Each family name is held by PROFILES_NAMED / FAMILY_NAMES.length
 * customers, so a search lists its full 25 and more.
 */
const PROFILES_NAMED = 50_000;
const FAMILY_NAMES = ['Rossi', 'Berg', 'Nowak', 'Schmidt', 'García', 'Dubois', 'Smith', 'Lind'];
const GIVEN_NAMES = ['Mia', 'Lea', 'Jonas', 'Luca', 'Ana', 'Otto', 'Sofia', 'Emil', 'Ida', 'Noah'];

/** Registers `count` customers' names in the profile store, 64 at a time; the time it took. */
async function nameProfiles(profiles: ProfileStore, count: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const customerId = customerIdOf(i);
      const event: CustomerRegisteredEvent = {
        type: 'customer.registered',
        eventId: `bench-reg-${customerId}`,
        occurredAt: '2024-01-01T00:00:00.000Z',
        storeId: 'S001',
        channel: 'till',
        customerId,
        consent: {},
        profile: {
          givenName: GIVEN_NAMES[i % GIVEN_NAMES.length] as string,
          familyName: FAMILY_NAMES[
            Math.floor(i / GIVEN_NAMES.length) % FAMILY_NAMES.length
          ] as string,
        },
      } as CustomerRegisteredEvent;
      await profiles.apply(event, i + 1);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return round(performance.now() - started);
}

export async function benchConsole(
  store: AnalyticsStore,
  options: { asOf: string; fullScanMs: number; timedRuns?: number; log: (line: string) => void },
): Promise<ConsoleBenchResult> {
  const { log, asOf } = options;
  const timedRuns = options.timedRuns ?? 3;
  const dataDir = mkdtempSync(join(tmpdir(), 'clientele-console-bench-'));
  const logger = pino({ level: 'warn' });
  const settings = settingsSchema.parse({ dataDir });
  const nats = await startNatsServer({ dataDir, port: await freePort(), syncInterval: 'default' });
  const nc = await connect({ servers: nats.address, name: 'console-bench' });
  const services: Array<{ stop(): Promise<void> }> = [];
  try {
    const js = jetstream(nc);
    await declareStreams(await jetstreamManager(nc), settings);
    services.push(startQuestionsService(nc, { store, logger, now: () => new Date(asOf) }));
    services.push(startHistoryService(nc, { store, logger, now: () => new Date(asOf) }));
    services.push(startGroupsService(nc, { store, logger, now: () => new Date(asOf) }));
    // The grocer program in force all along: its currency, point value and live segments.
    const { definition } = await loadProgramFile(PROGRAM_FILE);
    const versions = [
      { ...definition, version: 'grocer@1', effectiveFrom: '2000-01-01T00:00:00.000Z' },
    ];
    const directory = await openStaffDirectory(nc, { hasher: argon2Hasher });
    const hash = keyedHash(settings.identity.contactHashKey);
    const index = await openIdentityIndex(nc, { hash });
    const profiles = await openProfileStore(nc, { hash });
    const named = await nameProfiles(profiles, PROFILES_NAMED);
    log(`console bench: ${PROFILES_NAMED} profiles named in ${named} ms`);
    const starting = performance.now();
    const gateway = await startDashboardGateway(
      {
        nc,
        logger,
        summaries: await openSummaryStore(nc),
        marks: await openChartMarks(nc),
        catalog: async () => createProgramCatalog(versions),
        versions: async () => versions,
        lookUp: (identifier) => index.lookUp(identifier),
        findByName: profiles.findByName,
        audit: auditLog(js),
        js,
        eventTime: { limits: settings.events, now: () => new Date() },
        auth: {
          directory,
          sessions: await openSessions(nc, { directory, minutes: 60 }),
          signInAttempts: 10,
          secureCookies: false,
          now: () => new Date(),
        },
      },
      { host: '127.0.0.1', port: 0 },
    );
    services.push({ stop: () => gateway.close() });
    await gateway.warmed;
    const warmUpMs = round(performance.now() - starting);
    log(`console gateway warmed in ${warmUpMs} ms (${round(warmUpMs / options.fullScanMs)}× scan)`);

    const password = 'bench password, long enough';
    await directory.add(
      { userId: 'bench', name: 'Bench', role: 'marketer', createdAt: new Date().toISOString() },
      password,
    );
    const signedIn = await fetch(`${gateway.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'bench', password }),
    });
    const token = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(
      signedIn.headers.get('set-cookie') ?? '',
    )?.[1];
    if (!token) throw new Error(`the bench could not sign in (${signedIn.status})`);
    const cookie = `${SESSION_COOKIE}=${token}`;
    const get = async (path: string) => {
      const started = performance.now();
      const res = await fetch(`${gateway.url}${path}`, { headers: { cookie } });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${path} answered ${res.status}`);
      return { path, ms: performance.now() - started };
    };

    const [busiest] = await store.query<{ customer_id: string }>(
      `SELECT customer_id FROM ${store.database}.events WHERE customer_id != ''
       GROUP BY customer_id ORDER BY count() DESC, customer_id LIMIT 1`,
    );
    const segments = (definition.segments ?? []).map((s) => s.id);
    const timings: PageTiming[] = [];
    for (const page of pages(asOf, segments, busiest?.customer_id ?? 'c0000001')) {
      const calls = page.stages.flat().length;
      const once = async () => {
        const started = performance.now();
        if (page.html) await get(page.html);
        const answers = [];
        for (const stage of page.stages) answers.push(...(await Promise.all(stage.map(get))));
        const slowest = answers.reduce((a, b) => (b.ms > a.ms ? b : a));
        return { ms: performance.now() - started, slowest: slowest.path };
      };
      try {
        // The first visit after the warm-up.
        const first = await once();
        const runs = [];
        for (let i = 0; i < timedRuns; i++) runs.push(await once());
        runs.sort((a, b) => a.ms - b.ms);
        const median = runs[Math.floor(runs.length / 2)] as { ms: number; slowest: string };
        const timing: PageTiming = {
          page: page.page,
          calls,
          firstMs: round(first.ms),
          minMs: round(runs[0]?.ms ?? 0),
          medianMs: round(median.ms),
          maxMs: round(runs.at(-1)?.ms ?? 0),
          slowest: median.slowest.replace(/\?.*/, ''),
          ratioToFullScan: round(median.ms / options.fullScanMs),
          withinTarget: median.ms <= TARGET_MS,
        };
        timings.push(timing);
        log(
          `console page ${page.page}: median ${timing.medianMs} ms (${timing.ratioToFullScan}× scan), first ${timing.firstMs} ms, ${calls} calls, slowest ${timing.slowest}`,
        );
      } catch (err) {
        const error = (err as Error).message;
        timings.push({
          page: page.page,
          calls,
          firstMs: 0,
          minMs: 0,
          medianMs: 0,
          maxMs: 0,
          slowest: '',
          ratioToFullScan: 0,
          withinTarget: false,
          error,
        });
        log(`console page ${page.page}: failed: ${error}`);
      }
    }
    return {
      asOf,
      targetMs: TARGET_MS,
      warmUpMs,
      timedRuns,
      pages: timings,
      withinTarget: timings.every((t) => t.withinTarget),
    };
  } finally {
    for (const s of services.reverse()) await s.stop().catch(() => undefined);
    await nc.drain().catch(() => undefined);
    await nats.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
