/**
 * The console gateway: the pages of marketers, store managers, associates, the service desk and
 * admins (pages.ts), their API (`/api/…`), and the live socket (live-rooms.ts), all behind a
 * staff sign-in (staff-auth.ts) whose role and stores every route and room checks on the server.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import type { ProfileStore } from '../../engine/customer-view/profile-store.ts';
import type { SummaryStore } from '../../engine/customer-view/summary-store.ts';
import { ClienteleError } from '../../engine/domain/error-codes.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import type { ProgramCatalog } from '../../engine/domain/loyalty/versions.ts';
import type { IdentityIndex } from '../../engine/identity/identity-index.ts';
import type { AuditLog } from '../../engine/staff/audit-log.ts';
import type { ChartMarks } from '../../engine/staff/chart-marks.ts';
import { QUESTION_SUBJECT } from '../../engine/streams/topology.ts';
import { askService } from '../shared/ask-service.ts';
import { addAnalyticsRoutes } from './analytics-api.ts';
import { customerAccess } from './customer-access.ts';
import { addCustomerRoutes } from './customers-api.ts';
import { addGroupRoutes } from './groups-api.ts';
import { type LiveRooms, startLiveRooms } from './live-rooms.ts';
import { addMarkRoutes } from './marks-api.ts';
import { addPages, CONSOLE_PAGE_DIR } from './pages.ts';
import { addProgramRoutes } from './programs-api.ts';
import { addReplayRoutes } from './replay-api.ts';
import { addServiceDeskRoutes, type ServiceDeskDeps } from './service-desk-api.ts';
import {
  CONSOLE_PORTRAIT,
  SLOW_ANSWER_TTL_MS,
  type SlowAnswers,
  slowAnswers,
} from './slow-answers.ts';
import { addStaffRoutes } from './staff-api.ts';
import { addStaffAuth, type ConsoleEnv, fail, type StaffAuthDeps } from './staff-auth.ts';
import { addWhatIfRoutes } from './what-if-api.ts';

export interface DashboardGatewayDeps {
  nc: NatsConnection;
  logger: Logger;
  auth: StaffAuthDeps;
  /** The loyalty program's versions (its currency and point value, for the figures). */
  catalog: () => Promise<ProgramCatalog>;
  /** Every published version, for the program calendar. */
  versions: () => Promise<Program[]>;
  /** The staff's own marks on the charts. */
  marks: ChartMarks;
  /** Customers' home stores, for who may open whose record. */
  summaries: Pick<SummaryStore, 'read'>;
  /** Who holds a card, account number, phone or e-mail (the identity index). */
  lookUp: IdentityIndex['lookUp'];
  /** Who has a name (the profile store's name index). */
  findByName: ProfileStore['findByName'];
  /** Where every staff read of a customer is written before it is answered. */
  audit: AuditLog;
  /** Where the service desk's adjustments go, as events. */
  js: JetStreamClient;
  eventTime: ServiceDeskDeps['eventTime'];
  /** Milliseconds between two pushes of the live figures (1000). */
  intervalMs?: number;
}

export interface DashboardGateway {
  /** `http://host:port`: the console's sign-in page is `<url>/sign-in`. */
  readonly url: string;
  /** Settles once the console's slow-moving figures were first asked (slow-answers.ts). */
  readonly warmed: Promise<void>;
  /** The live figures of all stores or one, as the browsers get them. */
  figures: LiveRooms['figures'];
  close(): Promise<void>;
}

/** The console's HTTP routes: sign-in, the API behind it, and the pages. */
export function createConsoleApp(
  deps: Omit<DashboardGatewayDeps, 'intervalMs'> & { slow: SlowAnswers },
  pageDir = CONSOLE_PAGE_DIR,
) {
  const app = new Hono<ConsoleEnv>();
  app.onError((err, c) => {
    if (err instanceof ClienteleError) return fail(c, err);
    if (err instanceof HTTPException && err.status === 403) {
      // hono's csrf check: a form posted from another site.
      const issue = {
        field: 'origin',
        message: "is not this console's: changes come from its pages",
      };
      return fail(c, new ClienteleError('forbidden', [issue]));
    }
    deps.logger.error({ err, path: c.req.path }, 'console request failed');
    return fail(
      c,
      new ClienteleError('unavailable', [], 'the console could not answer: ask again'),
    );
  });
  app.get('/health', (c) => c.json({ ok: true }));
  addStaffAuth(app, deps.auth);
  addMarkRoutes(app, { marks: deps.marks, now: deps.auth.now });
  addAnalyticsRoutes(app, { nc: deps.nc, audit: deps.audit, slow: deps.slow });
  addGroupRoutes(app, { nc: deps.nc });
  addProgramRoutes(app, deps);
  const access = customerAccess({
    summaries: deps.summaries,
    directory: deps.auth.directory,
    audit: deps.audit,
  });
  addCustomerRoutes(app, { ...deps, access, directory: deps.auth.directory });
  addServiceDeskRoutes(app, { ...deps, access });
  addReplayRoutes(app, { nc: deps.nc, access, audit: deps.audit });
  addWhatIfRoutes(app, { nc: deps.nc, access, audit: deps.audit });
  addStaffRoutes(app, {
    directory: deps.auth.directory,
    access,
    audit: deps.audit,
    now: deps.auth.now,
  });
  addPages(app, { auth: deps.auth, catalog: deps.catalog, access }, pageDir);
  return app;
}

export async function startDashboardGateway(
  deps: DashboardGatewayDeps,
  listen: { host: string; port: number },
): Promise<DashboardGateway> {
  const { logger } = deps;
  const slow = slowAnswers({
    ask: (request) => askService(deps.nc, QUESTION_SUBJECT, request),
    now: Date.now,
  });
  const app = createConsoleApp({ ...deps, slow });
  const http = createServer(getRequestListener(app.fetch));
  const io = new Server(http, {
    // Serves /socket.io/socket.io.min.js from the socket.io package itself: no CDN.
    serveClient: true,
    // Browsers only listen, and ask which rooms to watch.
    maxHttpBufferSize: 4096,
  });
  const rooms = await startLiveRooms({
    io,
    nc: deps.nc,
    auth: deps.auth,
    logger,
    intervalMs: deps.intervalMs,
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', (err) => {
      void io.close();
      reject(err);
    });
    http.listen(listen.port, listen.host, () => {
      http.removeAllListeners('error');
      resolve();
    });
  });

  const address = http.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;
  logger.info({ url }, 'console listening');
  // Refreshed a minute before they would go stale.
  const warm = slow.keepWarm(CONSOLE_PORTRAIT, SLOW_ANSWER_TTL_MS - 60_000);

  return {
    url,
    warmed: warm.warmed,
    figures: rooms.figures,
    async close() {
      warm.stop();
      await rooms.stop();
      await io.close(); // also closes the HTTP server
    },
  };
}
