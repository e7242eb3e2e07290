/**
 * `clientele backfill` end to end on a chDB store: customers' sales, a redemption (a ledger line,
 * the log of what was granted) paying part of a later sale, and derived rows a bug got wrong (an
 * earn line with the wrong points, a stray adjustment, a segment entry no rule makes). The
 * backfill derives the ledger again with the rules (each customer's balance is what the test
 * computes from the sales), keeps the redemption, removes what no rule makes, and a second run
 * leaves every row as it was.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsSchema } from '../../config/settings.ts';
import { createAnalyticsStore } from '../../engine/analytics/open-store.ts';
import { ledgerRow, segmentChangeRow } from '../../engine/analytics/rows.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { offlineStoreEnv, runCli } from '../support/cli.ts';
import { storeEvents } from '../support/stored-events.ts';

let dir: string;
const CUSTOMERS = 8;
/** Each customer's balance, as the test computes it from what it stored. */
const expected = new Map<string, number>();
const PROGRAM = `id: bakery
name: Bakery test
currency: EUR
pointValue: { points: 100, minor: 100 }
earn:
  base:
    rate: { points: 1, perMinor: 100 }
  rules:
    - id: bakery-double
      name: Double points on bakery
      when:
        categories: [bakery]
      effect:
        multiply: 2
`;

const id = (c: number) => `c-bf-${c}`;

function sale(
  c: number,
  n: number,
  occurredAt: string,
  lines: [string, number][],
  tenders?: { type: string; amount: number; redemptionId?: string }[],
) {
  const total = lines.reduce((sum, [, price]) => sum + price, 0);
  return {
    type: 'sale',
    eventId: `ev-bf-${c}-${n}`,
    occurredAt,
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    transactionId: `tx-bf-${c}-${n}`,
    customerId: id(c),
    currency: 'EUR',
    lines: lines.map(([category, unitPrice], i) => ({
      lineId: String(i + 1),
      sku: `${category}-1`,
      category,
      quantity: 1,
      unitPrice,
      fullPrice: unitPrice,
      discount: 0,
      unitCost: unitPrice / 2,
    })),
    tenders: tenders ?? [{ type: 'card', amount: total }],
  };
}

const openStore = () =>
  createAnalyticsStore(settingsSchema.parse({ dataDir: dir, clickhouse: { backend: 'chdb' } }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'clientele-backfill-'));
  writeFileSync(join(dir, 'bakery.yaml'), PROGRAM);
  const store = await openStore();
  await store.migrate();
  const events: unknown[] = [];
  for (let c = 0; c < CUSTOMERS; c++) {
    // 3 bakery (× 2) + 5 dairy = 11 points; then 10 points.
    events.push(
      sale(c, 1, '2026-05-02T09:00:00Z', [
        ['bakery', 300],
        ['dairy', 500],
      ]),
    );
    events.push(sale(c, 2, '2026-05-09T09:00:00Z', [['dairy', 1_000]]));
    expected.set(id(c), 21);
  }
  // Customer 0 spends 10 points on a sale of 20.00: the 19.90 paid by card earns 19.
  events.push(
    sale(
      0,
      3,
      '2026-05-12T10:00:00Z',
      [['dairy', 2_000]],
      [
        { type: 'points', amount: 10, redemptionId: 'rd-bf-0' },
        { type: 'card', amount: 1_990 },
      ],
    ),
  );
  expected.set(id(0), 21 - 10 + 19);
  expected.set(id(4), 21 - 500);
  await storeEvents(store, events);
  const line = (c: number, tx: string, kind: 'redeem' | 'earn' | 'adjust', points: number) =>
    ledgerRow({
      entryId: `${id(c)}/${kind === 'redeem' ? '~redeem/' : ''}${tx}${kind === 'redeem' ? '' : `/${kind}`}`,
      customerId: id(c),
      eventId: tx,
      transactionId: tx,
      kind,
      revision: 0,
      points,
      balanceAfter: 0,
      storeId: 'S001',
      occurredAt: kind === 'redeem' ? '2026-05-12T09:59:00.000Z' : '2026-05-02T09:00:00.000Z',
      programVersion: 'bakery@in-force',
    });
  await store.insert('ledger', [
    // The redemption: the log of what was granted.
    line(0, 'rd-bf-0', 'redeem', -10),
    // A redemption the rules cannot grant (more than the balance): kept as granted, and told.
    line(4, 'rd-bf-4', 'redeem', -500),
    // What a bug wrote: the wrong points, a stray adjustment.
    line(1, 'tx-bf-1-1', 'earn', 999),
    line(2, 'bogus', 'adjust', 50),
  ]);
  await store.insert('segment_changes', [
    segmentChangeRow({
      customerId: id(3),
      segmentId: 'nobody',
      change: 'entered',
      at: '2026-05-02T09:00:00.000Z',
      cause: 'event',
      programVersion: 'bakery@in-force',
    }),
  ]);
  await store.close();
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const clientele = (...args: string[]) =>
  runCli(
    args,
    { ...offlineStoreEnv(dir), CLIENTELE_LOYALTY_PROGRAM_FILE: join(dir, 'bakery.yaml') },
    120_000,
  );

/** The ledger as read with FINAL, every row in order, and the rows stored (before merges). */
async function ledgerOf(store: AnalyticsStore) {
  const rows = await store.query<Record<string, string>>(
    `SELECT entry_id, customer_id, kind, points, revision, balance_after
     FROM ${store.database}.ledger FINAL ORDER BY customer_id, entry_id`,
  );
  const [stored] = await store.query<{ n: string }>(
    `SELECT count() AS n FROM ${store.database}.ledger`,
  );
  const [segments] = await store.query<{ n: string }>(
    `SELECT count() AS n FROM ${store.database}.segment_changes`,
  );
  return { rows, stored: Number(stored?.n), segments: Number(segments?.n) };
}

describe('clientele backfill', () => {
  it('derives the ledger again from the events, keeps the granted redemption, and is idempotent', async () => {
    const first = await clientele('backfill');
    expect(first.stderr).not.toContain('failed');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`backfilled ${CUSTOMERS} customers`);
    expect(first.stdout).toContain('1 granted requests on the ledger the rules no longer write');

    let store = await openStore();
    const after = await ledgerOf(store);
    await store.close();
    const balances = new Map<string, number>();
    for (const row of after.rows) {
      balances.set(
        row.customer_id as string,
        (balances.get(row.customer_id as string) ?? 0) + Number(row.points),
      );
    }
    expect(Object.fromEntries(balances)).toEqual(Object.fromEntries(expected));
    expect(after.rows.filter((r) => r.kind === 'redeem').map((r) => r.entry_id)).toEqual([
      `${id(0)}/~redeem/rd-bf-0`,
      `${id(4)}/~redeem/rd-bf-4`,
    ]);
    expect(after.rows.some((r) => r.kind === 'adjust')).toBe(false);
    expect(after.rows.find((r) => r.entry_id === `${id(1)}/tx-bf-1-1/earn`)?.points).toBe('11');
    expect(after.segments).toBe(0);
    // Every line once: nothing left for a merge to collapse.
    expect(after.stored).toBe(after.rows.length);

    const second = await clientele('backfill');
    expect(second.code).toBe(0);
    store = await openStore();
    const again = await ledgerOf(store);
    await store.close();
    expect(again).toEqual(after);
  }, 240_000);

  it('refuses a bad number of workers, naming the option', async () => {
    const bad = await clientele('backfill', '--workers', '0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--workers');
  });
});
