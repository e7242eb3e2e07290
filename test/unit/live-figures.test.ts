import { describe, expect, it } from 'vitest';
import type { Cue, LedgerEntry } from '../../engine/domain/effects.ts';
import { type RetailEvent, retailEvent } from '../../engine/domain/events.ts';
import { LiveFigures } from '../../gateways/dashboard/live-figures.ts';
import { registrationInput, returnInput, saleInput } from '../support/events.ts';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const at = (seconds: number) => T0 + seconds * 1000;
const event = (input: unknown): RetailEvent => retailEvent.parse(input);

function ledger(overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    entryId: `e-${Math.random()}:earn`,
    customerId: 'c-0000001',
    eventId: 'e-1',
    transactionId: 'tx-1',
    kind: 'earn',
    revision: 0,
    points: 39,
    balanceAfter: 39,
    storeId: 'S001',
    occurredAt: '2026-11-20T10:15:00Z',
    programVersion: 'base-v1',
    ...overrides,
  };
}

function cue(cueId: string): Cue {
  return {
    cueId,
    customerId: 'c-0000001',
    eventId: 'e-1',
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    occurredAt: '2026-11-20T10:15:00Z',
    pointsEarned: 39,
    pointsBalance: 39,
    visitsThisMonth: 1,
    message: 'welcome',
  };
}

describe('live figures', () => {
  it('adds up the last minute’s sales and revenue, and the events per second', () => {
    const live = new LiveFigures();
    const sale1 = event(saleInput()); // 3998
    const sale2 = event(
      saleInput({
        storeId: 'S002',
        customerId: undefined,
        lines: [
          {
            lineId: '1',
            sku: 'TEA',
            category: 'tea',
            quantity: 3,
            unitPrice: 450,
            fullPrice: 450,
            discount: 50,
            unitCost: 200,
          },
        ],
        tenders: [{ type: 'cash', amount: 1300 }],
      }),
    );
    expect(live.addEvent(sale1, at(0))).toBe(true);
    expect(live.addEvent(sale2, at(1))).toBe(true);
    expect(live.addEvent(event(registrationInput()), at(2))).toBe(true);

    // A registration is an event but no sale; 3 events within the last 10 s.
    expect(live.figures(at(3))).toEqual({
      eventsPerSecond: 0.3,
      lastMinute: { sales: 2, revenue: { EUR: 3998 + 1300 } },
    });
  });

  it('has nothing to show before the first event', () => {
    expect(new LiveFigures().figures(at(0))).toEqual({
      eventsPerSecond: 0,
      lastMinute: { sales: 0, revenue: {} },
    });
  });

  it('subtracts refunds from revenue, counting a return as an event but not a sale', () => {
    const live = new LiveFigures();
    const sale = saleInput();
    live.addEvent(event(sale), at(0));
    live.addEvent(event(returnInput({ transactionId: sale.transactionId })), at(1)); // refunds 3798

    expect(live.figures(at(1))).toEqual({
      eventsPerSecond: 0.2,
      lastMinute: { sales: 1, revenue: { EUR: 200 } },
    });
  });

  it('keeps currencies apart', () => {
    const live = new LiveFigures();
    live.addEvent(event(saleInput()), at(0));
    live.addEvent(event(saleInput({ currency: 'GBP' })), at(0));
    expect(live.figures(at(0)).lastMinute.revenue).toEqual({ EUR: 3998, GBP: 3998 });
  });

  it('forgets events older than 60 s', () => {
    const live = new LiveFigures();
    live.addEvent(event(saleInput()), at(0));
    live.addEvent(event(saleInput({ currency: 'GBP' })), at(30));

    expect(live.figures(at(59)).lastMinute).toEqual({
      sales: 2,
      revenue: { EUR: 3998, GBP: 3998 },
    });
    expect(live.figures(at(60)).lastMinute).toEqual({ sales: 1, revenue: { GBP: 3998 } });
    expect(live.figures(at(95))).toEqual({
      eventsPerSecond: 0,
      lastMinute: { sales: 0, revenue: {} },
    });
  });

  it('leaves out an event whose second has already left the window, and one after `now`', () => {
    const live = new LiveFigures();
    live.addEvent(event(saleInput()), at(70));
    // New (so the push says something moved) but too late to count.
    expect(live.addEvent(event(saleInput()), at(5))).toBe(true);
    expect(live.figures(at(70)).lastMinute.sales).toBe(1);
    // Asked about an earlier instant, the sale of second 70 is not there yet.
    expect(live.figures(at(69)).lastMinute.sales).toBe(0);
  });

  it('averages events per second over the last 10 s', () => {
    const live = new LiveFigures();
    for (let s = 0; s < 20; s += 1) {
      for (let i = 0; i < 4; i += 1) live.addEvent(event(saleInput()), at(s) + i * 100);
    }
    expect(live.figures(at(19)).eventsPerSecond).toBe(4);
    // Five seconds without events: half of the last 10 s were busy.
    expect(live.figures(at(24)).eventsPerSecond).toBe(2);
    // The minute still holds all 80 sales.
    expect(live.figures(at(24)).lastMinute).toEqual({ sales: 80, revenue: { EUR: 80 * 3998 } });
  });

  it('counts an event seen twice once, and tells a repeated ledger entry or cue from a new one', () => {
    const live = new LiveFigures();
    const sale = event(saleInput());
    const entry = ledger();
    expect(live.addEvent(sale, at(0))).toBe(true);
    expect(live.addEvent(sale, at(1))).toBe(false);
    expect(live.addLedgerEntry(entry)).toBe(true);
    expect(live.addLedgerEntry(entry)).toBe(false);
    expect(live.addCue(cue('c1'))).toBe(true);
    expect(live.addCue(cue('c1'))).toBe(false);
    expect(live.addCue(cue('c2'))).toBe(true);
    // Ledger entries and cues move none of the figures.
    expect(live.figures(at(1))).toEqual({
      eventsPerSecond: 0.1,
      lastMinute: { sales: 1, revenue: { EUR: 3998 } },
    });
  });

  it('takes a revised ledger line (a second return of one sale) as new, not a late older copy', () => {
    const live = new LiveFigures();
    const line = { entryId: 'c-0000001/tx-9/reverse', kind: 'reverse' as const };
    expect(live.addLedgerEntry(ledger({ ...line, revision: 200, points: -2 }))).toBe(true);
    expect(live.addLedgerEntry(ledger({ ...line, revision: 3998, points: -39 }))).toBe(true);
    expect(live.addLedgerEntry(ledger({ ...line, revision: 200, points: -2 }))).toBe(false);
    expect(live.addLedgerEntry(ledger({ ...line, revision: 3998, points: -39 }))).toBe(false);
  });

  it('remembers only the latest ids, so memory stays bounded', () => {
    const live = new LiveFigures({ rememberIds: 2 });
    const [a, b, c] = [event(saleInput()), event(saleInput()), event(saleInput())];
    for (const e of [a, b, c]) expect(live.addEvent(e, at(0))).toBe(true);
    expect(live.addEvent(c, at(0))).toBe(false);
    // `a` was forgotten when `c` came: it counts again.
    expect(live.addEvent(a, at(0))).toBe(true);
    expect(live.figures(at(0)).lastMinute.sales).toBe(4);
    for (const id of ['c1', 'c2', 'c3']) expect(live.addCue(cue(id))).toBe(true);
    expect(live.addCue(cue('c1'))).toBe(true);
    expect(live.addCue(cue('c3'))).toBe(false);
  });
});
