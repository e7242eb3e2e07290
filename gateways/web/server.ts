/**
 * The web gateway: the web shop (and any HTTP client of a store) sends the same events as the
 * tills, authenticated by the store's bearer token; a 202 means the event is stored in JetStream.
 * Routing by Hono: small, typed, and built on web standards.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import { ClienteleError, type ErrorAnswer, httpStatus } from '../../engine/domain/error-codes.ts';
import { type EventTime, publishEvent } from '../../engine/streams/publish-event.ts';
import {
  CANCEL_SUBJECT,
  IDENTIFY_SUBJECT,
  REDEEM_SUBJECT,
  REGISTER_SUBJECT,
  VIEW_SUBJECT,
} from '../../engine/streams/topology.ts';
import { askService } from '../shared/ask-service.ts';
import type { LookupLimit } from '../shared/lookup-limit.ts';
import { type StoreTokens, sameToken } from '../shared/store-tokens.ts';

export interface WebGatewayDeps {
  js: JetStreamClient;
  tokens: StoreTokens;
  logger: Logger;
  maxMessageBytes: number;
  eventTime: EventTime;
  /**
   * The back office's token: it reads a customer's whole record (the profile included) and
   * speaks for the store `HQ` on the channel `back-office`. Absent: no back office over HTTP.
   */
  backOfficeToken?: string;
  /** When given, `POST /v1/redemptions`, `/v1/customers…` ask the engine's services. */
  nc?: NatsConnection;
  /** How many `POST /v1/customers/identify` each store token may send; unlimited when absent. */
  lookups?: LookupLimit;
}

export interface WebGateway {
  readonly url: string;
  readonly stats: { eventsAccepted: number; eventsRefused: number };
  close(): Promise<void>;
}

/** Who is asking: a store's token, or the back office's. */
type Env = { Variables: { storeId: string; channel: 'web' | 'back-office' } };

/** The store the back office speaks for. */
export const BACK_OFFICE_STORE = 'HQ';

/** The bearer token of an `Authorization` header, or what is wrong with the header. */
function bearerToken(header: string | undefined): { token: string } | { problem: string } {
  if (header === undefined || header.trim() === '') {
    return { problem: 'is missing: send "Bearer <store token>"' };
  }
  const token = /^Bearer\s+(.*\S)\s*$/i.exec(header)?.[1];
  return token ? { token } : { problem: 'needs "Bearer <store token>"' };
}

/** An answer's HTTP status: the error table's for a refusal or failure. */
const statusOf = (answer: { ok: true } | ErrorAnswer, ok: 200 | 202 = 200) =>
  answer.ok ? ok : httpStatus(answer.error.code);

export function createWebApp(
  deps: WebGatewayDeps,
  stats = { eventsAccepted: 0, eventsRefused: 0 },
) {
  const app = new Hono<Env>();
  const fail = (c: Context<Env>, error: ClienteleError) =>
    c.json(error.toAnswer(), error.httpStatus);

  app.get('/health', (c) => c.json({ ok: true }));

  // Every /v1 route. Not knowing the store is `unauthorized` (401); `wrong_store` (403) is for a
  // known store sending another store's event.
  app.use('/v1/*', async (c, next) => {
    const bearer = bearerToken(c.req.header('authorization'));
    const backOffice =
      'token' in bearer && deps.backOfficeToken !== undefined
        ? sameToken(bearer.token, deps.backOfficeToken)
        : false;
    const storeId = backOffice
      ? BACK_OFFICE_STORE
      : 'token' in bearer
        ? deps.tokens.storeOf(bearer.token)
        : undefined;
    if (!storeId) {
      const problem = 'problem' in bearer ? bearer.problem : 'is not the token of any store';
      c.header('WWW-Authenticate', 'Bearer');
      return fail(
        c,
        new ClienteleError(
          'unauthorized',
          [{ field: 'authorization', message: problem }],
          `unauthorized: the Authorization header ${problem}`,
        ),
      );
    }
    c.set('storeId', storeId);
    c.set('channel', backOffice ? 'back-office' : 'web');
    await next();
  });

  app.post(
    '/v1/events',
    bodyLimit({
      maxSize: deps.maxMessageBytes,
      onError: (c) =>
        fail(
          c,
          new ClienteleError('too_large', [
            { field: '(body)', message: `is larger than ${deps.maxMessageBytes} bytes` },
          ]),
        ),
    }),
    async (c) => {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        stats.eventsRefused += 1;
        return fail(
          c,
          new ClienteleError('invalid_event', [{ field: '(body)', message: 'is not JSON' }]),
        );
      }
      const outcome = await publishEvent(
        deps.js,
        body,
        { storeId: c.get('storeId') },
        deps.eventTime,
      );
      if (outcome.ok) stats.eventsAccepted += 1;
      else stats.eventsRefused += 1;
      return c.json(outcome, statusOf(outcome, outcome.ok && !outcome.duplicate ? 202 : 200));
    },
  );

  const noNats = () =>
    new ClienteleError('unavailable', [], "the engine's services are not reachable");

  // Requests to the engine's services, answered at once. The store is the token's, the channel
  // `web`.
  const relay = (subject: string) => async (c: Context<Env>) => {
    if (!deps.nc) return fail(c, noNats());
    const body = await c.req.json().catch(() => undefined);
    const answer = await askService(deps.nc, subject, body ?? null, {
      storeId: c.get('storeId'),
      channel: c.get('channel'),
    });
    return c.json(answer, statusOf(answer));
  };
  // Paying with points on the web: the same requests as a till's.
  app.post('/v1/redemptions', relay(REDEEM_SUBJECT));

  // The path's redemption id goes in the request, so a malformed one is named `redemptionId`.
  app.post('/v1/redemptions/:redemptionId/cancel', async (c) => {
    if (!deps.nc) return fail(c, noNats());
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    const answer = await askService(
      deps.nc,
      CANCEL_SUBJECT,
      { customerId: body?.customerId, redemptionId: c.req.param('redemptionId') },
      { storeId: c.get('storeId'), channel: c.get('channel') },
    );
    return c.json(answer, statusOf(answer));
  });

  // A new member signed up on the web; a customer found by card, account number or contact.
  app.post('/v1/customers', relay(REGISTER_SUBJECT));
  const identify = relay(IDENTIFY_SUBJECT);
  app.post('/v1/customers/identify', async (c) => {
    const refused = await deps.lookups?.refusal(c.get('storeId'));
    return refused ? fail(c, refused) : identify(c);
  });

  // The customer 360 view: a store's token gets the till's view (no profile), the back office
  // the whole record. The scope is the gateway's to set, never the caller's.
  app.get('/v1/customers/:customerId', async (c) => {
    if (!deps.nc) return fail(c, noNats());
    const channel = c.get('channel');
    const answer = await askService(deps.nc, VIEW_SUBJECT, {
      customerId: c.req.param('customerId'),
      scope: channel === 'back-office' ? 'full' : 'till',
      storeId: c.get('storeId'),
      channel,
    });
    return c.json(answer, statusOf(answer));
  });

  return app;
}

export async function startWebGateway(
  deps: WebGatewayDeps,
  listen: { host: string; port: number },
): Promise<WebGateway> {
  const stats = { eventsAccepted: 0, eventsRefused: 0 };
  const app = createWebApp(deps, stats);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: listen.host, port: listen.port }, () =>
      resolve(s),
    );
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;
  deps.logger.info({ url }, 'web gateway listening');
  return {
    url,
    stats,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
