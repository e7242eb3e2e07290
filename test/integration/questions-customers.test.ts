/**
 * The customer questions on a small generated data set in chDB: each answer is worked out here,
 * in plain TypeScript from the generated rows (never by SQL, never from the question's output),
 * and compared exactly for counts and money, within rounding for ratios.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kMeans } from '../../engine/analytics/questions/kmeans.ts';
import type { Answer, AnswerRow } from '../../engine/analytics/questions/question.ts';
import { askQuestion } from '../../engine/analytics/questions/registry.ts';
import type {
  CustomerRow,
  EventRow,
  SaleLineRow,
  TierChangeRow,
} from '../../engine/analytics/rows.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import {
  type GeneratorOptions,
  generateBatches,
  generateDimensions,
} from '../../engine/generator/generate.ts';
import { openTestStore, type TestStore } from '../support/analytics-store.ts';

const options: GeneratorOptions = {
  seed: 7,
  customers: 1500,
  saleLines: 20_000,
  stores: 6,
  skus: 200,
  from: '2025-01-01',
  to: '2025-12-31',
  currency: 'EUR',
};
/** Inside the data, so rows after it exist and must be left out. */
const AS_OF = new Date('2025-12-20T12:00:00.000Z');
const AS_OF_DAY = '2025-12-20';

let opened: TestStore | undefined;
let store: AnalyticsStore;
const events: EventRow[] = [];
const lines: SaleLineRow[] = [];
const members: CustomerRow[] = [];
const tierChanges: TierChangeRow[] = [];

beforeAll(async () => {
  opened = await openTestStore('questions');
  store = opened.store;
  const dimensions = generateDimensions(options);
  await store.insert('stores', dimensions.stores);
  await store.insert('products', dimensions.products);
  await store.insert('staff', dimensions.staff);
  for (const batch of generateBatches(options)) {
    events.push(...batch.events);
    lines.push(...batch.sale_lines);
    members.push(...batch.customers);
    tierChanges.push(...batch.tier_changes);
    for (const [table, rows] of Object.entries(batch)) {
      if ((rows as unknown[]).length > 0) await store.insert(table as never, rows as never);
    }
  }
}, 120_000);

afterAll(async () => {
  await opened?.remove();
});

// --- the expected answers, from the rows ----------------------------------------------------

const DAY = 86_400_000;
const dayOf = (time: string) => time.slice(0, 10);
const shift = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
const daysBetween = (a: string, b: string) =>
  Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY);
const msOf = (time: string) => Date.parse(`${time.replace(' ', 'T')}Z`);
const inWindow = (time: string, days: number) => {
  const day = dayOf(time);
  return day >= shift(AS_OF_DAY, -(days - 1)) && day <= AS_OF_DAY;
};
const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const memberEvents = () =>
  events.filter((e) => e.customer_id !== '' && (e.type === 'sale' || e.type === 'return'));
const lineNet = (l: SaleLineRow) => l.quantity * l.unit_price - l.discount;

interface Rfm {
  id: string;
  recency: number;
  frequency: number;
  monetary: number;
  r: number;
  f: number;
  m: number;
  segment: string;
}

/** The R × F grid as published (rows R 5…1, columns F 1…5). */
const GRID: Record<number, string[]> = {
  5: ['new', 'potential-loyalist', 'potential-loyalist', 'champions', 'champions'],
  4: ['promising', 'potential-loyalist', 'potential-loyalist', 'loyal', 'loyal'],
  3: ['about-to-sleep', 'about-to-sleep', 'needs-attention', 'loyal', 'loyal'],
  2: ['hibernating', 'hibernating', 'at-risk', 'at-risk', 'cannot-lose'],
  1: ['lost', 'hibernating', 'at-risk', 'at-risk', 'cannot-lose'],
};

function expectedRfm(days = 365): Map<string, Rfm> {
  const acc = new Map<string, { last: string; frequency: number; monetary: number }>();
  for (const e of memberEvents()) {
    if (!inWindow(e.occurred_at, days)) continue;
    const a = acc.get(e.customer_id) ?? { last: '', frequency: 0, monetary: 0 };
    a.monetary += e.total_minor;
    if (e.type === 'sale') {
      a.frequency += 1;
      if (dayOf(e.occurred_at) > a.last) a.last = dayOf(e.occurred_at);
    }
    acc.set(e.customer_id, a);
  }
  const scored = [...acc.entries()]
    .filter(([, a]) => a.frequency > 0)
    .map(([id, a]) => ({
      id,
      recency: daysBetween(a.last, AS_OF_DAY),
      frequency: a.frequency,
      monetary: a.monetary,
      r: 0,
      f: 0,
      m: 0,
      segment: '',
    }));
  const n = scored.length;
  const rank = (key: 'r' | 'f' | 'm', compare: (a: Rfm, b: Rfm) => number) => {
    [...scored]
      .sort((a, b) => compare(a, b) || byId(a.id, b.id))
      .forEach((c, i) => {
        c[key] = Math.floor((i * 5) / n) + 1;
      });
  };
  rank('r', (a, b) => b.recency - a.recency);
  rank('f', (a, b) => a.frequency - b.frequency);
  rank('m', (a, b) => a.monetary - b.monetary);
  for (const c of scored) c.segment = (GRID[c.r] as string[])[c.f - 1] as string;
  return new Map(scored.map((c) => [c.id, c]));
}

const ask = async (question: string, params: Record<string, string | boolean> = {}) =>
  (await askQuestion(store, { question, params }, AS_OF)).answer;

/** Rows keyed by the given columns. */
const keyed = (answer: Answer, ...keys: string[]) =>
  new Map(answer.rows.map((row) => [keys.map((k) => row[k]).join('|'), row]));

function expectRatio(actual: AnswerRow[string] | undefined, expected: number | null) {
  if (expected === null) expect(actual).toBeNull();
  else expect(actual as number).toBeCloseTo(expected, 9);
}

const SEGMENTS = [
  'champions',
  'loyal',
  'potential-loyalist',
  'new',
  'promising',
  'needs-attention',
  'about-to-sleep',
  'at-risk',
  'cannot-lose',
  'hibernating',
  'lost',
];

// --- the questions --------------------------------------------------------------------------

describe('customer questions on generated data', () => {
  it('has a data set with rows on both sides of the as-of moment', () => {
    expect(lines.length).toBeGreaterThan(15_000);
    expect(events.some((e) => dayOf(e.occurred_at) > AS_OF_DAY)).toBe(true);
    expect(tierChanges.length).toBeGreaterThan(0);
  });

  it('rfm: segment sizes and averages', async () => {
    const rfm = expectedRfm();
    const answer = await ask('rfm');
    expect(answer.rows.map((r) => r.segment)).toEqual(SEGMENTS);
    const n = rfm.size;
    for (const segment of SEGMENTS) {
      const members = [...rfm.values()].filter((c) => c.segment === segment);
      const row = answer.rows.find((r) => r.segment === segment) as AnswerRow;
      const sum = (f: (c: Rfm) => number) => members.reduce((a, c) => a + f(c), 0);
      expect(row.customers).toBe(members.length);
      expectRatio(row.share, members.length / n);
      if (members.length === 0) {
        expect(row.avg_monetary).toBeNull();
        continue;
      }
      expectRatio(row.avg_recency_days, sum((c) => c.recency) / members.length);
      expectRatio(row.avg_frequency, sum((c) => c.frequency) / members.length);
      expect(row.avg_monetary).toBe(Math.round(sum((c) => c.monetary) / members.length));
    }
    expect(answer.rows.filter((r) => (r.customers as number) > 0).length).toBeGreaterThan(6);
  });

  it('rfm --customers: the biggest spenders with their scores, and a segment alone', async () => {
    const rfm = [...expectedRfm().values()].sort(
      (a, b) => b.monetary - a.monetary || byId(a.id, b.id),
    );
    const answer = await ask('rfm', { customers: true, limit: '7' });
    expect(answer.summary?.values.customers).toBe(rfm.length);
    expect(answer.rows).toEqual(
      rfm.slice(0, 7).map((c) => ({
        customer_id: c.id,
        segment: c.segment,
        recency_days: c.recency,
        frequency: c.frequency,
        monetary: c.monetary,
        r: c.r,
        f: c.f,
        m: c.m,
      })),
    );
    const atRisk = rfm.filter((c) => c.segment === 'at-risk');
    const only = await ask('rfm', { customers: 'true', segment: 'at-risk', limit: '3' });
    expect(only.summary?.values.customers).toBe(atRisk.length);
    expect(only.rows.map((r) => r.customer_id)).toEqual(atRisk.slice(0, 3).map((c) => c.id));
  });

  it('not-seen: customers whose last visit is at least N days back, most valuable first', async () => {
    const acc = new Map<string, { last: string; lifetime: number }>();
    for (const e of memberEvents()) {
      if (dayOf(e.occurred_at) > AS_OF_DAY) continue;
      const a = acc.get(e.customer_id) ?? { last: '', lifetime: 0 };
      a.lifetime += e.total_minor;
      if (dayOf(e.occurred_at) > a.last) a.last = dayOf(e.occurred_at);
      acc.set(e.customer_id, a);
    }
    const cutoff = shift(AS_OF_DAY, -60);
    const lapsed = [...acc.entries()]
      .filter(([, a]) => a.last <= cutoff)
      .sort(([ia, a], [ib, b]) => b.lifetime - a.lifetime || byId(ia, ib));
    const answer = await ask('not-seen', { days: '60', limit: '10' });
    expect(answer.summary?.values.customers).toBe(lapsed.length);
    expect(lapsed.length).toBeGreaterThan(10);
    expect(answer.rows).toEqual(
      lapsed.slice(0, 10).map(([id, a]) => ({
        customer_id: id,
        last_visit: a.last,
        days_since: daysBetween(a.last, AS_OF_DAY),
        lifetime_spend: a.lifetime,
      })),
    );
  });

  /** Member sale lines in the window, grouped by `groupOf` (undefined: in no group). */
  const spendBy = <K>(groupOf: (l: SaleLineRow) => K | undefined) => {
    const result = new Map<K, { net: number; full: number }>();
    for (const l of lines) {
      if (l.customer_id === '' || !inWindow(l.occurred_at, 365)) continue;
      const group = groupOf(l);
      if (group === undefined) continue;
      const a = result.get(group) ?? { net: 0, full: 0 };
      a.net += lineNet(l);
      if (l.unit_price >= l.full_price && l.discount === 0) a.full += lineNet(l);
      result.set(group, a);
    }
    return result;
  };

  it('full-price-index: each RFM segment, and one population, against all customers', async () => {
    const rfm = expectedRfm();
    const all = spendBy(() => 'all').get('all') as { net: number; full: number };
    const bySegment = spendBy((l) => rfm.get(l.customer_id)?.segment);
    const answer = keyed(await ask('full-price-index'), 'group');
    const check = (group: string, s: { net: number; full: number } | undefined) => {
      const row = answer.get(group) as AnswerRow;
      const net = s?.net ?? 0;
      const full = s?.full ?? 0;
      expect(row.spend).toBe(net);
      expect(row.full_price_spend).toBe(full);
      expectRatio(row.full_price_share, net === 0 ? null : full / net);
      expectRatio(row.index, net === 0 ? null : (100 * (full / net)) / (all.full / all.net));
    };
    for (const segment of SEGMENTS) check(segment, bySegment.get(segment));
    check('all customers', all);

    const champions = keyed(
      await ask('full-price-index', { population: 'rfm:champions' }),
      'group',
    );
    expect([...champions.keys()]).toEqual(['rfm:champions', 'all customers']);
    expect(champions.get('rfm:champions')?.spend).toBe(bySegment.get('champions')?.net);
    expectRatio(
      champions.get('rfm:champions')?.index,
      (100 * ((bySegment.get('champions')?.full ?? 0) / (bySegment.get('champions')?.net ?? 1))) /
        (all.full / all.net),
    );
  });

  /** Each member's tier as of the moment; 'base' when it never changed. */
  const tierAt = () => {
    const latest = new Map<string, TierChangeRow>();
    for (const t of tierChanges) {
      if (msOf(t.at) > AS_OF.getTime()) continue;
      const seen = latest.get(t.customer_id);
      if (!seen || t.at > seen.at || (t.at === seen.at && t.to_tier > seen.to_tier)) {
        latest.set(t.customer_id, t);
      }
    }
    return (id: string) => latest.get(id)?.to_tier || 'base';
  };

  const basketsByTier = () => {
    const tier = tierAt();
    const baskets = new Map<string, { tier: string; cats: Set<string> }>();
    for (const l of lines) {
      if (l.customer_id === '' || !inWindow(l.occurred_at, 365)) continue;
      const key = [l.customer_id, dayOf(l.occurred_at), l.store_id, l.transaction_id].join('|');
      const b = baskets.get(key) ?? { tier: tier(l.customer_id), cats: new Set<string>() };
      b.cats.add(l.category);
      baskets.set(key, b);
    }
    return [...baskets.values()];
  };

  it('tiers: members by tier as of the moment, base for those never moved', async () => {
    const tier = tierAt();
    const counts = new Map<string, number>();
    for (const m of new Map(members.map((c) => [c.customer_id, c])).values()) {
      if (msOf(m.registered_at) > AS_OF.getTime()) continue;
      counts.set(tier(m.customer_id), (counts.get(tier(m.customer_id)) ?? 0) + 1);
    }
    expect(counts.size).toBeGreaterThan(1);
    const answer = await ask('tiers');
    const total = [...counts.values()].reduce((s, n) => s + n, 0);
    expect(Object.fromEntries(answer.rows.map((r) => [r.tier, r.customers]))).toEqual(
      Object.fromEntries(counts),
    );
    expect(answer.summary?.values.members).toBe(total);
    for (const row of answer.rows) expectRatio(row.share, (row.customers as number) / total);
  });

  it('cross-sell: baskets, categories per basket and attach rate by tier', async () => {
    const baskets = basketsByTier();
    const tiers = [...new Set(baskets.map((b) => b.tier))].sort();
    expect(tiers.length).toBeGreaterThan(1);
    const answer = await ask('cross-sell');
    expect(answer.rows.map((r) => r.tier)).toEqual(tiers);
    for (const tier of tiers) {
      const mine = baskets.filter((b) => b.tier === tier);
      const row = answer.rows.find((r) => r.tier === tier) as AnswerRow;
      expect(row.baskets).toBe(mine.length);
      expectRatio(row.avg_categories, mine.reduce((a, b) => a + b.cats.size, 0) / mine.length);
      expectRatio(row.attach_rate, mine.filter((b) => b.cats.size >= 2).length / mine.length);
    }
  });

  it('cross-sell --pairs: the top pairs per tier and their attach rates', async () => {
    const baskets = basketsByTier();
    const withA = new Map<string, number>();
    const both = new Map<string, number>();
    for (const b of baskets) {
      for (const a of b.cats) {
        withA.set(`${b.tier}|${a}`, (withA.get(`${b.tier}|${a}`) ?? 0) + 1);
        for (const c of b.cats) {
          if (c !== a) both.set(`${b.tier}|${a}|${c}`, (both.get(`${b.tier}|${a}|${c}`) ?? 0) + 1);
        }
      }
    }
    const pairs = [...both.entries()]
      .map(([key, n]) => {
        const [tier, a, c] = key.split('|') as [string, string, string];
        const holding = withA.get(`${tier}|${a}`) as number;
        return {
          tier,
          category: a,
          also_bought: c,
          baskets_with_both: n,
          baskets_with_category: holding,
          attach_rate: n / holding,
        };
      })
      .sort(
        (x, y) =>
          byId(x.tier, y.tier) ||
          y.baskets_with_both - x.baskets_with_both ||
          y.attach_rate - x.attach_rate ||
          byId(x.category, y.category) ||
          byId(x.also_bought, y.also_bought),
      );
    const top = [...new Set(pairs.map((p) => p.tier))].flatMap((tier) =>
      pairs.filter((p) => p.tier === tier).slice(0, 3),
    );
    const answer = await ask('cross-sell', { pairs: true, top: '3' });
    expect(answer.rows.length).toBe(top.length);
    answer.rows.forEach((row, i) => {
      const { attach_rate, ...exact } = top[i] as (typeof top)[number];
      expect(row).toMatchObject(exact);
      expectRatio(row.attach_rate, attach_rate);
    });
  });

  it('category-affinity: each segment’s category shares against everyone’s', async () => {
    const rfm = expectedRfm();
    const everyone = spendBy((l) => l.category);
    const total = [...everyone.values()].reduce((a, s) => a + s.net, 0);
    const bySegment = spendBy((l) => {
      const segment = rfm.get(l.customer_id)?.segment;
      return segment === undefined ? undefined : `${segment}|${l.category}`;
    });
    const segmentTotal = new Map<string, number>();
    for (const [key, s] of bySegment) {
      const segment = key.split('|')[0] as string;
      segmentTotal.set(segment, (segmentTotal.get(segment) ?? 0) + s.net);
    }
    const answer = keyed(await ask('category-affinity'), 'group', 'category');
    expect(answer.size).toBe(bySegment.size);
    for (const [key, s] of bySegment) {
      const [segment, category] = key.split('|') as [string, string];
      const row = answer.get(key) as AnswerRow;
      const share = s.net / (segmentTotal.get(segment) as number);
      const everyoneShare = (everyone.get(category)?.net as number) / total;
      expect(row.spend).toBe(s.net);
      expectRatio(row.share, share);
      expectRatio(row.everyone_share, everyoneShare);
      expectRatio(row.index, (100 * share) / everyoneShare);
    }

    const lost = await ask('category-affinity', { population: 'rfm:lost' });
    expect(lost.rows.every((r) => r.group === 'rfm:lost')).toBe(true);
    expect(lost.rows.map((r) => r.spend)).toEqual(
      [...bySegment.entries()]
        .filter(([key]) => key.startsWith('lost|'))
        .sort(([ka, a], [kb, b]) => b.net - a.net || byId(ka, kb))
        .map(([, s]) => s.net),
    );
  });

  it('channel-preference: main channel per customer and share of spend by channel', async () => {
    const sales = new Map<string, Map<string, number>>();
    const spend = new Map<string, number>();
    for (const e of memberEvents()) {
      if (!inWindow(e.occurred_at, 365)) continue;
      spend.set(e.channel, (spend.get(e.channel) ?? 0) + e.total_minor);
      const mine = sales.get(e.customer_id) ?? new Map<string, number>();
      mine.set(e.channel, (mine.get(e.channel) ?? 0) + (e.type === 'sale' ? 1 : 0));
      sales.set(e.customer_id, mine);
    }
    const mains = new Map<string, number>();
    for (const mine of sales.values()) {
      const ranked = [...mine.entries()].sort(([ca, a], [cb, b]) => b - a || byId(ca, cb));
      if ((ranked[0]?.[1] ?? 0) === 0) continue;
      const main = ranked[0]?.[0] as string;
      mains.set(main, (mains.get(main) ?? 0) + 1);
    }
    const channels = [...new Set([...mains.keys(), ...spend.keys()])].sort();
    const customers = [...mains.values()].reduce((a, b) => a + b, 0);
    const totalSpend = [...spend.values()].reduce((a, b) => a + b, 0);
    const answer = await ask('channel-preference');
    expect(answer.rows.map((r) => r.channel)).toEqual(channels);
    expect(channels.length).toBeGreaterThan(1);
    for (const row of answer.rows) {
      const channel = row.channel as string;
      expect(row.customers).toBe(mains.get(channel) ?? 0);
      expect(row.spend).toBe(spend.get(channel) ?? 0);
      expectRatio(row.customer_share, (mains.get(channel) ?? 0) / customers);
      expectRatio(row.spend_share, (spend.get(channel) ?? 0) / totalSpend);
    }
  });

  it.each(['age', 'gender', 'source', 'type'] as const)(
    'demographics --by %s: customers, active, spend, margin, average basket',
    async (by) => {
      const latest = new Map<string, CustomerRow>();
      for (const m of members) {
        if (msOf(m.registered_at) > AS_OF.getTime()) continue;
        const seen = latest.get(m.customer_id);
        if (!seen || m.updated_at >= seen.updated_at) latest.set(m.customer_id, m);
      }
      const band = (m: CustomerRow) => {
        if (m.birth_year === null) return 'unknown';
        const age = 2025 - m.birth_year;
        if (age < 25) return 'under 25';
        if (age >= 65) return '65+';
        const low = Math.floor((age - 25) / 10) * 10 + 25;
        return `${low}-${low + 9}`;
      };
      const cutOf = (m: CustomerRow | undefined): string => {
        if (!m) return 'unknown';
        const value = {
          age: band(m),
          gender: m.gender,
          source: m.acquisition_source,
          type: m.customer_type,
        }[by];
        return value === '' ? 'unknown' : value;
      };
      const activity = new Map<string, { sales: number; net: number; cost: number }>();
      for (const e of memberEvents()) {
        if (!inWindow(e.occurred_at, 365)) continue;
        const a = activity.get(e.customer_id) ?? { sales: 0, net: 0, cost: 0 };
        a.sales += e.type === 'sale' ? 1 : 0;
        a.net += e.total_minor;
        a.cost += e.cost_minor;
        activity.set(e.customer_id, a);
      }
      const cuts = new Map<
        string,
        { customers: number; active: number; spend: number; margin: number; sales: number }
      >();
      for (const id of new Set([...latest.keys(), ...activity.keys()])) {
        const cut = cutOf(latest.get(id));
        const c = cuts.get(cut) ?? { customers: 0, active: 0, spend: 0, margin: 0, sales: 0 };
        const a = activity.get(id);
        c.customers += 1;
        if (a) {
          c.active += a.sales > 0 ? 1 : 0;
          c.spend += a.net;
          c.margin += a.net - a.cost;
          c.sales += a.sales;
        }
        cuts.set(cut, c);
      }
      const answer = await ask('demographics', { by });
      expect(answer.columns[0]?.name).toBe(by);
      expect(new Set(answer.rows.map((r) => r[by]))).toEqual(new Set(cuts.keys()));
      expect(cuts.size).toBeGreaterThan(1);
      if (by === 'age') {
        expect(answer.rows.map((r) => r.age)).toEqual(
          ['under 25', '25-34', '35-44', '45-54', '55-64', '65+', 'unknown'].filter((b) =>
            cuts.has(b),
          ),
        );
      }
      for (const row of answer.rows) {
        const c = cuts.get(row[by] as string);
        expect(row).toEqual({
          [by]: row[by],
          customers: c?.customers,
          active: c?.active,
          spend: c?.spend,
          margin: c?.margin,
          avg_basket: c?.sales ? Math.round((c?.spend ?? 0) / c.sales) : null,
        });
      }
    },
  );

  /** The clusters of these customers, computed here: their features, scaled among them. */
  const expectedClusters = (rfm: Rfm[], k: number, seed: number) => {
    const nets = new Map<string, Map<string, number>>();
    for (const l of lines) {
      if (l.customer_id === '' || !inWindow(l.occurred_at, 365)) continue;
      const mine = nets.get(l.customer_id) ?? new Map<string, number>();
      mine.set(l.category, (mine.get(l.category) ?? 0) + lineNet(l));
      nets.set(l.customer_id, mine);
    }
    const categories = [...new Set(rfm.flatMap((c) => [...(nets.get(c.id)?.keys() ?? [])]))].sort();
    const scale = (values: number[]) => {
      const min = Math.min(...values);
      const range = Math.max(...values) - min;
      return values.map((v) => (range > 0 ? (v - min) / range : 0));
    };
    const [r, f, m] = [
      scale(rfm.map((c) => c.recency)),
      scale(rfm.map((c) => c.frequency)),
      scale(rfm.map((c) => c.monetary)),
    ];
    const points = rfm.map((c, i) => {
      const mine = nets.get(c.id) ?? new Map<string, number>();
      const total = [...mine.values()].reduce((a, b) => a + b, 0);
      return [
        r[i] as number,
        f[i] as number,
        m[i] as number,
        ...categories.map((cat) => (total > 0 ? (mine.get(cat) ?? 0) / total : 0)),
      ];
    });
    return { categories, result: kMeans(points, { k, seed }) };
  };

  const expectClusters = (answer: Answer, rfm: Rfm[], k: number, seed: number) => {
    const { categories, result } = expectedClusters(rfm, k, seed);
    expect(answer.summary?.values.customers).toBe(rfm.length);
    expect(answer.rows.map((row) => row.customers)).toEqual(result.sizes);
    answer.rows.forEach((row, c) => {
      const members = rfm.filter((_, i) => result.assignments[i] === c);
      expect(row.avg_monetary).toBe(
        Math.round(members.reduce((a, x) => a + x.monetary, 0) / members.length),
      );
      categories.forEach((cat, i) => {
        expectRatio(row[`share_${cat}`], result.centroids[c]?.[3 + i] as number);
      });
    });
  };

  it('clusters: k-means over scaled RFM and category shares, reproducible', async () => {
    const rfm = [...expectedRfm().values()].sort((a, b) => byId(a.id, b.id));
    const answer = await ask('clusters', { k: '4', seed: '3' });
    expectClusters(answer, rfm, 4, 3);
    expect((await ask('clusters', { k: '4', seed: '3' })).rows).toEqual(answer.rows);
  });

  it('clusters: a sample is the customers first by the hash of their id, and only they', async () => {
    const rfm = [...expectedRfm().values()];
    // The hashes from ClickHouse's function itself; the order and the cut are the test's own.
    const hashes = new Map(
      (
        await store.query<{ id: string; hash: string }>(
          'SELECT arrayJoin({ids:Array(String)}) AS id, toString(cityHash64(id)) AS hash',
          { ids: rfm.map((c) => c.id) },
        )
      ).map((row) => [row.id, BigInt(row.hash)]),
    );
    const byHash = (a: Rfm, b: Rfm) => {
      const [x, y] = [hashes.get(a.id) as bigint, hashes.get(b.id) as bigint];
      return x < y ? -1 : x > y ? 1 : byId(a.id, b.id);
    };
    // A fifth of the members or fewer, so the query first tries a bound on the hashes it groups.
    const [counted] = await store.query<{ n: string }>(
      `SELECT count() AS n FROM ${store.database}.customers`,
    );
    const members = Number(counted?.n);
    const sample = Math.min(Math.floor(members / 5), Math.floor(rfm.length / 2));
    expect(sample).toBeGreaterThan(10);
    const sampled = rfm
      .sort(byHash)
      .slice(0, sample)
      .sort((a, b) => byId(a.id, b.id));
    const answer = await ask('clusters', { k: '3', seed: '5', sample: String(sample) });
    expectClusters(answer, sampled, 3, 5);
  });

  it('refuses a bad parameter, naming it', async () => {
    await expect(ask('rfm', { days: 'soon' })).rejects.toMatchObject({
      code: 'invalid_request',
      issues: [{ field: 'days' }],
    });
    await expect(ask('rfm', { colour: 'red' })).rejects.toMatchObject({
      issues: [{ field: 'colour' }],
    });
    await expect(ask('category-affinity', { population: 'rfm:sleepy' })).rejects.toMatchObject({
      issues: [{ field: 'population' }],
    });
  });
});
