/**
 * A year of one customer's history sent in one burst (an import, an offline till's backlog)
 * through the real stack — JetStream, the router, the customer workflow on a real Temporal
 * server — ends with what the same events gave live: the same ledger lines, cues, balance and
 * tier as the pure rules applied to each event at its own time. One sale is dated before the
 * program's first version: it earns at the base rate and is never expired at once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomerAccount, type Effects, noEffects } from '../../engine/domain/customer/account.ts';
import type { Cue, LedgerEntry } from '../../engine/domain/effects.ts';
import type { CustomerEvent, ReturnEvent, SaleEvent } from '../../engine/domain/events.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { CUES_STREAM, eventSubject, LEDGER_STREAM } from '../../engine/streams/topology.ts';
import { baseProgram } from '../../workflows/customer/client.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { LedgerView } from '../support/loyalty.ts';
import { eventually, startTestStack, testSettings } from '../support/stack.ts';

const DAY = 86_400_000;
const now = Date.now();
/**
 * Events fall 12 hours of the day away from now, and so do the instants the program makes due
 * from them (expiry, warnings, reviews): nothing falls due in the seconds the test runs, so the
 * workflow's clock and the oracle's agree on what has happened by the end.
 */
const day0 = now - 365 * DAY + 12 * 3_600_000;
const at = (days: number) => new Date(day0 + days * DAY).toISOString();

const dir = mkdtempSync(join(tmpdir(), 'clientele-event-time-'));
const programFile = join(dir, 'year.yaml');
writeFileSync(
  programFile,
  `id: year
name: A year under test
currency: EUR
effectiveFrom: ${at(-10)}
pointValue: { points: 100, minor: 100 }
pendingDays: 14
earn:
  base:
    rate: { points: 1, perMinor: 100 }
  rules:
    - id: wine-double
      name: Double points on wine
      when: { categories: [wine] }
      effect: { multiply: 2 }
      caps: { perDay: 30 }
tiers:
  metric: spend
  windowMonths: 3
  reviewMonths: 3
  graceDays: 15
  levels:
    - { id: member, name: Member, threshold: 0 }
    - { id: silver, name: Silver, threshold: 40000, earnMultiplier: 1.5 }
    - { id: gold, name: Gold, threshold: 90000, earnMultiplier: 2 }
expiry: { lotMonths: 6, warnDays: 30 }
returns: { policy: within-balance, periodDays: 30 }
`,
);

const customerId = `c-year-${now.toString(36)}`;
const envelope = (eventId: string, days: number) => ({
  eventId,
  occurredAt: at(days),
  storeId: 'S001',
  tillId: 'T1',
  channel: 'till' as const,
  customerId,
});

function saleOn(n: number, days: number): SaleEvent {
  const wine = n % 3 === 0;
  const lines = [
    {
      lineId: '1',
      sku: wine ? 'WINE-RED' : 'BREAD',
      category: wine ? 'wine' : 'grocery',
      quantity: 1 + (n % 3),
      unitPrice: 500 + ((n * 937) % 4_000),
      fullPrice: 500 + ((n * 937) % 4_000),
      discount: 0,
      unitCost: 300,
    },
    {
      lineId: '2',
      sku: 'MILK',
      category: 'grocery',
      quantity: 1,
      unitPrice: 150 + ((n * 53) % 700),
      fullPrice: 150 + ((n * 53) % 700),
      discount: 0,
      unitCost: 90,
    },
  ];
  const net = lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
  return {
    ...envelope(`${customerId}-s${n}`, days),
    type: 'sale',
    transactionId: `${customerId}-t${n}`,
    currency: 'EUR',
    lines,
    tenders: [{ type: 'card', amount: net }],
  };
}

function returnOf(sale: SaleEvent, days: number): ReturnEvent {
  const line = sale.lines[0] as SaleEvent['lines'][number];
  return {
    ...envelope(`${sale.eventId}-r`, days),
    type: 'return',
    transactionId: `${sale.transactionId}-r`,
    originalTransactionId: sale.transactionId,
    currency: 'EUR',
    lines: [{ lineId: '1', sku: line.sku, quantity: 1, refundAmount: line.unitPrice }],
    tenders: [{ type: 'card', amount: line.unitPrice }],
  };
}

/** The year, in time order: a sale before the program, the registration, sales every 3 days,
 * some returned two days later, one returned after the return period, an adjustment. */
function year(): CustomerEvent[] {
  const events: CustomerEvent[] = [saleOn(0, -40)];
  events.push({
    ...envelope(`${customerId}-reg`, 0),
    type: 'customer.registered',
    consent: { email: true, sms: false, post: false, profiling: false },
  });
  const sales: SaleEvent[] = [];
  for (let n = 1, days = 1; days <= 358; n++, days += 3) {
    const sale = saleOn(n, days);
    sales.push(sale);
    events.push(sale);
    if (n % 5 === 0) events.push(returnOf(sale, days + 2));
  }
  events.push(returnOf(sales[1] as SaleEvent, 45)); // 41 days after the sale: after the period
  events.push({
    ...envelope(`${customerId}-adj`, 200),
    type: 'points.adjusted',
    adjustmentId: `${customerId}-goodwill`,
    points: 250,
    reason: 'goodwill',
    operatorId: 'staff-1',
  });
  return events.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
}

let stack: Stack;

beforeAll(async () => {
  stack = await startTestStack(
    ['worker', 'router'],
    testSettings({ CLIENTELE_LOYALTY_PROGRAM_FILE: programFile }),
  );
});

afterAll(async () => {
  await stack?.stop();
});

/** This customer's messages on a stream (every revision), oldest first. */
async function read<T extends { customerId: string }>(stream: string): Promise<T[]> {
  const consumer = await stack.js.consumers.get(stream);
  const info = await stack.jsm.streams.info(stream);
  const out: T[] = [];
  if (info.state.messages === 0) return out;
  const batch = await consumer.fetch({ max_messages: info.state.messages, expires: 2_000 });
  for await (const msg of batch) {
    const value = msg.json<T>();
    if (value.customerId === customerId) out.push(value);
    if (msg.info.pending === 0) break;
  }
  return out;
}

/** The same events through the same rules, each at its own time, then the clock up to `until`. */
function oracle(events: CustomerEvent[], v1: Program, until: string) {
  const base = baseProgram(stack.settings.loyalty);
  const account = CustomerAccount.open(customerId, base);
  account.learn([v1]);
  const before = account.loyalty.baseRate;
  const out: Effects = noEffects();
  for (const event of events) {
    const program = Date.parse(event.occurredAt) < Date.parse(v1.effectiveFrom) ? before : v1;
    account.apply(event, out, program, event.occurredAt);
  }
  account.advance(until, out);
  return { account, out };
}

describe('a year of history in one burst', () => {
  it('gives what the same events gave live, event by event', { timeout: 180_000 }, async () => {
    const v1 = await eventually(
      async () => stack.programs?.get('year@1'),
      10_000,
      'the router to follow year@1',
    );
    const events = year();
    for (const event of events) {
      await stack.js.publish(eventSubject('S001'), JSON.stringify(event), {
        msgID: event.eventId,
      });
    }
    const handle = stack.temporal.workflow.getHandle(customerWorkflowId(customerId));
    await eventually(
      async () => {
        const snapshot = await handle.query(snapshotQuery).catch(() => undefined);
        return snapshot && snapshot.eventsApplied === events.length ? snapshot : undefined;
      },
      120_000,
      `${events.length} events applied`,
    );
    // The backlog's clock runs once the deliveries have paused (5 s): wait for its lines.
    const { account, out } = oracle(events, v1, new Date().toISOString());
    const expected = new LedgerView();
    expected.add(out.ledger);
    const ledgerNow = async () => {
      const view = new LedgerView();
      view.add(await read<LedgerEntry>(LEDGER_STREAM));
      return view;
    };
    const ledger = await eventually(
      async () => {
        const view = await ledgerNow();
        return view.entries().length >= expected.entries().length ? view : undefined;
      },
      30_000,
      `${expected.entries().length} ledger lines`,
    ).catch(ledgerNow);
    const snapshot = await handle.query(snapshotQuery);

    const kinds = new Set(expected.entries().map((e) => e.kind));
    expect([...kinds].sort()).toEqual(['adjust', 'earn', 'expire', 'reverse']);
    expect(ledger.entries()).toEqual(expected.entries());
    expect(snapshot.pointsBalance).toBe(expected.sum);
    expect(snapshot.loyalty?.tier).toBe(account.snapshot(new Date().toISOString()).loyalty?.tier);

    // The sale before the program's first version: the base rate, on its own version, kept.
    const early = ledger.entries().filter((e) => e.transactionId === `${customerId}-t0`);
    expect(early.map((e) => [e.kind, e.programVersion])).toEqual([
      ['earn', baseProgram(stack.settings.loyalty).version],
    ]);

    // Cues, event by event, as the till would have seen them live.
    const cues = await read<Cue>(CUES_STREAM);
    const byEvent = new Map(cues.map(({ message: _m, ...facts }) => [facts.eventId, facts]));
    expect(events.map((e) => byEvent.get(e.eventId))).toEqual(
      out.cues.map((facts) => expect.objectContaining(facts)),
    );
  });
});
