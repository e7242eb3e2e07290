/**
 * `clientele simulate` end to end on a chDB store: customers' sales (bakery among other
 * categories), some before the period and some in it, a return of a bakery line in the period,
 * and a sale after it. The candidate doubles the bakery rule's multiplier (2 → 4): the
 * report's extra points are exactly the bakery points the test computes from what it stored. Bad
 * input (a program with mistakes, a period with no events, a date that is not one) is refused with
 * exit code 2 and a message naming it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsSchema } from '../../config/settings.ts';
import { createAnalyticsStore } from '../../engine/analytics/open-store.ts';
import type { SimulationReport } from '../../engine/replay/simulation-report.ts';
import { offlineStoreEnv, runCli } from '../support/cli.ts';
import { storeEvents } from '../support/stored-events.ts';

let dir: string;
const CUSTOMERS = 24;
/** Bakery points at the base rate (1 per 1.00) on sales in the period, less those returned. */
let bakeryBase = 0;
let bakeryBaseSold = 0;
let affected = 0;

const program = (multiply: number) => `id: bakery
name: Bakery test
currency: EUR
pointValue: { points: 100, minor: 100 }
earn:
  base:
    rate: { points: 1, perMinor: 100 }
  rules:
    - id: bakery-double
      name: More points on bakery
      when:
        categories: [bakery]
      effect:
        multiply: ${multiply}
`;

function sale(customer: number, n: number, occurredAt: string, bakery: number, other: number) {
  const lines = [
    { lineId: '1', sku: 'BREAD', category: 'bakery', quantity: 1, unitPrice: bakery },
    { lineId: '2', sku: 'MILK', category: 'dairy', quantity: 1, unitPrice: other },
  ].map((l) => ({ ...l, fullPrice: l.unitPrice, discount: 0, unitCost: l.unitPrice / 2 }));
  return {
    type: 'sale',
    eventId: `ev-${customer}-${n}`,
    occurredAt,
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    transactionId: `tx-${customer}-${n}`,
    customerId: `c-sim-${customer}`,
    currency: 'EUR',
    lines,
    tenders: [{ type: 'card', amount: bakery + other }],
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'clientele-simulate-'));
  writeFileSync(join(dir, 'base.yaml'), program(2));
  writeFileSync(join(dir, 'candidate.yaml'), program(4));
  writeFileSync(
    join(dir, 'broken.yaml'),
    program(4).replace('multiply: 4', 'multiply: 0.5').replace('perMinor: 100', 'perMinor: -1'),
  );
  const store = await createAnalyticsStore(
    settingsSchema.parse({ dataDir: dir, clickhouse: { backend: 'chdb' } }),
  );
  await store.migrate();
  const events: unknown[] = [];
  for (let c = 0; c < CUSTOMERS; c++) {
    // Before the period (March): a sale with bakery, at the rule in force either way.
    events.push(sale(c, 0, '2026-03-10T10:00:00Z', 300 + c * 100, 500));
    if (c % 3 === 0) continue; // a third buy nothing in the period
    affected += 1;
    const bakery = 200 + (c % 5) * 100;
    events.push(sale(c, 1, '2026-05-02T09:30:00Z', bakery, 1_000));
    events.push(sale(c, 2, '2026-05-20T17:00:00Z', 100, 700));
    bakeryBaseSold += bakery / 100 + 1;
    bakeryBase += bakery / 100 + 1;
    if (c % 4 === 1) {
      // The first period sale's bread comes back.
      events.push({
        type: 'return',
        eventId: `ev-${c}-r`,
        occurredAt: '2026-05-25T12:00:00Z',
        storeId: 'S001',
        tillId: 'T1',
        channel: 'till',
        transactionId: `rt-${c}`,
        originalTransactionId: `tx-${c}-1`,
        customerId: `c-sim-${c}`,
        currency: 'EUR',
        lines: [{ lineId: '1', sku: 'BREAD', quantity: 1, refundAmount: bakery }],
        tenders: [{ type: 'card', amount: bakery }],
      });
      bakeryBase -= bakery / 100;
    }
  }
  // After the period: not counted.
  events.push(sale(1, 9, '2026-07-01T10:00:00Z', 5_000, 100));
  await storeEvents(store, events);
  await store.close();
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const clientele = (...args: string[]) => runCli(args, offlineStoreEnv(dir), 120_000);

const period = ['--from', '2026-05-01', '--to', '2026-05-31'];

describe('clientele simulate', () => {
  it('reports exactly the extra points of a doubled category multiplier', async () => {
    const run = await clientele(
      'simulate',
      '--program',
      join(dir, 'candidate.yaml'),
      '--baseline',
      join(dir, 'base.yaml'),
      ...period,
      '--format',
      'json',
      '--workers',
      '2',
    );
    expect(run.stderr).not.toContain('failed');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as SimulationReport;
    const figure = (metric: string) => report.figures.find((f) => f.metric === metric);
    // The bakery rule gave base × 1 extra under the in-force program (× 2 in all) and base × 3
    // under the candidate (× 4): the difference is twice the bakery base, less what was returned.
    expect(figure('points issued')?.difference).toBe(2 * bakeryBase);
    expect(figure('points outstanding at the end')?.difference).toBe(2 * bakeryBase);
    expect(figure('reward cost (points issued)')?.difference).toBe(2 * bakeryBase);
    const rule = (side: string) =>
      report.rules.find((r) => r.rule === 'bakery-double' && r.side === side);
    // What the rule gave at the sales in the period (returns not taken off).
    expect(rule('baseline')?.points).toBe(bakeryBaseSold);
    expect(rule('candidate')?.points).toBe(3 * bakeryBaseSold);
    expect(report.customersAffected).toBe(affected);
    expect(report.run).toMatchObject({ customers: CUSTOMERS, workers: 2 });
    expect(report.run.eventsPerSecond).toBeGreaterThan(0);
    expect(report.extraCostMinor).toBe(2 * bakeryBase);
  }, 180_000);

  it('prints a table and CSV', async () => {
    const args = ['simulate', '--program', join(dir, 'candidate.yaml')];
    const table = await clientele(...args, '--baseline', join(dir, 'base.yaml'), ...period);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^points issued\s+\d+\s+\d+\s+\d+$/m);
    expect(table.stdout).toContain('events/s');
    const csv = await clientele(
      ...args,
      '--baseline',
      join(dir, 'base.yaml'),
      ...period,
      '--format',
      'csv',
    );
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\n')[0]).toBe('section,name,in_force,candidate,difference');
    expect(csv.stdout).toContain(`figure,points issued,`);
    expect(csv.stdout).toMatch(
      new RegExp(`^rule points,bakery-double,${bakeryBaseSold},${3 * bakeryBaseSold},`, 'm'),
    );
  }, 180_000);

  it('refuses a program with mistakes, naming each with its line, and a period with no events', async () => {
    const broken = await clientele(
      'simulate',
      '--program',
      join(dir, 'broken.yaml'),
      '--baseline',
      join(dir, 'base.yaml'),
      ...period,
    );
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/earn\.base\.rate\.perMinor.*\(line 7\)/);
    expect(broken.stderr).toMatch(/multiply.*\(line 14\)/);
    const empty = await clientele(
      'simulate',
      '--program',
      join(dir, 'candidate.yaml'),
      '--baseline',
      join(dir, 'base.yaml'),
      '--from',
      '2027-01-01',
      '--to',
      '2027-01-31',
    );
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no customer events between');
    const badDate = await clientele(
      'simulate',
      '--program',
      join(dir, 'candidate.yaml'),
      '--from',
      'May',
      '--to',
      '2026-05-31',
    );
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain('--from');
  }, 180_000);
});
