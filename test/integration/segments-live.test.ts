/**
 * Live segments on real servers, through the till gateway: a generated population of members
 * buys at two stores over the past weeks; each customer's workflow evaluates the program's
 * segments on every sale and on its timer, the changes reach the SEGMENTS stream and ClickHouse,
 * and the same definitions compiled to SQL over the stored events give the same members (zero
 * differences). Membership as of a past moment, and sizes by day, come from the stored changes.
 */
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askQuestion } from '../../engine/analytics/questions/registry.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { segmentChange } from '../../engine/domain/effects.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { parseCondition } from '../../engine/segments/expression.ts';
import {
  batchMembers,
  liveMembers,
  reconcileSegments,
  segmentSizes,
} from '../../engine/segments/reconcile.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import { SEGMENTS_STREAM, SEGMENTS_SUBJECTS } from '../../engine/streams/topology.ts';
import { saleInput, uniqueId } from '../support/events.ts';
import { programOf } from '../support/loyalty.ts';
import { eventually, startTestStack } from '../support/stack.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

const DAY_MS = 86_400_000;
const CUSTOMERS = 30;
const segment = (id: string, when: string) => ({ id, when, condition: parseCondition(when) });
const SEGMENTS = [
  segment('regulars', 'visits(30) >= 2'),
  segment('coffee-fans', 'coffee in categories(60) and spend_minor(60) >= 3000'),
  segment('good-margin-or-s002', 'margin_minor(90) > 1500 or home_store == S002'),
  segment('lapsed', 'recency_days > 20 and not (bakery in categories(90))'),
  segment('silver-or-better', 'tier in [silver, gold]'),
];
const program: Program = {
  ...programOf(
    {
      segments: SEGMENTS,
      tiers: {
        metric: 'spend',
        windowMonths: 12,
        levels: [
          { id: 'base', name: 'Base', threshold: 0 },
          { id: 'silver', name: 'Silver', threshold: 5_000 },
        ],
      },
    } as never,
    'seg-it@1',
  ),
  effectiveFrom: '2020-01-01T00:00:00Z',
};

let stack: Stack;
const store = () => stack.store as AnalyticsStore;
const tills: Record<string, TestTill> = {};

beforeAll(async () => {
  stack = await startTestStack(['worker', 'router', 'sink', 'till'], undefined, undefined, {
    programs: createProgramCatalog([program]),
  });
  for (const store of ['S001', 'S002']) {
    tills[store] = await connectTill(stack.till?.url as string, store, 'T1', `demo-token-${store}`);
  }
}, 120_000);

afterAll(async () => {
  for (const till of Object.values(tills)) till.close();
  await stack?.stop();
});

/** A small seeded population: 1–4 sales each over the past 50 days, coffee or bakery or both. */
function population(started: number) {
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const sales = [];
  for (let c = 0; c < CUSTOMERS; c++) {
    const customerId = `c-seg-${String(c).padStart(3, '0')}`;
    const visits = 1 + Math.floor(random() * 4);
    for (let v = 0; v < visits; v++) {
      const store = random() < 0.3 ? 'S002' : 'S001';
      const daysAgo = Math.floor(random() * 50);
      const category = random() < 0.5 ? 'coffee' : random() < 0.5 ? 'bakery' : 'produce';
      const price = 500 + Math.floor(random() * 3000);
      sales.push(
        saleInput({
          customerId,
          storeId: store,
          tillId: 'T1',
          eventId: uniqueId('ev'),
          transactionId: uniqueId('tx'),
          occurredAt: new Date(started - daysAgo * DAY_MS - random() * DAY_MS).toISOString(),
          lines: [
            {
              lineId: '1',
              sku: `SKU-${category}`,
              category,
              quantity: 1,
              unitPrice: price,
              fullPrice: price,
              discount: 0,
              unitCost: Math.floor(price * 0.6),
            },
          ],
          tenders: [{ type: 'card', amount: price }],
        }),
      );
    }
  }
  // In time order, as tills would have sent them.
  return sales.sort((a, b) => String(a.occurredAt).localeCompare(String(b.occurredAt)));
}

describe('live segments', () => {
  it('agree with the same definitions over the stored events: zero differences', async () => {
    const started = Date.now();
    const sales = population(started);
    // Each customer's sales in their order; customers side by side, as at many tills.
    const byCustomer = new Map<string, typeof sales>();
    for (const sale of sales) {
      const id = String(sale.customerId);
      byCustomer.set(id, [...(byCustomer.get(id) ?? []), sale]);
    }
    await Promise.all(
      [...byCustomer.values()].map(async (own) => {
        for (const sale of own) {
          expect(await tills[String(sale.storeId)]?.send(sale)).toMatchObject({ ok: true });
        }
      }),
    );
    const asOf = new Date();
    // Changes arrive through the workflows' answers, their timers and the sink: wait for calm.
    const report = await eventually(
      async () => {
        const r = await reconcileSegments(store(), SEGMENTS, asOf, { baseTier: 'base' });
        return r.every((s) => s.differences === 0) ? r : undefined;
      },
      60_000,
      'live and batch membership to agree',
    );
    expect(report.map((s) => s.segmentId)).toEqual(SEGMENTS.map((s) => s.id));
    // Every segment has members and non-members: the comparison says something.
    for (const s of report) {
      expect(s.live, s.segmentId).toBeGreaterThan(0);
      expect(s.live, s.segmentId).toBeLessThan(CUSTOMERS);
    }

    // The stream holds every change the table does, each once.
    const consumer = await jetstream(stack.nc).consumers.get(SEGMENTS_STREAM, {
      filter_subjects: SEGMENTS_SUBJECTS,
    });
    const published: string[] = [];
    const messages = await consumer.fetch({ max_messages: 10_000, expires: 2_000 });
    for await (const m of messages) {
      const c = segmentChange.parse(m.json());
      published.push(`${c.customerId} ${c.segmentId} ${c.change} ${c.at}`);
      if (m.info.pending === 0) break;
    }
    const stored = await store().query<{ k: string }>(
      `SELECT concat(customer_id, ' ', segment_id, ' ', change, ' ', replaceOne(toString(at), ' ', 'T'), 'Z') AS k
       FROM ${store().database}.segment_changes`,
    );
    expect(new Set(published)).toEqual(new Set(stored.map((r) => r.k)));
    expect(published.length).toBe(new Set(published).size);

    // A condition the workflows did not evaluate differs: the comparison can fail.
    const stricter = await reconcileSegments(
      store(),
      [{ id: 'regulars', condition: parseCondition('visits(30) >= 3') }],
      asOf,
    );
    expect(stricter[0]?.differences).toBeGreaterThan(0);
  }, 180_000);

  it('answers membership as of a past moment, and sizes by day', async () => {
    const before = new Date(Date.now() - 60 * DAY_MS);
    expect(await liveMembers(store(), 'regulars', before)).toEqual([]);
    expect(await batchMembers(store(), parseCondition('visits(30) >= 2'), before)).toEqual([]);
    // Three weeks ago, live and batch agree too (the changes carry their own instants).
    const past = new Date(Date.now() - 21 * DAY_MS);
    for (const s of SEGMENTS.filter((x) => x.id !== 'silver-or-better')) {
      expect(await liveMembers(store(), s.id, past), s.id).toEqual(
        await batchMembers(store(), s.condition, past, 'base'),
      );
    }
    // The same as analytics questions (CLI, HTTP): counted by a condition, live members, sizes.
    const now = new Date();
    const regulars = await liveMembers(store(), 'regulars', now);
    const count = await askQuestion(
      store(),
      { question: 'segment', params: { when: 'visits(30) >= 2', limit: '1000' } },
      now,
    );
    expect(count.answer.rows.map((r) => r.customer_id)).toEqual(regulars);
    // Counted in full, listed up to the limit (none with 0).
    expect(regulars.length).toBeGreaterThan(1);
    for (const limit of [1, 0]) {
      const page = await askQuestion(
        store(),
        { question: 'segment', params: { when: 'visits(30) >= 2', limit: String(limit) } },
        now,
      );
      expect(page.answer.summary?.values.customers).toBe(regulars.length);
      expect(page.answer.rows.map((r) => r.customer_id)).toEqual(regulars.slice(0, limit));
    }
    const members = await askQuestion(
      store(),
      { question: 'segment-members', params: { segment: 'regulars' } },
      now,
    );
    expect(members.answer.summary?.values.customers).toBe(regulars.length);
    const wrong = askQuestion(
      store(),
      { question: 'segment', params: { when: 'visits >= 2' } },
      now,
    );
    await expect(wrong).rejects.toMatchObject({
      code: 'invalid_request',
      issues: [expect.objectContaining({ field: 'when' })],
    });

    const today = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 55 * DAY_MS).toISOString().slice(0, 10);
    const sizes = await segmentSizes(store(), 'regulars', from, today);
    expect(sizes.at(-1)?.size).toBe((await liveMembers(store(), 'regulars', new Date())).length);
    expect(sizes[0]?.size).toBe(0);
  }, 60_000);
});
