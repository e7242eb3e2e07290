/**
 * Saved groups: a condition in the segment language (docs/segments.md) saved under an id by a
 * marketer, kept with the customers who met it when it was saved and with its size over time.
 *
 * A program's live segments are evaluated in the customers' workflows on every event; a group is
 * not. It is measured from the stored events (sql.ts), which is what a marketer's ad hoc
 * selection needs: saving it measures its size at the end of each of the days before (so its
 * dynamics show at once) and now, and keeps its members as of now (so "who was in the group we
 * mailed" stays answerable after they move on); each refresh adds a point (`clientele groups
 * refresh`, or the daily refresh of `clientele start`).
 *
 * A group saved again with `replace` is a new version (its `saved_at`): its sizes and members are
 * those of the version, so the old condition's figures never mix with the new one's. Sizes and
 * members are written before the definition, so a save that dies half way leaves nothing a
 * reader sees. Members are pseudonymous ids only.
 */
import { z } from 'zod';
import { fromClickHouseTime, toClickHouseTime } from '../analytics/rows.ts';
import { qualified } from '../analytics/schema.ts';
import type { AnalyticsStore } from '../analytics/store.ts';
import { ClienteleError } from '../domain/error-codes.ts';
import type { Condition } from '../domain/segments/conditions.ts';
import { segmentId } from '../domain/segments/definition.ts';
import { parseCondition, SegmentExpressionError } from './expression.ts';
import { type CompiledSegment, compileSegment } from './sql.ts';

const DAY_MS = 86_400_000;

/** What a marketer gives to save a group. */
export const groupInput = z.strictObject({
  id: segmentId,
  name: z.string().trim().min(1, 'is empty').max(200, 'is longer than 200 characters').optional(),
  when: z.string().min(1, 'say who is in it, e.g. "recency_days > 90 and tier in [gold]"'),
  /** The tier of members with no tier change stored (the program's first level). */
  baseTier: z.string().min(1).optional(),
  /** Who saved it (a staff id, never a name). */
  savedBy: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be a staff id'),
});
export type GroupInput = z.input<typeof groupInput>;

export interface SavedGroup {
  id: string;
  name: string;
  when: string;
  baseTier?: string;
  /** ISO 8601: this version's moment (its sizes and members are keyed by it). */
  savedAt: string;
  savedBy: string;
}

export interface GroupSize {
  /** ISO 8601: the moment measured (a day's end, a save or a refresh). */
  at: string;
  members: number;
}

export interface SaveOptions {
  /** Days before the save measured at their end (default 30; 0 for none). */
  historyDays?: number;
  /** Save over a group with this id (a new version) instead of refusing. */
  replace?: boolean;
  /** Called after each size measured: `done` of `total`. */
  onProgress?: (done: number, total: number) => void;
}

const tables = (store: Pick<AnalyticsStore, 'database'>) => ({
  groups: qualified(store.database, 'saved_groups'),
  sizes: qualified(store.database, 'group_sizes'),
  members: qualified(store.database, 'group_members'),
});

/** The condition, or an `invalid_request` naming `when` with each problem. */
function conditionOf(text: string): Condition {
  try {
    return parseCondition(text);
  } catch (err) {
    if (!(err instanceof SegmentExpressionError)) throw err;
    throw new ClienteleError(
      'invalid_request',
      err.problems.map((message) => ({ field: 'when', message })),
    );
  }
}

function compiled(store: Pick<AnalyticsStore, 'database'>, group: SavedGroup): CompiledSegment {
  return compileSegment(conditionOf(group.when), {
    database: store.database,
    ...(group.baseTier !== undefined ? { baseTier: group.baseTier } : {}),
  });
}

/** How many meet the group's (compiled) condition at `at`, by the stored events. */
async function measure(
  store: Pick<AnalyticsStore, 'query'>,
  segment: CompiledSegment,
  at: Date,
): Promise<number> {
  const [row] = await store.query<{ n: string }>(`SELECT count() AS n FROM (${segment.sql})`, {
    ...segment.params,
    asOf: toClickHouseTime(at),
  });
  return Number(row?.n ?? 0);
}

async function writeSizes(
  store: Pick<AnalyticsStore, 'database' | 'command'>,
  group: SavedGroup,
  sizes: GroupSize[],
): Promise<void> {
  if (sizes.length === 0) return;
  const { sizes: table } = tables(store);
  await store.command(
    `INSERT INTO ${table} (group_id, saved_at, at, members)
     SELECT {id:String}, {savedAt:DateTime64(3, 'UTC')}, p.1, p.2
     FROM (SELECT arrayJoin(arrayZip(
       arrayMap(t -> toDateTime64(t, 3, 'UTC'), {ats:Array(String)}), {members:Array(UInt64)})) AS p)`,
    {
      id: group.id,
      savedAt: toClickHouseTime(group.savedAt),
      ats: sizes.map((s) => toClickHouseTime(s.at)),
      members: sizes.map((s) => s.members),
    },
  );
}

/** The current version of a group, or undefined (never saved, or removed). */
export async function findGroup(
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  id: string,
): Promise<SavedGroup | undefined> {
  return (await currentGroups(store, id))[0];
}

async function currentGroups(
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  id?: string,
): Promise<SavedGroup[]> {
  const rows = await store.query<{
    group_id: string;
    name: string;
    condition: string;
    base_tier: string;
    saved_at: string;
    saved_by: string;
  }>(
    `SELECT group_id, name, condition, base_tier, toString(saved_at) AS saved_at, saved_by
     FROM ${tables(store).groups} FINAL
     WHERE removed = 0 ${id === undefined ? '' : 'AND group_id = {id:String}'}
     ORDER BY group_id`,
    id === undefined ? {} : { id },
  );
  return rows.map((row) => ({
    id: row.group_id,
    name: row.name,
    when: row.condition,
    ...(row.base_tier !== '' ? { baseTier: row.base_tier } : {}),
    savedAt: fromClickHouseTime(row.saved_at),
    savedBy: row.saved_by,
  }));
}

/** A group's current version, or `unknown_group`. */
export async function requireGroup(
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  id: string,
): Promise<SavedGroup> {
  const group = await findGroup(store, id);
  if (!group) {
    throw new ClienteleError('unknown_group', [
      { field: 'group', message: `no saved group "${id}"` },
    ]);
  }
  return group;
}

/** The ends of the `days` whole UTC days before `now`'s day, oldest first. */
export function dayEndsBefore(now: Date, days: number): Date[] {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * DAY_MS - 1));
}

/**
 * Saves a group at `now`: measures it at the end of each of the `historyDays` days before and
 * at `now`, keeps its members at `now`, then writes the definition. Refuses a bad condition
 * (`invalid_request` naming `when`) and an id already saved unless `replace`.
 */
export async function saveGroup(
  store: Pick<AnalyticsStore, 'database' | 'query' | 'command'>,
  input: GroupInput,
  now: Date,
  options: SaveOptions = {},
): Promise<{ group: SavedGroup; members: number; sizes: GroupSize[] }> {
  const parsed = groupInput.safeParse(input);
  if (!parsed.success) {
    throw new ClienteleError(
      'invalid_request',
      parsed.error.issues.map((issue) => ({
        field: issue.path.join('.') || 'group',
        message: issue.message,
      })),
    );
  }
  const given = parsed.data;
  const group: SavedGroup = {
    id: given.id,
    name: given.name ?? given.id,
    when: given.when,
    ...(given.baseTier !== undefined ? { baseTier: given.baseTier } : {}),
    savedAt: now.toISOString(),
    savedBy: given.savedBy,
  };
  const segment = compiled(store, group);
  const historyDays = options.historyDays ?? 30;
  if (!Number.isInteger(historyDays) || historyDays < 0 || historyDays > 3660) {
    throw new ClienteleError('invalid_request', [
      { field: 'historyDays', message: 'must be a whole number of days from 0 to 3660' },
    ]);
  }
  const existing = await findGroup(store, given.id);
  if (existing && !options.replace) {
    throw new ClienteleError('group_exists', [
      {
        field: 'id',
        message: `"${given.id}" is saved already (${existing.when}); save it again with replace to make a new version`,
      },
    ]);
  }
  const dayEnds = dayEndsBefore(now, historyDays);
  const total = dayEnds.length + 1;
  const sizes: GroupSize[] = [];
  for (const at of dayEnds) {
    sizes.push({ at: at.toISOString(), members: await measure(store, segment, at) });
    options.onProgress?.(sizes.length, total);
  }
  // Its size now is the members kept now: counted from them, not measured a second time.
  const t = tables(store);
  const savedAt = toClickHouseTime(now);
  await store.command(
    `INSERT INTO ${t.members} (group_id, saved_at, customer_id)
     SELECT {groupId:String}, {savedAt:DateTime64(3, 'UTC')}, customer_id FROM (${segment.sql})`,
    { ...segment.params, asOf: savedAt, groupId: group.id, savedAt },
  );
  const [kept] = await store.query<{ n: string }>(
    `SELECT count() AS n FROM ${t.members}
     WHERE group_id = {groupId:String} AND saved_at = {savedAt:DateTime64(3, 'UTC')}`,
    { groupId: group.id, savedAt },
  );
  sizes.push({ at: now.toISOString(), members: Number(kept?.n ?? 0) });
  options.onProgress?.(total, total);
  await writeSizes(store, group, sizes);
  await writeDefinition(store, group, { removed: false, by: group.savedBy, at: now });
  return { group, members: sizes.at(-1)?.members ?? 0, sizes };
}

/** Measures each saved group (or those named) at `now` and keeps the point. */
export async function refreshGroups(
  store: Pick<AnalyticsStore, 'database' | 'query' | 'command'>,
  now: Date,
  ids?: readonly string[],
): Promise<{ group: string; size: GroupSize }[]> {
  const groups =
    ids === undefined || ids.length === 0
      ? await currentGroups(store)
      : await Promise.all(ids.map((id) => requireGroup(store, id)));
  const done: { group: string; size: GroupSize }[] = [];
  for (const group of groups) {
    const members = await measure(store, compiled(store, group), now);
    const size = { at: now.toISOString(), members };
    await writeSizes(store, group, [size]);
    done.push({ group: group.id, size });
  }
  return done;
}

/** Removes a group: its figures stay stored, it is no longer listed or refreshed. */
export async function removeGroup(
  store: Pick<AnalyticsStore, 'database' | 'query' | 'command'>,
  id: string,
  now: Date,
  removedBy: string,
): Promise<void> {
  const group = await requireGroup(store, id);
  await writeDefinition(store, group, { removed: true, by: removedBy, at: now });
}

/**
 * A row of the group's state: a version when saved (by whoever saved it), a removal (by whoever
 * removed it); the latest `version` wins.
 */
async function writeDefinition(
  store: Pick<AnalyticsStore, 'database' | 'command'>,
  group: SavedGroup,
  change: { removed: boolean; by: string; at: Date },
): Promise<void> {
  await store.command(
    `INSERT INTO ${tables(store).groups} (group_id, name, condition, base_tier, saved_at, saved_by, removed, version)
     VALUES ({id:String}, {name:String}, {condition:String}, {baseTier:String},
       {savedAt:DateTime64(3, 'UTC')}, {by:String}, {removed:UInt8}, {at:DateTime64(3, 'UTC')})`,
    {
      id: group.id,
      name: group.name,
      condition: group.when,
      baseTier: group.baseTier ?? '',
      savedAt: toClickHouseTime(group.savedAt),
      by: change.by,
      removed: change.removed ? 1 : 0,
      at: toClickHouseTime(change.at),
    },
  );
}

/** Every saved group with its size when saved and its latest point. */
export async function listGroups(
  store: Pick<AnalyticsStore, 'database' | 'query'>,
): Promise<(SavedGroup & { membersWhenSaved: number; latest?: GroupSize })[]> {
  const groups = await currentGroups(store);
  if (groups.length === 0) return [];
  const rows = await store.query<{
    group_id: string;
    saved: string;
    latest_at: string;
    latest_members: string;
  }>(
    `SELECT group_id, toString(saved_at) AS saved, toString(max(at)) AS latest_at,
       argMax(members, at) AS latest_members
     FROM ${tables(store).sizes}
     WHERE group_id IN {ids:Array(String)}
     GROUP BY group_id, saved_at`,
    { ids: groups.map((g) => g.id) },
  );
  const latest = new Map(rows.map((row) => [`${row.group_id}\u0000${row.saved}`, row]));
  const saved = await store.query<{ group_id: string; saved: string; n: string }>(
    `SELECT group_id, toString(saved_at) AS saved, count() AS n
     FROM ${tables(store).members} WHERE group_id IN {ids:Array(String)}
     GROUP BY group_id, saved_at`,
    { ids: groups.map((g) => g.id) },
  );
  const whenSaved = new Map(saved.map((row) => [`${row.group_id}\u0000${row.saved}`, row.n]));
  return groups.map((group) => {
    const key = `${group.id}\u0000${toClickHouseTime(group.savedAt)}`;
    const point = latest.get(key);
    return {
      ...group,
      membersWhenSaved: Number(whenSaved.get(key) ?? 0),
      ...(point
        ? {
            latest: {
              at: fromClickHouseTime(point.latest_at),
              members: Number(point.latest_members),
            },
          }
        : {}),
    };
  });
}

/** A group's sizes over time (its current version), oldest first, within [from, to]. */
export async function groupSizes(
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  id: string,
  range: { from?: Date; to?: Date } = {},
): Promise<GroupSize[]> {
  const group = await requireGroup(store, id);
  const rows = await store.query<{ moment: string; members: string }>(
    `SELECT toString(at) AS moment, members FROM ${tables(store).sizes} FINAL
     WHERE group_id = {id:String} AND saved_at = {savedAt:DateTime64(3, 'UTC')}
       AND at >= {from:DateTime64(3, 'UTC')} AND at <= {to:DateTime64(3, 'UTC')}
     ORDER BY at`,
    {
      id,
      savedAt: toClickHouseTime(group.savedAt),
      from: toClickHouseTime(range.from ?? new Date(0)),
      to: toClickHouseTime(range.to ?? new Date(Date.UTC(2299, 11, 31))),
    },
  );
  return rows.map((row) => ({
    at: fromClickHouseTime(row.moment),
    members: Number(row.members),
  }));
}

/** Who was in the group when its current version was saved: how many, and the first `limit` ids. */
export async function groupMembersWhenSaved(
  store: Pick<AnalyticsStore, 'database' | 'query'>,
  id: string,
  limit: number,
): Promise<{ group: SavedGroup; count: number; ids: string[] }> {
  const group = await requireGroup(store, id);
  const bound = { id, savedAt: toClickHouseTime(group.savedAt) };
  const where = `group_id = {id:String} AND saved_at = {savedAt:DateTime64(3, 'UTC')}`;
  const [count] = await store.query<{ n: string }>(
    `SELECT uniqExact(customer_id) AS n FROM ${tables(store).members} WHERE ${where}`,
    bound,
  );
  const ids = await store.query<{ customer_id: string }>(
    `SELECT DISTINCT customer_id FROM ${tables(store).members} WHERE ${where}
     ORDER BY customer_id LIMIT {limit:UInt64}`,
    { ...bound, limit },
  );
  return { group, count: Number(count?.n ?? 0), ids: ids.map((r) => r.customer_id) };
}

/** The tables, for the analytics migration that adds them. */
export function groupTableStatements(db: string): string[] {
  const time = "DateTime64(3, 'UTC')";
  return [
    // One row per version and removal; the latest `version` is the group's state.
    `CREATE TABLE IF NOT EXISTS ${db}.saved_groups (
  group_id String,
  name String,
  condition String,
  base_tier LowCardinality(String),
  saved_at ${time},
  saved_by String,
  removed UInt8,
  version ${time}
) ENGINE = ReplacingMergeTree(version)
ORDER BY group_id`,
    `CREATE TABLE IF NOT EXISTS ${db}.group_sizes (
  group_id String,
  saved_at ${time},
  at ${time},
  members UInt64
) ENGINE = ReplacingMergeTree
ORDER BY (group_id, saved_at, at)`,
    `CREATE TABLE IF NOT EXISTS ${db}.group_members (
  group_id String,
  saved_at ${time},
  customer_id String
) ENGINE = ReplacingMergeTree
ORDER BY (group_id, saved_at, customer_id)`,
  ];
}
