/**
 * The console in headless Chromium against a real stack (till gateway, engine, sink, console):
 * each role signs in through the sign-in page; a till's sale moves the stored figures live; the
 * period and chart type switch; a mark is added and kept; a chart's CSV holds exactly the
 * figures the API answers; a store manager reaches nothing of another store by page, API or
 * socket. Every page is screenshot at a till's and a laptop's size, checked by axe-core, and
 * must log no error.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import type { Role } from '../../engine/domain/staff/roles.ts';
import { writeGenerated } from '../../engine/generator/write.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import {
  accessibility,
  screenshot,
  shows,
  signInOnPage,
  startBrowser,
  type TestBrowser,
} from '../support/browser.ts';
import { saleInput, uniqueId } from '../support/events.ts';
import { eventually, startTestStack } from '../support/stack.ts';
import { addStaff, signIn } from '../support/staff.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

let stack: Stack;
let url: string;
let browser: TestBrowser;
let till: TestTill;

beforeAll(async () => {
  browser = await startBrowser();
  stack = await startTestStack(['worker', 'router', 'till', 'sink', 'dashboard']);
  url = stack.dashboard?.url as string;
  // A year of a small retailer's history up to yesterday, so every chart has figures to draw.
  const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString().slice(0, 10);
  await writeGenerated(stack.store as AnalyticsStore, {
    seed: 20,
    customers: 400,
    saleLines: 6_000,
    stores: 3,
    skus: 60,
    from: day(400),
    to: day(1),
    currency: 'EUR',
  });
  till = await connectTill(
    stack.till?.url as string,
    'S001',
    'T1',
    stack.settings.stores.S001 as string,
  );
});

afterAll(async () => {
  till?.close();
  await browser?.close();
  await stack?.stop();
});

const today = () => new Date().toISOString().slice(0, 10);

function saleNow(amount: number) {
  return saleInput({
    occurredAt: new Date().toISOString(),
    customerId: `c-${uniqueId('bro').replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 40),
    lines: [
      {
        lineId: '1',
        sku: 'ESP-MACH-1',
        category: 'machines',
        quantity: 1,
        unitPrice: amount,
        fullPrice: amount,
        discount: 0,
        unitCost: Math.floor(amount / 2),
      },
    ],
    tenders: [{ type: 'card', amount }],
  });
}

async function signedInPage(role: Role, stores?: string[]) {
  const userId = await addStaff(stack, role, stores ? { stores } : {});
  const page = await browser.newPage();
  await signInOnPage(page, url, userId);
  return { page, userId };
}

/** The page has loaded its figures (the live status and the first chart). */
async function consoleReady(page: Page) {
  await shows(page, '#status', 'live');
  await page.locator('body[data-loaded="true"]').waitFor();
  expect(
    await page.locator('#problem').isVisible(),
    (await page.locator('#problem').textContent()) ?? '',
  ).toBe(false);
}

const attribute = (page: Page, selector: string, name: string, expected: string) =>
  eventually(
    async () => ((await page.locator(selector).getAttribute(name)) === expected ? true : undefined),
    10_000,
    `${selector} [${name}=${expected}]`,
  );

describe('the console in a browser', () => {
  it('signs in each role, each landing where its role may go', async () => {
    const landing: Record<Role, string> = {
      marketer: 'Console',
      admin: 'Console',
      'store-manager': 'Console',
      associate: 'Customers',
      'service-desk': 'Customers',
    };
    for (const [role, heading] of Object.entries(landing) as [Role, string][]) {
      const stores = role === 'store-manager' || role === 'associate' ? ['S001'] : undefined;
      const { page } = await signedInPage(role, stores);
      await shows(page, 'h1', heading);
      if (heading === 'Console') {
        await consoleReady(page);
        await shows(page, '#who', new RegExp(`· ${role}`));
        await screenshot(page, `console-${role}`);
      }
      await page.close();
    }
    const wrong = await browser.newPage('till');
    await wrong.goto(`${url}/`);
    expect(new URL(wrong.url()).pathname).toBe('/sign-in');
    await wrong.getByLabel('User id').fill('nobody');
    await wrong.getByLabel('Password').fill('not the password');
    await wrong.getByRole('button', { name: 'Sign in' }).click();
    await shows(wrong, '#problem', 'wrong user id or password');
    await screenshot(wrong, 'sign-in');
    expect(await accessibility(wrong)).toEqual([]);
    await wrong.close();
  });

  it('shows a till sale in the stored figures within seconds', async () => {
    const { page } = await signedInPage('marketer');
    await consoleReady(page);
    const before = Number((await page.locator('#receipts').textContent())?.replaceAll(',', ''));
    expect(await till.send(saleNow(123_456))).toMatchObject({ ok: true, duplicate: false });
    await shows(page, '#receipts', String(before + 1));
    await shows(page, '#sales-minute', /^[1-9]/);
    expect(Number(await page.locator('#events-per-second').textContent())).toBeGreaterThan(0);
    await shows(page, '#stores tbody tr[data-store="S001"] td:nth-child(2)', 'S001');
    // The accrual reaches the ledger and the points figures.
    await shows(page, '#points-accrued', /^[1-9][0-9,]*$/);
    expect(await accessibility(page)).toEqual([]);
    await page.close();
  });

  it('switches period and chart type, keeps a mark, exports the chart as PNG and CSV', async () => {
    const { page, userId } = await signedInPage('marketer');
    await consoleReady(page);
    const sales = page.locator('#chart-sales');
    expect(await sales.getAttribute('data-points')).toBe('7');
    for (const [period, points] of [
      ['Month', '30'],
      ['Year', '12'],
      ['Month', '30'],
    ]) {
      await page.getByRole('button', { name: period as string }).click();
      await attribute(page, '#chart-sales', 'data-points', points as string);
    }
    expect(await page.getByRole('button', { name: 'Month' }).getAttribute('aria-pressed')).toBe(
      'true',
    );

    await sales.getByRole('button', { name: 'Lines' }).click();
    await attribute(page, '#chart-sales', 'data-type', 'line');

    await sales.getByRole('button', { name: 'Add mark' }).click();
    await sales.getByLabel('Day').fill(today());
    await sales.getByLabel('Mark', { exact: true }).fill('Espresso week starts');
    await sales.getByRole('button', { name: 'Save mark' }).click();
    await shows(page, '#chart-sales .mark-list li span', `${today()} · Espresso week starts`);
    await screenshot(page, 'console-month-lines-marked');
    await page.reload();
    await consoleReady(page);
    await shows(page, '#chart-sales .mark-list li span', `${today()} · Espresso week starts`);

    // The CSV holds the figures the API answers for the same days, in decimal money.
    const [csvDownload] = await Promise.all([
      page.waitForEvent('download'),
      sales.getByRole('button', { name: 'CSV' }).click(),
    ]);
    expect(csvDownload.suggestedFilename()).toBe('sales.csv');
    const csv = readFileSync(await csvDownload.path(), 'utf8')
      .trim()
      .split('\r\n');
    expect(csv[0]).toBe('period,net,margin');
    expect(csv.length).toBe(1 + 7);
    const from = csv[1]?.split(',')[0] as string;
    const marketer = await signIn(url, userId);
    const api = await marketer.get<{ rows: { day: string; net: number; margin: number }[] }>(
      `/api/analytics/sales?by=day&from=${from}&to=${today()}`,
    );
    const decimal = (minor: number) =>
      `${Math.trunc(minor / 100)}.${String(Math.abs(minor % 100)).padStart(2, '0')}`;
    for (const line of csv.slice(1)) {
      const [day, net, margin] = line.split(',');
      const row = api.body.rows.find((r) => String(r.day).slice(0, 10) === day);
      expect([net, margin], day).toEqual([decimal(row?.net ?? 0), decimal(row?.margin ?? 0)]);
    }
    expect(api.body.rows.reduce((s, r) => s + r.net, 0)).toBeGreaterThan(0);

    const [pngDownload] = await Promise.all([
      page.waitForEvent('download'),
      sales.getByRole('button', { name: 'PNG' }).click(),
    ]);
    const png = readFileSync(await pngDownload.path());
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(5_000);
    expect(await accessibility(page)).toEqual([]);
    await page.close();
  });

  it("keeps a store manager out of another store's figures, by page, API and socket", async () => {
    const { page } = await signedInPage('store-manager', ['S002']);
    await consoleReady(page);
    expect(await page.locator('#stores tbody tr[data-store="S001"]').count()).toBe(0);
    expect(await page.locator('#chart-points').count()).toBe(0);
    expect(await page.locator('#liability').isVisible()).toBe(false);
    const answers = await page.evaluate(async () => {
      const status = async (path: string) => (await fetch(path)).status;
      const io = (window as unknown as { io: (o: unknown) => { emit: (...a: unknown[]) => void } })
        .io;
      const socket = io({ transports: ['websocket'] });
      const watch = (request: unknown) =>
        new Promise<{ ok: boolean; error?: { code: string } }>((resolve) =>
          socket.emit('watch', request, resolve),
        );
      return {
        otherStore: await status('/api/analytics/sales?stores=S001'),
        points: await status('/api/analytics/points'),
        ownStore: await status('/api/analytics/sales?stores=S002'),
        allRoom: await watch({}),
        otherRoom: await watch({ stores: ['S001'] }),
        ownRoom: await watch({ stores: ['S002'] }),
      };
    });
    expect(answers).toMatchObject({
      otherStore: 403,
      points: 403,
      ownStore: 200,
      allRoom: { ok: false, error: { code: 'forbidden' } },
      otherRoom: { ok: false, error: { code: 'forbidden' } },
      ownRoom: { ok: true },
    });
    await screenshot(page, 'console-store-manager-S002');
    expect(await accessibility(page)).toEqual([]);
    await page.close();
  });

  it('puts the stores on a map with their figures, a store manager seeing theirs only', async () => {
    const { page } = await signedInPage('marketer');
    await page.goto(`${url}/stores`);
    await page.locator('body[data-loaded="true"]').waitFor();
    const marketer = await signIn(url, await addStaff(stack, 'marketer'));
    const outlets = await marketer.get<{ rows: { store: string }[] }>('/api/analytics/stores');
    expect(outlets.body.rows.length).toBe(3);
    // The web shop has no shop floor to put on the map.
    expect(await page.locator('#chart-stores-map').getAttribute('data-points')).toBe('2');
    expect(await page.locator('#outlets tbody tr').count()).toBe(3);
    const performance = await marketer.get<{ rows: { store: string; net: number }[] }>(
      '/api/analytics/store-performance?period=month',
    );
    const top = [...performance.body.rows].sort((a, b) => b.net - a.net)[0];
    expect(await page.locator('#outlets tbody tr:first-child').getAttribute('data-store')).toBe(
      top?.store,
    );
    await page.getByRole('button', { name: 'Year' }).click();
    await shows(page, '#range', new RegExp(`^${new Date().getUTCFullYear()}-01-01 – `));
    await screenshot(page, 'stores');
    expect(await accessibility(page)).toEqual([]);
    await page.close();

    const { page: own } = await signedInPage('store-manager', ['S002']);
    await own.goto(`${url}/stores`);
    await own.locator('body[data-loaded="true"]').waitFor();
    expect(await own.locator('#outlets tbody tr').count()).toBe(1);
    expect(await own.locator('#outlets tbody tr').getAttribute('data-store')).toBe('S002');
    expect(await own.locator('#chart-stores-map').getAttribute('data-points')).toBe('1');
    const foreign = await own.evaluate(
      async () => (await fetch('/api/analytics/store-performance?stores=S001')).status,
    );
    expect(foreign).toBe(403);
    await screenshot(own, 'stores-store-manager');
    await own.close();

    // An associate has no stores page.
    const { page: clerk } = await signedInPage('associate', ['S002']);
    expect((await clerk.goto(`${url}/stores`))?.status()).toBe(403);
    await clerk.close();
  });

  it('logged no error on any page but the refusals the tests asked for', () => {
    const unexpected = browser.errors.filter(
      (e) => !/status of (401|403)/.test(e) && !e.includes('/sign-in'),
    );
    expect(unexpected).toEqual([]);
  });
});
