/**
 * The segments page in headless Chromium against a real stack with a year of generated history:
 * a condition is counted while it is typed (the same count the API gives), a mistake is named, a
 * group is saved and shows its size over time, its members export as CSV (the same members the
 * API lists, the export audited); a store manager reaches none of it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
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
import { eventually, startTestStack, testSettings } from '../support/stack.ts';
import { addStaff, type SignedInClient, signIn } from '../support/staff.ts';

let stack: Stack;
let url: string;
let browser: TestBrowser;

beforeAll(async () => {
  browser = await startBrowser();
  stack = await startTestStack(
    ['worker', 'router', 'sink', 'dashboard'],
    testSettings({ CLIENTELE_LOYALTY_PROGRAM_FILE: 'config/programs/grocer.yaml' }),
  );
  url = stack.dashboard?.url as string;
  const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString().slice(0, 10);
  await writeGenerated(stack.store as AnalyticsStore, {
    seed: 21,
    customers: 300,
    saleLines: 4_000,
    stores: 3,
    skus: 60,
    from: day(400),
    to: day(1),
    currency: 'EUR',
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const WHEN = 'recency_days > 90';

describe('segments page', () => {
  let marketer: SignedInClient;

  it('counts a condition while it is typed, and names a mistake', async () => {
    const userId = await addStaff(stack, 'marketer');
    marketer = await signIn(url, userId);
    const page = await browser.newPage();
    await signInOnPage(page, url, userId, '/segments');
    await page.locator('body[data-loaded="true"]').waitFor();
    // The program's live segments are listed.
    expect(await page.locator('#live tbody tr[data-segment]').count()).toBeGreaterThan(0);

    const api = await marketer.get<{ summary: { customers: number } }>(
      `/api/analytics/segment?when=${encodeURIComponent(WHEN)}&limit=0`,
    );
    expect(api.body.summary.customers).toBeGreaterThan(0);
    await page
      .getByLabel('Who is in it (the segment language)')
      .pressSequentially(WHEN, { delay: 20 });
    await shows(
      page,
      '#count',
      `${api.body.summary.customers.toLocaleString('en')} customers meet it now.`,
    );

    await page.getByLabel('Who is in it (the segment language)').fill('recency_days >');
    await shows(page, '#count', /.+/);
    await eventually(async () =>
      (await page.locator('#count').getAttribute('data-state')) === 'refused' ? true : undefined,
    );
    expect(await page.locator('#count').textContent()).not.toMatch(/customers meet it/);
    await screenshot(page, 'segments-refused');
    await page.close();
  });

  it('saves a group, shows its size over time and exports its members', async () => {
    const userId = await addStaff(stack, 'marketer');
    const page = await browser.newPage();
    await signInOnPage(page, url, userId, '/segments');
    await page.locator('body[data-loaded="true"]').waitFor();
    await page.getByLabel('Who is in it (the segment language)').fill(WHEN);
    await page.getByLabel('Id').fill('lapsed-90');
    await page.getByLabel('Name').fill('Not seen for 90 days');
    await page.getByRole('button', { name: 'Save as a group' }).click();
    await page.locator('#chart-group-sizes[data-group="lapsed-90"]').waitFor();
    await shows(page, '#groups tr[data-group="lapsed-90"] td:first-child', 'Not seen for 90 days');
    expect(Number(await page.locator('#chart-group-sizes').getAttribute('data-points'))).toBe(31);
    await screenshot(page, 'segments-group');
    expect(await accessibility(page)).toEqual([]);

    // Removing it takes it off the list (its figures stay stored).
    await page.getByRole('button', { name: 'Remove group' }).click();
    await eventually(async () =>
      (await page.locator('#groups tr[data-group="lapsed-90"]').count()) === 0 ? true : undefined,
    );
    expect(await page.locator('#group-detail').textContent()).toBe('');
    await page.getByLabel('Id').fill('lapsed-90');
    await page.getByRole('button', { name: 'Save as a group' }).click();
    await page.locator('#chart-group-sizes[data-group="lapsed-90"]').waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export members (CSV)' }).click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\r\n');
    const client = await signIn(url, userId);
    const members = await client.get<{
      rows: { customer_id: string }[];
      summary: { customers: number };
    }>('/api/analytics/group-members?group=lapsed-90&limit=100000');
    expect(csv[0]).toBe('customer_id');
    expect(csv.slice(1)).toEqual(members.body.rows.map((r) => r.customer_id));
    expect(csv.length - 1).toBe(members.body.summary.customers);
    expect(members.body.summary.customers).toBeGreaterThan(0);

    // The export is in the audit log: who, and which group.
    const admin = await signIn(url, await addStaff(stack, 'admin'));
    await eventually(
      async () => {
        const audit = await admin.get<{ rows: { action: string; detail: string }[] }>(
          `/api/analytics/audit?user=${userId}`,
        );
        return audit.body.rows.some(
          (r) => r.action === 'members.export' && r.detail === 'group-members lapsed-90',
        )
          ? true
          : undefined;
      },
      30_000,
      'the export in the audit log',
    );
    await page.close();
  });

  it('keeps the page, the saving and the export from a store manager', async () => {
    const userId = await addStaff(stack, 'store-manager', { stores: ['S001'] });
    const page = await browser.newPage();
    await signInOnPage(page, url, userId, '/');
    const refused = await page.goto(`${url}/segments`);
    expect(refused?.status()).toBe(403);
    await screenshot(page, 'forbidden');
    expect(await accessibility(page)).toEqual([]);
    const manager = await signIn(url, userId);
    const save = await manager.fetch('/api/groups', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'mine', when: WHEN }),
    });
    expect(save.status).toBe(403);
    expect((await manager.get('/api/analytics/group-members?group=lapsed-90')).status).toBe(403);
    expect(
      (await manager.get(`/api/analytics/segment?when=${encodeURIComponent(WHEN)}`)).status,
    ).toBe(403);
    await page.close();
  });

  it('logged no error on any page but the refusals the tests asked for', () => {
    expect(browser.errors.filter((e) => !/status of (400|401|403)/.test(e))).toEqual([]);
  });
});
