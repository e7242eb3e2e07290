/**
 * The business questions on a generated data set in chDB, each answer checked against the same
 * figure worked out here in plain TypeScript from the rows as generated (never from SQL or from
 * an answer): counts and money exactly, ratios to rounding.
 *
 * Every 40th member's registration is left out, so some customers are known only by their
 * purchases (their cohort is their first purchase's month). The as-of moment is mid-day,
 * mid-month, with data after it, so "nothing after the as-of moment" is checked as well.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSINESS_QUESTIONS } from '../../engine/analytics/questions/business/index.ts';
import type { Answer, AnswerRow, AnyQuestion } from '../../engine/analytics/questions/question.ts';
import { addDays } from '../../engine/analytics/questions/window.ts';
import type {
  CustomerRow,
  EventRow,
  LedgerRow,
  ReturnLineRow,
  SaleLineRow,
  StaffRow,
  StoreRow,
} from '../../engine/analytics/rows.ts';
import { toClickHouseTime } from '../../engine/analytics/rows.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { generateBatches, generateDimensions } from '../../engine/generator/generate.ts';
import { openTestStore, type TestStore } from '../support/analytics-store.ts';

const options = {
  seed: 11,
  customers: 1500,
  saleLines: 20_000,
  stores: 6,
  skus: 300,
  from: '2025-01-01',
  to: '2025-12-31',
  currency: 'EUR',
};
const asOf = new Date('2025-12-20T12:00:00.000Z');
const asOfDay = '2025-12-20';
const asOfTime = '2025-12-20 12:00:00.000';

let opened: TestStore | undefined;
let store: AnalyticsStore;
const data = {
  customers: [] as CustomerRow[],
  events: [] as EventRow[],
  saleLines: [] as SaleLineRow[],
  returnLines: [] as ReturnLineRow[],
  ledger: [] as LedgerRow[],
  staff: [] as StaffRow[],
  stores: [] as StoreRow[],
};

beforeAll(async () => {
  opened = await openTestStore('business');
  store = opened.store;
  const dimensions = generateDimensions(options);
  data.stores.push(...dimensions.stores);
  await store.insert('stores', dimensions.stores);
  await store.insert('products', dimensions.products);
  await store.insert('staff', dimensions.staff);
  data.staff = dimensions.staff;
  for (const batch of generateBatches(options)) {
    const customers = batch.customers.filter((c) => Number(c.customer_id.slice(1)) % 40 !== 0);
    await store.insert('customers', customers);
    await store.insert('events', batch.events);
    await store.insert('sale_lines', batch.sale_lines);
    await store.insert('return_lines', batch.return_lines);
    await store.insert('ledger', batch.ledger);
    await store.insert('tier_changes', batch.tier_changes);
    data.customers.push(...customers);
    data.events.push(...batch.events);
    data.saleLines.push(...batch.sale_lines);
    data.returnLines.push(...batch.return_lines);
    data.ledger.push(...batch.ledger);
  }
  // Revised ledger lines, as the engine writes them when returns come in: a later revision of
  // some reversals and earn lines (more points, a day later), which must replace the earlier.
  const revisions = data.ledger
    .filter((row, i) => (row.kind === 'reverse' || row.kind === 'earn') && i % 7 === 0)
    .map((row) => ({
      ...row,
      revision: row.revision + 1,
      points: row.points + (row.kind === 'reverse' ? -5 : 3),
      occurred_at: toClickHouseTime(
        Date.parse(`${row.occurred_at.replace(' ', 'T')}Z`) + 86_400_000,
      ),
    }));
  expect(revisions.length).toBeGreaterThan(100);
  await store.insert('ledger', revisions);
  data.ledger.push(...revisions);
});

afterAll(async () => {
  await opened?.remove();
});

const question = (name: string): AnyQuestion => {
  const found = BUSINESS_QUESTIONS.find((q) => q.name === name);
  if (!found) throw new Error(`no question ${name}`);
  return found;
};
const ask = (name: string, params: Record<string, string> = {}, at = asOf): Promise<Answer> => {
  const q = question(name);
  return q.run(store, q.params.parse(params), at);
};

// ---- the model: plain TypeScript over the generated rows ----

const dayOf = (time: string) => time.slice(0, 10);
const monthOf = (time: string) => `${time.slice(0, 7)}-01`;
const monthsFrom = (from: string, to: string) =>
  (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 +
  Number(to.slice(5, 7)) -
  Number(from.slice(5, 7));
const lineNet = (l: SaleLineRow) => l.quantity * l.unit_price - l.discount;
const lineMargin = (l: SaleLineRow) => lineNet(l) - l.quantity * l.unit_cost;
const rounded = (total: number, count: number) =>
  count === 0 ? null : Math.sign(total) * Math.round(Math.abs(total) / count);
const add = <K>(map: Map<K, number>, key: K, value: number) =>
  map.set(key, (map.get(key) ?? 0) + value);

/** The unit cost of each sale line, by original transaction and line id. */
const saleLineCost = () => {
  const costs = new Map<string, number>();
  for (const l of data.saleLines) costs.set(`${l.transaction_id}|${l.line_id}`, l.unit_cost);
  return costs;
};
const returnedCost = (r: ReturnLineRow, costs: Map<string, number>) =>
  r.quantity * (costs.get(`${r.original_transaction_id}|${r.line_id}`) ?? 0);

interface Acquired {
  id: string;
  source: string;
  month: string;
  sales: number;
}

/** Customers acquired by the as-of day: registered by then, or with a sale or return by then. */
function acquired(): Map<string, Acquired> {
  const out = new Map<string, Acquired>();
  for (const c of data.customers) {
    if (dayOf(c.registered_at) <= asOfDay) {
      out.set(c.customer_id, {
        id: c.customer_id,
        source: c.acquisition_source,
        month: monthOf(c.registered_at),
        sales: 0,
      });
    }
  }
  const firstSale = new Map<string, string>();
  const firstAny = new Map<string, string>();
  for (const e of data.events) {
    if (e.customer_id === '' || dayOf(e.occurred_at) > asOfDay) continue;
    if (e.type !== 'sale' && e.type !== 'return') continue;
    const d = dayOf(e.occurred_at);
    if (e.type === 'sale') {
      if (!firstSale.has(e.customer_id) || d < (firstSale.get(e.customer_id) as string)) {
        firstSale.set(e.customer_id, d);
      }
    }
    if (!firstAny.has(e.customer_id) || d < (firstAny.get(e.customer_id) as string)) {
      firstAny.set(e.customer_id, d);
    }
  }
  for (const [id, d] of firstAny) {
    if (!out.has(id)) {
      out.set(id, { id, source: '', month: monthOf(firstSale.get(id) ?? d), sales: 0 });
    }
  }
  for (const e of data.events) {
    if (e.type === 'sale' && e.customer_id !== '' && dayOf(e.occurred_at) <= asOfDay) {
      const a = out.get(e.customer_id);
      if (a) a.sales += 1;
    }
  }
  return out;
}

/** Margin per customer and month (sales' lines, less returns' refunds plus their goods' cost). */
function marginsByCustomerMonth(fromDay: string): Map<string, Map<string, number>> {
  const costs = saleLineCost();
  const out = new Map<string, Map<string, number>>();
  const put = (customer: string, month: string, value: number) => {
    const months = out.get(customer) ?? new Map<string, number>();
    add(months, month, value);
    out.set(customer, months);
  };
  for (const l of data.saleLines) {
    const d = dayOf(l.occurred_at);
    if (l.customer_id !== '' && d >= fromDay && d <= asOfDay) {
      put(l.customer_id, monthOf(d), lineMargin(l));
    }
  }
  for (const r of data.returnLines) {
    const d = dayOf(r.occurred_at);
    if (r.customer_id !== '' && d >= fromDay && d <= asOfDay) {
      put(r.customer_id, monthOf(d), returnedCost(r, costs) - r.refund_amount);
    }
  }
  return out;
}

const byKey = (rows: AnswerRow[], key: string) => new Map(rows.map((r) => [String(r[key]), r]));

function expectCloseRatio(actual: unknown, expected: number | null) {
  if (expected === null) expect(actual).toBeNull();
  else expect(actual as number).toBeCloseTo(expected, 9);
}

// ---- the questions ----

describe('clv', () => {
  const percentile = (sorted: number[], p: number) => sorted[Math.floor(p * sorted.length)];

  function expected(cohortOf: (a: Acquired) => string) {
    const margins = marginsByCustomerMonth('0000-01-01');
    const groups = new Map<string, { values: number[]; buyers: number }>();
    for (const a of acquired().values()) {
      let value = 0;
      for (const m of margins.get(a.id)?.values() ?? []) value += m;
      const cohort = cohortOf(a);
      for (const key of cohort === '' ? [''] : ['', cohort]) {
        const g = groups.get(key) ?? { values: [], buyers: 0 };
        g.values.push(value);
        if (a.sales > 0) g.buyers += 1;
        groups.set(key, g);
      }
    }
    return groups;
  }

  const check = (answer: Answer, groups: ReturnType<typeof expected>, withCohorts: boolean) => {
    const rows = byKey(answer.rows, 'cohort');
    const keys = withCohorts ? [...groups.keys()] : [''];
    expect(answer.rows).toHaveLength(keys.length);
    for (const key of keys) {
      const g = groups.get(key);
      const row = rows.get(key === '' ? 'all' : key);
      if (!g || !row) throw new Error(`no cohort ${key}`);
      const sorted = [...g.values].sort((a, b) => a - b);
      const total = g.values.reduce((s, v) => s + v, 0);
      expect(row).toEqual({
        cohort: key === '' ? 'all' : key,
        customers: g.values.length,
        buyers: g.buyers,
        margin: total,
        average: rounded(total, g.values.length),
        p10: percentile(sorted, 0.1),
        p25: percentile(sorted, 0.25),
        p50: percentile(sorted, 0.5),
        p75: percentile(sorted, 0.75),
        p90: percentile(sorted, 0.9),
      });
    }
  };

  it('gives every acquired customer’s margin to date: average and exact percentiles', async () => {
    const groups = expected(() => '');
    check(await ask('clv'), groups, false);
    expect(groups.get('')?.values.length).toBeGreaterThan(1000);
  });

  it('by acquisition source and by acquisition month (first purchase when unregistered)', async () => {
    const bySource = expected((a) => (a.source === '' ? '(none)' : a.source));
    expect(bySource.get('(none)')?.values.length).toBeGreaterThan(5);
    check(await ask('clv', { by: 'source' }), bySource, true);
    check(
      await ask('clv', { by: 'month' }),
      expected((a) => a.month.slice(0, 7)),
      true,
    );
  });
});

describe('cohorts', () => {
  const months = 6;
  const firstMonth = '2025-07-01';
  const asOfMonth = '2025-12-01';

  function cohortsOf(by: 'source' | 'month') {
    const out = new Map<string, Acquired[]>();
    for (const a of acquired().values()) {
      if (a.month < firstMonth) continue;
      const key = by === 'source' ? (a.source === '' ? '(none)' : a.source) : a.month.slice(0, 7);
      out.set(key, [...(out.get(key) ?? []), a]);
    }
    return out;
  }

  it('retention: the share of the cohort, among those whose month k has begun, buying in it', async () => {
    const active = new Map<string, Set<number>>();
    const all = acquired();
    for (const e of data.events) {
      const d = dayOf(e.occurred_at);
      if (e.type !== 'sale' || e.customer_id === '' || d < firstMonth || d > asOfDay) continue;
      const a = all.get(e.customer_id);
      if (!a) continue;
      const set = active.get(a.id) ?? new Set<number>();
      set.add(monthsFrom(a.month, d));
      active.set(a.id, set);
    }
    for (const by of ['source', 'month'] as const) {
      const answer = await ask('cohorts', { by, months: String(months) });
      const cohorts = cohortsOf(by);
      expect(answer.rows.map((r) => r.cohort)).toEqual([...cohorts.keys()].sort());
      for (const row of answer.rows) {
        const members = cohorts.get(String(row.cohort)) ?? [];
        expect(row.customers).toBe(members.length);
        for (let k = 0; k < months; k++) {
          const eligible = members.filter((a) => monthsFrom(a.month, asOfMonth) >= k);
          const buying = eligible.filter((a) => active.get(a.id)?.has(k)).length;
          expectCloseRatio(row[`m${k}`], eligible.length === 0 ? null : buying / eligible.length);
        }
      }
    }
  });

  it('margin: cumulative margin per customer through month k, returns taken off', async () => {
    const margins = marginsByCustomerMonth(firstMonth);
    const answer = await ask('cohorts', { by: 'month', months: String(months), matrix: 'margin' });
    const cohorts = cohortsOf('month');
    expect(answer.rows).toHaveLength(cohorts.size);
    for (const row of answer.rows) {
      const members = cohorts.get(String(row.cohort)) ?? [];
      for (let k = 0; k < months; k++) {
        const eligible = members.filter((a) => monthsFrom(a.month, asOfMonth) >= k);
        let total = 0;
        for (const a of eligible) {
          for (const [month, m] of margins.get(a.id) ?? []) {
            const j = monthsFrom(a.month, month);
            if (j >= 0 && j <= k) total += m;
          }
        }
        expect(row[`m${k}`]).toBe(rounded(total, eligible.length));
      }
    }
  });
});

describe('abc-xyz', () => {
  function expected(
    measure: 'revenue' | 'margin',
    window: { from: string; to: string },
    bucketOf: (day: string) => string,
    periods: number,
  ) {
    const figures = new Map<string, { value: number; units: Map<string, number> }>();
    for (const l of data.saleLines) {
      const d = dayOf(l.occurred_at);
      if (d < window.from || d > window.to) continue;
      const f = figures.get(l.sku) ?? { value: 0, units: new Map<string, number>() };
      f.value += measure === 'revenue' ? lineNet(l) : lineMargin(l);
      add(f.units, bucketOf(d), l.quantity);
      figures.set(l.sku, f);
    }
    const ranked = [...figures.entries()].sort(
      ([a, fa], [b, fb]) => fb.value - fa.value || (a < b ? -1 : 1),
    );
    const total = ranked.reduce((s, [, f]) => s + Math.max(0, f.value), 0);
    const classes = new Map<string, { abc: string; xyz: string; cv: number | null }>();
    let before = 0;
    for (const [sku, f] of ranked) {
      const abc =
        f.value <= 0 ? 'C' : before < 0.8 * total ? 'A' : before < 0.95 * total ? 'B' : 'C';
      if (f.value > 0) before += f.value;
      const weekly = [...f.units.values()];
      while (weekly.length < periods) weekly.push(0);
      const mean = weekly.reduce((s, u) => s + u, 0) / periods;
      const sd = Math.sqrt(weekly.reduce((s, u) => s + (u - mean) ** 2, 0) / periods);
      const cv = mean > 0 ? sd / mean : null;
      const xyz = cv === null ? 'Z' : cv < 0.5 ? 'X' : cv < 1 ? 'Y' : 'Z';
      classes.set(sku, { abc, xyz, cv });
    }
    return classes;
  }

  const monday = (day: string) => {
    const t = Date.parse(`${day}T00:00:00Z`);
    const weekday = (new Date(t).getUTCDay() + 6) % 7;
    return new Date(t - weekday * 86_400_000).toISOString().slice(0, 10);
  };

  it('classes SKUs by weekly units and revenue: the 9-cell matrix', async () => {
    // The 52 whole weeks before the as-of day's week (which starts on Monday 15 December).
    const classes = expected('revenue', { from: '2024-12-16', to: '2025-12-14' }, monday, 52);
    const answer = await ask('abc-xyz');
    for (const abc of ['A', 'B', 'C']) {
      const row = answer.rows.find((r) => r.abc === abc);
      for (const xyz of ['X', 'Y', 'Z']) {
        const count = [...classes.values()].filter((c) => c.abc === abc && c.xyz === xyz).length;
        expect(row?.[xyz], `${abc}${xyz}`).toBe(count);
      }
    }
    expect(answer.rows.reduce((s, r) => s + Number(r.skus), 0)).toBe(classes.size);
  });

  it('lists SKUs with their classes, by margin over months', async () => {
    const classes = expected('margin', { from: '2024-12-01', to: '2025-11-30' }, monthOf, 12);
    const answer = await ask('abc-xyz', { measure: 'margin', bucket: 'month', list: 'true' });
    expect(answer.rows).toHaveLength(classes.size);
    for (const row of answer.rows) {
      const c = classes.get(String(row.sku));
      expect(row.abc).toBe(c?.abc);
      expect(row.xyz).toBe(c?.xyz);
      expectCloseRatio(row.cv, c?.cv ?? null);
    }
    expect(new Set(answer.rows.map((r) => r.abc))).toEqual(new Set(['A', 'B', 'C']));
  });
});

describe('sales', () => {
  interface Receipt {
    event: EventRow;
    lines: SaleLineRow[];
    earned: number;
    spent: number;
  }

  function receipts(): Receipt[] {
    const lines = new Map<string, SaleLineRow[]>();
    for (const l of data.saleLines) {
      const key = `${l.store_id}|${l.transaction_id}`;
      lines.set(key, [...(lines.get(key) ?? []), l]);
    }
    const final = new Map<string, LedgerRow>();
    for (const row of data.ledger) {
      const key = `${row.customer_id}|${row.entry_id}`;
      const seen = final.get(key);
      if (!seen || row.revision > seen.revision) final.set(key, row);
    }
    const earned = new Map<string, number>();
    const redeemed = new Map<string, number>();
    for (const row of final.values()) {
      const key = `${row.customer_id}|${row.transaction_id}`;
      if (row.kind === 'earn') add(earned, key, row.points);
      if (row.kind === 'redeem' || row.kind === 'partner-burn') add(redeemed, key, -row.points);
    }
    return data.events
      .filter((e) => e.type === 'sale')
      .map((event) => {
        const payload = JSON.parse(event.payload) as { tenders: { redemptionId?: string }[] };
        let spent = 0;
        for (const t of payload.tenders) {
          if (t.redemptionId && event.customer_id !== '') {
            spent += redeemed.get(`${event.customer_id}|${t.redemptionId}`) ?? 0;
          }
        }
        return {
          event,
          lines: lines.get(`${event.store_id}|${event.transaction_id}`) ?? [],
          earned:
            event.customer_id === ''
              ? 0
              : (earned.get(`${event.customer_id}|${event.transaction_id}`) ?? 0),
          spent,
        };
      });
  }

  interface Expectation {
    from: string;
    to: string;
    receipt?: (r: Receipt) => boolean;
    line?: (l: SaleLineRow) => boolean;
    group: (r: Receipt, l: SaleLineRow) => string | number;
  }

  function expected(e: Expectation) {
    const groups = new Map<
      string | number,
      { receipts: Set<string>; lines: number; net: number; margin: number }
    >();
    for (const r of receipts()) {
      const d = dayOf(r.event.occurred_at);
      if (d < e.from || d > e.to || (e.receipt && !e.receipt(r))) continue;
      for (const l of r.lines) {
        if (e.line && !e.line(l)) continue;
        const key = e.group(r, l);
        const g = groups.get(key) ?? { receipts: new Set(), lines: 0, net: 0, margin: 0 };
        g.receipts.add(`${r.event.store_id}|${r.event.transaction_id}`);
        g.lines += 1;
        g.net += lineNet(l);
        g.margin += lineMargin(l);
        groups.set(key, g);
      }
    }
    return [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, g]) => ({
        key,
        receipts: g.receipts.size,
        lines: g.lines,
        net: g.net,
        margin: g.margin,
        average_receipt: rounded(g.net, g.receipts.size),
      }));
  }

  const check = (answer: Answer, by: string, rows: ReturnType<typeof expected>) => {
    expect(rows.length).toBeGreaterThan(0);
    expect(answer.rows).toEqual(rows.map(({ key, ...figures }) => ({ [by]: key, ...figures })));
  };

  it('by day over the 30 days to the as-of day, from the receipts alone', async () => {
    check(
      await ask('sales'),
      'day',
      expected({ from: '2025-11-21', to: asOfDay, group: (r) => dayOf(r.event.occurred_at) }),
    );
  });

  it('by category, filtered on stores, unit price and members', async () => {
    const stores = ['S001', 'S003'];
    check(
      await ask('sales', {
        by: 'category',
        from: '2025-06-01',
        to: '2025-08-31',
        stores: stores.join(','),
        minPrice: '500',
        maxPrice: '3000',
        customers: 'members',
      }),
      'category',
      expected({
        from: '2025-06-01',
        to: '2025-08-31',
        receipt: (r) => stores.includes(r.event.store_id) && r.event.customer_id !== '',
        line: (l) => l.unit_price >= 500 && l.unit_price <= 3000,
        group: (_, l) => l.category,
      }),
    );
  });

  it('by channel and by hour, filtered on brands, receipt totals, hours and weekdays', async () => {
    const brand = data.saleLines[0]?.brand as string;
    const hour = (r: Receipt) => Number(r.event.occurred_at.slice(11, 13));
    const weekday = (r: Receipt) =>
      ((new Date(`${dayOf(r.event.occurred_at)}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
    check(
      await ask('sales', {
        by: 'channel',
        from: '2025-01-01',
        to: asOfDay,
        brands: brand,
        minTotal: '2000',
        maxTotal: '20000',
      }),
      'channel',
      expected({
        from: '2025-01-01',
        to: asOfDay,
        receipt: (r) => r.event.total_minor >= 2000 && r.event.total_minor <= 20000,
        line: (l) => l.brand === brand,
        group: (r) => r.event.channel,
      }),
    );
    check(
      await ask('sales', {
        by: 'hour',
        from: '2025-03-01',
        to: '2025-05-31',
        hourFrom: '18',
        hourTo: '9',
        weekdays: 'sat,7',
        customers: 'anonymous',
      }),
      'hour',
      expected({
        from: '2025-03-01',
        to: '2025-05-31',
        receipt: (r) =>
          (hour(r) >= 18 || hour(r) <= 9) && weekday(r) >= 6 && r.event.customer_id === '',
        group: (r) => hour(r),
      }),
    );
  });

  it('by store and by associate, filtered on points earned and spent, an associate, a customer', async () => {
    check(
      await ask('sales', {
        by: 'store',
        from: '2025-01-01',
        to: asOfDay,
        minEarned: '20',
        minSpent: '1',
      }),
      'store',
      expected({
        from: '2025-01-01',
        to: asOfDay,
        receipt: (r) => r.earned >= 20 && r.spent >= 1,
        group: (r) => r.event.store_id,
      }),
    );
    check(
      await ask('sales', { by: 'month', from: '2025-01-01', to: asOfDay, maxEarned: '0' }),
      'month',
      expected({
        from: '2025-01-01',
        to: asOfDay,
        receipt: (r) => r.earned <= 0,
        group: (r) => monthOf(r.event.occurred_at),
      }),
    );
    const associate = data.events.find((e) => e.associate_id !== '')?.associate_id as string;
    check(
      await ask('sales', {
        by: 'associate',
        from: '2025-01-01',
        to: asOfDay,
        associates: associate,
      }),
      'associate',
      expected({
        from: '2025-01-01',
        to: asOfDay,
        receipt: (r) => r.event.associate_id === associate,
        group: (r) => r.event.associate_id,
      }),
    );
    const customer = data.events.find((e) => e.type === 'sale' && e.customer_id !== '')
      ?.customer_id as string;
    check(
      await ask('sales', {
        by: 'all',
        from: '2025-01-01',
        to: asOfDay,
        customer,
        categories: data.saleLines.find((l) => l.customer_id === customer)?.category as string,
      }),
      'all',
      expected({
        from: '2025-01-01',
        to: asOfDay,
        receipt: (r) => r.event.customer_id === customer,
        line: (l) =>
          l.category === data.saleLines.find((x) => x.customer_id === customer)?.category,
        group: () => 'all',
      }),
    );
  });

  it('refuses bad filters, naming the parameter', () => {
    const params = question('sales').params;
    const fields = (input: Record<string, string>) =>
      params.safeParse(input).error?.issues.map((i: { path: PropertyKey[] }) => i.path.join('.'));
    expect(fields({ from: '2025-02-01', to: '2025-01-01' })).toEqual(['from']);
    expect(fields({ minTotal: '500', maxTotal: '100' })).toEqual(['minTotal']);
    expect(fields({ weekdays: 'mon,funday' })).toEqual(['weekdays']);
    expect(fields({ hourFrom: '25', hourTo: '3' })).toEqual(['hourFrom']);
    expect(fields({ hourFrom: '7' })).toEqual(['hourTo']);
    expect(fields({ by: 'planet' })).toEqual(['by']);
    expect(fields({ minPrice: 'cheap' })).toEqual(['minPrice']);
  });
});

describe('store and associate performance', () => {
  interface Figures {
    net: number;
    cost: number;
    receipts: number;
    members: number;
    refunds: number;
    returnedCost: number;
    previous: number;
  }

  function expected(
    keyOf: (e: EventRow) => string,
    current: { from: string; to: string },
    previous: { from: string; to: string },
    stores?: string[],
  ) {
    const costs = saleLineCost();
    const returnsByTx = new Map<string, ReturnLineRow[]>();
    for (const r of data.returnLines) {
      const key = `${r.store_id}|${r.transaction_id}`;
      returnsByTx.set(key, [...(returnsByTx.get(key) ?? []), r]);
    }
    const out = new Map<string, Figures>();
    for (const e of data.events) {
      if (e.type !== 'sale' && e.type !== 'return') continue;
      if (stores && !stores.includes(e.store_id)) continue;
      const d = dayOf(e.occurred_at);
      const inCurrent = d >= current.from && d <= current.to;
      const inPrevious = d >= previous.from && d <= previous.to;
      if (!inCurrent && !inPrevious) continue;
      const key = keyOf(e);
      const f = out.get(key) ?? {
        net: 0,
        cost: 0,
        receipts: 0,
        members: 0,
        refunds: 0,
        returnedCost: 0,
        previous: 0,
      };
      if (inPrevious) f.previous += e.total_minor;
      if (inCurrent) {
        f.net += e.total_minor;
        f.cost += e.cost_minor;
        if (e.type === 'sale') {
          f.receipts += 1;
          if (e.customer_id !== '') f.members += 1;
        } else {
          for (const r of returnsByTx.get(`${e.store_id}|${e.transaction_id}`) ?? []) {
            f.refunds += r.refund_amount;
            f.returnedCost += returnedCost(r, costs);
          }
        }
      }
      out.set(key, f);
    }
    return [...out.entries()]
      .sort(([a, fa], [b, fb]) => fb.net - fa.net || (a < b ? -1 : 1))
      .map(([key, f], i) => ({
        rank: i + 1,
        key,
        from: current.from,
        to: current.to,
        net: f.net,
        margin: f.net - f.cost + f.returnedCost,
        receipts: f.receipts,
        average_receipt: rounded(f.net + f.refunds, f.receipts),
        members_share: f.receipts === 0 ? null : f.members / f.receipts,
        previous_net: f.previous,
        growth: f.previous > 0 ? (f.net - f.previous) / f.previous : null,
      }));
  }

  const check = (answer: Answer, idColumn: string, rows: ReturnType<typeof expected>) => {
    expect(rows.length).toBeGreaterThan(1);
    expect(answer.rows).toHaveLength(rows.length);
    rows.forEach((want, i) => {
      const got = answer.rows[i] as AnswerRow;
      const { key, members_share, growth, ...exact } = want;
      expect(got[idColumn]).toBe(key);
      expect(got).toMatchObject(exact);
      expectCloseRatio(got.members_share, members_share);
      expectCloseRatio(got.growth, growth);
    });
  };

  it('ranks stores over the month to date against the same days of the month before', async () => {
    const answer = await ask('store-performance');
    check(
      answer,
      'store',
      expected(
        (e) => e.store_id,
        { from: '2025-12-01', to: asOfDay },
        { from: '2025-11-01', to: '2025-11-20' },
      ),
    );
    expect(answer.rows[0]?.name).toEqual(expect.any(String));
  });

  it('lists the stores with their places, all or those asked', async () => {
    const all = await ask('stores');
    const latest = new Map<string, (typeof data.stores)[number]>();
    for (const st of data.stores) {
      const seen = latest.get(st.store_id);
      if (!seen || st.updated_at > seen.updated_at) latest.set(st.store_id, st);
    }
    expect(all.rows.map((r) => r.store)).toEqual([...latest.keys()].sort());
    for (const row of all.rows) {
      const st = latest.get(String(row.store));
      expect(row).toMatchObject({
        name: st?.name,
        city: st?.city,
        latitude: st?.latitude,
        longitude: st?.longitude,
      });
    }
    expect((await ask('stores', { stores: 'S002' })).rows.map((r) => r.store)).toEqual(['S002']);
  });

  it('ranks only the stores asked for, when asked', async () => {
    check(
      await ask('store-performance', { stores: 'S001,S003' }),
      'store',
      expected(
        (e) => e.store_id,
        { from: '2025-12-01', to: asOfDay },
        { from: '2025-11-01', to: '2025-11-20' },
        ['S001', 'S003'],
      ),
    );
  });

  it('ranks stores over a week, and a complete month against the whole month before', async () => {
    check(
      await ask('store-performance', { period: 'week' }),
      'store',
      expected(
        (e) => e.store_id,
        { from: '2025-12-15', to: asOfDay },
        { from: '2025-12-08', to: '2025-12-13' },
      ),
    );
    check(
      await ask('store-performance', {}, new Date('2025-09-30T18:00:00Z')),
      'store',
      expected(
        (e) => e.store_id,
        { from: '2025-09-01', to: '2025-09-30' },
        { from: '2025-08-01', to: '2025-08-31' },
      ),
    );
  });

  it('ranks associates in some stores, or all, with their home store', async () => {
    const label = (e: EventRow) => (e.associate_id === '' ? '(none)' : e.associate_id);
    const answer = await ask('associate-performance', { period: 'year' });
    check(
      answer,
      'associate',
      expected(
        label,
        { from: '2025-01-01', to: asOfDay },
        { from: '2024-01-01', to: '2024-12-20' },
      ),
    );
    const home = new Map(data.staff.map((s) => [s.staff_id, s.store_id]));
    for (const row of answer.rows) {
      expect(row.home_store).toBe(home.get(String(row.associate)) ?? '');
    }
    check(
      await ask('associate-performance', { stores: 'S002,S004' }),
      'associate',
      expected(
        label,
        { from: '2025-12-01', to: asOfDay },
        { from: '2025-11-01', to: '2025-11-20' },
        ['S002', 'S004'],
      ),
    );
  });
});

describe('points', () => {
  const MOVEMENTS: Record<string, string> = {
    earn: 'accrued',
    bonus: 'accrued',
    'partner-earn': 'accrued',
    redeem: 'redeemed',
    'partner-burn': 'redeemed',
    'redeem-cancel': 'restored',
    restore: 'restored',
    reverse: 'reversed',
    expire: 'expired',
    adjust: 'adjusted',
  };

  /** Each ledger line at its highest revision, up to the as-of moment. */
  function lines(): LedgerRow[] {
    const final = new Map<string, LedgerRow>();
    for (const row of data.ledger) {
      const key = `${row.customer_id}|${row.entry_id}`;
      const seen = final.get(key);
      if (!seen || row.revision > seen.revision) final.set(key, row);
    }
    return [...final.values()].filter((row) => row.occurred_at <= asOfTime);
  }

  function flows(from: string, to: string) {
    const out: Record<string, number> = {
      accrued: 0,
      redeemed: 0,
      restored: 0,
      reversed: 0,
      expired: 0,
      adjusted: 0,
      transferred: 0,
    };
    for (const row of lines()) {
      const d = dayOf(row.occurred_at);
      if (d >= from && d <= to) {
        const movement = MOVEMENTS[row.kind] ?? 'transferred';
        out[movement] = (out[movement] ?? 0) + row.points;
      }
    }
    return out;
  }
  const balanceBefore = (day: string) =>
    lines()
      .filter((row) => dayOf(row.occurred_at) < day)
      .reduce((s, row) => s + row.points, 0);

  it('sums the movements over the period and the liability as of the moment, in points and money', async () => {
    const answer = await ask('points', {
      from: '2025-03-01',
      pointValuePoints: '3',
      pointValueMinor: '2',
    });
    const opening = balanceBefore('2025-03-01');
    const moved = flows('2025-03-01', asOfDay);
    const closing = lines().reduce((s, row) => s + row.points, 0);
    expect(opening + Object.values(moved).reduce((s, v) => s + v, 0)).toBe(closing);
    const money = (p: number) => Math.sign(p) * Math.floor((Math.abs(p) * 2) / 3);
    const figures = { opening, ...moved, closing };
    expect(answer.rows).toEqual([
      {
        period: `2025-03-01..${asOfDay}`,
        ...figures,
        ...Object.fromEntries(Object.entries(figures).map(([k, v]) => [`${k}_value`, money(v)])),
      },
    ]);
    expect(moved.accrued).toBeGreaterThan(0);
    expect(moved.redeemed).toBeLessThan(0);
    expect(moved.reversed).toBeLessThan(0);
    expect(moved.expired).toBeLessThan(0);
  });

  it('by month, each month closing at the next one’s opening', async () => {
    const answer = await ask('points', { by: 'month', from: '2025-10-01' });
    expect(answer.rows.map((r) => r.period)).toEqual(['2025-10', '2025-11', '2025-12']);
    const bounds = [
      ['2025-10-01', '2025-10-31'],
      ['2025-11-01', '2025-11-30'],
      ['2025-12-01', asOfDay],
    ] as const;
    bounds.forEach(([from, to], i) => {
      const row = answer.rows[i] as AnswerRow;
      expect(row).toMatchObject({ opening: balanceBefore(from), ...flows(from, to) });
      expect(row.closing_value).toBe(row.closing);
    });
  });

  it('by day, each day its own movements, a day without any still a row', async () => {
    const from = addDays(asOfDay, -9);
    const answer = await ask('points', { by: 'day', from });
    const days = Array.from({ length: 10 }, (_, i) => addDays(from, i));
    expect(answer.rows.map((r) => r.period)).toEqual(days);
    for (const [i, day] of days.entries()) {
      expect(answer.rows[i]).toMatchObject({ opening: balanceBefore(day), ...flows(day, day) });
    }
    const moving = days.filter((day) => Object.values(flows(day, day)).some((v) => v !== 0));
    expect(moving.length).toBeGreaterThan(0);
  });
});

describe('every business question', () => {
  it('answers within its columns, with integer money', async () => {
    for (const q of BUSINESS_QUESTIONS) {
      const answer = await ask(q.name);
      const names = answer.columns.map((c) => c.name);
      for (const row of answer.rows) {
        expect(Object.keys(row)).toEqual(names);
        for (const c of answer.columns) {
          const v = row[c.name];
          if (c.kind === 'money' && v !== null)
            expect(Number.isInteger(v), `${q.name}.${c.name}`).toBe(true);
        }
      }
    }
  });
});
