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
  it('adds up sales, revenue, registrations, points, cues and stores', () => {
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
    live.addEvent(event(registrationInput()), at(2));
    live.addLedgerEntry(ledger({ points: 39 }), at(2));
    live.addLedgerEntry(ledger({ points: 13, storeId: 'S002' }), at(2));
    live.addCue(cue('c1'), at(3));

    const f = live.figures(at(3));
    expect(f.at).toBe('2026-11-20T10:00:03.000Z');
    expect(f.total).toEqual({
      events: 3,
      sales: 2,
      returns: 0,
      registrations: 1,
      anonymousSales: 1,
      revenue: { EUR: 3998 + 1300 },
      refunds: {},
      pointsIssued: 52,
      pointsReversed: 0,
      cues: 1,
    });
    expect(f.lastMinute).toEqual(f.total);
    expect(f.anonymousShare).toBe(0.5);
    expect(f.stores).toEqual([
      { storeId: 'S001', sales: 1, returns: 0, revenue: { EUR: 3998 } },
      { storeId: 'S002', sales: 1, returns: 0, revenue: { EUR: 1300 } },
    ]);
    // 3 events within the last 10 s.
    expect(f.eventsPerSecond).toBeCloseTo(0.3);
    expect(f.eventsPerSecondSeries).toHaveLength(60);
    expect(f.eventsPerSecondSeries.slice(-4)).toEqual([1, 1, 1, 0]);
  });

  it('subtracts returns from revenue and counts reversed points', () => {
    const live = new LiveFigures();
    const sale = saleInput();
    live.addEvent(event(sale), at(0));
    live.addEvent(event(returnInput({ transactionId: sale.transactionId })), at(1)); // refunds 3798
    live.addLedgerEntry(ledger({ kind: 'earn', points: 39 }), at(0));
    live.addLedgerEntry(ledger({ kind: 'reverse', points: -37, balanceAfter: 2 }), at(1));

    const f = live.figures(at(1));
    expect(f.total.sales).toBe(1);
    expect(f.total.returns).toBe(1);
    expect(f.total.revenue).toEqual({ EUR: 200 });
    expect(f.total.refunds).toEqual({ EUR: 3798 });
    expect(f.total.pointsIssued).toBe(39);
    expect(f.total.pointsReversed).toBe(37);
    expect(f.stores).toEqual([{ storeId: 'S001', sales: 1, returns: 1, revenue: { EUR: 200 } }]);
  });

  it('counts a revised ledger line (a second return of one sale) by its difference, once', () => {
    const live = new LiveFigures();
    const line = { entryId: 'c-0000001/tx-9/reverse', kind: 'reverse' as const };
    live.addLedgerEntry(ledger({ ...line, revision: 200, points: -2 }), at(0));
    live.addLedgerEntry(ledger({ ...line, revision: 3998, points: -39 }), at(1));
    // A late copy of the first revision changes nothing.
    expect(live.addLedgerEntry(ledger({ ...line, revision: 200, points: -2 }), at(2))).toBe(false);
    expect(live.figures(at(2)).total.pointsReversed).toBe(39);
  });

  it('keeps currencies apart', () => {
    const live = new LiveFigures();
    live.addEvent(event(saleInput()), at(0));
    live.addEvent(event(saleInput({ currency: 'GBP' })), at(0));
    expect(live.figures(at(0)).total.revenue).toEqual({ EUR: 3998, GBP: 3998 });
  });

  it('forgets events older than 60 s in the window, but not in the totals', () => {
    const live = new LiveFigures();
    live.addEvent(event(saleInput()), at(0));
    live.addCue(cue('c1'), at(0));
    live.addEvent(event(saleInput()), at(30));

    const mid = live.figures(at(59));
    expect(mid.lastMinute.sales).toBe(2);
    expect(mid.lastMinute.cues).toBe(1);
    expect(mid.eventsPerSecond).toBe(0);

    const later = live.figures(at(60));
    expect(later.lastMinute.sales).toBe(1);
    expect(later.lastMinute.revenue).toEqual({ EUR: 3998 });
    expect(later.lastMinute.cues).toBe(0);
    expect(later.eventsPerSecondSeries.reduce((a, b) => a + b, 0)).toBe(1);
    expect(later.total.sales).toBe(2);
    expect(later.total.revenue).toEqual({ EUR: 7996 });

    const gone = live.figures(at(95));
    expect(gone.lastMinute.sales).toBe(0);
    expect(gone.lastMinute.revenue).toEqual({});
    expect(gone.total.sales).toBe(2);
  });

  it('averages events per second over the last 10 s', () => {
    const live = new LiveFigures();
    for (let s = 0; s < 20; s += 1) {
      for (let i = 0; i < 4; i += 1) live.addEvent(event(saleInput()), at(s) + i * 100);
    }
    expect(live.figures(at(19)).eventsPerSecond).toBe(4);
    // Five seconds without events: half of the last 10 s were busy.
    expect(live.figures(at(24)).eventsPerSecond).toBe(2);
  });

  it('counts an event, ledger entry or cue seen twice once', () => {
    const live = new LiveFigures();
    const sale = event(saleInput());
    const entry = ledger();
    expect(live.addEvent(sale, at(0))).toBe(true);
    expect(live.addEvent(sale, at(1))).toBe(false);
    expect(live.addLedgerEntry(entry, at(0))).toBe(true);
    expect(live.addLedgerEntry(entry, at(1))).toBe(false);
    expect(live.addCue(cue('c1'), at(0))).toBe(true);
    expect(live.addCue(cue('c1'), at(1))).toBe(false);
    const f = live.figures(at(1));
    expect(f.total).toMatchObject({ events: 1, sales: 1, pointsIssued: 39, cues: 1 });
    expect(f.total.revenue).toEqual({ EUR: 3998 });
  });

  it('has no anonymous share before the first sale', () => {
    const live = new LiveFigures();
    live.addEvent(event(registrationInput()), at(0));
    expect(live.figures(at(0)).anonymousShare).toBeNull();
  });
});
