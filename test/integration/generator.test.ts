/**
 * The data generator writing into chDB: what lands in each table is what the generator counted,
 * the daily aggregates the materialized views fill add up to the fact tables, and
 * `clientele generate` runs end to end (refusing a bad option, and a database that already holds
 * sales unless --replace).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsSchema } from '../../config/settings.ts';
import { createAnalyticsStore } from '../../engine/analytics/open-store.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import {
  DEFAULT_GENERATOR_OPTIONS,
  type GeneratorOptions,
} from '../../engine/generator/generate.ts';
import { type GenerateResult, writeGenerated } from '../../engine/generator/write.ts';
import { runCli } from '../support/cli.ts';

const options: GeneratorOptions = {
  ...DEFAULT_GENERATOR_OPTIONS,
  customers: 2000,
  saleLines: 30_000,
};
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'clientele-generator-'));
  dirs.push(dir);
  return dir;
};

let store: AnalyticsStore;
let result: GenerateResult;
const progress: number[] = [];

beforeAll(async () => {
  store = await createAnalyticsStore(
    settingsSchema.parse({
      dataDir: tempDir(),
      clickhouse: { backend: 'chdb', database: 'generated' },
    }),
    { requestTimeoutMs: 120_000 },
  );
  await store.migrate();
  result = await writeGenerated(store, options, (p) => progress.push(p.saleLines));
}, 120_000);

afterAll(async () => {
  await store?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const one = async (sql: string) => (await store.query<Record<string, string>>(sql))[0] ?? {};

describe('writeGenerated into chDB', () => {
  it('stores exactly the rows it counted, and reports its pace', async () => {
    expect(result.saleLines).toBe(options.saleLines);
    expect(progress.at(-1)).toBe(options.saleLines);
    for (const [table, n] of Object.entries(result.rows)) {
      const { c } = await one(`SELECT count() AS c FROM generated.${table}`);
      expect(Number(c), table).toBe(n);
    }
    expect(result.rows.customers).toBe(options.customers);
    expect(result.totalRows).toBe(Object.values(result.rows).reduce((a, b) => a + (b ?? 0), 0));
    expect(result.rowsPerSecond).toBeGreaterThan(0);
  });

  it('fills the daily aggregates to the same sums as the fact tables', async () => {
    const events =
      await one(`SELECT countIf(type = 'sale') AS sales, countIf(type = 'return') AS returns,
      sum(total_minor) AS net, sum(cost_minor) AS cost, sumIf(line_count, type = 'sale') AS lines,
      countIf(type = 'sale' AND customer_id != '') AS member_sales
      FROM generated.events WHERE type IN ('sale', 'return')`);
    const stores =
      await one(`SELECT sum(sales) AS sales, sum(returns) AS returns, sum(net_minor) AS net,
      sum(cost_minor) AS cost, sum(lines) AS lines, sum(member_sales) AS member_sales FROM generated.store_days`);
    expect(stores).toEqual(events);

    const members = await one(`SELECT countIf(type = 'sale') AS sales, sum(total_minor) AS net
      FROM generated.events WHERE type IN ('sale', 'return') AND customer_id != ''`);
    expect(
      await one('SELECT sum(sales) AS sales, sum(net_minor) AS net FROM generated.customer_days'),
    ).toEqual(members);

    const lines = await one(`SELECT count() AS lines, sum(quantity) AS units,
      sum(quantity * unit_price - discount) AS net, sum(quantity * unit_cost) AS cost FROM generated.sale_lines`);
    expect(
      await one(
        'SELECT sum(lines) AS lines, sum(units) AS units, sum(net_minor) AS net, sum(cost_minor) AS cost FROM generated.category_days',
      ),
    ).toEqual(lines);
    // Each sale's event total is its lines' net.
    expect(lines.net).toBe(
      (await one("SELECT sum(total_minor) AS net FROM generated.events WHERE type = 'sale'")).net,
    );
  });

  it('joins facts to the dimensions and keeps ledgers consistent', async () => {
    const orphans = await one(`SELECT
      (SELECT count() FROM generated.sale_lines WHERE sku NOT IN (SELECT sku FROM generated.products)) AS skus,
      (SELECT count() FROM generated.events WHERE store_id NOT IN (SELECT store_id FROM generated.stores)) AS stores,
      (SELECT count() FROM generated.events WHERE associate_id != '' AND associate_id NOT IN (SELECT staff_id FROM generated.staff)) AS staff,
      (SELECT count() FROM generated.sale_lines WHERE customer_id != '' AND customer_id NOT IN (SELECT customer_id FROM generated.customers)) AS customers`);
    expect(orphans).toEqual({ skus: '0', stores: '0', staff: '0', customers: '0' });
    // The last balance_after of every customer is the sum of their points.
    const { off } = await one(`SELECT countIf(last != total) AS off FROM (
      SELECT customer_id, argMax(balance_after, occurred_at) AS last, sum(points) AS total
      FROM generated.ledger GROUP BY customer_id)`);
    expect(off).toBe('0');
  });
});

const clientele = (dataDir: string, ...args: string[]) =>
  runCli(['generate', ...args], { CLIENTELE_DATA_DIR: dataDir }, 120_000);

describe('clientele generate', () => {
  it('refuses a bad option, naming it', async () => {
    const bad = await clientele(tempDir(), '--customers', 'abc');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--customers must be a positive whole number, not "abc"');
  }, 60_000);

  it('writes a data set, refuses to write over it, and replaces it when asked', async () => {
    const dataDir = tempDir();
    const small = [
      '--customers',
      '200',
      '--lines',
      '2000',
      '--stores',
      '5',
      '--skus',
      '100',
      '--database',
      'gen_cli',
    ];
    const first = await clientele(dataDir, ...small, '--json');
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout) as GenerateResult & { database: string };
    expect(summary).toMatchObject({
      database: 'gen_cli',
      saleLines: 2000,
      rows: { customers: 200, stores: 5 },
    });
    expect(summary.rowsPerSecond).toBeGreaterThan(0);

    const again = await clientele(dataDir, ...small);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/gen_cli already holds 2000 sale lines; pass --replace/);

    const replaced = await clientele(dataDir, ...small, '--lines', '1500', '--replace');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toMatch(/sale_lines\s+1,500/);
    expect(replaced.stdout).toMatch(/rows in [\d.]+ s \([\d,]+ rows\/s\)/);
  }, 180_000);
});
