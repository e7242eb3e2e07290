/**
 * A segment's SQL (engine/segments/sql.ts) against the live definition (the pure membership of
 * engine/domain/segments/membership.ts) on the same events, in chDB: for each condition, the
 * customers SQL finds as of a moment are exactly those the pure rules put in the segment. Tags
 * follow registrations (added) and profile changes (replaced), read from `customer_tags`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventRows } from '../../engine/analytics/rows.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { lineNet, parseRetailEvent, type RetailEvent } from '../../engine/domain/events.ts';
import {
  evaluateSegments,
  noSegmentMemory,
  rememberPurchase,
} from '../../engine/domain/segments/membership.ts';
import { parseCondition } from '../../engine/segments/expression.ts';
import { batchMembers } from '../../engine/segments/reconcile.ts';
import { openTestStore, type TestStore } from '../support/analytics-store.ts';
import { registrationInput, returnInput, saleInput } from './analytics-fixtures.ts';

let opened: TestStore | undefined;
let store: AnalyticsStore;
const DAY = 86_400_000;
const AS_OF = new Date('2026-06-30T12:00:00.000Z');
const events: RetailEvent[] = [];

function parsed(input: unknown): RetailEvent {
  const result = parseRetailEvent(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.event;
}

beforeAll(async () => {
  opened = await openTestStore('segment-sql');
  store = opened.store;
  // A seeded population: sales over 200 days at two stores and both channels, some returns,
  // registrations with tags, some tags replaced by a profile change.
  let seed = 7;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  for (let c = 0; c < 40; c++) {
    const customerId = `c-sql-${String(c).padStart(3, '0')}`;
    const registered = registrationInput(customerId);
    events.push(
      parsed({
        ...registered,
        occurredAt: new Date(AS_OF.getTime() - 300 * DAY).toISOString(),
        tags: random() < 0.4 ? ['vip'] : ['student'],
      }),
    );
    if (random() < 0.3) {
      events.push(
        parsed({
          type: 'profile.changed',
          eventId: `chg-${c}`,
          occurredAt: new Date(AS_OF.getTime() - 100 * DAY).toISOString(),
          storeId: 'WEB',
          channel: 'web',
          customerId,
          changes: { tags: random() < 0.5 ? ['vip', 'staff'] : [] },
        }),
      );
    }
    const visits = Math.floor(random() * 5);
    for (let v = 0; v < visits; v++) {
      const web = random() < 0.3;
      const price = 500 + Math.floor(random() * 4000);
      const category = random() < 0.5 ? 'coffee' : 'bakery';
      const sale = parsed(
        saleInput({
          customerId,
          eventId: `s-${c}-${v}`,
          transactionId: `t-${c}-${v}`,
          storeId: web ? 'WEB' : random() < 0.5 ? 'S001' : 'S002',
          channel: web ? 'web' : 'till',
          tillId: web ? undefined : 'T1',
          occurredAt: new Date(AS_OF.getTime() - Math.floor(random() * 200 * DAY)).toISOString(),
          lines: [
            {
              lineId: 'l1',
              sku: `SKU-${category}`,
              category,
              quantity: 1,
              unitPrice: price,
              fullPrice: price,
              discount: 0,
              unitCost: Math.floor(price / 2),
            },
          ],
          tenders: [{ type: 'card', amount: price }],
        }),
      );
      events.push(sale);
      if (random() < 0.2 && sale.type === 'sale') {
        events.push(
          parsed(
            returnInput(sale.transactionId, {
              customerId,
              eventId: `r-${c}-${v}`,
              storeId: sale.storeId,
              channel: sale.channel,
              tillId: sale.tillId,
              occurredAt: new Date(Date.parse(sale.occurredAt) + DAY).toISOString(),
              lines: [
                { lineId: 'l1', sku: sale.lines[0]?.sku ?? '', quantity: 1, refundAmount: 300 },
              ],
              tenders: [{ type: 'card', amount: 300 }],
            }),
          ),
        );
      }
    }
  }
  for (const [i, event] of events.entries()) {
    const rows = eventRows(event, { streamSeq: i + 1, receivedAt: event.occurredAt });
    await store.insert('events', rows.events);
    await store.insert('sale_lines', rows.sale_lines);
    await store.insert('return_lines', rows.return_lines);
    if (rows.customer_tags) await store.insert('customer_tags', rows.customer_tags);
  }
}, 120_000);

afterAll(async () => {
  await opened?.remove();
});

/** The live definition: each customer's events in time order through the pure membership. */
function liveMembers(when: string, asOf: Date): string[] {
  const condition = parseCondition(when);
  const byCustomer = new Map<string, RetailEvent[]>();
  for (const e of events) {
    if (!e.customerId || Date.parse(e.occurredAt) > asOf.getTime()) continue;
    byCustomer.set(e.customerId, [...(byCustomer.get(e.customerId) ?? []), e]);
  }
  const members: string[] = [];
  for (const [customerId, own] of byCustomer) {
    const memory = noSegmentMemory();
    let tags: string[] = [];
    for (const e of own.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt))) {
      if (e.type === 'customer.registered')
        tags = [...new Set([...tags, ...(e.tags ?? [])])].sort();
      if (e.type === 'profile.changed' && e.changes.tags !== undefined) {
        tags = [...new Set(e.changes.tags ?? [])].sort();
      }
      const at = Date.parse(e.occurredAt);
      const place = { at, storeId: e.storeId, channel: e.channel };
      if (e.type === 'sale') {
        const net = e.lines.reduce((n, l) => n + lineNet(l), 0);
        const cost = e.lines.reduce((n, l) => n + l.quantity * l.unitCost, 0);
        const categories = [...new Set(e.lines.map((l) => l.category))];
        rememberPurchase(
          memory,
          { ...place, sale: 1, spend: net, margin: net - cost, categories },
          365,
        );
      }
      if (e.type === 'return') {
        const refund = e.lines.reduce((n, l) => n + l.refundAmount, 0);
        rememberPurchase(
          memory,
          { ...place, sale: 0, spend: -refund, margin: 0, categories: [] },
          365,
        );
      }
    }
    const changes = evaluateSegments(
      [{ id: 's', condition }],
      memory,
      { pointsBalance: 0, tags },
      asOf.toISOString(),
    );
    if (changes.some((c) => c.change === 'entered')) members.push(customerId);
  }
  return members.sort();
}

describe('a segment over the stored events', () => {
  it.each([
    'recency_days > 30',
    'visits(90) >= 2',
    'spend_minor(60) >= 3000',
    'margin_minor(120) > 1000 and not (bakery in categories(90))',
    'home_store == S002 or channel == web',
    'tags has vip',
    'not (tags has student) and visits(200) >= 1',
  ])('%s: the same customers as the live definition', async (when) => {
    for (const asOf of [AS_OF, new Date(AS_OF.getTime() - 45 * DAY)]) {
      const live = liveMembers(when, asOf);
      expect(await batchMembers(store, parseCondition(when), asOf)).toEqual(live);
    }
    // Every condition splits the population: neither side is trivially empty or everyone.
    expect(liveMembers(when, AS_OF).length).toBeGreaterThan(0);
    expect(liveMembers(when, AS_OF).length).toBeLessThan(40);
  });
});
