/**
 * The embedded analytics store (chDB, a real ClickHouse in this process): schema, idempotent
 * inserts (T5: an insert retried after a lost response gives exact row counts), named queries.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsSchema } from '../../config/settings.ts';
import { ChdbStore, chdbPath } from '../../engine/analytics/chdb-store.ts';
import { eraseCustomerAnalytics } from '../../engine/analytics/erasure.ts';
import { createAnalyticsStore } from '../../engine/analytics/open-store.ts';
import {
  countDistinctEvents,
  countRows,
  cuesForTill,
  eventById,
  ledgerForCustomer,
  pointsBalanceByCustomer,
} from '../../engine/analytics/queries.ts';
import { cueRow, eventRows, ledgerRow } from '../../engine/analytics/rows.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { parseRetailEvent, type RetailEvent } from '../../engine/domain/events.ts';
import {
  cueInput,
  ledgerInput,
  registrationInput,
  returnInput,
  saleInput,
} from './analytics-fixtures.ts';

function parsed(input: unknown): RetailEvent {
  const result = parseRetailEvent(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.event;
}

const position = (streamSeq: number) => ({ streamSeq, receivedAt: '2026-03-14T08:30:01Z' });

describe('chDB analytics store', () => {
  let dataDir: string;
  let store: AnalyticsStore;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'clientele-analytics-'));
    const settings = settingsSchema.parse({ dataDir, clickhouse: { backend: 'chdb' } });
    store = await createAnalyticsStore(settings);
    await store.migrate();
  });

  afterAll(async () => {
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is the embedded backend, in <dataDir>/chdb, and migrate() can run again', async () => {
    expect(store.backend).toBe('chdb');
    expect((store as ChdbStore).path).toBe(chdbPath(dataDir));
    await store.migrate();
    const tables = await store.query<{ name: string }>(
      'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name',
      { db: store.database },
    );
    expect(tables.map((t) => t.name)).toEqual([
      'audit_log',
      'baskets',
      'category_days',
      'category_days_mv',
      'cues',
      'customer_days',
      'customer_days_mv',
      'customer_tags',
      'customers',
      'dead_letters',
      'events',
      'fraud_flags',
      'group_members',
      'group_sizes',
      'ledger',
      'lifecycle_triggers',
      'line_days',
      'line_days_baskets_mv',
      'line_days_lines_mv',
      'products',
      'profile_changes',
      'return_lines',
      'rfm_scores',
      'sale_lines',
      'saved_groups',
      'schema_migrations',
      'segment_changes',
      'staff',
      'store_days',
      'store_days_mv',
      'stores',
      'tier_changes',
    ]);
  });

  it('T5: the same insert retried 100 times (lost responses) gives exact row counts', async () => {
    const events = [parsed(saleInput()), parsed(saleInput()), parsed(saleInput())];
    const rows = events.map((e, i) => eventRows(e, position(i + 1)));
    const before = await countDistinctEvents(store);
    // Background merges would collapse the copies at a moment of their choosing: stop them, so the
    // test sees every copy the retries wrote, then merge on purpose.
    await store.command('SYSTEM STOP MERGES clientele.sale_lines');
    for (let attempt = 0; attempt < 100; attempt++) {
      await store.insert(
        'events',
        rows.flatMap((r) => r.events),
      );
      await store.insert(
        'sale_lines',
        rows.flatMap((r) => r.sale_lines),
      );
    }
    expect(await countDistinctEvents(store)).toBe(before + 3);
    const ids = events.map((e) => e.eventId);
    const [lines] = await store.query<{ n: string; raw: string }>(
      `SELECT
         (SELECT count() FROM clientele.sale_lines FINAL WHERE has({ids:Array(String)}, event_id)) AS n,
         (SELECT count() FROM clientele.sale_lines WHERE has({ids:Array(String)}, event_id)) AS raw`,
      { ids: `['${ids.join("','")}']` },
    );
    expect(Number(lines?.n)).toBe(6);
    // Every retry did write its copy: FINAL is what keeps them out of the figures...
    expect(Number(lines?.raw)).toBe(600);
    // ...and a merge removes them for good.
    await store.command('SYSTEM START MERGES clientele.sale_lines');
    await store.command('OPTIMIZE TABLE clientele.sale_lines FINAL');
    const [merged] = await store.query<{ raw: string }>(
      'SELECT count() AS raw FROM clientele.sale_lines WHERE has({ids:Array(String)}, event_id)',
      { ids: `['${ids.join("','")}']` },
    );
    expect(Number(merged?.raw)).toBe(6);
  });

  it('duplicates arriving in differently composed batches count once', async () => {
    const customerId = 'Cbatches';
    const [a, b, c] = [1, 2, 3].map((n) =>
      ledgerRow(ledgerInput({ customerId, points: n * 10, balanceAfter: n * 10 })),
    );
    if (!a || !b || !c) throw new Error('fixtures');
    await store.insert('ledger', [a, b]);
    await store.insert('ledger', [b, c]);
    await store.insert('ledger', [c, a, b]);
    const ledger = await ledgerForCustomer(store, customerId);
    expect(ledger.map((e) => e.entryId).sort()).toEqual(
      [a.entry_id, b.entry_id, c.entry_id].sort(),
    );
    const balances = await pointsBalanceByCustomer(store);
    expect(balances.find((p) => p.customerId === customerId)).toEqual({ customerId, points: 60 });
  });

  it('keeps the partner, reason and operator of loyalty ledger lines', async () => {
    const customerId = 'Cloyalty';
    const partner = ledgerInput({
      customerId,
      entryId: `${customerId}/~partner/fuel/f1`,
      kind: 'partner-earn',
      points: 80,
      partnerId: 'fuel',
    });
    const goodwill = ledgerInput({
      customerId,
      entryId: `${customerId}/~adjust/a1`,
      kind: 'adjust',
      points: 20,
      reason: 'goodwill',
      operatorId: 'staff-7',
    });
    await store.insert('ledger', [ledgerRow(partner), ledgerRow(goodwill)]);
    const ledger = await ledgerForCustomer(store, customerId);
    expect(ledger.map((e) => [e.kind, e.partnerId, e.reason, e.operatorId])).toEqual(
      expect.arrayContaining([
        ['partner-earn', 'fuel', undefined, undefined],
        ['adjust', undefined, 'goodwill', 'staff-7'],
      ]),
    );
  });

  it('stores an event as validated, with money in minor units and times in UTC', async () => {
    const sale = parsed(saleInput());
    await store.insert('events', eventRows(sale, position(42)).events);
    const stored = await eventById(store, sale.eventId);
    expect(stored).toMatchObject({
      eventId: sale.eventId,
      type: 'sale',
      occurredAt: '2026-03-14T08:30:00.250Z',
      storeId: 'S001',
      tillId: 'T1',
      customerId: 'C0001',
      currency: 'EUR',
      totalMinor: 3_397,
      costMinor: 2 * 700 + 300,
      lineCount: 2,
      streamSeq: 42,
      receivedAt: '2026-03-14T08:30:01.000Z',
    });
    expect(stored?.payload).toEqual(sale);
    expect(await eventById(store, 'no-such-event')).toBeUndefined();
  });

  it('stores a return as a negative total with its lines, and no personal data at all', async () => {
    const sale = parsed(saleInput());
    const ret = parsed(returnInput(sale.type === 'sale' ? sale.transactionId : ''));
    const reg = parsed(registrationInput('Cprivate'));
    for (const event of [ret, reg]) {
      const rows = eventRows(event, position(7));
      await store.insert('events', rows.events);
      await store.insert('return_lines', rows.return_lines);
    }
    expect((await eventById(store, ret.eventId))?.totalMinor).toBe(-899);
    const [line] = await store.query<{ refund_amount: string; quantity: string }>(
      'SELECT refund_amount, quantity FROM clientele.return_lines FINAL WHERE event_id = {id:String}',
      { id: ret.eventId },
    );
    expect(line).toEqual({ refund_amount: '899', quantity: '1' });

    const stored = await eventById(store, reg.eventId);
    expect(stored?.customerId).toBe('Cprivate');
    expect(stored?.payload).not.toHaveProperty('profile');
    const [hits] = await store.query<{ n: string }>(
      "SELECT count() AS n FROM clientele.events WHERE positionCaseInsensitive(payload, 'lovelace') > 0",
    );
    expect(hits?.n).toBe('0');
  });

  it('finds a till’s cues, latest first by limit or after an instant', async () => {
    const times = ['2026-03-14T09:00:00Z', '2026-03-14T09:01:00Z', '2026-03-14T09:02:00Z'];
    const cues = times.map((occurredAt, i) =>
      cueInput({ storeId: 'S009', tillId: 'T7', occurredAt, pointsBalance: i }),
    );
    await store.insert('cues', cues.map(cueRow));
    await store.insert('cues', cues.map(cueRow));
    await store.insert('cues', [cueRow(cueInput({ storeId: 'S009', tillId: 'T8' }))]);

    const all = await cuesForTill(store, 'S009', 'T7');
    expect(all.map((c) => c.cueId)).toEqual(cues.map((c) => c.cueId));
    expect(all[0]).toEqual({ ...cues[0], tillId: 'T7', occurredAt: '2026-03-14T09:00:00.000Z' });
    const latest = await cuesForTill(store, 'S009', 'T7', { limit: 2 });
    expect(latest.map((c) => c.occurredAt)).toEqual([
      '2026-03-14T09:01:00.000Z',
      '2026-03-14T09:02:00.000Z',
    ]);
    const missed = await cuesForTill(store, 'S009', 'T7', { since: '2026-03-14T10:00:30+01:00' });
    expect(missed.map((c) => c.occurredAt)).toEqual([
      '2026-03-14T09:01:00.000Z',
      '2026-03-14T09:02:00.000Z',
    ]);
    await expect(cuesForTill(store, 'S009', 'T7', { since: 'yesterday' })).rejects.toThrow(/since/);
  });

  it('returns 64-bit integers as strings and refuses bad SQL with ClickHouse’s message', async () => {
    const rows = await store.query<{ big: string; small: number }>(
      'SELECT toInt64(9007199254740993) AS big, toUInt8(7) AS small',
    );
    expect(rows).toEqual([{ big: '9007199254740993', small: 7 }]);
    await expect(store.query('SELEKT 1')).rejects.toThrow(/Syntax error/);
    expect(await countRows(store, 'dead_letters')).toBe(0);
  });

  it('compiles aggregate functions from a query’s first run (TUNING_SETTINGS)', async () => {
    const rows = await store.query<{ value: string }>(
      "SELECT value FROM system.settings WHERE name = 'min_count_to_compile_aggregate_expression'",
    );
    expect(rows).toEqual([{ value: '0' }]);
  });

  it('keeps its data across close and reopen of the folder', async () => {
    const before = await countDistinctEvents(store);
    expect(before).toBeGreaterThan(0);
    await store.close();
    await store.close(); // idempotent
    await expect(store.query('SELECT 1')).rejects.toThrow(/closed/);
    store = ChdbStore.open(chdbPath(dataDir), { database: 'clientele' });
    expect(await countDistinctEvents(store)).toBe(before);
  });

  it("takes a member's rows, with their birth year and gender, out of the analytics store", async () => {
    const member = (customer_id: string) => ({
      customer_id,
      registered_at: '2026-03-01 10:00:00.000',
      acquisition_source: 'store',
      home_store_id: 'S001',
      household_id: '',
      customer_type: 'individual',
      birth_year: 1990,
      gender: 'female',
      updated_at: '2026-03-01 10:00:00.000',
    });
    const birthYearChange = (customer_id: string) => ({
      customer_id,
      at: '2026-04-01 10:00:00.000',
      event_id: `e-${customer_id}`,
      field: 'birth_year' as const,
      value: '1991',
    });
    await store.insert('customers', [member('c-erase-1'), member('c-keep-1')]);
    await store.insert('profile_changes', [
      birthYearChange('c-erase-1'),
      birthYearChange('c-keep-1'),
    ]);
    expect(await eraseCustomerAnalytics(store, 'c-erase-1')).toEqual({ rowsErased: 2 });
    for (const table of ['customers', 'profile_changes']) {
      const left = await store.query<{ customer_id: string }>(
        `SELECT customer_id FROM clientele.${table} WHERE customer_id IN ('c-erase-1', 'c-keep-1')`,
      );
      expect(left, table).toEqual([{ customer_id: 'c-keep-1' }]);
    }
  });
});
