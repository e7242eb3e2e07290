/**
 * `sales` by category, brand or SKU without other filters reads the daily figures by value
 * (`line_days`, migration 7) instead of the sale lines: the same answers as the lines, checked
 * against figures worked out here from the generated rows and against the lines' own plan (forced
 * by a line filter every line passes). One receipt holds the same SKU on two lines, split across
 * two inserts: it counts once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sales, salesQuery } from '../../engine/analytics/questions/business/sales.ts';
import type { Answer } from '../../engine/analytics/questions/question.ts';
import { eventRows, type SaleLineRow } from '../../engine/analytics/rows.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { saleEvent } from '../../engine/domain/events.ts';
import {
  FACT_TABLES,
  generateBatches,
  generateDimensions,
} from '../../engine/generator/generate.ts';
import { openTestStore, type TestStore } from '../support/analytics-store.ts';
import { saleInput } from './analytics-fixtures.ts';

const options = {
  seed: 5,
  customers: 400,
  saleLines: 8_000,
  stores: 4,
  skus: 120,
  from: '2026-01-01',
  to: '2026-03-31',
  currency: 'EUR',
};
const asOf = new Date('2026-03-31T12:00:00.000Z');

let opened: TestStore | undefined;
let store: AnalyticsStore;
const lines: SaleLineRow[] = [];

/** A receipt with the coffee on two lines (the SKU twice) and a mug. */
const twice = saleEvent.parse(
  saleInput({
    transactionId: 'tx-twice',
    occurredAt: '2026-02-10T10:00:00Z',
    lines: [
      ...saleInput().lines,
      { ...(saleInput().lines[0] as ReturnType<typeof saleInput>['lines'][number]), lineId: 'l3' },
    ],
    tenders: [{ type: 'card', amount: 3_397 + 2 * 1_299 - 100 }],
  }),
);

beforeAll(async () => {
  opened = await openTestStore('sales-line-days');
  store = opened.store;
  const dimensions = generateDimensions(options);
  await store.insert('stores', dimensions.stores);
  await store.insert('products', dimensions.products);
  for (const batch of generateBatches(options)) {
    lines.push(...batch.sale_lines);
    for (const table of FACT_TABLES) {
      if (batch[table].length > 0) await store.insert(table, batch[table] as never);
    }
  }
  // Its lines in two inserts, as a sink split by a refused row would write them.
  const rows = eventRows(twice, { streamSeq: 1, receivedAt: 0 });
  await store.insert('sale_lines', rows.sale_lines.slice(0, 2));
  await store.insert('sale_lines', rows.sale_lines.slice(2));
  await store.insert('baskets', rows.baskets ?? []);
  lines.push(...rows.sale_lines);
}, 120_000);

afterAll(async () => {
  await opened?.remove();
});

const ask = (params: Record<string, string>): Promise<Answer> =>
  sales.run(store, sales.params.parse(params), asOf);

/** The figures worked out from the lines: receipts are distinct (store, transaction) pairs. */
function expected(
  by: 'category' | 'brand' | 'sku',
  from: string,
  to: string,
  only?: (value: string) => boolean,
) {
  const groups = new Map<
    string,
    { receipts: Set<string>; lines: number; net: number; cost: number }
  >();
  for (const l of lines) {
    const day = l.occurred_at.slice(0, 10);
    const value = l[by];
    if (day < from || day > to || (only && !only(value))) continue;
    const g = groups.get(value) ?? { receipts: new Set(), lines: 0, net: 0, cost: 0 };
    g.receipts.add(`${l.store_id}|${l.transaction_id}`);
    g.lines += 1;
    g.net += l.quantity * l.unit_price - l.discount;
    g.cost += l.quantity * l.unit_cost;
    groups.set(value, g);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([value, g]) => ({
      [by]: value,
      receipts: g.receipts.size,
      lines: g.lines,
      net: g.net,
      margin: g.net - g.cost,
    }));
}

const figures = (answer: Answer) => answer.rows.map(({ average_receipt: _average, ...row }) => row);

describe('sales by value from line_days', () => {
  it('is the plan for a grouping by category, brand or SKU with only the days and its own list', () => {
    const plan = (params: Record<string, string>) =>
      salesQuery(store.database, sales.params.parse(params), {
        from: '2026-01-01',
        to: '2026-03-31',
      }).reads;
    expect(plan({ by: 'sku' })).toBe('line_days');
    expect(plan({ by: 'category', categories: 'coffee' })).toBe('line_days');
    expect(plan({ by: 'category', brands: 'Roastery' })).toBe('lines');
    expect(plan({ by: 'brand', stores: 'S001' })).toBe('lines');
    expect(plan({ by: 'sku', customers: 'members' })).toBe('lines');
    expect(plan({ by: 'store' })).toBe('events');
  });

  it('counts a receipt with the same SKU on two lines once', async () => {
    const answer = await ask({ by: 'sku', from: '2026-02-10', to: '2026-02-10' });
    const day = expected('sku', '2026-02-10', '2026-02-10');
    expect(figures(answer)).toEqual(day);
    const coffee = lines.filter((l) => l.sku === 'COFFEE-1KG');
    expect(coffee).toHaveLength(2);
    expect(answer.rows.find((r) => r.sku === 'COFFEE-1KG')).toMatchObject({
      receipts: 1,
      lines: 2,
    });
  });

  it('answers as the lines do, by category, brand and SKU, whole period and a part', async () => {
    for (const by of ['category', 'brand', 'sku'] as const) {
      for (const [from, to] of [
        ['2026-01-01', '2026-03-31'],
        ['2026-02-03', '2026-02-19'],
      ] as const) {
        const fast = await ask({ by, from, to });
        // A line filter every line passes: the lines' plan, the same figures.
        const slow = await ask({ by, from, to, minPrice: '0' });
        expect(figures(fast)).toEqual(expected(by, from, to));
        expect(fast.rows).toEqual(slow.rows);
      }
    }
  });

  it('applies the grouping’s own list', async () => {
    const wanted = ['coffee', 'homeware', 'no-such-category'];
    const fast = await ask({
      by: 'category',
      from: '2026-01-01',
      to: '2026-03-31',
      categories: wanted.join(','),
    });
    expect(figures(fast)).toEqual(
      expected('category', '2026-01-01', '2026-03-31', (v) => wanted.includes(v)),
    );
    const slow = await ask({
      by: 'category',
      from: '2026-01-01',
      to: '2026-03-31',
      categories: wanted.join(','),
      minPrice: '0',
    });
    expect(fast.rows).toEqual(slow.rows);
  });
});
