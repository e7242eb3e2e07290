/**
 * The customer's lifecycle rules as the workflow runs them (`CustomerAccount`): what fired is
 * carried in the state, so a continue-as-new (the state through JSON, restored) or a replay never
 * fires an occasion twice; a sale fires a milestone and a lapsed customer's return.
 */
import { describe, expect, it } from 'vitest';
import { CustomerAccount, noEffects } from '../../../engine/domain/customer/account.ts';
import type { CustomerEvent } from '../../../engine/domain/events.ts';
import type { Program } from '../../../engine/domain/loyalty/program.ts';
import { CUSTOMER, line, programOf, saleOf } from '../../support/loyalty.ts';

const base = { version: 'base-1-per-100', basePointsPerUnit: 1, spendUnitMinor: 100 };
const DAY = 86_400_000;
const program: Program = {
  ...programOf({
    lifecycle: {
      timeZone: 'UTC',
      rules: [
        { id: 'birthday', on: 'birthday', at: '09:00', cue: { message: 'Happy birthday' } },
        { id: 'back', on: 'returned', afterDays: 120 },
        { id: 'third', on: 'visits', count: 3 },
      ],
    },
  }),
  effectiveFrom: '2020-01-01T00:00:00Z',
};

const registration: CustomerEvent = {
  type: 'customer.registered',
  eventId: 'ev-reg',
  occurredAt: '2026-01-10T10:00:00Z',
  storeId: 'S001',
  channel: 'till',
  customerId: CUSTOMER,
  consent: { email: false, sms: false, post: false, profiling: false },
  birthMonthDay: '03-15',
};

function member(): CustomerAccount {
  const account = CustomerAccount.open(CUSTOMER, base);
  account.learn([program]);
  account.apply(registration, noEffects());
  return account;
}

/** Through JSON and back, as the state crosses continue-as-new. */
const carried = (account: CustomerAccount) =>
  CustomerAccount.restore(JSON.parse(JSON.stringify(account.toState())));

describe('lifecycle rules run by the customer', () => {
  it('fires a birthday once, also after the state crossed continue-as-new', () => {
    const account = member();
    // 15 March 2026, 09:00 UTC.
    const due = Date.parse('2026-03-15T09:00:00Z');
    expect(account.lifecycleDue('2026-02-01T00:00:00Z')).toBe(due);
    const before = noEffects();
    account.fireLifecycle(new Date(due - 1).toISOString(), before);
    expect(before.lifecycle).toBeUndefined();
    const out = noEffects();
    account.fireLifecycle(new Date(due).toISOString(), out);
    expect(out.lifecycle).toMatchObject([
      { ruleId: 'birthday', occasion: '2026-03-15', dueAt: '2026-03-15T09:00:00.000Z' },
    ]);
    // The cue waits for the next visit, in the summary.
    expect(account.snapshot('2026-03-16T00:00:00Z').waitingCues).toMatchObject([
      { ruleId: 'birthday', message: 'Happy birthday' },
    ]);
    // Carried on: the same occasion fires nothing; next year's is the next due.
    const next = carried(account);
    const again = noEffects();
    next.fireLifecycle('2026-03-15T10:00:00Z', again);
    expect(again.lifecycle).toBeUndefined();
    expect(next.lifecycleDue('2026-03-15T10:00:00Z')).toBe(Date.parse('2027-03-15T09:00:00Z'));
  });

  it('fires the third visit with its sale, and a return after 120 days away', () => {
    const account = member();
    const sale = (tx: string, occurredAt: string) => {
      const out = noEffects();
      account.apply(saleOf(tx, [line({ lineId: '1' })], { occurredAt }), out);
      return (out.lifecycle ?? []).map((f) => `${f.ruleId}@${f.occasion}`);
    };
    expect(sale('s1', '2026-01-11T10:00:00Z')).toEqual([]);
    expect(sale('s2', '2026-01-12T10:00:00Z')).toEqual([]);
    expect(sale('s3', '2026-01-13T10:00:00Z')).toEqual(['third@once']);
    // 119 days and 23 hours later: not yet away 120 days.
    expect(
      sale(
        's4',
        new Date(Date.parse('2026-01-13T10:00:00Z') + 120 * DAY - 3_600_000).toISOString(),
      ),
    ).toEqual([]);
    // 120 days after that one: back.
    const back = new Date(Date.parse('2026-01-13T10:00:00Z') + 240 * DAY).toISOString();
    expect(sale('s5', back)).toEqual([`back@${back.slice(0, 10)}`]);
  });
});

describe('a tier anniversary', () => {
  it('is due a year after the customer reached their tier', () => {
    const tiered: Program = {
      ...programOf({
        tiers: {
          metric: 'spend',
          levels: [
            { id: 'member', name: 'Member', threshold: 0 },
            { id: 'gold', name: 'Gold', threshold: 5_000 },
          ],
        },
        lifecycle: {
          timeZone: 'UTC',
          rules: [{ id: 'gold-year', on: 'tier-anniversary', at: '09:00' }],
        },
      }),
      effectiveFrom: '2020-01-01T00:00:00Z',
    };
    const account = CustomerAccount.open(CUSTOMER, base);
    account.learn([tiered]);
    account.apply(registration, noEffects());
    // 60.00 of spend on 2 February reaches gold (5,000 minor units).
    const out = noEffects();
    account.apply(
      saleOf('big', [line({ lineId: '1', unitPrice: 6_000 })], {
        occurredAt: '2026-02-02T15:00:00Z',
      }),
      out,
    );
    expect(out.tierChanges).toMatchObject([{ to: 'gold', reason: 'upgrade' }]);
    expect(account.lifecycleDue('2026-02-03T00:00:00Z')).toBe(Date.parse('2027-02-02T09:00:00Z'));
  });
});
