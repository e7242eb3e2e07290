/**
 * The program calendar in headless Chromium: the published versions and their earn rules on a
 * timeline, two promotions of a newer version that share days listed as overlapping (with the
 * days), the rules in force today; the page is for those who may change programs only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProgramFile } from '../../engine/programs/load-program.ts';
import { openProgramStore } from '../../engine/programs/program-store.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import {
  accessibility,
  screenshot,
  signInOnPage,
  startBrowser,
  type TestBrowser,
} from '../support/browser.ts';
import { startTestStack, testSettings } from '../support/stack.ts';
import { addStaff } from '../support/staff.ts';

let stack: Stack;
let url: string;
let browser: TestBrowser;
const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  browser = await startBrowser();
  stack = await startTestStack(
    ['worker', 'router', 'dashboard'],
    testSettings({ CLIENTELE_LOYALTY_PROGRAM_FILE: 'config/programs/grocer.yaml' }),
  );
  url = stack.dashboard?.url as string;
  // A second version from tomorrow with two promotions that share ten days.
  const { input } = await loadProgramFile('config/programs/grocer.yaml');
  const program = input as { effectiveFrom?: string; earn: { rules: unknown[] } };
  program.effectiveFrom = `${day(1)}T00:00:00Z`;
  program.earn.rules.push(
    {
      id: 'cheese-weeks',
      name: 'Cheese weeks',
      when: { categories: ['cheese'], from: day(5), until: day(40) },
      effect: { multiply: 3 },
    },
    {
      id: 'wine-month',
      name: 'Wine month',
      when: { categories: ['wine'], from: day(31), until: day(60) },
      effect: { multiply: 2 },
    },
  );
  await (await openProgramStore(stack.nc)).publish(program, new Date());
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('program calendar', () => {
  it('puts versions and rules on a timeline and names the promotions that overlap', async () => {
    const page = await browser.newPage();
    await signInOnPage(page, url, await addStaff(stack, 'marketer'), '/programs');
    await page.locator('body[data-loaded="true"]').waitFor();
    const overlap = page.locator('#overlaps li[data-overlap="cheese-weeks|wine-month"]');
    expect(await overlap.textContent()).toBe(
      `Cheese weeks and Wine month: ${day(31)} – ${day(40)}`,
    );
    expect(await page.locator('#versions tbody tr').count()).toBe(2);
    expect(await page.locator('#versions tbody tr:last-child td:nth-child(2)').textContent()).toBe(
      day(1),
    );
    // Today the first version is in force: its rules, none of tomorrow's.
    expect(await page.locator('#rules tr[data-rule="fresh-double"]').count()).toBe(1);
    expect(await page.locator('#rules tr[data-rule="cheese-weeks"]').count()).toBe(0);
    // Two versions, the rules of each.
    const rows = Number(await page.locator('#chart-calendar').getAttribute('data-rows'));
    expect(rows).toBeGreaterThanOrEqual(2 + 4 + 6);
    await screenshot(page, 'programs-calendar');
    expect(await accessibility(page)).toEqual([]);
    await page.close();
  });

  it('is not for a store manager or the service desk', async () => {
    for (const [role, stores] of [
      ['store-manager', ['S001']],
      ['service-desk', undefined],
    ] as const) {
      const page = await browser.newPage();
      // Straight to the calendar: this stack answers no analytics, so the console's own page
      // would log refused figures.
      const member = await addStaff(stack, role, stores ? { stores: [...stores] } : {});
      await signInOnPage(page, url, member, '/programs');
      expect((await page.goto(`${url}/programs`))?.status(), role).toBe(403);
      const api = await page.evaluate(async () => (await fetch('/api/programs')).status);
      expect(api, role).toBe(403);
      await page.close();
    }
  });

  it('logged no error on any page but the refusals the tests asked for', () => {
    expect(browser.errors.filter((e) => !/status of (401|403)/.test(e))).toEqual([]);
  });
});
