/**
 * The console gateway on a real stack: staff sign in with a password (hashed in the staff
 * directory on NATS KV), get an HttpOnly session cookie, and every page, API call and socket
 * room checks their role and stores on the server. A store manager watches their store's room
 * and no other; a sale at a till shows in the rooms it belongs to; marks are each member's own.
 */
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../engine/runtime/stack.ts';
import { openSessions } from '../../engine/staff/sessions.ts';
import type { StaffDirectory } from '../../engine/staff/staff-directory.ts';
import type { LivePush } from '../../gateways/dashboard/live-rooms.ts';
import { saleInput, uniqueId } from '../support/events.ts';
import { startTestStack } from '../support/stack.ts';
import {
  addStaff,
  type SignedInClient,
  signIn,
  staffMember,
  TEST_PASSWORD,
} from '../support/staff.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

let stack: Stack;
let url: string;
let tills: Record<'S001' | 'S002', TestTill>;
const sockets: Socket[] = [];

beforeAll(async () => {
  stack = await startTestStack(['worker', 'router', 'till', 'dashboard']);
  url = stack.dashboard?.url as string;
  const till = (store: 'S001' | 'S002') =>
    connectTill(stack.till?.url as string, store, 'T1', stack.settings.stores[store] as string);
  tills = { S001: await till('S001'), S002: await till('S002') };
});

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  for (const till of Object.values(tills ?? {})) till.close();
  await stack?.stop();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

function connect(cookie?: string): Socket {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    ...(cookie ? { extraHeaders: { cookie } } : {}),
  });
  sockets.push(socket);
  return socket;
}

const connected = (socket: Socket) =>
  new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });

function watch(
  socket: Socket,
  request: unknown,
): Promise<{ ok: boolean; error?: { code: string; issues: { field: string }[] } }> {
  return new Promise((resolve) => socket.emit('watch', request, resolve));
}

/** The next push of a scope that passes `predicate`. */
function pushFor(
  socket: Socket,
  predicate: (p: LivePush) => boolean,
  ms = 30_000,
): Promise<LivePush> {
  return new Promise((resolve, reject) => {
    let last: LivePush | undefined;
    const timer = setTimeout(() => {
      socket.off('figures', listener);
      reject(new Error(`no matching push within ${ms} ms; last: ${JSON.stringify(last)}`));
    }, ms);
    const listener = (p: LivePush) => {
      last = p;
      if (predicate(p)) {
        clearTimeout(timer);
        socket.off('figures', listener);
        resolve(p);
      }
    };
    socket.on('figures', listener);
  });
}

const saleAt = (storeId: string, amount: number) =>
  saleInput({
    storeId,
    customerId: `c-${uniqueId('cg').replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 40),
    lines: [
      {
        lineId: '1',
        sku: 'TEA',
        category: 'tea',
        quantity: 1,
        unitPrice: amount,
        fullPrice: amount,
        discount: 0,
        unitCost: 100,
      },
    ],
    tenders: [{ type: 'card', amount }],
  });

describe('signing in', () => {
  it('signs a member in with an HttpOnly, SameSite=Strict cookie and says who they are', async () => {
    const userId = await addStaff(stack, 'store-manager', { stores: ['S002'] });
    const res = await post('/api/session', { userId, password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^clientele_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const body = await res.json();
    expect(body).toMatchObject({
      ok: true,
      userId,
      role: 'store-manager',
      stores: ['S002'],
      permissions: ['figures', 'customers.read', 'stores'],
    });
    // The answer never carries the token, nor anything of the password.
    expect(JSON.stringify(body)).not.toContain(cookie.slice(18, 61));
    const client = await signIn(url, userId);
    expect((await client.get('/api/session')).body).toMatchObject({
      userId,
      role: 'store-manager',
    });
  });

  it('refuses a wrong password and an unknown user alike, then makes the user wait', async () => {
    const userId = await addStaff(stack, 'marketer');
    const wrong = await post('/api/session', { userId, password: 'not the password at all' });
    const unknown = await post('/api/session', { userId: 'nobody-here', password: TEST_PASSWORD });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({
        ok: false,
        error: {
          code: 'unauthorized',
          issues: [{ field: 'session', message: 'wrong user id or password' }],
        },
      });
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    for (let i = 1; i < stack.settings.console.signInAttempts; i++) {
      await post('/api/session', { userId, password: `wrong guess ${i}` });
    }
    // Now even the right password waits: a guesser cannot tell when they hit it.
    const blocked = await post('/api/session', { userId, password: TEST_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(await blocked.json()).toMatchObject({
      error: { code: 'rate_limited', issues: [{ field: 'userId' }] },
    });
    const missing = await post('/api/session', { userId });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      error: { code: 'invalid_request', issues: [{ field: 'password' }] },
    });
  });

  it('ends a session on sign-out, and every session of a member disabled', async () => {
    const client = await staffMember(stack, 'marketer');
    expect((await client.get('/api/session')).status).toBe(200);
    expect((await client.fetch('/api/session', { method: 'DELETE' })).status).toBe(200);
    const after = await client.get<{ error: { code: string; message: string } }>('/api/session');
    expect(after.status).toBe(401);
    expect(after.body.error.message).toBe('session: has expired or ended: sign in again');

    const other = await staffMember(stack, 'marketer');
    expect((await other.get('/api/session')).status).toBe(200);
    await (stack.staff as StaffDirectory).update(other.userId, (m) => ({
      ...m,
      disabledAt: new Date().toISOString(),
    }));
    expect((await other.get('/api/session')).status).toBe(401);
    expect(
      (await post('/api/session', { userId: other.userId, password: TEST_PASSWORD })).status,
    ).toBe(401);
  });

  it('lets a session expire', async () => {
    const directory = stack.staff as StaffDirectory;
    const sessions = await openSessions(stack.nc, { directory, minutes: 5 });
    const member = await directory.get(await addStaff(stack, 'marketer'));
    const now = new Date();
    const { token, expiresAt } = await sessions.start(member as NonNullable<typeof member>, now);
    expect(Date.parse(expiresAt) - now.getTime()).toBe(5 * 60_000);
    expect((await sessions.find(token, new Date(now.getTime() + 4 * 60_000)))?.member.userId).toBe(
      member?.userId,
    );
    expect(await sessions.find(token, new Date(now.getTime() + 5 * 60_000))).toBeUndefined();
    expect(await sessions.find('x'.repeat(43), now)).toBeUndefined();
  });
});

describe('pages and roles', () => {
  it('sends a visitor without a session to the sign-in page, and back afterwards', async () => {
    const res = await fetch(`${url}/`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/sign-in?next=%2F');
    const signInPage = await fetch(`${url}/sign-in`);
    expect(signInPage.status).toBe(200);
    expect(signInPage.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await signInPage.text()).toContain('id="sign-in"');
    for (const path of ['/api/session', '/api/console', '/api/marks']) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(401);
    }
  });

  it('opens the console to roles with figures, with the pages each may open', async () => {
    const marketer = await staffMember(stack, 'marketer');
    const page = await marketer.fetch('/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h1>Console</h1>');
    expect((await marketer.get('/api/console')).body).toMatchObject({
      pages: [
        { path: '/', label: 'Console' },
        { path: '/customers', label: 'Customers' },
        { path: '/segments', label: 'Segments' },
        { path: '/programs', label: 'Programs' },
        { path: '/stores', label: 'Stores' },
      ],
      currency: 'EUR',
      pointValue: { points: 100, minor: 100 },
      segments: [],
    });
    const desk = await staffMember(stack, 'service-desk');
    // The service desk has no figures: the console's address sends it to its customers.
    const home = await desk.fetch('/', { redirect: 'manual' });
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toBe('/customers');
    const refused = await desk.fetch('/customers', { redirect: 'manual' });
    expect(refused.status).toBe(200);
    expect((await desk.get<{ pages: unknown[] }>('/api/console')).body.pages).toEqual([
      { path: '/customers', label: 'Customers' },
    ]);
  });

  it('serves the scripts, the shared style sheet, the chart library and the Socket.io client, and nothing else', async () => {
    for (const path of [
      '/assets/console.js',
      '/shared/money.js',
      '/vendor/echarts.min.js',
      '/socket.io/socket.io.min.js',
    ]) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/javascript/);
    }
    const base = await fetch(`${url}/shared/base.css`);
    expect(base.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await base.text()).toContain('.panel');
    for (const path of [
      '/assets/..%2f..%2fpackage.json',
      '/assets/.env',
      '/vendor/echarts.js',
      '/package.json',
    ]) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(404);
    }
  });
});

describe('live rooms', () => {
  it('refuses a socket without a session', async () => {
    const refused = await connected(connect()).then(
      () => undefined,
      (err: Error & { data?: unknown }) => err,
    );
    expect(refused).toMatchObject({ data: { code: 'unauthorized' } });
    const stale = await connected(connect('clientele_session=not-a-session')).catch((e) => e);
    expect(stale).toMatchObject({ data: { code: 'unauthorized' } });
  });

  it("keeps a store manager in their store's room, and shows each till's sale where it belongs", async () => {
    const marketer = await staffMember(stack, 'marketer');
    const manager = await staffMember(stack, 'store-manager', { stores: ['S002'] });
    const associate = await staffMember(stack, 'associate', { stores: ['S002'] });

    const all = connect(marketer.cookie);
    await connected(all);
    expect(await watch(all, {})).toEqual({ ok: true, rooms: ['figures:all'] });

    const own = connect(manager.cookie);
    await connected(own);
    expect(await watch(own, {})).toMatchObject({
      ok: false,
      error: { code: 'forbidden', issues: [{ field: 'role' }] },
    });
    expect(await watch(own, { stores: ['S001'] })).toMatchObject({
      ok: false,
      error: { code: 'forbidden', issues: [{ field: 'stores' }] },
    });
    expect(await watch(own, { stores: ['S002', 'S001'] })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(await watch(own, { stores: ['S002'] })).toEqual({
      ok: true,
      rooms: ['figures:store:S002'],
    });

    const clerk = connect(associate.cookie);
    await connected(clerk);
    expect(await watch(clerk, { stores: ['S002'] })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });

    const seenByManager: LivePush[] = [];
    own.on('figures', (p: LivePush) => seenByManager.push(p));

    expect(await tills.S001.send(saleAt('S001', 1_000))).toMatchObject({ ok: true });
    const allAfterFirst = await pushFor(all, (p) => p.figures.lastMinute.sales >= 1);
    expect(allAfterFirst).toMatchObject({ scope: 'all' });
    expect(allAfterFirst.figures.lastMinute.revenue).toEqual({ EUR: 1_000 });

    expect(await tills.S002.send(saleAt('S002', 2_500))).toMatchObject({ ok: true });
    const storePush = await pushFor(own, (p) => p.figures.lastMinute.sales >= 1);
    expect(storePush.scope).toBe('S002');
    expect(storePush.figures.lastMinute.revenue).toEqual({ EUR: 2_500 });
    const allPush = await pushFor(all, (p) => p.figures.lastMinute.sales >= 2);
    expect(allPush.figures.lastMinute.revenue).toEqual({ EUR: 3_500 });
    // The manager's room never carried S001's sale.
    expect(seenByManager.every((p) => p.scope === 'S002')).toBe(true);
    expect(seenByManager.some((p) => p.changed)).toBe(true);
    expect(Math.max(...seenByManager.map((p) => p.figures.lastMinute.revenue.EUR ?? 0))).toBe(
      2_500,
    );
  });
});

describe('chart marks', () => {
  it("keeps each member's own marks, and refuses a bad one naming the field", async () => {
    const one: SignedInClient = await staffMember(stack, 'marketer');
    const two = await staffMember(stack, 'marketer');
    const add = (client: SignedInClient, body: unknown) =>
      client.fetch('/api/marks', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const added = await add(one, { chart: 'sales', day: '2026-11-27', label: 'Black Friday' });
    expect(added.status).toBe(201);
    const { mark } = (await added.json()) as { mark: { markId: string } };
    expect((await one.get('/api/marks?chart=sales')).body).toMatchObject({
      marks: [{ chart: 'sales', day: '2026-11-27', label: 'Black Friday', markId: mark.markId }],
    });
    expect((await one.get<{ marks: unknown[] }>('/api/marks?chart=points')).body.marks).toEqual([]);
    expect((await two.get<{ marks: unknown[] }>('/api/marks')).body.marks).toEqual([]);
    // Another member cannot remove it.
    expect((await two.fetch(`/api/marks/${mark.markId}`, { method: 'DELETE' })).status).toBe(400);

    const bad = await add(one, { chart: 'sales', day: '27/11/2026', label: '' });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { issues: { field: string }[] } };
    expect(body.error.issues.map((i) => i.field).sort()).toEqual(['day', 'label']);
    const form = await one.fetch('/api/marks', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://elsewhere.example',
      },
      body: 'chart=sales&day=2026-11-27&label=x',
    });
    expect(form.status).toBe(403);
    expect(await form.json()).toMatchObject({
      error: { code: 'forbidden', issues: [{ field: 'origin' }] },
    });

    expect((await one.fetch(`/api/marks/${mark.markId}`, { method: 'DELETE' })).status).toBe(200);
    expect((await one.get<{ marks: unknown[] }>('/api/marks')).body.marks).toEqual([]);
    // An associate has no charts to mark.
    const associate = await staffMember(stack, 'associate', { stores: ['S001'] });
    expect((await add(associate, { chart: 'sales', day: '2026-11-27', label: 'x' })).status).toBe(
      403,
    );
  });
});
