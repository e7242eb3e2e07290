/**
 * A sink killed mid-batch and restarted leaves no duplicate and no gap in any figure: a real
 * nats-server, a real chDB folder, and a sink process killed (SIGKILL) while its batch is half
 * written: the sale lines, receipts and ledger lines stored, the cues and events not. A new sink
 * gets the whole batch again and must store each fact once, in the tables and in the daily
 * aggregates.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsSchema } from '../../config/settings.ts';
import { createAnalyticsStore } from '../../engine/analytics/open-store.ts';
import { createSink, type Sink } from '../../engine/analytics/sink.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { lineNet, type SaleEvent, saleEvent } from '../../engine/domain/events.ts';
import { type RunningServer, startNatsServer } from '../../engine/runtime/servers.ts';
import { declareStreams } from '../../engine/streams/declare.ts';
import { cueSubject, eventSubject, ledgerSubject } from '../../engine/streams/topology.ts';
import { cueInput, ledgerInput, saleInput } from './analytics-fixtures.ts';

const SALES = 150;

let dataDir: string;
let nats: RunningServer;
let nc: NatsConnection;
let js: JetStreamClient;
let child: ChildProcess | undefined;
let store: AnalyticsStore | undefined;
let sink: Sink | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'clientele-sink-crash-'));
  nats = await startNatsServer({ dataDir });
  nc = await connect({ servers: nats.address });
  await declareStreams(await jetstreamManager(nc), settingsSchema.parse({ dataDir }));
  js = jetstream(nc);
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await sink?.stop();
  await store?.close();
  await nc?.close();
  await nats?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Sales on different days and customers, each with its ledger line and cue; every third has its
 * coffee on a second line too (the same SKU twice: one receipt for it all the same).
 */
function sales(): SaleEvent[] {
  return Array.from({ length: SALES }, (_, i) => {
    const input = saleInput({
      eventId: `crash-sale-${i}`,
      transactionId: `crash-tx-${i}`,
      customerId: `C${String(i % 40).padStart(4, '0')}`,
      storeId: i % 2 === 0 ? 'S001' : 'S002',
      occurredAt: new Date(Date.UTC(2026, 2, 1 + (i % 20), 9, i % 60)).toISOString(),
    });
    if (i % 3 === 0) {
      const coffee = { ...(input.lines[0] as (typeof input.lines)[number]), lineId: 'l3' };
      input.lines = [...input.lines, coffee];
      input.tenders = [{ type: 'card', amount: 3_397 + 2 * 1_299 - 100 }];
    }
    return saleEvent.parse(input);
  });
}

/** Starts the freezing sink process and resolves once it froze on `table`. */
function frozenSink(table: string): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['--import', 'tsx', 'test/support/frozen-sink.ts'], {
    env: {
      ...process.env,
      SINK_NATS: nats.address,
      SINK_DATA_DIR: dataDir,
      SINK_FREEZE_AT: table,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    p.once('exit', (code) =>
      reject(new Error(`the sink process exited (${code}) before freezing`)),
    );
    createInterface({ input: p.stdout as NonNullable<typeof p.stdout> }).on('line', (line) => {
      if (line.startsWith(`frozen ${table}`)) resolve(p);
    });
  });
}

const count = async (sql: string): Promise<number> =>
  Number((await (store as AnalyticsStore).query<{ n: string }>(sql))[0]?.n);

describe('a sink killed mid-batch', () => {
  it('is restarted without a duplicate or a gap in any table or aggregate', async () => {
    const sold = sales();
    for (const sale of sold) {
      await js.publish(eventSubject(sale.storeId), JSON.stringify(sale), { msgID: sale.eventId });
      const ledger = ledgerInput({
        eventId: sale.eventId,
        entryId: `${sale.customerId}/${sale.transactionId}/earn`,
        customerId: sale.customerId,
        transactionId: sale.transactionId,
        occurredAt: sale.occurredAt,
      });
      await js.publish(ledgerSubject(sale.storeId), JSON.stringify(ledger));
      const cue = cueInput({
        eventId: sale.eventId,
        customerId: sale.customerId,
        storeId: sale.storeId,
      });
      await js.publish(cueSubject(sale.storeId, 'T1'), JSON.stringify(cue));
    }
    // The same till sale re-sent under a new event id (after the stream's duplicate window).
    const first = sold[0] as SaleEvent;
    const resent = { ...first, eventId: 'crash-sale-0-resent' };
    await js.publish(eventSubject(first.storeId), JSON.stringify(resent), {
      msgID: resent.eventId,
    });

    // Cues are inserted after the lines and the ledger, before the events: kill it there.
    child = await frozenSink('cues');
    child.kill('SIGKILL');
    await new Promise((resolve) => child?.once('exit', resolve));
    child = undefined;

    store = await createAnalyticsStore(
      settingsSchema.parse({ dataDir, clickhouse: { backend: 'chdb' } }),
    );
    const db = store.database;
    // Half written: lines, receipts and ledger lines stored, no event, no cue.
    expect(await count(`SELECT count() AS n FROM ${db}.sale_lines`)).toBeGreaterThan(0);
    expect(await count(`SELECT count() AS n FROM ${db}.baskets`)).toBeGreaterThan(0);
    expect(await count(`SELECT count() AS n FROM ${db}.ledger`)).toBeGreaterThan(0);
    expect(await count(`SELECT count() AS n FROM ${db}.events`)).toBe(0);
    expect(await count(`SELECT count() AS n FROM ${db}.cues`)).toBe(0);

    // The same ack wait as the killed sink's (it follows from flushMs and flushTimeoutMs).
    sink = createSink({
      nc,
      store,
      batchSize: 500,
      flushMs: 500,
      flushTimeoutMs: 3_000,
      logger: pino({ level: 'silent' }),
    });
    await sink.start();
    // The killed sink's messages come back once their ack wait ends.
    const deadline = Date.now() + 60_000;
    while ((await count(`SELECT count() AS n FROM ${db}.cues`)) < SALES) {
      if (Date.now() > deadline) throw new Error('the batch was not redelivered within 60 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    const settle = Date.now() + 10_000;
    while ((await count(`SELECT count() AS n FROM ${db}.events`)) < SALES && Date.now() < settle) {
      await new Promise((r) => setTimeout(r, 100));
    }

    // Every table: one row per fact, read plainly (no FINAL).
    const lines = sold.reduce((n, s) => n + s.lines.length, 0);
    expect(await count(`SELECT count() AS n FROM ${db}.events`)).toBe(SALES);
    expect(await count(`SELECT count() AS n FROM ${db}.sale_lines`)).toBe(lines);
    expect(await count(`SELECT count() AS n FROM ${db}.baskets`)).toBe(SALES);
    expect(await count(`SELECT count() AS n FROM ${db}.ledger`)).toBe(SALES);
    expect(await count(`SELECT count() AS n FROM ${db}.cues`)).toBe(SALES);

    // Every aggregate: the figures of the sales themselves, computed here.
    const net = sold.reduce((sum, s) => sum + s.lines.reduce((n, l) => n + lineNet(l), 0), 0);
    const cost = sold.reduce(
      (sum, s) => sum + s.lines.reduce((n, l) => n + l.quantity * l.unitCost, 0),
      0,
    );
    const figures = async (table: string) =>
      (
        await (store as AnalyticsStore).query<{ sales: string; net: string; cost: string }>(
          `SELECT sum(sales) AS sales, sum(net_minor) AS net, sum(cost_minor) AS cost FROM ${db}.${table}`,
        )
      )[0];
    const expected = { sales: String(SALES), net: String(net), cost: String(cost) };
    expect(await figures('customer_days')).toEqual(expected);
    expect(await figures('store_days')).toEqual(expected);
    const categories = await store.query<{ lines: string; net: string }>(
      `SELECT sum(lines) AS lines, sum(net_minor) AS net FROM ${db}.category_days`,
    );
    expect(categories).toEqual([{ lines: String(lines), net: String(net) }]);
    const receipts = await store.query<{ n: string; lines: string; net: string }>(
      `SELECT count() AS n, sum(lines) AS lines, sum(net_minor) AS net FROM ${db}.baskets`,
    );
    expect(receipts).toEqual([{ n: String(SALES), lines: String(lines), net: String(net) }]);
    // By value: a receipt counts once for each distinct category, brand and SKU it holds.
    const byValue = await store.query<Record<string, string>>(
      `SELECT toString(dimension) AS dimension, sum(receipts) AS receipts, sum(lines) AS lines,
         sum(net_minor) AS net, sum(cost_minor) AS cost
       FROM ${db}.line_days GROUP BY dimension ORDER BY dimension`,
    );
    const distinct = (of: (line: SaleEvent['lines'][number]) => string) =>
      String(sold.reduce((n, s) => n + new Set(s.lines.map(of)).size, 0));
    const totals = { lines: String(lines), net: String(net), cost: String(cost) };
    expect(byValue).toEqual([
      { dimension: 'brand', receipts: distinct((l) => l.brand ?? ''), ...totals },
      { dimension: 'category', receipts: distinct((l) => l.category), ...totals },
      { dimension: 'sku', receipts: distinct((l) => l.sku), ...totals },
    ]);
    const perCustomer = await store.query<{ customer_id: string; sales: string }>(
      `SELECT customer_id, sum(sales) AS sales FROM ${db}.customer_days GROUP BY customer_id ORDER BY customer_id`,
    );
    const bought = new Map<string, number>();
    for (const s of sold) bought.set(s.customerId ?? '', (bought.get(s.customerId ?? '') ?? 0) + 1);
    expect(perCustomer).toEqual(
      [...bought.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([customer_id, n]) => ({ customer_id, sales: String(n) })),
    );
  });
});
