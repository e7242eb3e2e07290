/**
 * The marketers' dashboard on a real stack: a till's sale shows up in the figures pushed over
 * Socket.io (sales, revenue, then the points and cue the customer workflow derived), only for a
 * browser holding the marketer token; the page and the Socket.io client are served locally.
 */
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../engine/runtime/stack.ts';
import type { Figures } from '../../gateways/dashboard/live-figures.ts';
import { saleInput, uniqueId } from '../support/events.ts';
import { startTestStack } from '../support/stack.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

let stack: Stack;
let till: TestTill;
const sockets: Socket[] = [];

beforeAll(async () => {
  stack = await startTestStack(['worker', 'router', 'till', 'dashboard']);
  till = await connectTill(
    stack.till?.url as string,
    'S001',
    'T1',
    stack.settings.stores.S001 as string,
  );
});

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  till?.close();
  await stack?.stop();
});

function connectDashboard(token: unknown): Socket {
  const socket = io(stack.dashboard?.url as string, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  sockets.push(socket);
  return socket;
}

function waitForFigures(
  socket: Socket,
  predicate: (f: Figures) => boolean,
  ms = 30_000,
): Promise<Figures> {
  return new Promise((resolve, reject) => {
    let last: Figures | undefined;
    const timer = setTimeout(() => {
      socket.off('figures', listener);
      reject(new Error(`no matching figures within ${ms} ms; last: ${JSON.stringify(last)}`));
    }, ms);
    const listener = (f: Figures) => {
      last = f;
      if (predicate(f)) {
        clearTimeout(timer);
        socket.off('figures', listener);
        resolve(f);
      }
    };
    socket.on('figures', listener);
  });
}

function connectError(socket: Socket): Promise<Error> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connected with a bad token')));
    socket.once('connect_error', resolve);
  });
}

describe('dashboard gateway', () => {
  it('pushes figures that reflect a till sale to a marketer', async () => {
    const socket = connectDashboard(stack.settings.dashboardToken);
    const first = await waitForFigures(socket, () => true, 10_000);
    expect(first.total.sales).toBe(0);
    expect(first.total.revenue).toEqual({});

    const customerId = `c-${uniqueId('dash').replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 40);
    const sale = saleInput({ customerId }); // 3998 minor units → 39 points
    expect(await till.send(sale)).toMatchObject({ ok: true, duplicate: false });
    const anonymous = saleInput({
      customerId: undefined,
      lines: [
        {
          lineId: '1',
          sku: 'TEA',
          category: 'tea',
          quantity: 1,
          unitPrice: 500,
          fullPrice: 500,
          discount: 0,
          unitCost: 200,
        },
      ],
      tenders: [{ type: 'cash', amount: 500 }],
    });
    expect(await till.send(anonymous)).toMatchObject({ ok: true });
    // A resend after a lost ack is the same sale: counted once.
    expect(await till.send(sale)).toMatchObject({ ok: true, duplicate: true });

    const afterSales = await waitForFigures(socket, (f) => f.total.sales >= 2);
    expect(afterSales.total.sales).toBe(2);
    expect(afterSales.total.events).toBe(2);
    expect(afterSales.total.revenue).toEqual({ EUR: 3998 + 500 });
    expect(afterSales.lastMinute.revenue).toEqual({ EUR: 4498 });
    expect(afterSales.anonymousShare).toBe(0.5);
    expect(afterSales.stores).toEqual([
      { storeId: 'S001', sales: 2, returns: 0, revenue: { EUR: 4498 } },
    ]);
    expect(afterSales.eventsPerSecond).toBeGreaterThan(0);

    // The customer workflow's ledger entry and cue follow.
    await till.waitForCue((m) => m.cue.eventId === sale.eventId);
    const derived = await waitForFigures(socket, (f) => f.total.cues >= 1);
    expect(derived.total.cues).toBe(1);
    expect(derived.total.pointsIssued).toBe(39);
    expect(derived.total.sales).toBe(2);
  });

  it('refuses a wrong or missing token with "unauthorized"', async () => {
    const unauthorized = {
      message: 'unauthorized: token: is not the marketer token',
      data: {
        code: 'unauthorized',
        message: 'token: is not the marketer token',
        issues: [{ field: 'token', message: 'is not the marketer token' }],
      },
    };
    const wrong = await connectError(connectDashboard('not-the-marketer-token'));
    expect(wrong).toMatchObject(unauthorized);
    const missing = await connectError(connectDashboard(undefined));
    expect(missing).toMatchObject(unauthorized);
    // A store token is not a marketer token.
    const storeToken = await connectError(connectDashboard(stack.settings.stores.S001));
    expect(storeToken).toMatchObject(unauthorized);
  });

  it('serves the page, its assets and the Socket.io client, and nothing else', async () => {
    const url = stack.dashboard?.url as string;
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await page.text();
    expect(html).toContain('id="status"');
    expect(html).toContain('/socket.io/socket.io.min.js');

    const app = await fetch(`${url}/app.js`);
    expect(app.status).toBe(200);
    expect(app.headers.get('content-type')).toMatch(/^text\/javascript/);

    const client = await fetch(`${url}/socket.io/socket.io.min.js`);
    expect(client.status).toBe(200);
    expect(await client.text()).toContain('io');

    for (const path of ['/package.json', '/..%2fpackage.json', '/%2e%2e/package.json', '/.env']) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });
});
