/**
 * The marketers' live page in headless Chromium (Debian's, at /usr/bin/chromium, driven by
 * playwright-core) against a real stack: it turns "live" with the marketer token from the URL
 * fragment, shows a till's sale (count, revenue, the store's row, then the points and the cue)
 * within seconds, and says "unauthorized" for a wrong or missing token.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../engine/runtime/stack.ts';
import { saleInput, uniqueId } from '../support/events.ts';
import { eventually, startTestStack } from '../support/stack.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

const CHROMIUM = '/usr/bin/chromium';

let stack: Stack | undefined;
let till: TestTill | undefined;
let browser: BrowserContext | undefined;
let userDataDir: string | undefined;
/** Errors the pages reported (script errors, refused resources, CSP violations). */
const pageErrors: string[] = [];

let setup: Promise<void> | undefined;

/**
 * Starts Chromium and the stack once. Called inside each test (not in a hook) so that a missing
 * Chromium fails every test with the message instead of skipping them.
 */
function ready(): Promise<void> {
  setup ??= start();
  return setup;
}

async function start(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}. Run \`node bin/install-tools.js --for-tests\` ` +
        "(it installs Debian's chromium package), then run the tests again.",
    );
  }
  userDataDir = mkdtempSync(join(tmpdir(), 'clientele-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  stack = await startTestStack(['worker', 'router', 'till', 'dashboard']);
  till = await connectTill(
    stack.till?.url as string,
    'S001',
    'T1',
    stack.settings.stores.S001 as string,
  );
}

afterAll(async () => {
  till?.close();
  await browser?.close();
  await stack?.stop();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function openPage(fragment: string): Promise<Page> {
  await ready();
  if (!browser || !stack?.dashboard) throw new Error('the browser or the stack did not start');
  const page = await browser.newPage();
  page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`${page.url()}: ${msg.text()}`);
  });
  await page.goto(`${stack.dashboard.url}/${fragment}`);
  return page;
}

const text = (page: Page, selector: string) =>
  page.locator(selector).textContent({ timeout: 5_000 });

/** Waits until the element shows `expected`; fails naming what it showed last. */
async function shows(page: Page, selector: string, expected: string, ms = 20_000) {
  let last: string | null = null;
  await eventually(
    async () => {
      last = (await text(page, selector))?.trim() ?? null;
      return last === expected ? true : undefined;
    },
    ms,
    `${selector} to show "${expected}"`,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (it shows "${last}")`);
  });
}

describe('live dashboard page', () => {
  it('goes live with the marketer token and shows a till sale as it happens', async () => {
    await ready();
    const page = await openPage(`#token=${stack?.settings.dashboardToken}`);
    await shows(page, '#status', 'live');
    expect(await page.locator('#status').getAttribute('data-state')).toBe('live');
    await shows(page, '#sales', '0');
    await shows(page, '#revenue', '0');
    expect(await page.locator('#stores tbody tr.empty').count()).toBe(1);

    const customerId = `c-${uniqueId('page').replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 40);
    const sale = saleInput({
      customerId,
      lines: [
        {
          lineId: '1',
          sku: 'ESP-MACH-1',
          category: 'machines',
          quantity: 1,
          unitPrice: 123_456,
          fullPrice: 123_456,
          discount: 0,
          unitCost: 80_000,
        },
      ],
      tenders: [{ type: 'card', amount: 123_456 }],
    }); // 1,234.56 EUR → 1234 points
    expect(await till?.send(sale)).toMatchObject({ ok: true, duplicate: false });

    await shows(page, '#sales', '1');
    await shows(page, '#revenue', '1,234.56 EUR');
    await shows(page, '#revenue-minute', '1,234.56 EUR');
    const row = page.locator('#stores tbody tr[data-store="S001"] td');
    expect(await row.allTextContents()).toEqual(['S001', '1', '0', '1,234.56 EUR']);
    expect(Number(await text(page, '#events-per-second'))).toBeGreaterThan(0);

    // The customer workflow's ledger entry and cue reach the page too.
    await shows(page, '#points-issued', '1,234');
    await shows(page, '#cues', '1');
    await shows(page, '#anonymous-share', '0 %');
    await shows(page, '#status', 'live');

    // The sparkline is drawn: some pixel of the canvas is painted.
    const painted = await page.evaluate(() => {
      const canvas = document.getElementById('sparkline') as HTMLCanvasElement;
      const ctx = canvas.getContext('2d');
      const data = ctx?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) n += 1;
      return n;
    });
    expect(painted).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('says "unauthorized" for a wrong token, and for none', async () => {
    const wrong = await openPage('#token=not-the-marketer-token');
    await shows(wrong, '#status', 'unauthorized');
    expect(await wrong.locator('#status').getAttribute('data-state')).toBe('unauthorized');
    expect(await text(wrong, '#sales')).toBe('–');
    await wrong.close();

    const none = await openPage('');
    await shows(none, '#status', 'unauthorized');
    await none.close();

    // The refused connection is the only error: Chromium logs nothing for it, and nothing else broke.
    expect(pageErrors).toEqual([]);
  });
});
