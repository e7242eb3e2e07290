/**
 * The what-if panels (dashboards/console/what-if.js) in headless Chromium against a real stack: a
 * member served at a till, then on their page a candidate program that doubles coffee points is
 * run over the last 90 days (the panel's default) and shows the figures the API answers; a
 * program with mistakes shows each with its line. The draft-program panel (mounted by the program
 * calendar) is mounted here on a blank section of the page, run as a job with its progress bar,
 * and shows the report. Screenshots at both sizes; axe-core finds nothing serious.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardNumberOf } from '../../engine/domain/identity/card-number.ts';
import type { CustomerWhatIfReport } from '../../engine/replay/simulation-report.ts';
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
import { addStaff, type SignedInClient, signIn } from '../support/staff.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

let stack: Stack;
let url: string;
let browser: TestBrowser;
let till: TestTill;
let marketer: SignedInClient;
let customerId: string;
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

const candidate = `id: coffee
name: Coffee lovers
currency: EUR
pointValue: { points: 100, minor: 100 }
earn:
  base:
    rate: { points: 1, perMinor: 100 }
  rules:
    - id: coffee-double
      name: Twice the points on coffee
      when:
        categories: [coffee]
      effect:
        multiply: 2
`;
/** Mistakes on lines 7 and 14. */
const broken = candidate
  .replace('perMinor: 100', 'perMinor: -1')
  .replace('multiply: 2', 'multiply: 0.5');

const sale = (daysAgo: number, amount: number) =>
  saleInput({
    customerId,
    occurredAt: ago(daysAgo),
    lines: [
      {
        lineId: '1',
        sku: 'BEANS-1KG',
        category: 'coffee',
        quantity: 1,
        unitPrice: amount,
        fullPrice: amount,
        discount: 0,
        unitCost: Math.floor(amount / 2),
      },
    ],
    tenders: [{ type: 'card', amount }],
  });

/** The what-if of the last 90 days, asked as the panel asks it. */
async function askedWhatIf(program: string) {
  const to = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 89 * DAY).toISOString().slice(0, 10);
  const res = await marketer.fetch(`/api/customers/${customerId}/what-if`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ program, from, to }),
  });
  return { status: res.status, body: (await res.json()) as CustomerWhatIfReport };
}

beforeAll(async () => {
  browser = await startBrowser();
  stack = await startTestStack(['worker', 'router', 'identity', 'sink', 'till', 'dashboard']);
  url = stack.dashboard?.url as string;
  till = await connectTill(
    stack.till?.url as string,
    'S001',
    'T1',
    stack.settings.stores.S001 as string,
  );
  const registered = (await till.socket.timeout(15_000).emitWithAck('customer:register', {
    registrationId: uniqueId('reg'),
    occurredAt: ago(60),
    profile: { givenName: 'Ada', familyName: 'Brook', preferredStoreId: 'S001' },
    card: { cardNumber: cardNumberOf('279901', 7201) },
  })) as { ok: boolean; customerId: string };
  expect(registered).toMatchObject({ ok: true });
  customerId = registered.customerId;
  for (const [days, amount] of [
    [30, 4_000],
    [10, 2_550],
  ] as const) {
    expect(await till.send(sale(days, amount))).toMatchObject({ ok: true });
  }
  marketer = await signIn(url, await addStaff(stack, 'marketer'));
  // Both sales are in the analytics store's log.
  await eventually(
    async () => {
      const answer = await askedWhatIf(candidate);
      return answer.status === 200 && answer.body.visits === 2 ? true : undefined;
    },
    30_000,
    "the customer's sales in the log",
  );
});

afterAll(async () => {
  till?.close();
  await browser?.close();
  await stack?.stop();
});

const cells = (page: Page, selector: string) => page.locator(`${selector} td`).allTextContents();

describe('the what-if panels', () => {
  it("runs a candidate over a customer's last 90 days and names the mistakes of a broken one", async () => {
    const expected = (await askedWhatIf(candidate)).body;
    const earned = expected.figures.find((f) => f.metric === 'points issued');
    expect(earned).toMatchObject({ baseline: 65 });
    expect(earned?.candidate).toBeGreaterThan(65);

    const page = await browser.newPage('till');
    await signInOnPage(page, url, marketer.userId, `/customers/${customerId}`);
    await page.locator('body[data-loaded="true"]').waitFor();
    await page.getByLabel('Candidate program (YAML)').fill(candidate);
    await page.getByRole('button', { name: 'Run' }).click();
    await shows(page, '#customer-what-if-result tr[data-metric="points issued"] td', '65');
    expect(await cells(page, '#customer-what-if-result tr[data-metric="points issued"]')).toEqual([
      '65',
      String(earned?.candidate),
      `+${(earned?.candidate ?? 0) - 65}`,
    ]);
    const rule = expected.rules.find((r) => r.rule === 'coffee-double' && r.side === 'candidate');
    expect(await cells(page, '#customer-what-if-result tr[data-rule="coffee-double"]')).toEqual([
      '0',
      String(rule?.points),
      `+${rule?.points}`,
    ]);
    expect(await cells(page, '#customer-what-if-result tr[data-metric="tier"]')).toEqual([
      'none',
      'none',
      'same',
    ]);
    await screenshot(page, 'customer-what-if');
    expect(await accessibility(page)).toEqual([]);

    await page.getByLabel('Candidate program (YAML)').fill(broken);
    await page.getByRole('button', { name: 'Run' }).click();
    await shows(
      page,
      '#customer-what-if-issues li:first-child',
      /^Line 7: earn\.base\.rate\.perMinor: /,
    );
    await shows(
      page,
      '#customer-what-if-issues li:nth-child(2)',
      /^Line 14: earn\.rules\[0\]\.effect\.multiply: /,
    );
    expect(await page.locator('#customer-what-if-result table').count()).toBe(0);
    await screenshot(page, 'customer-what-if-mistakes');
    expect(await accessibility(page)).toEqual([]);
    await page.close();
  });

  it('runs a draft program over every customer as a job, with its progress, then its report', async () => {
    const page = await browser.newPage('till');
    await signInOnPage(page, url, marketer.userId, `/customers/${customerId}`);
    await page.locator('body[data-loaded="true"]').waitFor();
    // Where the program calendar mounts it: here on a section of its own, in place of the page's.
    // (a string, so that the test runner leaves the page's own import alone)
    await page.evaluate(`(async () => {
      const section = document.createElement('section');
      section.id = 'program-what-if';
      section.className = 'panel';
      document.getElementById('main').replaceChildren(section);
      const { programWhatIf } = await import('/assets/what-if.js');
      programWhatIf(section, { currency: 'EUR' });
    })()`);
    await page.getByLabel('Candidate program (YAML)').fill(candidate);
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByLabel('Customers replayed').waitFor();
    await shows(page, '#program-what-if-status', /^Done in /, 120_000);
    expect(await page.getByLabel('Customers replayed').getAttribute('max')).toBe('1');
    await shows(page, '#program-what-if-count', '1 of 1');
    const issued = await cells(page, '#program-what-if-result tr[data-metric="points issued"]');
    expect(issued[0]).toBe('65');
    expect(Number(issued[2]?.replace('+', ''))).toBe(Number(issued[1]) - 65);
    expect(
      await cells(page, '#program-what-if-result tr[data-metric="customers affected"]'),
    ).toEqual(['', '', '1']);
    await shows(page, '#program-what-if-result tr[data-metric="liability at the end"] td', /EUR$/);
    expect(await page.locator('#program-what-if-result .what-if-tiers table').count()).toBe(2);
    await screenshot(page, 'program-what-if');
    expect(await accessibility(page)).toEqual([]);
    await page.close();
  });

  it('logged no error on any page but the refusal the test asked for', () => {
    expect(browser.errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });
});
