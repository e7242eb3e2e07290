/**
 * A return line carries the unit cost of the sale line it gives back (`return_lines.unit_cost`),
 * so the margin of returns (lifetime value, cohorts, store figures) is a sum, not a join of every
 * return against 20 million sale lines. The sink fills it as it inserts (`withReturnedCost`, after
 * the batch's sale lines are stored); migration 5 fills it for the rows already there. A return
 * whose sale line is not stored keeps 0: its whole refund is margin lost, as before.
 */
import type { ReturnLineRow } from './rows.ts';
import { qualified } from './schema.ts';
import type { AnalyticsStore } from './store.ts';

/** Migration 5: the column, and the cost of the return lines already stored. */
export function returnedCostStatements(db: string): string[] {
  const costs = `${db}.returned_line_costs`;
  return [
    `ALTER TABLE ${db}.return_lines ADD COLUMN IF NOT EXISTS unit_cost Int64 DEFAULT 0`,
    `DROP TABLE IF EXISTS ${costs}`,
    // A Join table: what an UPDATE may look up (a mutation cannot join).
    `CREATE TABLE ${costs} (transaction_id String, line_id String, unit_cost Int64)
ENGINE = Join(ANY, LEFT, transaction_id, line_id)`,
    `INSERT INTO ${costs} SELECT transaction_id, line_id, unit_cost FROM ${db}.sale_lines
WHERE (transaction_id, line_id) IN (SELECT original_transaction_id, line_id FROM ${db}.return_lines)`,
    `ALTER TABLE ${db}.return_lines
UPDATE unit_cost = joinGet('${costs}', 'unit_cost', original_transaction_id, line_id)
WHERE 1 SETTINGS mutations_sync = 1`,
    `DROP TABLE IF EXISTS ${costs}`,
  ];
}

/**
 * The rows with `unit_cost` set from the stored sale lines they name (looked up by the returning
 * customers, the sorting key's first column, so a few granules are read).
 */
export async function withReturnedCost(
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  rows: readonly ReturnLineRow[],
): Promise<ReturnLineRow[]> {
  if (rows.length === 0) return [];
  const found = await store.query<{ transaction_id: string; line_id: string; unit_cost: string }>(
    `SELECT transaction_id, line_id, any(unit_cost) AS unit_cost
     FROM ${qualified(store.database, 'sale_lines')}
     WHERE customer_id IN {customers:Array(String)}
       AND transaction_id IN {transactions:Array(String)}
     GROUP BY transaction_id, line_id`,
    {
      customers: [...new Set(rows.map((r) => r.customer_id))],
      transactions: [...new Set(rows.map((r) => r.original_transaction_id))],
    },
  );
  const cost = new Map(found.map((f) => [`${f.transaction_id}/${f.line_id}`, Number(f.unit_cost)]));
  return rows.map((r) => ({
    ...r,
    unit_cost: cost.get(`${r.original_transaction_id}/${r.line_id}`) ?? 0,
  }));
}
