/**
 * The console in a real browser: Debian's Chromium (/usr/bin/chromium, installed by
 * `node bin/install-tools.js --for-tests`) driven by playwright-core, with no browser download.
 * Each page a test opens is watched for script errors, refused resources and CSP violations;
 * `screenshot` saves what it shows at the size asked (git-ignored, under test-artifacts/), and
 * `accessibility` runs axe-core on it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { eventually } from './stack.ts';
import { TEST_PASSWORD } from './staff.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = resolve('test-artifacts/screenshots');

/** A till's screen, and a laptop's. */
export const VIEWPORTS = {
  till: { width: 1024, height: 768 },
  laptop: { width: 1440, height: 900 },
} as const;

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

export interface TestBrowser {
  /** A new page (its own cookies: one signed-in person per context). */
  newPage(viewport?: keyof typeof VIEWPORTS): Promise<Page>;
  /** What the pages reported: script errors, console errors, refused requests. */
  readonly errors: string[];
  close(): Promise<void>;
}

export async function startBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}. Run \`node bin/install-tools.js --for-tests\` ` +
        "(it installs Debian's chromium package), then run the tests again.",
    );
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];
  const downloads = mkdtempSync(join(tmpdir(), 'clientele-downloads-'));
  return {
    errors,
    async newPage(viewport = 'laptop') {
      const context = await browser.newContext({
        viewport: VIEWPORTS[viewport],
        acceptDownloads: true,
        locale: 'en-GB',
        timezoneId: 'UTC',
      });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(`${page.url()}: ${msg.text()}`);
      });
      return page;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      rmSync(downloads, { recursive: true, force: true });
    },
  };
}

/** Signs in through the sign-in page; resolves once the page it leads to has loaded. */
export async function signInOnPage(page: Page, url: string, userId: string, next?: string) {
  await page.goto(`${url}/sign-in${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.getByLabel('User id').fill(userId);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/sign-in')),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  await page.waitForLoadState('load');
}

/** Saves the page as it looks now, at both sizes: test-artifacts/screenshots/<name>-<size>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const original = page.viewportSize();
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(200); // charts redraw on resize
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${size}.png`), fullPage: true });
  }
  if (original) await page.setViewportSize(original);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function accessibility(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the debugging protocol, which the page's CSP does not govern.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } })
      .axe;
    const result = await axe.run();
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Waits until the (first) element shows `expected`; fails naming what it showed last. */
export async function shows(page: Page, selector: string, expected: string | RegExp, ms = 20_000) {
  let last: string | null = null;
  await eventually(
    async () => {
      last = (await page.locator(selector).first().textContent({ timeout: 2_000 }))?.trim() ?? null;
      const ok = typeof expected === 'string' ? last === expected : expected.test(last ?? '');
      return ok ? true : undefined;
    },
    ms,
    `${selector} to show ${expected}`,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (it shows "${last}")`);
  });
}
