/**
 * Segment membership from the analytics store: live (what the customers' workflows published,
 * `segment_changes`), batch (the condition compiled to SQL over the stored events, sql.ts), the
 * two compared, and a segment's size over time. Every answer is as of a moment, so "who was in
 * lapsed-gold when the campaign was sent?" is one call.
 */
import { toClickHouseTime } from '../analytics/rows.ts';
import { qualified } from '../analytics/schema.ts';
import type { AnalyticsStore, QueryParams } from '../analytics/store.ts';
import type { ProgramDefinition } from '../domain/loyalty/program-schema.ts';
import type { Condition } from '../domain/segments/conditions.ts';
import { compileSegment } from './sql.ts';

export interface SegmentToCompare {
  id: string;
  condition: Condition;
}

/** A SELECT of `customer_id`s with its parameters. */
interface MembersQuery {
  sql: string;
  params: QueryParams;
}

/** Who the workflows had put in the segment at `asOf`: each customer's latest change by then. */
function liveMembersQuery(
  store: Pick<AnalyticsStore, 'database'>,
  segmentId: string,
  asOf: Date,
): MembersQuery {
  return {
    sql: `SELECT customer_id FROM ${qualified(store.database, 'segment_changes')}
     WHERE segment_id = {segmentId:String} AND at <= {asOf:DateTime64(3, 'UTC')}
     GROUP BY customer_id
     HAVING argMax(change, at) = 'entered'`,
    params: { segmentId, asOf: toClickHouseTime(asOf) },
  };
}

/** Who meets the condition at `asOf`, computed from the stored events. */
function batchMembersQuery(
  store: Pick<AnalyticsStore, 'database'>,
  condition: Condition,
  asOf: Date,
  baseTier?: string,
): MembersQuery {
  const compiled = compileSegment(condition, {
    database: store.database,
    ...(baseTier !== undefined ? { baseTier } : {}),
  });
  return { sql: compiled.sql, params: { ...compiled.params, asOf: toClickHouseTime(asOf) } };
}

async function allMembers(
  store: Pick<AnalyticsStore, 'query'>,
  members: MembersQuery,
): Promise<string[]> {
  const rows = await store.query<{ customer_id: string }>(
    `SELECT customer_id FROM (${members.sql}) ORDER BY customer_id`,
    members.params,
  );
  return rows.map((r) => r.customer_id);
}

/** How many members, and the first `limit` by id. */
export interface MembersPage {
  count: number;
  first: string[];
}

/**
 * Counted and listed in one query, so a segment of most customers is not fetched whole to
 * show a hundred of them.
 */
async function membersPage(
  store: Pick<AnalyticsStore, 'query'>,
  members: MembersQuery,
  limit: number,
): Promise<MembersPage> {
  const rows = await store.query<{ customer_id: string; total: string }>(
    `SELECT customer_id, count() OVER () AS total FROM (${members.sql})
     ORDER BY customer_id LIMIT {pageSize:UInt32}`,
    { ...members.params, pageSize: Math.max(limit, 1) },
  );
  return {
    count: Number(rows[0]?.total ?? 0),
    first: rows.slice(0, limit).map((r) => r.customer_id),
  };
}

/** Who the workflows had put in the segment at `asOf`, sorted by id. */
export const liveMembers = (
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  segmentId: string,
  asOf: Date,
): Promise<string[]> => allMembers(store, liveMembersQuery(store, segmentId, asOf));

/** Who meets the condition at `asOf` by the stored events, sorted by id. */
export const batchMembers = (
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  condition: Condition,
  asOf: Date,
  baseTier?: string,
): Promise<string[]> => allMembers(store, batchMembersQuery(store, condition, asOf, baseTier));

/** liveMembers counted, with the first `limit`. */
export const liveMembersPage = (
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  segmentId: string,
  asOf: Date,
  limit: number,
): Promise<MembersPage> => membersPage(store, liveMembersQuery(store, segmentId, asOf), limit);

/** batchMembers counted, with the first `limit`. */
export const batchMembersPage = (
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  condition: Condition,
  asOf: Date,
  limit: number,
  baseTier?: string,
): Promise<MembersPage> =>
  membersPage(store, batchMembersQuery(store, condition, asOf, baseTier), limit);

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

/**
 * A program's live segments against batch: a member with no tier change stored is in the
 * program's first level, as the customer's record has it.
 */
export function reconcileProgramSegments(
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  definition: Pick<ProgramDefinition, 'segments' | 'tiers'>,
  asOf: Date,
  options: { limit?: number } = {},
): Promise<SegmentDifferences[]> {
  const baseTier = definition.tiers?.levels[0]?.id;
  return reconcileSegments(store, definition.segments ?? [], asOf, {
    ...options,
    ...(baseTier !== undefined ? { baseTier } : {}),
  });
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
