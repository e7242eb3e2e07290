/**
 * Writes a generated data set into an analytics store: the dimensions first, then the fact
 * batches as they are generated. The next batch is generated while the engine still ingests the
 * previous one (the store's inserts run off the main thread), so generating and ingesting
 * overlap.
 */
import type { TableName } from '../analytics/schema.ts';
import type { AnalyticsStore } from '../analytics/store.ts';
import {
  FACT_TABLES,
  type FactBatch,
  type GeneratorOptions,
  generateBatches,
  generateDimensions,
} from './generate.ts';

export interface GenerateProgress {
  customers: number;
  events: number;
  saleLines: number;
  /** Rows written so far, all tables. */
  rows: number;
}

export interface GenerateResult {
  rows: Partial<Record<TableName, number>>;
  totalRows: number;
  seconds: number;
  rowsPerSecond: number;
  saleLines: number;
}

/** `now` is the clock the run is timed with (a parameter so a caller can pass its own). */
export async function writeGenerated(
  store: AnalyticsStore,
  options: GeneratorOptions,
  onProgress?: (p: GenerateProgress) => void,
  now: () => number = () => performance.now(),
): Promise<GenerateResult> {
  const started = now();
  const rows: Partial<Record<TableName, number>> = {};
  const count = (table: TableName, n: number) => {
    rows[table] = (rows[table] ?? 0) + n;
  };
  const dimensions = generateDimensions(options);
  await store.insert('stores', dimensions.stores);
  await store.insert('products', dimensions.products);
  await store.insert('staff', dimensions.staff);
  count('stores', dimensions.stores.length);
  count('products', dimensions.products.length);
  count('staff', dimensions.staff.length);

  const progress: GenerateProgress = { customers: 0, events: 0, saleLines: 0, rows: 0 };
  const writeBatch = async (batch: FactBatch) => {
    // All tables at once: each insert serialises its rows now, on this thread, and the engine
    // ingests them on its own threads while the next batch is generated.
    await Promise.all(
      FACT_TABLES.map((table) =>
        batch[table].length === 0 ? undefined : store.insert(table, batch[table] as never),
      ),
    );
    for (const table of FACT_TABLES) count(table, batch[table].length);
    progress.customers += batch.customers.length;
    progress.events += batch.events.length;
    progress.saleLines += batch.sale_lines.length;
    progress.rows = Object.values(rows).reduce((a, b) => a + (b ?? 0), 0);
    onProgress?.({ ...progress });
  };

  let writing: Promise<void> = Promise.resolve();
  for (const batch of generateBatches(options)) {
    await writing;
    writing = writeBatch(batch);
  }
  await writing;

  const seconds = (now() - started) / 1000;
  const totalRows = Object.values(rows).reduce((a, b) => a + (b ?? 0), 0);
  return {
    rows,
    totalRows,
    seconds,
    rowsPerSecond: seconds > 0 ? Math.round(totalRows / seconds) : totalRows,
    saleLines: rows.sale_lines ?? 0,
  };
}
