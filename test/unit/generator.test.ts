/**
 * The data generator: same seed, same rows; another seed, other rows; every event it writes is
 * one the contract accepts; ledger balances run; no refund exceeds what its line paid; ids are
 * unique; and the sizes asked for are met.
 */
import { describe, expect, it } from 'vitest';
import type { RowBatch, TableRows } from '../../engine/analytics/rows.ts';
import { parseRetailEvent } from '../../engine/domain/events.ts';
import {
  DEFAULT_GENERATOR_OPTIONS,
  type GeneratorOptions,
  generateBatches,
  generateDimensions,
} from '../../engine/generator/generate.ts';
import { LoyaltyBook, TIERS } from '../../engine/generator/loyalty.ts';

const small: GeneratorOptions = {
  ...DEFAULT_GENERATOR_OPTIONS,
  customers: 600,
  saleLines: 12_000,
  stores: 8,
  skus: 300,
};

type All = { [T in keyof TableRows]: TableRows[T][] };

function collect(options: GeneratorOptions): All & { batches: number } {
  const all = { batches: 0 } as All & { batches: number };
  for (const batch of generateBatches(options) as Iterable<RowBatch>) {
    all.batches++;
    for (const [table, rows] of Object.entries(batch)) {
      const key = table as keyof TableRows;
      (all[key] as unknown[]) ??= [];
      (all[key] as unknown[]).push(...(rows as unknown[]));
    }
  }
  return all;
}

const data = collect(small);

describe('the data generator', () => {
  it('gives the same rows for the same seed and options, other rows for another seed', () => {
    const again = collect(small);
    expect(JSON.stringify(again)).toBe(JSON.stringify(data));
    expect(JSON.stringify(generateDimensions(small))).toBe(
      JSON.stringify(generateDimensions(small)),
    );
    const other = collect({ ...small, seed: 2 });
    expect(JSON.stringify(other.sale_lines)).not.toBe(JSON.stringify(data.sale_lines));
  });

  it('meets the sizes asked for: every customer, exactly the sale lines', () => {
    expect(data.customers).toHaveLength(small.customers);
    expect(data.sale_lines).toHaveLength(small.saleLines);
    const dims = generateDimensions(small);
    expect(dims.stores).toHaveLength(small.stores);
    expect(dims.stores.filter((s) => s.format === 'web')).toHaveLength(1);
    expect(dims.products).toHaveLength(small.skus);
    expect(new Set(dims.products.map((p) => p.category)).size).toBeGreaterThanOrEqual(20);
    for (const p of dims.products) expect(p.unit_cost).toBeLessThan(p.full_price);
    const storeIds = new Set(dims.stores.map((s) => s.store_id));
    for (const s of dims.staff) expect(storeIds.has(s.store_id)).toBe(true);
    const staffIds = new Set(dims.staff.map((s) => s.staff_id));
    for (const e of data.events)
      if (e.associate_id) expect(staffIds.has(e.associate_id)).toBe(true);
    // Many batches when large, here one for members and one for walk-ins at least.
    expect(data.batches).toBeGreaterThanOrEqual(2);
  });

  it('writes only events the contract accepts, as the live sink would store them', () => {
    const seen = new Set<string>();
    for (const row of data.events) {
      const payload = JSON.parse(row.payload) as Record<string, unknown>;
      if (payload.type === 'customer.registered') {
        // What withoutPersonalData adds in place of the profile.
        delete payload.birthMonthDay;
        delete payload.customerType;
        delete payload.preferredStoreId;
      }
      const parsed = parseRetailEvent(payload);
      if (!parsed.ok) throw new Error(`${row.event_id}: ${JSON.stringify(parsed.issues)}`);
      seen.add(row.type);
    }
    expect([...seen].sort()).toEqual(['customer.registered', 'return', 'sale']);
    for (const c of data.customers) expect(c.customer_id).toMatch(/^[A-Za-z][A-Za-z0-9_-]{2,63}$/);
  });

  it('keeps ids unique: events, transactions per store, sale and return lines, ledger lines', () => {
    const unique = (values: string[]) => expect(new Set(values).size).toBe(values.length);
    unique(data.events.map((e) => e.event_id));
    unique(
      data.events
        .filter((e) => e.transaction_id)
        .map((e) => `${e.store_id}/${e.type}/${e.transaction_id}`),
    );
    unique(data.sale_lines.map((l) => `${l.store_id}/${l.transaction_id}/${l.line_id}`));
    unique(data.return_lines.map((l) => `${l.transaction_id}/${l.line_id}`));
    unique(data.ledger.map((l) => `${l.entry_id}#${l.revision}`));
    unique(data.customers.map((c) => c.customer_id));
  });

  it('never refunds more than the returned sale line paid', () => {
    const lines = new Map(data.sale_lines.map((l) => [`${l.transaction_id}/${l.line_id}`, l]));
    expect(data.return_lines.length).toBeGreaterThan(0);
    for (const r of data.return_lines) {
      const sold = lines.get(`${r.original_transaction_id}/${r.line_id}`);
      expect(sold, r.transaction_id).toBeDefined();
      if (!sold) continue;
      expect(r.sku).toBe(sold.sku);
      expect(r.quantity).toBeLessThanOrEqual(sold.quantity);
      expect(r.refund_amount).toBeLessThanOrEqual(sold.quantity * sold.unit_price - sold.discount);
      expect(r.occurred_at > sold.occurred_at).toBe(true);
    }
  });

  it('keeps a running balance per customer, in time order, with earnings, spending and reversals', () => {
    const byCustomer = new Map<string, TableRows['ledger'][]>();
    for (const l of data.ledger)
      byCustomer.set(l.customer_id, [...(byCustomer.get(l.customer_id) ?? []), l]);
    for (const [customer, lines] of byCustomer) {
      let balance = 0;
      let last = '';
      for (const l of lines) {
        balance += l.points;
        expect(l.balance_after, `${customer} ${l.entry_id}`).toBe(balance);
        expect(l.occurred_at > last, `${customer} ${l.entry_id} in time order`).toBe(true);
        last = l.occurred_at;
      }
    }
    const kinds = new Set(data.ledger.map((l) => l.kind));
    for (const kind of ['earn', 'bonus', 'redeem', 'reverse', 'expire'])
      expect(kinds).toContain(kind);
    for (const t of data.tier_changes) {
      expect(TIERS).toContain(t.from_tier);
      expect(TIERS).toContain(t.to_tier);
    }
    expect(data.tier_changes.some((t) => t.reason === 'upgrade')).toBe(true);
  });

  it('has the shape of retail: anonymous sales, web share, weekends, December, lapsed members', () => {
    const sales = data.events.filter((e) => e.type === 'sale');
    const anonymous = sales.filter((e) => e.customer_id === '').length / sales.length;
    expect(anonymous).toBeGreaterThan(0.05);
    expect(anonymous).toBeLessThan(0.4);
    expect(sales.some((e) => e.channel === 'web' && e.store_id === 'WEB' && e.till_id === '')).toBe(
      true,
    );
    for (const e of sales.filter((s) => s.channel === 'till')) expect(e.till_id).not.toBe('');
    const month = (m: string) => sales.filter((e) => e.occurred_at.slice(5, 7) === m).length;
    expect(month('12')).toBeGreaterThan(month('08'));
    for (const l of data.sale_lines) {
      expect(l.quantity * l.unit_price - l.discount).toBeGreaterThanOrEqual(0);
      expect(l.unit_price).toBeLessThanOrEqual(l.full_price);
    }
    expect(data.sale_lines.some((l) => l.unit_price < l.full_price)).toBe(true);
    expect(data.customers.some((c) => c.household_id !== '')).toBe(true);
    expect(data.customers.some((c) => c.birth_year === null)).toBe(true);
    expect(new Set(data.customers.map((c) => c.acquisition_source)).size).toBeGreaterThanOrEqual(6);
    // Regulars who stopped coming: several sales, none in the last 90 days.
    const visits = new Map<string, { n: number; last: string }>();
    for (const e of sales.filter((s) => s.customer_id !== '')) {
      const v = visits.get(e.customer_id) ?? { n: 0, last: '' };
      v.n += 1;
      if (e.occurred_at > v.last) v.last = e.occurred_at;
      visits.set(e.customer_id, v);
    }
    const lapsed = [...visits.values()].filter((v) => v.n >= 3 && v.last < '2026-09-01');
    expect(lapsed.length).toBeGreaterThan(5);
  });

  it('refuses options that cannot make a data set, naming the option', () => {
    expect(() => generateDimensions({ ...small, stores: 1 })).toThrow(/stores/);
    expect(() => generateDimensions({ ...small, from: '2026-02-30' })).toThrow(/from/);
    expect(() => [...generateBatches({ ...small, customers: 0 })]).toThrow(/customers/);
  });

  it('moves tiers up with spend and down when a return takes spend below the threshold', () => {
    const ledger: TableRows['ledger'][] = [];
    const changes: TableRows['tier_changes'][] = [];
    const book = new LoyaltyBook('c0000001', ledger, changes);
    const earned = book.sale('e1', 't1', 30_000, 'S001', 1_000);
    expect(earned).toBe(300);
    expect(changes.map((c) => c.to_tier)).toEqual(['silver']);
    book.returned('e2', 't1', earned, 10_000, 30_000, 'S001', 2_000);
    expect(ledger.at(-1)).toMatchObject({
      kind: 'reverse',
      points: -100,
      balance_after: 200,
      revision: 1,
    });
    expect(changes.at(-1)).toMatchObject({
      from_tier: 'silver',
      to_tier: 'base',
      reason: 'return',
    });
  });
});
