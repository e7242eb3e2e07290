/**
 * The till screen in headless Chromium at a till's 1024×768, served by the till gateway against a
 * real stack under the grocer's program: a wrong token is refused by name, the right one signs
 * in; a member is identified by card with their points and cues; a sale rung up through the form
 * shows on its receipt the points the engine computed; points are redeemed (yes at once),
 * refused (no at once, and why), cancelled (balance back) and then pay part of a sale; a cue that
 * came while the connection was lost is shown, marked missed, after the reconnect. Each state is
 * screenshot and checked by axe-core, and the page must log no error.
 */
import type { Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomerView } from '../../engine/domain/customer/view.ts';
import { cardNumberOf } from '../../engine/domain/identity/card-number.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import {
  accessibility,
  screenshot,
  shows as showsOn,
  startBrowser,
  type TestBrowser,
} from '../support/browser.ts';
import { saleInput, uniqueId } from '../support/events.ts';
import { eventually, startTestStack, testSettings } from '../support/stack.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

const CARD = cardNumberOf('279901', 7201);
/** A well-formed card nobody holds. */
const UNISSUED_CARD = cardNumberOf('279901', 7299);
/** The page's till; the test's own client is another till of the same store. */
const TILL = 'T7';
/** The grocer's welcome bonus (config/programs/grocer.yaml). */
const WELCOME_POINTS = 100;

let stack: Stack;
let url: string;
let token: string;
let browser: TestBrowser;
let helper: TestTill;
let page: Page;
let member: string;

/** The page's socket goes through here, so that the test can cut it as a lost network would. */
let online = true;
const openSockets = new Set<{ page: WebSocketRoute; server: WebSocketRoute }>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The member's 360 view as a till sees it; polled gently (look-ups are limited per till). */
async function viewUntil(what: string, ok: (view: CustomerView) => boolean): Promise<CustomerView> {
  return eventually(
    async () => {
      await sleep(400);
      const view = (await helper.socket
        .timeout(15_000)
        .emitWithAck('customer:view', { customerId: member })) as CustomerView;
      return view.ok && ok(view) ? view : undefined;
    },
    30_000,
    what,
  );
}

/** Waits until the element on the till's page shows `expected`. */
const shows = (selector: string, expected: string | RegExp, ms?: number) =>
  showsOn(page, selector, expected, ms);

const numberIn = async (selector: string) =>
  Number(((await page.locator(selector).textContent()) ?? '').replace(/[^0-9−-]/g, ''));

async function addLine(sku: string, category: string, quantity: number, unitPrice: string) {
  await page.getByLabel('SKU').fill(sku);
  await page.getByLabel('Category').fill(category);
  await page.getByLabel('Quantity').fill(String(quantity));
  await page.getByLabel('Unit price').fill(unitPrice);
  await page.getByRole('button', { name: 'Add line' }).click();
}

async function redeem(points: number) {
  await page.getByLabel('Points to spend').fill(String(points));
  await page.getByRole('button', { name: 'Redeem' }).click();
}

beforeAll(async () => {
  browser = await startBrowser();
  stack = await startTestStack(
    ['worker', 'router', 'redemptions', 'identity', 'sink', 'till'],
    testSettings({ CLIENTELE_LOYALTY_PROGRAM_FILE: 'config/programs/grocer.yaml' }),
  );
  url = stack.till?.url as string;
  token = stack.settings.stores.S001 as string;
  helper = await connectTill(url, 'S001', 'T1', token);
  const registered = (await helper.socket.timeout(15_000).emitWithAck('customer:register', {
    registrationId: uniqueId('reg'),
    card: { cardNumber: CARD },
  })) as { ok: boolean; customerId: string };
  expect(registered).toMatchObject({ ok: true });
  member = registered.customerId;
  // The engine has applied the registration: the summary a till sees carries the welcome bonus.
  await viewUntil('the welcome bonus', (v) => v.summary?.pointsBalance === WELCOME_POINTS);

  page = await browser.newPage('till');
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (!online) {
      ws.close();
      return;
    }
    // No onClose handler: it would stop Playwright forwarding a close from one side to the other.
    openSockets.add({ page: ws, server: ws.connectToServer() });
  });
});

afterAll(async () => {
  helper?.close();
  await browser?.close();
  await stack?.stop();
});

describe('the till screen', () => {
  it('is served by the till gateway with the console headers, its assets by plain name only', async () => {
    const home = await fetch(`${url}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(home.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(home.headers.get('x-content-type-options')).toBe('nosniff');
    const script = await fetch(`${url}/assets/till.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${url}/assets/style.css`)).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    expect((await fetch(`${url}/socket.io/socket.io.min.js`)).status).toBe(200);
    for (const path of ['/assets/..%2Fpage.ts', '/assets/.hidden', '/assets/nothing.js', '/x']) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(404);
    }
  });

  it('refuses a wrong token by name, then signs in with the right one (kept in this tab only)', async () => {
    await page.goto(`${url}/`);
    await page.locator('main[data-ready="true"]').waitFor();
    await screenshot(page, 'till-sign-in');
    expect(await accessibility(page)).toEqual([]);

    await page.getByLabel('Store id').fill('S001');
    await page.getByLabel('Till id').fill(TILL);
    await page.getByLabel('Store token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shows('#sign-in-problem', /^Refused: unknown store or wrong token/);
    await shows('#status', 'refused');
    expect(await page.evaluate(() => sessionStorage.getItem('till.token'))).toBeNull();
    await screenshot(page, 'till-refused');
    expect(await accessibility(page)).toEqual([]);

    await page.getByLabel('Store token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shows('#status', 'connected');
    await shows('#where', `Store S001 · till ${TILL}`);
    expect(await page.locator('#sign-in').isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('till.token'))).toBe(token);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(page.url()).toBe(`${url}/`);
  });

  it('parses the cashier’s amounts as decimals, never through a float', async () => {
    const inputs = ['4.35', '0.29', '19.99', '1005', '12,5', '1.005', 'abc', '-1'];
    // A string, evaluated by the page itself: the module is the page's own, as it serves it.
    const parsed = await page.evaluate(`import('/shared/money.js').then(({ parseMoney }) =>
      ${JSON.stringify(inputs)}.map((text) => {
        const answer = parseMoney(text, 'EUR');
        return answer.ok ? answer.minor : null;
      }))`);
    expect(parsed).toEqual([435, 29, 1999, 100500, 1250, null, null, null]);
  });

  it('identifies the member by card: points, tier and the cues for the cashier', async () => {
    const typed = `${CARD.slice(0, 4)} ${CARD.slice(4, 8)} ${CARD.slice(8, 12)} ${CARD.slice(12)}`;
    await page.getByLabel('Card number').fill(UNISSUED_CARD);
    await page.getByRole('button', { name: 'Identify' }).click();
    await shows('#customer-problem', /^Unknown card: /);
    expect(await page.locator('#customer').isHidden()).toBe(true);

    await page.getByLabel('Card number').fill(typed);
    await page.getByRole('button', { name: 'Identify' }).click();
    await shows('#balance', String(WELCOME_POINTS));
    await shows('#spendable', String(WELCOME_POINTS));
    await shows('#tier', 'member');
    await shows('#card-shown', `•••• ${CARD.slice(-4)} (active)`);
    expect(await page.locator('#customer-problem').isHidden()).toBe(true);
    await shows('#identification-cues li[data-kind="welcome-back"]', /100 points \(100 to spend\)/);
    await shows('#identification-cues li[data-kind="next-tier"]', /more spend to silver/);
    await screenshot(page, 'till-customer');
    expect(await accessibility(page)).toEqual([]);
  });

  it('rings up a sale: the receipt shows the points and balance the engine computed', async () => {
    await addLine('COF-BEAN-1KG', 'coffee', 20, '24.99');
    await addLine('BREAD-RYE', 'bakery', 1, '4.35');
    await shows('#total', '504.15 EUR');
    await page.getByLabel('Tender').selectOption('card');
    await page.getByRole('button', { name: 'Pay' }).click();
    await shows('#sale-status', 'Sale stored.');
    await shows('#receipt-total', '504.15 EUR');
    await shows('#receipt-tenders', 'card 504.15 EUR');
    await shows('#points-earned', /^\+[0-9,]+$/);
    const earned = await numberIn('#points-earned');
    const balance = await numberIn('#points-balance');
    // One point per whole euro at least (the base rate), and all of it added to the balance.
    expect(earned).toBeGreaterThanOrEqual(504);
    expect(balance).toBe(WELCOME_POINTS + earned);
    // The engine's own figure, asked apart from the page.
    const view = await viewUntil('the sale applied', (v) => (v.summary?.visits ?? 0) >= 1);
    expect(view.summary?.pointsBalance).toBe(balance);
    await shows('#balance', view.summary?.loyalty.balance.toLocaleString('en') ?? '');
    // The cashier's cues follow the sale: the new balance and the visit.
    await shows(
      '#identification-cues li[data-kind="welcome-back"]',
      new RegExp(`${view.summary?.loyalty.balance} points .* 1 visit, last today`),
    );
    expect(await page.locator('#basket tbody tr').count()).toBe(0);
    await screenshot(page, 'till-receipt');
    expect(await accessibility(page)).toEqual([]);
  });

  it('redeems at once: more than the balance is refused naming why, a cancel gives the points back', async () => {
    const balance = await numberIn('#points-balance');
    await addLine('MILK-1L', 'dairy', 2, '1.19');
    await addLine('BRIE-200G', 'cheese', 1, '12.90');
    await shows('#total', '15.28 EUR');

    await redeem(balance + 100_000);
    await shows('#redemption', /^Refused: Only [0-9,]+ points can be spent now/);
    expect(await page.locator('#redemption').getAttribute('data-code')).toBe(
      'insufficient_balance',
    );
    await screenshot(page, 'till-redemption-refused');

    await redeem(500);
    await shows('#redemption', 'Granted: 500 points = 5.00 EUR off');
    await shows('#balance', (balance - 500).toLocaleString('en'));
    await shows('#points-tender', '5.00 EUR');
    await shows('#to-pay', '10.28 EUR');
    await screenshot(page, 'till-redemption');
    expect(await accessibility(page)).toEqual([]);

    await page.getByRole('button', { name: 'Cancel redemption' }).click();
    await shows(
      '#redemption',
      `Cancelled: 500 points given back · balance ${balance.toLocaleString('en')}`,
    );
    await shows('#balance', balance.toLocaleString('en'));
    await shows('#to-pay', '15.28 EUR');
    expect(await page.locator('#points-tender').isHidden()).toBe(true);
    await viewUntil('the points given back', (v) => v.summary?.pointsBalance === balance);
    await screenshot(page, 'till-redemption-cancelled');
  });

  it('a granted redemption pays part of the next sale, as a points tender', async () => {
    const before = await numberIn('#balance');
    await redeem(500);
    await shows('#redemption', 'Granted: 500 points = 5.00 EUR off');
    await page.getByLabel('Tender').selectOption('cash');
    await page.getByRole('button', { name: 'Pay' }).click();
    await shows('#sale-status', 'Sale stored.');
    await shows('#receipt-tenders', 'points 5.00 EUR · cash 10.28 EUR');
    await shows('#points-redeemed', '500');
    await shows('#redemption', /^Used: 500 points paid 5.00 EUR/);
    const earned = await numberIn('#points-earned');
    // The part paid with points earns nothing: 10.28 EUR earns 10 base points (or double).
    expect(earned).toBeGreaterThanOrEqual(10);
    await shows('#points-balance', (before - 500 + earned).toLocaleString('en'));
    expect(await accessibility(page)).toEqual([]);
  });

  it('shows, marked missed, a cue that came for this till while the connection was lost', async () => {
    // The network goes: the page's socket is cut, and its attempts to reconnect are refused.
    online = false;
    for (const pair of openSockets) {
      await pair.page.close().catch(() => undefined);
      await pair.server.close().catch(() => undefined);
    }
    openSockets.clear();
    await shows('#status', /reconnecting|trying again/);

    // Meanwhile a sale for the member at this till: its cue reaches the test's own client of
    // the same till, never the page.
    const twin = await connectTill(url, 'S001', TILL, token);
    try {
      const sale = saleInput({
        customerId: member,
        tillId: TILL,
        occurredAt: new Date().toISOString(),
        lines: [
          {
            lineId: '1',
            sku: 'TEA-GREEN',
            category: 'tea',
            quantity: 1,
            unitPrice: 799,
            fullPrice: 799,
            discount: 0,
            unitCost: 300,
          },
        ],
        tenders: [{ type: 'card', amount: 799 }],
      });
      expect(await twin.send(sale)).toMatchObject({ ok: true });
      const cue = await twin.waitForCue((m) => m.cue.eventId === sale.eventId);
      expect(await page.locator(`#cues li[data-event-id="${sale.eventId}"]`).count()).toBe(0);

      online = true;
      await shows('#status', /^connected/, 30_000);
      const missed = page.locator(`#cues li[data-event-id="${sale.eventId}"]`);
      await missed.waitFor({ timeout: 20_000 });
      expect(await missed.getAttribute('data-missed')).toBe('true');
      expect(await missed.getAttribute('data-seq')).toBe(String(cue.seq));
      await shows(`#cues li[data-event-id="${sale.eventId}"]`, /^Missed while offline/);
      expect(await missed.textContent()).toContain(cue.cue.message);
      await shows('#balance', cue.cue.pointsBalance.toLocaleString('en'));
      await screenshot(page, 'till-missed-cue');
      expect(await accessibility(page)).toEqual([]);
    } finally {
      twin.close();
    }
  });

  it('logged no error', () => {
    expect(browser.errors).toEqual([]);
  });
});
