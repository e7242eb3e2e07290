/**
 * Profile changes reach the member figures (migration 9, engine/analytics/profile-changes.ts):
 * the demographic cuts and a segment's `age` use each field's latest change as of the moment
 * asked about, the registration's value before it; a cleared field is unknown; and the
 * migration's backfill recovers the customer type and preferred store from stored changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileChangeStatements } from '../../engine/analytics/profile-changes.ts';
import { askQuestion } from '../../engine/analytics/questions/registry.ts';
import { eventRows, type RowBatch } from '../../engine/analytics/rows.ts';
import { TABLES } from '../../engine/analytics/schema.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { parseRetailEvent, type RetailEvent } from '../../engine/domain/events.ts';
import { parseCondition } from '../../engine/segments/expression.ts';
import { batchMembers } from '../../engine/segments/reconcile.ts';
import { openTestStore, type TestStore } from '../support/analytics-store.ts';
import { registrationInput } from './analytics-fixtures.ts';

let opened: TestStore | undefined;
let store: AnalyticsStore;

const REGISTERED = '2026-01-10T09:00:00.000Z';
const CHANGED = '2026-05-01T09:00:00.000Z';
const BEFORE = new Date('2026-04-30T12:00:00.000Z');
const AFTER = new Date('2026-06-30T12:00:00.000Z');

function parsed(input: unknown): RetailEvent {
  const result = parseRetailEvent(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.event;
}

const registration = (customerId: string, profile: Record<string, unknown>) =>
  parsed({
    ...registrationInput(customerId),
    occurredAt: REGISTERED,
    profile: { givenName: 'Ada', ...profile },
  });

const change = (customerId: string, eventId: string, changes: Record<string, unknown>) =>
  parsed({
    type: 'profile.changed',
    eventId,
    occurredAt: CHANGED,
    storeId: 'S001',
    channel: 'till',
    customerId,
    changes,
  });

/** Every row an event becomes, inserted as the sink would. */
async function storeEvents(events: RetailEvent[]): Promise<void> {
  for (const [i, event] of events.entries()) {
    const rows: RowBatch = eventRows(event, { streamSeq: i + 1, receivedAt: event.occurredAt });
    for (const table of TABLES) {
      const some = rows[table];
      if (some?.length) await store.insert(table, some as never);
    }
  }
}

/** The rows of `profile_changes`, by customer and field. */
const storedChanges = () =>
  store.query<{ customer_id: string; field: string; value: string }>(
    `SELECT customer_id, toString(field) AS field, value FROM ${store.database}.profile_changes
     ORDER BY customer_id, field`,
  );

/** The demographics answer as { cut: customers }. */
async function cut(by: string, asOf: Date): Promise<Record<string, number>> {
  const asked = await askQuestion(
    store,
    { question: 'demographics', params: { by }, asOf: asOf.toISOString() },
    asOf,
  );
  return Object.fromEntries(asked.answer.rows.map((r) => [r[by] as string, r.customers as number]));
}

beforeAll(async () => {
  opened = await openTestStore('profile-changes');
  store = opened.store;
  await storeEvents([
    // Born 1960, individual, female; then born 1996, business, gender cleared.
    registration('c-pc-1', {
      birthDate: '1960-03-02',
      customerType: 'individual',
      gender: 'female',
    }),
    change('c-pc-1', 'chg-1', { birthDate: '1996-03-02', customerType: 'business', gender: null }),
    // Born 1980 and never changed; a change of the preferred store alone.
    registration('c-pc-2', { birthDate: '1980-07-07', customerType: 'individual', gender: 'male' }),
    change('c-pc-2', 'chg-2', { preferredStoreId: 'S002' }),
    // No birth date at registration; one given later.
    registration('c-pc-3', { customerType: 'staff' }),
    change('c-pc-3', 'chg-3', { birthDate: '2001-01-01' }),
  ]);
}, 120_000);

afterAll(async () => {
  await opened?.remove();
});

describe('profile changes in the member figures', () => {
  it('demographics as of a moment: the registration before a change, the change after it', async () => {
    expect(await cut('type', BEFORE)).toEqual({ individual: 2, staff: 1 });
    expect(await cut('type', AFTER)).toEqual({ business: 1, individual: 1, staff: 1 });
    expect(await cut('gender', BEFORE)).toEqual({ female: 1, male: 1, unknown: 1 });
    expect(await cut('gender', AFTER)).toEqual({ male: 1, unknown: 2 });
    // Ages in 2026: 66, 46 and unknown before; 30, 46 and 25 after.
    expect(await cut('age', BEFORE)).toEqual({ '45-54': 1, '65+': 1, unknown: 1 });
    expect(await cut('age', AFTER)).toEqual({ '25-34': 2, '45-54': 1 });
  });

  it("a segment's age follows the birth date as of the moment", async () => {
    const young = parseCondition('age < 35');
    expect(await batchMembers(store, young, BEFORE)).toEqual([]);
    expect(await batchMembers(store, young, AFTER)).toEqual(['c-pc-1', 'c-pc-3']);
    expect(await batchMembers(store, parseCondition('age > 60'), BEFORE)).toEqual(['c-pc-1']);
    expect(await batchMembers(store, parseCondition('age > 60'), AFTER)).toEqual([]);
  });

  it('one row per field a change sets, in customers terms; none for what it leaves', async () => {
    const rows = await storedChanges();
    expect(rows).toEqual([
      { customer_id: 'c-pc-1', field: 'birth_year', value: '1996' },
      { customer_id: 'c-pc-1', field: 'customer_type', value: 'business' },
      { customer_id: 'c-pc-1', field: 'gender', value: '' },
      { customer_id: 'c-pc-2', field: 'home_store_id', value: 'S002' },
      { customer_id: 'c-pc-3', field: 'birth_year', value: '2001' },
    ]);
  });

  it("the migration's backfill recovers the customer type and preferred store from stored changes", async () => {
    for (const statement of profileChangeStatements(store.database)) {
      await store.command(typeof statement === 'string' ? statement : statement.sql);
    }
    const rows = await storedChanges();
    // The events' payloads keep no birth date or gender (personal data): those are not recovered.
    expect(rows).toEqual([
      { customer_id: 'c-pc-1', field: 'customer_type', value: 'business' },
      { customer_id: 'c-pc-2', field: 'home_store_id', value: 'S002' },
    ]);
  });
});
