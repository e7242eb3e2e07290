/**
 * Erasing a customer's personal data from the analytics store. Of the tables, `customers` (birth
 * year and gender, for demographic cuts: layout-v3.ts) and `profile_changes` (the same fields as
 * changed later: profile-changes.ts) hold some; the rest are keyed by the pseudonymous id and
 * hold none. The member's rows go whole: their other columns say nothing once the member is gone.
 * Mutations, so they complete in the background; `mutations_sync` makes this call wait for them,
 * and the answer says the data is gone only when it is.
 */
import { qualified, type TableName } from './schema.ts';
import type { AnalyticsStore } from './store.ts';

/** The tables holding a member's personal data, by `customer_id`. */
export const PERSONAL_TABLES = ['customers', 'profile_changes'] as const satisfies TableName[];

export async function eraseCustomerAnalytics(
  store: Pick<AnalyticsStore, 'database' | 'command' | 'query'>,
  customerId: string,
): Promise<{ rowsErased: number }> {
  let rowsErased = 0;
  for (const name of PERSONAL_TABLES) {
    const table = qualified(store.database, name);
    const [before] = await store.query<{ n: string }>(
      `SELECT count() AS n FROM ${table} WHERE customer_id = {customerId:String}`,
      { customerId },
    );
    await store.command(
      `ALTER TABLE ${table} DELETE WHERE customer_id = {customerId:String} SETTINGS mutations_sync = 1`,
      { customerId },
    );
    rowsErased += Number(before?.n ?? 0);
  }
  return { rowsErased };
}
