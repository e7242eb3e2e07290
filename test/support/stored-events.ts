/**
 * Events written straight into an analytics store, as the sink writes them (`eventRows`), each
 * received when it occurred (as the generator writes them).
 */
import { eventRows } from '../../engine/analytics/rows.ts';
import { TABLES } from '../../engine/analytics/schema.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { parseRetailEvent } from '../../engine/domain/events.ts';

/** Each input is checked against the event contract first; its rows go to every table they fill. */
export async function storeEvents(
  store: AnalyticsStore,
  inputs: readonly unknown[],
): Promise<void> {
  for (const [i, input] of inputs.entries()) {
    const parsed = parseRetailEvent(input);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const receivedAt = Date.parse(parsed.event.occurredAt);
    const rows = eventRows(parsed.event, { streamSeq: i + 1, receivedAt });
    for (const table of TABLES) {
      const batch = (rows as Record<string, unknown[] | undefined>)[table];
      if (batch && batch.length > 0) await store.insert(table, batch as never);
    }
  }
}
