/**
 * Segment membership from the analytics store: live (what the customers' workflows published,
 * `segment_changes`), batch (the condition compiled to SQL over the stored events, sql.ts), the
 * two compared, and a segment's size over time. Every answer is as of a moment, so "who was in
 * lapsed-gold when the campaign was sent?" is one call.
 */
import { toClickHouseTime } from '../analytics/rows.ts';
import { qualified } from '../analytics/schema.ts';
import type { AnalyticsStore } from '../analytics/store.ts';
import type { Condition } from '../domain/segments/conditions.ts';
import { compileSegment } from './sql.ts';

export interface SegmentToCompare {
  id: string;
  condition: Condition;
}

/** Who the workflows had put in the segment at `asOf`: each customer's latest change by then. */
export async function liveMembers(
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  segmentId: string,
  asOf: Date,
): Promise<string[]> {
  const rows = await store.query<{ customer_id: string }>(
    `SELECT customer_id FROM ${qualified(store.database, 'segment_changes')}
     WHERE segment_id = {segmentId:String} AND at <= {asOf:DateTime64(3, 'UTC')}
     GROUP BY customer_id
     HAVING argMax(change, at) = 'entered'
     ORDER BY customer_id`,
    { segmentId, asOf: toClickHouseTime(asOf) },
  );
  return rows.map((r) => r.customer_id);
}

/** Who meets the condition at `asOf`, computed from the stored events. */
export async function batchMembers(
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  condition: Condition,
  asOf: Date,
  baseTier?: string,
): Promise<string[]> {
  const compiled = compileSegment(condition, {
    database: store.database,
    ...(baseTier !== undefined ? { baseTier } : {}),
  });
  const rows = await store.query<{ customer_id: string }>(
    `SELECT customer_id FROM (${compiled.sql}) ORDER BY customer_id`,
    { ...compiled.params, asOf: toClickHouseTime(asOf) },
  );
  return rows.map((r) => r.customer_id);
}

export interface SegmentDifferences {
  segmentId: string;
  live: number;
  batch: number;
  /** In the segment live, not by the stored events (ids, at most `limit`). */
  onlyLive: string[];
  /** Meeting the condition by the stored events, not in the segment live. */
  onlyBatch: string[];
  /** How many differ in all (beyond the ids listed). */
  differences: number;
}

/** Live against batch membership of each segment at `asOf`. */
export async function reconcileSegments(
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  segments: readonly SegmentToCompare[],
  asOf: Date,
  options: { baseTier?: string; limit?: number } = {},
): Promise<SegmentDifferences[]> {
  const limit = options.limit ?? 20;
  const report: SegmentDifferences[] = [];
  for (const segment of segments) {
    const live = await liveMembers(store, segment.id, asOf);
    const batch = await batchMembers(store, segment.condition, asOf, options.baseTier);
    const inBatch = new Set(batch);
    const inLive = new Set(live);
    const onlyLive = live.filter((id) => !inBatch.has(id));
    const onlyBatch = batch.filter((id) => !inLive.has(id));
    report.push({
      segmentId: segment.id,
      live: live.length,
      batch: batch.length,
      onlyLive: onlyLive.slice(0, limit),
      onlyBatch: onlyBatch.slice(0, limit),
      differences: onlyLive.length + onlyBatch.length,
    });
  }
  return report;
}

/** A segment's size at the end of each day from `from` to `to` (UTC dates), from the changes. */
export async function segmentSizes(
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  segmentId: string,
  from: string,
  to: string,
): Promise<{ day: string; size: number; entered: number; exited: number }[]> {
  const table = qualified(store.database, 'segment_changes');
  const [before] = await store.query<{ n: string }>(
    `SELECT countIf(change = 'entered') - countIf(change = 'exited') AS n FROM ${table}
     WHERE segment_id = {segmentId:String} AND toDate(at) < toDate({from:String})`,
    { segmentId, from },
  );
  const days = await store.query<{ day: string; entered: string; exited: string }>(
    `SELECT toString(toDate(at)) AS day,
       countIf(change = 'entered') AS entered, countIf(change = 'exited') AS exited
     FROM ${table}
     WHERE segment_id = {segmentId:String} AND toDate(at) BETWEEN toDate({from:String}) AND toDate({to:String})
     GROUP BY day`,
    { segmentId, from, to },
  );
  const byDay = new Map(days.map((d) => [d.day, d]));
  let size = Number(before?.n ?? 0);
  const sizes: { day: string; size: number; entered: number; exited: number }[] = [];
  for (
    let ms = Date.parse(`${from}T00:00:00Z`);
    ms <= Date.parse(`${to}T00:00:00Z`);
    ms += 86_400_000
  ) {
    const day = new Date(ms).toISOString().slice(0, 10);
    const entered = Number(byDay.get(day)?.entered ?? 0);
    const exited = Number(byDay.get(day)?.exited ?? 0);
    size += entered - exited;
    sizes.push({ day, size, entered, exited });
  }
  return sizes;
}
