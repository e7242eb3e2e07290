/**
 * Migration 9: `profile_changes`, each field a member's profile change set, so the member
 * figures (demographic cuts, a segment's `age`) follow the profile as of any moment rather than
 * as registered. Released once shipped: never edit these statements (the database records their
 * checksum); a change is a new migration.
 *
 * One row per changed field: `customers` keeps the registration's values, and the member as of
 * a moment is that row with each field replaced by its latest change by then. A row per field,
 * not a new whole `customers` row, because a change names only what it changes: writing a whole
 * row would need the row before it, and two changes applied out of order would lose one.
 * `value` is the field's new value as text, '' when the change cleared it (as `customers` has ''
 * or NULL for a value never given). `birth_year` and `gender` are personal data, like theirs in
 * `customers`: erasure deletes these rows too (erasure.ts).
 *
 * The backfill reads the stored profile changes (`events`), whose payloads keep the customer
 * type and preferred store but not the birth date or gender (personal data never reaches the
 * events table): those apply from this migration on.
 */
import { qualified } from './schema.ts';
import type { Statement } from './statement.ts';

/** The profile fields a change can set, by their `customers` column. */
export const PROFILE_COLUMNS = ['home_store_id', 'customer_type', 'birth_year', 'gender'] as const;
export type ProfileColumn = (typeof PROFILE_COLUMNS)[number];

/** Migration 9's statements, for the database `db` (a validated identifier). */
export function profileChangeStatements(db: string): Statement[] {
  const changed = (field: string, column: ProfileColumn) =>
    `SELECT customer_id, occurred_at, event_id, '${column}',
  ifNull(JSONExtract(payload, '${field}', 'Nullable(String)'), '')
FROM ${db}.events
WHERE type = 'profile.changed' AND customer_id != '' AND JSONHas(payload, '${field}')`;
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.profile_changes (
  customer_id String,
  at DateTime64(3, 'UTC'),
  event_id String,
  field LowCardinality(String),
  value String
) ENGINE = ReplacingMergeTree
ORDER BY (customer_id, at, event_id, field)`,
    `TRUNCATE TABLE ${db}.profile_changes`,
    `INSERT INTO ${db}.profile_changes (customer_id, at, event_id, field, value)
${changed('customerType', 'customer_type')}
UNION ALL
${changed('preferredStoreId', 'home_store_id')}`,
  ];
}

/**
 * Each member as of `{<asOf>:DateTime64(3, 'UTC')}`: registered by then, with the latest change
 * of each profile field by then in place of the registration's value. Columns: `customer_id`,
 * `registered_at`, `acquisition_source`, `home_store_id`, `customer_type`, `birth_year`
 * (Nullable), `gender`. Registrations come from `customers` FINAL (one row per member).
 */
export function membersAsOfSql(db: string, asOf = 'asOf'): string {
  const at = `{${asOf}:DateTime64(3, 'UTC')}`;
  const latest = (column: ProfileColumn) =>
    `argMaxIf(value, (at, event_id), field = '${column}') AS ${column}_value,
      countIf(field = '${column}') > 0 AS ${column}_changed`;
  const current = (column: ProfileColumn) =>
    `if(p.${column}_changed, p.${column}_value, toString(c.${column}))`;
  return `SELECT c.customer_id AS customer_id, c.registered_at AS registered_at,
    toString(c.acquisition_source) AS acquisition_source,
    ${current('home_store_id')} AS home_store_id,
    ${current('customer_type')} AS customer_type,
    if(p.birth_year_changed, toUInt16OrNull(p.birth_year_value), c.birth_year) AS birth_year,
    ${current('gender')} AS gender
  FROM (
    SELECT customer_id, registered_at, acquisition_source, home_store_id, customer_type,
      birth_year, gender
    FROM ${qualified(db, 'customers')} FINAL
    WHERE registered_at <= ${at}
  ) AS c
  LEFT JOIN (
    SELECT customer_id, ${PROFILE_COLUMNS.map(latest).join(',\n      ')}
    FROM ${qualified(db, 'profile_changes')}
    WHERE at <= ${at}
    GROUP BY customer_id
  ) AS p ON p.customer_id = c.customer_id`;
}
