/**
 * Erasing a customer's personal data from the analytics store. Of the tables, only `customers`
 * holds any (birth year and gender, for demographic cuts: layout-v3.ts); the rest are keyed by
 * the pseudonymous id and hold none. The row goes whole: its other columns say nothing once the
 * member is gone. A mutation, so it completes in the background; `mutations_sync` makes this
 * call wait for it, and the answer says the data is gone only when it is.
 */
import { qualified } from './schema.ts';
import type { AnalyticsStore } from './store.ts';

export async function eraseCustomerAnalytics(
  store: Pick<AnalyticsStore, 'database' | 'command' | 'query'>,
  customerId: string,
): Promise<{ rowsErased: number }> {
  const table = qualified(store.database, 'customers');
  const [before] = await store.query<{ n: string }>(
    `SELECT count() AS n FROM ${table} WHERE customer_id = {customerId:String}`,
    { customerId },
  );
  await store.command(
    `ALTER TABLE ${table} DELETE WHERE customer_id = {customerId:String} SETTINGS mutations_sync = 1`,
    { customerId },
  );
  return { rowsErased: Number(before?.n ?? 0) };
}
