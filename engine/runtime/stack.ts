/**
 * Composes a running Clientele: embedded or external Temporal and NATS, the streams, and the
 * engine's own parts (worker, router, sink, gateways), each optional. `npm start`, the tests
 * and the benchmark all build on it; only this composition root reads settings and makes clients.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client, Connection } from '@temporalio/client';
import type { Worker, WorkflowBundle } from '@temporalio/worker';
import type { Logger } from 'pino';
import { envName, type Settings } from '../../config/settings.ts';
import { type DashboardGateway, startDashboardGateway } from '../../gateways/dashboard/server.ts';
import { lookupLimit } from '../../gateways/shared/lookup-limit.ts';
import { StoreTokens } from '../../gateways/shared/store-tokens.ts';
import { startTillGateway, type TillGateway } from '../../gateways/till/server.ts';
import { startWebGateway, type WebGateway } from '../../gateways/web/server.ts';
import { baseProgram } from '../../workflows/customer/client.ts';
import { createCustomerWorker } from '../../workflows/worker.ts';
import { startHistoryService } from '../analytics/history-service.ts';
import { createAnalyticsStore } from '../analytics/open-store.ts';
import { startQuestionsService } from '../analytics/questions-service.ts';
import { createSink, type Sink, type SinkOptions } from '../analytics/sink.ts';
import type { AnalyticsStore } from '../analytics/store.ts';
import { startCustomerViewService } from '../customer-view/customer-view.ts';
import { openProfileStore } from '../customer-view/profile-store.ts';
import { openSummaryStore, type SummaryStore } from '../customer-view/summary-store.ts';
import { activityLog } from '../fraud/activity-log.ts';
import { openFlagStore } from '../fraud/flag-store.ts';
import { serveFlags } from '../fraud/flags-service.ts';
import { blockForWatch, startFraudWatch } from '../fraud/fraud-watch.ts';
import { openHouseholds } from '../identity/households.ts';
import { keyedHash, openIdentityIndex } from '../identity/identity-index.ts';
import { type IdentityService, startIdentityService } from '../identity/identity-service.ts';
import { followProgram } from '../programs/follow-program.ts';
import { allVersions, openProgramStore, type ProgramStore } from '../programs/program-store.ts';
import { startSimulateService } from '../replay/simulate-service.ts';
import { startReplayStateService } from '../replay/state-service.ts';
import { startWhatIfService } from '../replay/what-if-service.ts';
import { startGroupRefresh } from '../segments/group-refresh.ts';
import { startGroupsService } from '../segments/groups-service.ts';
import { createProgramCatalog, type MutableProgramCatalog } from '../services/program-catalog.ts';
import { type RedemptionService, startRedemptionService } from '../services/redemption-service.ts';
import { auditLog } from '../staff/audit-log.ts';
import { openChartMarks } from '../staff/chart-marks.ts';
import { argon2Hasher } from '../staff/passwords.ts';
import { openSessions } from '../staff/sessions.ts';
import { openStaffDirectory, type StaffDirectory } from '../staff/staff-directory.ts';
import { declareRouterConsumer, declareStreams } from '../streams/declare.ts';
import { publishEffects } from '../streams/publish-effects.ts';
import { createRouter, type Router, type RouterDeps } from '../streams/router.ts';
import {
  freePort,
  type RunningServer,
  startNatsServer,
  startTemporalDevServer,
} from './servers.ts';

export type Component =
  | 'worker'
  | 'router'
  | 'redemptions'
  | 'identity'
  | 'sink'
  | 'till'
  | 'web'
  | 'dashboard';
export const allComponents: readonly Component[] = [
  'worker',
  'router',
  'redemptions',
  'identity',
  'sink',
  'till',
  'web',
  'dashboard',
];

export interface StackOptions {
  settings: Settings;
  logger: Logger;
  components: readonly Component[];
  /** Pick free ports for everything (tests, benchmark) instead of the configured ones. */
  ephemeralPorts?: boolean;
  /** A prebuilt workflow bundle, to save bundling again on each worker (re)start. */
  workflowBundle?: WorkflowBundle;
  /** Serve the Temporal web UI with the embedded dev server. */
  temporalUi?: boolean;
  /** Dynamic config for the embedded Temporal dev server (tests). */
  temporalDynamicConfig?: Record<string, string | number | boolean>;
  /** Told of every delivery the router completes (the benchmark times the hops with it). */
  observeDeliveries?: RouterDeps['observe'];
  /** Told of every batch the analytics sink writes (the benchmark times its batches). */
  onSinkFlush?: SinkOptions['onFlush'];
  /**
   * The loyalty program versions to use, instead of those published in the program store
   * (tests that publish versions themselves pass a catalog they add to).
   */
  programs?: MutableProgramCatalog;
}

export interface Stack {
  readonly settings: Settings;
  readonly temporalAddress: string;
  readonly temporalUiUrl?: string;
  readonly natsUrl: string;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly temporal: Client;
  readonly servers: { temporal?: RunningServer; nats?: RunningServer };
  readonly store?: AnalyticsStore;
  readonly sink?: Sink;
  readonly router?: Router;
  readonly redemptions?: RedemptionService;
  /** Registering and identifying customers (`svc.identity.*`). */
  readonly identity?: IdentityService;
  /** The loyalty program versions the router and the redemption service use. */
  readonly programs?: MutableProgramCatalog;
  readonly till?: TillGateway;
  readonly web?: WebGateway;
  /** The console: sign in at `<url>/sign-in` as a member of `staff`. */
  readonly dashboard?: Pick<DashboardGateway, 'url' | 'figures'>;
  /** The staff who sign in to the console (with the dashboard). */
  readonly staff?: StaffDirectory;
  /** Starts a worker (again); the stack stops it on `stop()`. */
  startWorker(): Promise<Worker>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

const STOP_TIMEOUT_MS = 15_000;

export async function startStack(options: StackOptions): Promise<Stack> {
  const { settings, logger, components } = options;
  const dataDir = resolve(settings.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const cleanups: Array<{ name: string; run: () => Promise<void> }> = [];
  const cleanup = (name: string, run: () => Promise<void>) => cleanups.push({ name, run });
  /** Stops in reverse order of start; a part that hangs is reported and passed over. */
  const stopAll = async () => {
    for (const { name, run } of cleanups.reverse()) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), STOP_TIMEOUT_MS);
      });
      const outcome = await Promise.race([
        run().catch((err) => logger.warn({ err, part: name }, 'error while stopping')),
        timedOut,
      ]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        logger.warn({ part: name }, `did not stop within ${STOP_TIMEOUT_MS / 1000} s; going on`);
      }
    }
  };

  const log = (message: string) => logger.warn(message);
  try {
    const servers: Stack['servers'] = {};
    let natsUrl = settings.nats.servers;
    if (!natsUrl) {
      servers.nats = await startNatsServer({
        dataDir,
        port: options.ephemeralPorts ? await freePort() : settings.nats.port,
        syncInterval: settings.nats.syncInterval,
        log,
        advice: {
          portSetting: envName(['nats', 'port']),
          externalSetting: envName(['nats', 'servers']),
        },
      });
      cleanup('nats-server', () => servers.nats?.stop() ?? Promise.resolve());
      natsUrl = servers.nats.address;
    }
    let temporalAddress = settings.temporal.address;
    let temporalUiUrl: string | undefined;
    if (!temporalAddress) {
      const temporal = await startTemporalDevServer({
        dataDir,
        port: options.ephemeralPorts ? await freePort() : settings.temporal.devServerPort,
        uiPort: settings.temporal.devServerUiPort,
        ui: options.temporalUi ?? false,
        dynamicConfig: options.temporalDynamicConfig,
        sync: settings.temporal.devServerSync,
        log,
        advice: {
          portSetting: envName(['temporal', 'devServerPort']),
          uiPortSetting: envName(['temporal', 'devServerUiPort']),
          externalSetting: envName(['temporal', 'address']),
        },
      });
      servers.temporal = temporal;
      cleanup('temporal dev server', () => temporal.stop());
      temporalAddress = temporal.address;
      temporalUiUrl = temporal.uiAddress;
    }

    const nc = await connect({ servers: natsUrl.split(','), name: 'clientele' });
    cleanup('NATS connection', () => nc.drain());
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    await declareStreams(jsm, settings);

    const connection = await Connection.connect({ address: temporalAddress });
    cleanup('Temporal connection', () => connection.close());
    const temporal = new Client({ connection, namespace: settings.temporal.namespace });

    const replicas = { replicas: settings.nats.replicas };
    const summaries =
      components.includes('router') ||
      components.includes('identity') ||
      components.includes('worker') ||
      components.includes('redemptions') ||
      components.includes('dashboard')
        ? await openSummaryStore(nc, replicas)
        : undefined;
    // Phones, e-mails and names are keyed with the same secret in both stores.
    const contactHash = keyedHash(settings.identity.contactHashKey);
    /** The identity index, opened once for whichever component needs it first. */
    const identityIndex = openedOnce(() =>
      openIdentityIndex(nc, { hash: contactHash, replicas: settings.nats.replicas }),
    );
    /** The profile store, opened once for whichever component needs it first. */
    const profiles = openedOnce(() =>
      openProfileStore(nc, { hash: contactHash, replicas: settings.nats.replicas }),
    );

    let worker: Worker | undefined;
    let workerRun: Promise<void> | undefined;
    const stopWorker = async () => {
      if (!worker) return;
      const w = worker;
      worker = undefined;
      if (w.getState() === 'RUNNING') w.shutdown();
      await workerRun;
    };
    const startWorker = async () => {
      await stopWorker();
      const w = await createCustomerWorker({
        settings,
        temporalAddress: temporalAddress as string,
        publish: (effects) => publishEffects(js, effects),
        merges: {
          temporal,
          moveHolder: async (from, into, mark) =>
            (await identityIndex()).moveHolder(from, into, mark),
          keepSummary: (summary) => (summaries as SummaryStore).write(summary),
        },
        bundle: options.workflowBundle,
      });
      worker = w;
      workerRun = w.run().catch((err) => logger.error({ err }, 'worker stopped with an error'));
      return w;
    };
    cleanup('worker', stopWorker);
    if (components.includes('worker')) await startWorker();

    let store: AnalyticsStore | undefined;
    let sink: Sink | undefined;
    if (components.includes('sink')) {
      const s = await createAnalyticsStore(settings);
      store = s;
      cleanup('analytics store', () => s.close());
      for (const m of await s.migrate()) {
        logger.info({ version: m.version, migration: m.name }, 'analytics database migrated');
      }
      const k = createSink({
        nc,
        store: s,
        batchSize: settings.sink.batchSize,
        flushMs: settings.sink.flushMs,
        segmentsFlushMs: settings.sink.segmentsFlushMs,
        onFlush: options.onSinkFlush,
        logger,
      });
      sink = k;
      await k.start();
      cleanup('sink', () => k.stop());
      // Only this process can read a chDB store: it answers the 360 view's history.
      const h = startHistoryService(nc, { store: s, logger });
      cleanup('history service', () => h.stop());
      const q = startQuestionsService(nc, { store: s, logger });
      cleanup('analytics questions service', () => q.stop());
      const gs = startGroupsService(nc, { store: s, logger });
      cleanup('groups service', () => gs.stop());
      const g = startGroupRefresh({ store: s, logger });
      cleanup('saved groups refresh', async () => g.stop());
    }

    let programs = options.programs;
    const needsPrograms =
      components.includes('router') ||
      components.includes('redemptions') ||
      components.includes('identity');
    if (!programs && needsPrograms && settings.loyalty.programFile) {
      const followed = await followProgram(nc, {
        file: settings.loyalty.programFile,
        replicas: settings.nats.replicas,
        logger,
      });
      programs = followed.catalog;
      cleanup('program watch', () => followed.watch.stop());
    }
    const followed = programs;
    let programStore: ProgramStore | undefined;
    /** Every version published in the program store. */
    const publishedVersions = async () => {
      programStore ??= await openProgramStore(nc, replicas);
      return allVersions(programStore);
    };
    const currentCatalog = async () => followed ?? createProgramCatalog(await publishedVersions());
    if (store) {
      // Only this process can read a chDB store: it rebuilds customers' states from the log.
      const r = startReplayStateService(nc, {
        store,
        temporal,
        logger,
        base: baseProgram(settings.loyalty),
        catalog: currentCatalog,
      });
      cleanup('replay state service', () => r.stop());
      // And the what-ifs of candidate programs: one customer's, and every customer's as a job.
      const whatIf = {
        store,
        logger,
        base: baseProgram(settings.loyalty),
        versions: async () => (await currentCatalog()).all(),
      };
      const w = startWhatIfService(nc, whatIf);
      cleanup('what-if service', () => w.stop());
      const sim = startSimulateService(nc, whatIf);
      cleanup('simulate service', () => sim.stop());
    }
    let router: Router | undefined;
    if (components.includes('router')) {
      await declareRouterConsumer(jsm, settings);
      const r = createRouter({
        js,
        temporal,
        settings,
        logger,
        observe: options.observeDeliveries,
        programs,
        profiles: await profiles(),
        summaries,
      });
      router = r;
      await r.start();
      cleanup('router', () => r.stop());
      // Profiles kept before names were indexed become findable by name (once; in the background).
      const stopIndexing = new AbortController();
      const indexing = (await profiles())
        .indexNames({
          signal: stopIndexing.signal,
          progress: (done) => logger.info({ done }, 'indexing customers’ names'),
        })
        .then((done) => {
          if (done > 0) logger.info({ done }, 'customers’ names indexed');
        })
        .catch((err) => logger.error({ err }, 'indexing customers’ names failed'));
      cleanup('name indexing', async () => {
        stopIndexing.abort();
        await indexing;
      });
    }
    // Look-ups and redemptions noted for the anti-fraud watch.
    const activity = activityLog(js, logger);
    cleanup('activity log', () => activity.settled());
    let redemptions: RedemptionService | undefined;
    if (components.includes('redemptions')) {
      const r = startRedemptionService(nc, {
        temporal,
        js,
        catalog: programs ?? createProgramCatalog(),
        logger,
        households: await openHouseholds(nc, replicas),
        summaries,
        taskQueue: settings.temporal.taskQueue,
        activity,
        index: await identityIndex(),
      });
      redemptions = r;
      cleanup('redemption service', () => r.stop());
    }

    const tokens = new StoreTokens(settings.stores);
    const host = settings.gateways.host;
    const eventTime = { limits: settings.events, now: () => new Date() };
    let identity: IdentityService | undefined;
    if (components.includes('identity')) {
      const index = await identityIndex();
      const households = await openHouseholds(nc, replicas);
      const flags = await openFlagStore(nc, replicas);
      const s = startIdentityService(nc, {
        index,
        households,
        summaries,
        activity,
        flags,
        temporal,
        taskQueue: settings.temporal.taskQueue,
        js,
        eventTime,
        logger,
      });
      identity = s;
      cleanup('identity service', () => s.stop());
      const watch = await startFraudWatch({
        js,
        flags,
        rules: settings.fraud,
        locations: settings.storeLocations,
        logger,
        block: (cardNumber, reason, at) => blockForWatch(index, cardNumber, reason, at),
      });
      cleanup('fraud watch', () => watch.stop());
      const f = serveFlags(nc, { flags, logger });
      cleanup('fraud flags', () => f.stop());
      const v = startCustomerViewService({
        nc,
        index,
        profiles: await profiles(),
        summaries: summaries as SummaryStore,
        households,
        flags,
        catalog: programs,
        logger,
      });
      cleanup('customer view', () => v.stop());
    }
    let till: TillGateway | undefined;
    if (components.includes('till')) {
      const t = await startTillGateway(
        {
          nc,
          js,
          jsm,
          tokens,
          logger,
          maxMessageBytes: settings.gateways.maxMessageBytes,
          eventTime,
          lookups: lookupLimit(settings.identity.lookupsPerMinute),
        },
        { host, port: options.ephemeralPorts ? 0 : settings.gateways.tillPort },
      );
      till = t;
      cleanup('till gateway', () => t.close());
    }
    let web: WebGateway | undefined;
    if (components.includes('web')) {
      const w = await startWebGateway(
        {
          nc,
          js,
          tokens,
          logger,
          backOfficeToken: settings.backOfficeToken,
          maxMessageBytes: settings.gateways.maxMessageBytes,
          eventTime,
          lookups: lookupLimit(settings.identity.lookupsPerMinute),
        },
        { host, port: options.ephemeralPorts ? 0 : settings.gateways.webPort },
      );
      web = w;
      cleanup('web gateway', () => w.close());
    }
    let dashboard: DashboardGateway | undefined;
    let staff: StaffDirectory | undefined;
    if (components.includes('dashboard')) {
      const directory = await openStaffDirectory(nc, { hasher: argon2Hasher, ...replicas });
      staff = directory;
      const sessions = await openSessions(nc, {
        directory,
        minutes: settings.console.sessionMinutes,
        ...replicas,
      });
      const d = await startDashboardGateway(
        {
          nc,
          logger,
          summaries: summaries as SummaryStore,
          marks: await openChartMarks(nc, replicas),
          catalog: currentCatalog,
          versions: publishedVersions,
          lookUp: async (identifier) => (await identityIndex()).lookUp(identifier),
          findByName: (await profiles()).findByName,
          audit: auditLog(js),
          js,
          eventTime,
          auth: {
            directory,
            sessions,
            signInAttempts: settings.console.signInAttempts,
            secureCookies: settings.console.secureCookies,
            now: () => new Date(),
          },
        },
        { host, port: options.ephemeralPorts ? 0 : settings.gateways.dashboardPort },
      );
      dashboard = d;
      cleanup('dashboard gateway', () => d.close());
    }

    return {
      settings,
      temporalAddress,
      temporalUiUrl,
      natsUrl,
      nc,
      js,
      jsm,
      temporal,
      servers,
      store,
      sink,
      router,
      redemptions,
      identity,
      programs,
      till,
      web,
      dashboard,
      staff,
      startWorker,
      stopWorker,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** `open`, called the first time the result is wanted and shared by every caller after. */
function openedOnce<T>(open: () => Promise<T>): () => Promise<T> {
  let opened: Promise<T> | undefined;
  return () => {
    opened ??= open();
    return opened;
  };
}
