/**
 * Versioned migrations of the analytics database, the same on chDB and a ClickHouse server.
 *
 * Each migration is a numbered list of statements. `runMigrations` applies those a database has
 * not recorded yet, in order, and records each in `schema_migrations` once all its statements
 * ran; every statement is idempotent (`IF NOT EXISTS`, `IF EXISTS`), so a process that died half
 * way through a migration runs it again from the start next time. A released migration is never
 * edited: its checksum is recorded, and a database that ran a different text of it is refused
 * (naming the migration) rather than left to drift. A change is a new migration at the end.
 *
 * A statement that cannot be made idempotent in SQL (copying a table, exchanging two) carries a
 * guard: a SELECT that returns a row while the statement is still to run. So a rebuild that died
 * after its exchange does not copy the new table back over the old one.
 */
import { createHash } from 'node:crypto';
import { groupTableStatements } from '../segments/groups.ts';
import { basketStatements } from './baskets.ts';
import { layoutForQuestions } from './layout-v3.ts';
import { profileChangeStatements } from './profile-changes.ts';
import { rfmScoreStatements } from './questions/rfm-scores.ts';
import { returnedCostStatements } from './returned-cost.ts';
import { baselineStatements, qualified } from './schema.ts';
import type { Statement } from './statement.ts';
import type { AnalyticsStore, AppliedMigration } from './store.ts';

export type { Statement } from './statement.ts';

export interface Migration {
  version: number;
  /** What it does, as the team would say it; stored with the version. */
  name: string;
  /** The statements, for the database `db` (a validated identifier). */
  statements(db: string): Statement[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'the tables, keyed by their natural ids',
    statements: baselineStatements,
  },
  {
    version: 2,
    name: "ledger: a partner line's partner, an adjustment's reason and operator",
    statements: (db) => [
      `ALTER TABLE ${db}.ledger ADD COLUMN IF NOT EXISTS partner_id LowCardinality(String) DEFAULT ''`,
      `ALTER TABLE ${db}.ledger ADD COLUMN IF NOT EXISTS reason LowCardinality(String) DEFAULT ''`,
      `ALTER TABLE ${db}.ledger ADD COLUMN IF NOT EXISTS operator_id String DEFAULT ''`,
    ],
  },
  {
    version: 3,
    name: 'facts sorted by customer and day, daily aggregates, dimensions',
    statements: layoutForQuestions,
  },
  {
    version: 4,
    name: 'segment entries and exits',
    // One row per change; membership at a moment is each customer's latest change by then.
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.segment_changes (
  customer_id String,
  segment_id LowCardinality(String),
  change LowCardinality(String),
  at DateTime64(3, 'UTC'),
  cause LowCardinality(String),
  event_id String,
  program_version LowCardinality(String)
) ENGINE = ReplacingMergeTree
ORDER BY (segment_id, customer_id, at, change)`,
    ],
  },
  {
    version: 5,
    name: "return lines: the returned sale line's unit cost",
    statements: returnedCostStatements,
  },
  {
    version: 6,
    name: 'customer tags as registrations and profile changes set them',
    // Segments over SQL read tags here rather than parsing every registration's payload.
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.customer_tags (
  customer_id String,
  at DateTime64(3, 'UTC'),
  event_id String,
  replaces UInt8,
  tags Array(String)
) ENGINE = ReplacingMergeTree
ORDER BY (customer_id, at, event_id)`,
      `TRUNCATE TABLE ${db}.customer_tags`,
      `INSERT INTO ${db}.customer_tags
SELECT customer_id, occurred_at, event_id, type = 'profile.changed',
  arrayDistinct(JSONExtract(payload, 'tags', 'Array(String)'))
FROM ${db}.events
WHERE customer_id != '' AND type IN ('customer.registered', 'profile.changed')
  AND JSONHas(payload, 'tags')`,
    ],
  },
  {
    version: 7,
    name: 'baskets: one row per receipt; line_days: daily figures by category, brand and SKU',
    statements: basketStatements,
  },
  {
    version: 8,
    name: 'saved groups, their sizes over time and their members when saved',
    statements: groupTableStatements,
  },
  {
    version: 9,
    name: 'profile changes: the member figures as of any moment',
    statements: profileChangeStatements,
  },
  {
    version: 10,
    name: "RFM scores kept per window and its days' fingerprint",
    statements: rfmScoreStatements,
  },
  {
    version: 11,
    name: 'the audit log of staff actions on customers',
    // Read by customer (who looked at this record?) far more than by anything else.
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.audit_log (
  audit_id String,
  at DateTime64(3, 'UTC'),
  user_id String,
  role LowCardinality(String),
  action LowCardinality(String),
  customer_id String,
  detail String
) ENGINE = ReplacingMergeTree
ORDER BY (customer_id, at, audit_id)`,
    ],
  },
];

export const MIGRATIONS_TABLE = 'schema_migrations';

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** The statements' text, for a fixed database name: what a released migration must keep. */
export function checksumOf(migration: Migration): string {
  const text = migration
    .statements('db')
    .map((s) => (typeof s === 'string' ? s : `${s.sql}\n-- only if: ${s.onlyIf}`));
  return createHash('sha256').update(text.join('\n;\n')).digest('hex');
}

/**
 * Applies the migrations `store`'s database has not recorded, in order; resolves with those it
 * applied. Refuses, before applying anything, a database that recorded a migration this code
 * does not have (a newer release ran on it) or a different text of one it has.
 */
export async function runMigrations(
  store: Pick<AnalyticsStore, 'database' | 'query' | 'command'>,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<AppliedMigration[]> {
  checkOrder(migrations);
  const db = store.database;
  const table = qualified(db, MIGRATIONS_TABLE);
  await store.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
  await store.command(`CREATE TABLE IF NOT EXISTS ${table} (
  version UInt32,
  name String,
  checksum String,
  applied_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree
ORDER BY version`);
  const recorded = await store.query<{ version: number | string; name: string; checksum: string }>(
    `SELECT version, name, checksum FROM ${table} FINAL ORDER BY version`,
  );
  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const row of recorded) {
    const version = Number(row.version);
    const migration = known.get(version);
    if (!migration) {
      throw new MigrationError(
        `the analytics database ${db} has migration ${version} (${row.name}), which this release does not know: run a release that has it`,
      );
    }
    if (row.checksum !== checksumOf(migration)) {
      throw new MigrationError(
        `migration ${version} (${migration.name}) ran on ${db} with different statements than this release's: a released migration must not be edited; add a new one`,
      );
    }
  }
  const done = new Set(recorded.map((row) => Number(row.version)));
  const applied: AppliedMigration[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    for (const [i, statement] of migration.statements(db).entries()) {
      try {
        if (typeof statement === 'string') await store.command(statement);
        else if ((await store.query(statement.onlyIf)).length > 0) {
          await store.command(statement.sql);
        }
      } catch (err) {
        throw new MigrationError(
          `migration ${migration.version} (${migration.name}), statement ${i + 1}, failed on ${db}: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
    }
    const record = {
      version: migration.version,
      name: migration.name,
      checksum: checksumOf(migration),
    };
    await store.command(
      `INSERT INTO ${table} (version, name, checksum, applied_at) SELECT {version:UInt32}, {name:String}, {checksum:String}, now64(3)`,
      record,
    );
    applied.push(record);
  }
  return applied;
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new MigrationError(
        `migration ${m.version} (${m.name}) is at place ${i + 1}: versions run 1, 2, 3… in order`,
      );
    }
  });
}
