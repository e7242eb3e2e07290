/**
 * Versioned migrations of the analytics database on chDB: a fresh database gets every migration
 * once and records it; one built before migrations were recorded (its tables made by the same
 * statements) is brought under them without losing a row; an edited or unknown migration is
 * refused before anything runs; a migration that fails part way names itself and its statement,
 * is not recorded, and runs again from its start once fixed. Migration 7's backfill of receipts
 * (`baskets`) writes the rows the sink's mapping writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsSchema } from '../../config/settings.ts';
import {
  checksumOf,
  MIGRATIONS,
  type Migration,
  MigrationError,
  runMigrations,
} from '../../engine/analytics/migrations.ts';
import { createAnalyticsStore } from '../../engine/analytics/open-store.ts';
import { eventRows } from '../../engine/analytics/rows.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { saleEvent } from '../../engine/domain/events.ts';
import { saleInput } from './analytics-fixtures.ts';

let dataDir: string;
let store: AnalyticsStore;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'clientele-migrations-'));
  store = await createAnalyticsStore(
    settingsSchema.parse({ dataDir, clickhouse: { backend: 'chdb' } }),
  );
});

afterAll(async () => {
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The store's engine, on a database of the test's own. */
const on = (database: string) => ({
  database,
  query: store.query.bind(store),
  command: store.command.bind(store),
});

const recorded = (database: string) =>
  store.query<{ version: number; name: string; checksum: string }>(
    `SELECT version, name, checksum FROM ${database}.schema_migrations FINAL ORDER BY version`,
  );

const tablesOf = async (database: string) =>
  (
    await store.query<{ name: string }>(
      'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name',
      { db: database },
    )
  ).map((t) => t.name);

const columnsOf = async (database: string, table: string) =>
  (
    await store.query<{ name: string }>(
      'SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String}',
      { db: database, t: table },
    )
  ).map((c) => c.name);

describe('analytics migrations', () => {
  it('apply each migration once to a fresh database and record it', async () => {
    const db = 'm_fresh';
    const applied = await runMigrations(on(db));
    expect(applied.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await recorded(db)).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name, checksum: checksumOf(m) })),
    );
    expect(await tablesOf(db)).toEqual(
      expect.arrayContaining(['events', 'sale_lines', 'ledger', 'schema_migrations']),
    );
    expect(await columnsOf(db, 'ledger')).toEqual(
      expect.arrayContaining(['partner_id', 'reason', 'operator_id']),
    );
    expect(await runMigrations(on(db))).toEqual([]);
    expect(await recorded(db)).toHaveLength(MIGRATIONS.length);
  });

  it('bring a database made before they were recorded under them, keeping its rows', async () => {
    const db = 'm_before';
    // Migrations 1 and 2 are plain statements: what a release before the record ran.
    for (const m of MIGRATIONS.slice(0, 2))
      for (const statement of m.statements(db)) await store.command(String(statement));
    await store.command(
      `INSERT INTO ${db}.events (event_id, type, occurred_at, total_minor) VALUES ('e-1', 'sale', now64(3), 1999)`,
    );
    expect(await tablesOf(db)).not.toContain('schema_migrations');
    const applied = await runMigrations(on(db));
    expect(applied.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const rows = await store.query<{ event_id: string; total_minor: string }>(
      `SELECT event_id, total_minor FROM ${db}.events FINAL`,
    );
    expect(rows).toEqual([{ event_id: 'e-1', total_minor: '1999' }]);
  });

  it('rebuild the facts by customer and day (3): a sale re-sent under a new event id is one sale, and a rebuild stopped at any statement finishes', async () => {
    const db = 'm_layout';
    await runMigrations(on(db), MIGRATIONS.slice(0, 2));
    const sale = (eventId: string) =>
      `('${eventId}', 'sale', toDateTime64('2026-03-02 10:00:00', 3, 'UTC'), 's1', 'c-1', 't-9', 1500, 900, 2)`;
    await store.command(
      `INSERT INTO ${db}.events (event_id, type, occurred_at, store_id, customer_id, transaction_id, total_minor, cost_minor, line_count) VALUES ${sale('e-1')}, ${sale('e-1-resent')}`,
    );
    const line = (eventId: string, lineId: string, price: number) =>
      `('${eventId}', '${lineId}', 't-9', 'sku-${lineId}', 'coffee', 1, ${price}, ${price}, 0, 300, 'c-1', 's1', toDateTime64('2026-03-02 10:00:00', 3, 'UTC'))`;
    await store.command(
      `INSERT INTO ${db}.sale_lines (event_id, line_id, transaction_id, sku, category, quantity, unit_price, full_price, discount, unit_cost, customer_id, store_id, occurred_at) VALUES ${line('e-1', 'l1', 1000)}, ${line('e-1', 'l2', 500)}, ${line('e-1-resent', 'l1', 1000)}, ${line('e-1-resent', 'l2', 500)}`,
    );
    // A return of line l1, stored before return lines carried their sale line's cost.
    await store.command(
      `INSERT INTO ${db}.return_lines (event_id, line_id, transaction_id, original_transaction_id, sku, quantity, refund_amount, customer_id, store_id, occurred_at) VALUES ('r-1', 'l1', 't-r1', 't-9', 'sku-l1', 1, 1000, 'c-1', 's1', toDateTime64('2026-03-03 10:00:00', 3, 'UTC'))`,
    );
    // Before: by event id, the re-sent sale is a second sale even with FINAL.
    const sales = async () =>
      (await store.query<{ n: string }>(`SELECT count() AS n FROM ${db}.events FINAL`))[0]?.n;
    expect(await sales()).toBe('2');

    // A rebuild stopped after its exchange: the statements up to and including the events
    // table's EXCHANGE ran, the rest did not.
    const third = MIGRATIONS[2] as Migration;
    const statements = third.statements(db);
    const exchange = statements.findIndex(
      (st) => typeof st !== 'string' && st.sql.startsWith(`EXCHANGE TABLES ${db}.events`),
    );
    for (const st of statements.slice(0, exchange + 1)) {
      if (typeof st === 'string') await store.command(st);
      else if ((await store.query(st.onlyIf)).length > 0) await store.command(st.sql);
    }
    expect((await runMigrations(on(db))).map((m) => m.version)).toEqual(
      MIGRATIONS.slice(2).map((m) => m.version),
    );

    expect(await sales()).toBe('1');
    const plain = await store.query<{ n: string; net: string }>(
      `SELECT count() AS n, sum(quantity * unit_price - discount) AS net FROM ${db}.sale_lines`,
    );
    expect(plain).toEqual([{ n: '2', net: '1500' }]);
    const days = await store.query<Record<string, string>>(
      `SELECT customer_id, toString(day) AS day, sum(sales) AS sales, sum(net_minor) AS net, sum(lines) AS lines
       FROM ${db}.customer_days GROUP BY customer_id, day`,
    );
    expect(days).toEqual([
      { customer_id: 'c-1', day: '2026-03-02', sales: '1', net: '1500', lines: '2' },
    ]);
    const keys = await store.query<{ name: string; sorting_key: string; partition_key: string }>(
      `SELECT name, sorting_key, partition_key FROM system.tables WHERE database = {db:String} AND name IN ('events', 'sale_lines') ORDER BY name`,
      { db },
    );
    expect(keys.map((k) => k.sorting_key)).toEqual([
      'customer_id, toDate(occurred_at), type, store_id, transaction_id',
      'customer_id, toDate(occurred_at), store_id, transaction_id, line_id',
    ]);
    expect(keys.every((k) => k.partition_key === 'toYYYYMM(occurred_at)')).toBe(true);
    expect(await tablesOf(db)).not.toContain('events_v3');
    // Migration 5 gave the stored return line its sale line's cost, and left no helper table.
    expect(await store.query(`SELECT line_id, unit_cost FROM ${db}.return_lines`)).toEqual([
      { line_id: 'l1', unit_cost: '300' },
    ]);
    expect(await tablesOf(db)).not.toContain('returned_line_costs');

    // New rows reach the aggregates through their views.
    await store.command(
      `INSERT INTO ${db}.events (event_id, type, occurred_at, store_id, customer_id, transaction_id, total_minor, cost_minor, line_count) VALUES ('e-2', 'sale', toDateTime64('2026-03-02 12:00:00', 3, 'UTC'), 's1', 'c-1', 't-10', 700, 100, 1)`,
    );
    const after = await store.query<{ sales: string; net: string }>(
      `SELECT sum(sales) AS sales, sum(net_minor) AS net FROM ${db}.customer_days WHERE customer_id = 'c-1'`,
    );
    expect(after).toEqual([{ sales: '2', net: '2200' }]);
  });

  it('backfill receipts (7) as the sink writes them, and daily figures by value that count a receipt once', async () => {
    const db = store.database;
    await runMigrations(on(db), MIGRATIONS.slice(0, 6));
    const coffee = saleInput().lines[0] as ReturnType<typeof saleInput>['lines'][number];
    const sales = [
      saleInput({ transactionId: 'b-1' }),
      // The same SKU on two lines, at full price; categories out of order; no brand.
      saleInput({
        transactionId: 'b-2',
        customerId: 'C0002',
        lines: [
          { ...coffee, lineId: 'l1', category: 'zeta', unitPrice: 1_499, discount: 0 },
          { ...coffee, lineId: 'l2', category: 'alpha', brand: undefined },
          { ...coffee, lineId: 'l3', category: 'zeta', unitPrice: 1_499, discount: 0 },
        ],
        tenders: [{ type: 'card', amount: 2 * 2 * 1_499 + 2 * 1_299 - 100 }],
      }),
      // Anonymous, another day.
      saleInput({
        transactionId: 'b-3',
        customerId: undefined,
        occurredAt: '2026-03-15T18:00:00Z',
      }),
    ].map((input) => saleEvent.parse(input));
    const rows = sales.map((sale, i) => eventRows(sale, { streamSeq: i + 1, receivedAt: 0 }));
    await store.insert(
      'sale_lines',
      rows.flatMap((r) => r.sale_lines),
    );
    const throughSeven = MIGRATIONS.slice(0, 7);
    expect((await runMigrations(on(db), throughSeven)).map((m) => m.version)).toEqual([7]);

    // Int64 columns come back as strings (store.ts).
    const expected = rows
      .flatMap((r) => r.baskets ?? [])
      .map((b) => ({
        ...b,
        net_minor: String(b.net_minor),
        cost_minor: String(b.cost_minor),
        full_price_net_minor: String(b.full_price_net_minor),
        category_net_minor: b.category_net_minor.map(String),
      }))
      .sort((a, b) => a.transaction_id.localeCompare(b.transaction_id));
    expect(expected[1]).toMatchObject({
      categories: ['alpha', 'zeta'],
      category_lines: [1, 2],
      brands: ['', 'Roastery'],
      skus: ['COFFEE-1KG'],
    });
    expect(await store.query(`SELECT * FROM ${db}.baskets ORDER BY transaction_id`)).toEqual(
      expected,
    );

    // A receipt counts once per distinct value; lines, units and money are the lines'.
    const byValue = async () =>
      store.query<Record<string, string>>(
        `SELECT toString(dimension) AS dimension, value, sum(receipts) AS receipts,
           sum(lines) AS lines, sum(units) AS units, sum(net_minor) AS net
         FROM ${db}.line_days WHERE dimension != 'brand' GROUP BY dimension, value
         ORDER BY dimension, value`,
      );
    expect(await byValue()).toEqual([
      { dimension: 'category', value: 'alpha', receipts: '1', lines: '1', units: '2', net: '2498' },
      {
        dimension: 'category',
        value: 'coffee',
        receipts: '2',
        lines: '2',
        units: '4',
        net: '4996',
      },
      {
        dimension: 'category',
        value: 'homeware',
        receipts: '2',
        lines: '2',
        units: '2',
        net: '1798',
      },
      { dimension: 'category', value: 'zeta', receipts: '1', lines: '2', units: '4', net: '5996' },
      {
        dimension: 'sku',
        value: 'COFFEE-1KG',
        receipts: '3',
        lines: '5',
        units: '10',
        net: '13490',
      },
      { dimension: 'sku', value: 'MUG', receipts: '2', lines: '2', units: '2', net: '1798' },
    ]);

    // Run again: the backfill is skipped, nothing counts twice.
    await store.command(
      `ALTER TABLE ${db}.schema_migrations DELETE WHERE version = 7 SETTINGS mutations_sync = 1`,
    );
    expect((await runMigrations(on(db), throughSeven)).map((m) => m.version)).toEqual([7]);
    expect(await store.query(`SELECT count() AS n FROM ${db}.baskets`)).toEqual([{ n: '3' }]);

    // New receipts reach line_days through the views.
    const later = saleEvent.parse(
      saleInput({ transactionId: 'b-4', occurredAt: '2026-03-16T10:00:00Z' }),
    );
    const laterRows = eventRows(later, { streamSeq: 9, receivedAt: 0 });
    await store.insert('sale_lines', laterRows.sale_lines);
    await store.insert('baskets', laterRows.baskets ?? []);
    expect((await byValue()).find((r) => r.value === 'MUG')).toMatchObject({
      receipts: '3',
      lines: '3',
    });
  });

  it('refuse an edited migration and one this release does not know, before running anything', async () => {
    const db = 'm_refused';
    await runMigrations(on(db));
    const [first, second] = MIGRATIONS as [Migration, Migration];
    const edited: Migration = {
      ...second,
      statements: (d) => [...second.statements(d), `ALTER TABLE ${d}.ledger DROP COLUMN reason`],
    };
    await expect(runMigrations(on(db), [first, edited])).rejects.toThrow(
      /migration 2 \(ledger: .*\) ran on m_refused with different statements/,
    );
    await expect(runMigrations(on(db), [first])).rejects.toThrow(
      /has migration 2 \(ledger: .*\), which this release does not know/,
    );
    // Nothing ran: the column the edited text would drop is there.
    expect(await columnsOf(db, 'ledger')).toContain('reason');
  });

  it('name a failing migration and its statement, and run it again from its start once fixed', async () => {
    const db = 'm_failing';
    await runMigrations(on(db));
    const third = (broken: boolean): Migration => ({
      version: MIGRATIONS.length + 1,
      name: 'a table of offers',
      statements: (d) => [
        `CREATE TABLE IF NOT EXISTS ${d}.offers (offer_id String) ENGINE = ReplacingMergeTree ORDER BY offer_id`,
        broken
          ? `ALTER TABLE ${d}.offers ADD COLUMN IF NOT EXISTS ends_at NoSuchType`
          : `ALTER TABLE ${d}.offers ADD COLUMN IF NOT EXISTS ends_at DateTime64(3, 'UTC')`,
      ],
    });
    const failed = runMigrations(on(db), [...MIGRATIONS, third(true)]);
    await expect(failed).rejects.toBeInstanceOf(MigrationError);
    await expect(failed).rejects.toThrow(
      new RegExp(`migration ${MIGRATIONS.length + 1} \\(a table of offers\\), statement 2, failed`),
    );
    expect((await recorded(db)).map((m) => m.version)).not.toContain(MIGRATIONS.length + 1);
    // Fixed (a new text of a migration that never ran is not an edit): it runs from the start.
    const applied = await runMigrations(on(db), [...MIGRATIONS, third(false)]);
    expect(applied.map((m) => m.version)).toEqual([MIGRATIONS.length + 1]);
    expect(await columnsOf(db, 'offers')).toEqual(['offer_id', 'ends_at']);
  });

  it('refuse versions out of order', async () => {
    const [first, second] = MIGRATIONS as [Migration, Migration];
    await expect(runMigrations(on('m_order'), [first, { ...second, version: 3 }])).rejects.toThrow(
      /migration 3 .* is at place 2/,
    );
  });
});
