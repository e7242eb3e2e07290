/**
 * The kept RFM scores (engine/analytics/questions/rfm-scores.ts): questions on unchanged days
 * read the scores computed by the first; a sale in the window, even one merged into another row
 * of the summing table, makes the next question compute them again, and its answer then holds
 * the sale.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnswerRow } from '../../engine/analytics/questions/question.ts';
import { askQuestion } from '../../engine/analytics/questions/registry.ts';
import type { EventRow } from '../../engine/analytics/rows.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import {
  type GeneratorOptions,
  generateBatches,
  generateDimensions,
} from '../../engine/generator/generate.ts';
import { openTestStore, type TestStore } from '../support/analytics-store.ts';

const options: GeneratorOptions = {
  seed: 11,
  customers: 400,
  saleLines: 5_000,
  stores: 3,
  skus: 60,
  from: '2025-01-01',
  to: '2025-12-31',
  currency: 'EUR',
};
const AS_OF = new Date('2025-12-20T12:00:00.000Z');

let opened: TestStore | undefined;
let store: AnalyticsStore;
const events: EventRow[] = [];

beforeAll(async () => {
  opened = await openTestStore('rfm-scores');
  store = opened.store;
  const dimensions = generateDimensions(options);
  await store.insert('stores', dimensions.stores);
  await store.insert('products', dimensions.products);
  for (const batch of generateBatches(options)) {
    events.push(...batch.events);
    for (const [table, rows] of Object.entries(batch)) {
      if ((rows as unknown[]).length > 0) await store.insert(table as never, rows as never);
    }
  }
}, 120_000);

afterAll(async () => {
  await opened?.remove();
});

const ask = async (question: string, params: Record<string, string | boolean> = {}) =>
  (await askQuestion(store, { question, params }, AS_OF)).answer;
const kept = async () => {
  const [row] = await store.query<{ n: string; fingerprints: string }>(
    `SELECT count() AS n, uniqExact(fingerprint) AS fingerprints FROM ${store.database}.rfm_scores`,
  );
  return { computed: Number(row?.n), fingerprints: Number(row?.fingerprints) };
};
const customerRow = async (id: string): Promise<AnswerRow | undefined> =>
  (await ask('rfm', { customers: true, limit: '100000' })).rows.find((r) => r.customer_id === id);

describe('kept RFM scores', () => {
  it('are computed once for questions on the same days, whatever the question', async () => {
    const bySegment = await ask('rfm');
    expect(await kept()).toEqual({ computed: 1, fingerprints: 1 });
    expect(await ask('rfm')).toEqual(bySegment);
    await ask('category-affinity');
    await ask('full-price-index', { population: 'rfm:champions' });
    expect(await kept()).toEqual({ computed: 1, fingerprints: 1 });
    // Another window is other scores.
    await ask('rfm', { days: '90' });
    expect(await kept()).toEqual({ computed: 2, fingerprints: 2 });
  });

  it("find receipts' segments by id hash when the hashes are distinct, as the join on ids does", async () => {
    const [flag] = await store.query<{ unique: number }>(
      `SELECT min(hashes_unique) AS unique FROM ${store.database}.rfm_scores`,
    );
    expect(Number(flag?.unique)).toBe(1);
    const byLookup = await ask('category-affinity');
    expect(byLookup.rows.length).toBeGreaterThan(20);
    // As if two customers shared a hash: the same question joins on the ids.
    await store.command(
      `ALTER TABLE ${store.database}.rfm_scores UPDATE hashes_unique = 0 WHERE 1 SETTINGS mutations_sync = 2`,
    );
    const byJoin = await ask('category-affinity');
    expect(byJoin).toEqual(byLookup);
    expect((await kept()).computed).toBe(2);
  });

  it('are computed again after a sale in the window, and the answer holds it', async () => {
    // The member with the oldest last sale in the window: a sale on the as-of day makes their
    // recency 0 and adds one to their frequency.
    const inWindow = events.filter(
      (e) =>
        e.type === 'sale' &&
        e.customer_id !== '' &&
        e.occurred_at >= '2024-12-21' &&
        e.occurred_at < '2025-12-21',
    );
    const last = new Map<string, EventRow>();
    for (const e of inWindow) {
      const seen = last.get(e.customer_id);
      if (!seen || e.occurred_at > seen.occurred_at) last.set(e.customer_id, e);
    }
    const [oldest] = [...last.values()].sort((a, b) => (a.occurred_at < b.occurred_at ? -1 : 1));
    if (!oldest) throw new Error('the generated data has no member sale in the window');
    const before = await customerRow(oldest.customer_id);
    expect(before?.recency_days).toBeGreaterThan(30);
    const computed = (await kept()).computed;

    // Two sales on the as-of day at the same store, written apart: two rows of one key in the
    // summing table until its parts merge.
    const sale = (n: number, total: number): EventRow => ({
      ...oldest,
      event_id: `rfm-scores-test-sale-${n}`,
      transaction_id: `rfm-scores-test-tx-${n}`,
      occurred_at: `2025-12-20 0${n}:00:00.000`,
      total_minor: total,
    });
    await store.insert('events', [sale(1, 1000)]);
    expect(await customerRow(oldest.customer_id)).toMatchObject({
      recency_days: 0,
      frequency: (before?.frequency as number) + 1,
      r: 5,
    });
    expect((await kept()).computed).toBe(computed + 1);
    await store.insert('events', [sale(2, 234)]);
    const after = await customerRow(oldest.customer_id);
    expect(after).toMatchObject({
      recency_days: 0,
      frequency: (before?.frequency as number) + 2,
      monetary: (before?.monetary as number) + 1234,
      r: 5,
    });
    expect((await kept()).computed).toBe(computed + 2);

    // Merging the summing table's rows changes nothing the fingerprint sees.
    await store.command(`OPTIMIZE TABLE ${store.database}.customer_days FINAL`);
    const [merged] = await store.query<{ n: string }>(
      `SELECT count() AS n FROM ${store.database}.customer_days
       WHERE customer_id = {id:String} AND day = '2025-12-20'`,
      { id: oldest.customer_id },
    );
    expect(Number(merged?.n)).toBe(1);
    expect(await customerRow(oldest.customer_id)).toEqual(after);
    expect((await kept()).computed).toBe(computed + 2);
  });
});
