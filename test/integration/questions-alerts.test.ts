/**
 * The console's alert and audit questions on chDB: `fraud-flags` lists the watch's flags of the
 * last days, newest first, in the stores asked (a card by its last four digits); `audit` lists
 * staff actions on one customer or by one member of staff, newest first, within the days asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Answer } from '../../engine/analytics/questions/question.ts';
import { findQuestion } from '../../engine/analytics/questions/registry.ts';
import type { AuditRow, FraudFlagRow } from '../../engine/analytics/rows.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { openTestStore, type TestStore } from '../support/analytics-store.ts';

const AS_OF = new Date('2026-06-30T12:00:00Z');
let opened: TestStore | undefined;
let store: AnalyticsStore;

const flag = (id: string, at: string, storeId: string, card: string): FraudFlagRow => ({
  flag_id: id,
  rule: 'velocity',
  at,
  store_id: storeId,
  till_id: 'T1',
  card_number: card,
  customer_id: `c-${id}`,
  action: 'block',
  message: `flag ${id}`,
  evidence: 3,
  distance_km: null,
  speed_kmh: null,
});

const audit = (
  id: string,
  at: string,
  user: string,
  customer: string,
  action: string,
): AuditRow => ({
  audit_id: id,
  at,
  user_id: user,
  role: 'marketer',
  action,
  customer_id: customer,
  detail: '',
});

beforeAll(async () => {
  opened = await openTestStore('alerts');
  store = opened.store;
  await store.insert('fraud_flags', [
    flag('f1', '2026-06-29 10:00:00.000', 'S001', '2799010000000018'),
    flag('f2', '2026-06-28 10:00:00.000', 'S002', '2799010000000026'),
    flag('f3', '2026-06-10 10:00:00.000', 'S001', '2799010000000034'), // older than 7 days
    flag('f4', '2026-06-30 13:00:00.000', 'S001', '2799010000000042'), // after the as-of moment
  ]);
  await store.insert('audit_log', [
    audit('a1', '2026-06-29 09:00:00.000', 'ann', 'c-1', 'customer.read'),
    audit('a2', '2026-06-29 10:00:00.000', 'bob', 'c-1', 'customer.state'),
    audit('a3', '2026-06-29 11:00:00.000', 'ann', 'c-2', 'customer.search'),
    audit('a4', '2025-01-01 11:00:00.000', 'ann', 'c-1', 'customer.read'), // long ago
  ]);
}, 120_000);

afterAll(async () => {
  await opened?.remove();
});

const ask = (name: string, params: Record<string, string> = {}): Promise<Answer> => {
  const q = findQuestion(name);
  return q.run(store, q.params.parse(params), AS_OF);
};

describe('fraud-flags', () => {
  it("lists the last days' flags, newest first, each card by its last four digits", async () => {
    const answer = await ask('fraud-flags');
    expect(answer.rows.map((r) => [r.store, r.message, r.card_last4])).toEqual([
      ['S001', 'flag f1', '0018'],
      ['S002', 'flag f2', '0026'],
    ]);
    expect(answer.rows[0]?.at).toBe('2026-06-29T10:00:00.000Z');
    expect(answer.summary?.values.flags).toBe(2);
    expect((await ask('fraud-flags', { days: '30' })).rows.length).toBe(3);
  });

  it('keeps to the stores asked', async () => {
    const answer = await ask('fraud-flags', { stores: 'S002', days: '30' });
    expect(answer.rows.map((r) => r.message)).toEqual(['flag f2']);
  });
});

describe('audit', () => {
  it("answers who looked at a customer, and one member's actions, newest first", async () => {
    const customer = await ask('audit', { customer: 'c-1' });
    expect(customer.rows.map((r) => [r.user, r.action])).toEqual([
      ['bob', 'customer.state'],
      ['ann', 'customer.read'],
    ]);
    const ann = await ask('audit', { user: 'ann' });
    expect(ann.rows.map((r) => r.customer)).toEqual(['c-2', 'c-1']);
    expect((await ask('audit', { user: 'ann', days: '1000' })).rows.length).toBe(3);
  });
});
