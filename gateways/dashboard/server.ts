/**
 * The dashboard gateway: serves the marketers' live page (`dashboards/live/`) over HTTP and
 * pushes its figures once a second over Socket.io. The figures come from plain NATS
 * subscriptions on the events, ledger and cue subjects (JetStream publishes are ordinary NATS
 * messages too), so the dashboard takes nothing from the streams' consumers and costs the hot
 * path nothing. A browser proves it may watch with the marketer token in the Socket.io auth
 * payload; the page takes it from the URL fragment, which never reaches a server or its logs.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import type { z } from 'zod';
import { cue, ledgerEntry } from '../../engine/domain/effects.ts';
import { ClienteleError, connectError } from '../../engine/domain/error-codes.ts';
import { retailEvent } from '../../engine/domain/events.ts';
import { CUE_SUBJECTS, EVENT_SUBJECTS, LEDGER_SUBJECTS } from '../../engine/streams/topology.ts';
import { sameToken } from '../shared/store-tokens.ts';
import { type AnalyticsApiDeps, addAnalyticsRoutes } from './analytics-api.ts';
import { requireMarketer } from './api-auth.ts';
import { LiveFigures } from './live-figures.ts';
import { addReplayRoutes } from './replay-api.ts';

/** Where the page and its assets live. */
export const DASHBOARD_PAGE_DIR = fileURLToPath(new URL('../../dashboards/live/', import.meta.url));

export interface DashboardGatewayDeps {
  nc: NatsConnection;
  logger: Logger;
  /** The marketer token a browser must present. */
  token: string;
  /** Milliseconds between two pushes of the figures (1000). */
  intervalMs?: number;
  /** The clock (Date.now); the aggregator itself never reads one. */
  now?: () => number;
}

export interface DashboardGateway {
  /** `http://host:port`: open `<url>/#token=<token>`. */
  readonly url: string;
  /** The current figures, as the browsers get them. */
  figures(): ReturnType<LiveFigures['figures']>;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/** Only the page's own files, the Socket.io client and the socket itself: nothing from elsewhere. */
const pageHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

/**
 * With `api`, also the marketers' API: the analytics questions (`/api/analytics/<question>`,
 * analytics-api.ts) and customers' states rebuilt from the log (`/api/customers/<id>/state`).
 */
export function createDashboardApp(pageDir = DASHBOARD_PAGE_DIR, api?: AnalyticsApiDeps) {
  const app = new Hono();
  app.get('/health', (c) => c.json({ ok: true }));
  if (api) {
    requireMarketer(app, api.token);
    addAnalyticsRoutes(app, api);
    addReplayRoutes(app, api);
  }

  const serveFile = async (name: string) => {
    // A bare file name of the page's folder: no path separators, no dot files.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) return undefined;
    const type = contentTypes[extname(name)];
    if (!type) return undefined;
    const path = join(pageDir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    return new Response(new Uint8Array(await readFile(path)), {
      headers: { ...pageHeaders, 'content-type': type },
    });
  };

  app.get(
    '/',
    async (c) => (await serveFile('index.html')) ?? c.text('dashboard page missing', 500),
  );
  app.get('/:file', async (c) => (await serveFile(c.req.param('file'))) ?? c.notFound());
  return app;
}

export async function startDashboardGateway(
  deps: DashboardGatewayDeps,
  listen: { host: string; port: number },
): Promise<DashboardGateway> {
  const { nc, logger } = deps;
  const now = deps.now ?? Date.now;
  const live = new LiveFigures();

  const app = createDashboardApp(DASHBOARD_PAGE_DIR, { nc, token: deps.token });
  const http = createServer(getRequestListener(app.fetch));
  const io = new Server(http, {
    // Serves /socket.io/socket.io.min.js from the socket.io package itself: no CDN.
    serveClient: true,
    // Browsers only listen; the handshake with the token is all they ever send.
    maxHttpBufferSize: 4096,
  });

  io.use((socket, next) => {
    const token: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || !sameToken(token, deps.token)) {
      const issues = [{ field: 'token', message: 'is not the marketer token' }];
      next(connectError(new ClienteleError('unauthorized', issues)));
      return;
    }
    next();
  });
  io.on('connection', (socket) => {
    socket.emit('figures', live.figures(now()));
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

  const subscribe = <T>(
    subject: string,
    schema: z.ZodType<T>,
    add: (value: T, at: number) => boolean,
  ): Subscription =>
    nc.subscribe(subject, {
      callback: (err: Error | null, msg: Msg) => {
        if (err) {
          logger.warn({ err, subject }, 'dashboard subscription error');
          return;
        }
        let json: unknown;
        try {
          json = msg.json();
        } catch {
          return; // not JSON: the router dead-letters it; nothing to count
        }
        const parsed = schema.safeParse(json);
        if (parsed.success) add(parsed.data, now());
      },
    });
  const subscriptions = [
    subscribe(EVENT_SUBJECTS, retailEvent, (e, at) => live.addEvent(e, at)),
    subscribe(LEDGER_SUBJECTS, ledgerEntry, (e, at) => live.addLedgerEntry(e, at)),
    subscribe(CUE_SUBJECTS, cue, (c, at) => live.addCue(c, at)),
  ];
  // Make sure the server knows of the subscriptions before anyone is told the URL.
  await nc.flush();

  const timer = setInterval(() => {
    if (io.engine.clientsCount > 0) io.emit('figures', live.figures(now()));
  }, deps.intervalMs ?? 1000);
  timer.unref();

  const address = http.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;
  logger.info({ url }, 'dashboard listening');

  return {
    url,
    figures: () => live.figures(now()),
    async close() {
      clearInterval(timer);
      for (const sub of subscriptions) sub.unsubscribe();
      await io.close(); // also closes the HTTP server
    },
  };
}
