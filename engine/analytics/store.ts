/**
 * The analytics store: ClickHouse behind one interface, with two backends.
 *
 * - `chdb`: the embedded engine (npm `chdb`) in this process, files under `<dataDir>/chdb`. The
 *   zero-setup default. One process owns a chDB folder at a time, so the sink and the queries that
 *   read it live in the same process.
 * - `http`: a ClickHouse server through `@clickhouse/client` (docker-compose, a user's cluster).
 *
 * Both read and write JSONEachRow, so rows look the same whichever backend is used: 64-bit integers
 * come back as strings (never rounded), DateTime64 as `YYYY-MM-DD hh:mm:ss.sss` UTC. The named
 * queries in queries.ts turn them into typed values.
 */
import type { TableRows } from './rows.ts';
import type { TableName } from './schema.ts';

/** Values for `{name:Type}` placeholders, bound by the server, never spliced into the SQL. */
export type QueryParams = Record<
  string,
  string | number | boolean | bigint | null | readonly string[] | readonly number[]
>;

export interface AnalyticsStore {
  readonly backend: 'chdb' | 'http';
  /** The database holding the tables; queries name tables as `<database>.<table>`. */
  readonly database: string;
  /**
   * Applies the migrations the database has not recorded (migrations.ts), resolving with them.
   * Idempotent; refuses a database a newer release migrated, or one that ran an edited migration.
   */
  migrate(): Promise<AppliedMigration[]>;
  /**
   * Appends rows to a table of the database, as they are. A row whose natural key the table holds
   * is a second copy until parts merge (FINAL collapses it earlier): writers that may repeat rows
   * go through `insertOnce` (facts.ts).
   */
  insert<T extends TableName>(table: T, rows: readonly TableRows[T][]): Promise<void>;
  /** Runs a SELECT and returns its rows as objects (64-bit integers as strings). */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>;
  /**
   * Runs a SELECT and hands its rows over as they come, in chunks of `TabSeparatedRaw` text
   * (columns by tabs, rows by newlines, nothing escaped: for columns that hold no tab or newline,
   * such as ids and JSON), each chunk whole rows. For results too large to hold at once.
   */
  stream(sql: string, params?: QueryParams): AsyncIterable<Uint8Array>;
  /** Runs a statement that returns no rows (DDL, `OPTIMIZE`, `ALTER … DELETE`). */
  command(sql: string, params?: QueryParams): Promise<void>;
  /** Waits for running operations, then releases the connection. Idempotent. */
  close(): Promise<void>;
}

/** A migration as a database recorded it (migrations.ts). */
export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

export interface StoreOptions {
  database: string;
  /** An insert or query that takes longer is abandoned with an error (default 30 s). */
  requestTimeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * A setting both backends apply to every query: 64-bit integers in JSON as strings (a ClickHouse
 * server's default; chDB's is numbers).
 */
export const QUERY_SETTINGS = { output_format_json_quote_64bit_integers: 1 } as const;

/**
 * Settings that make the questions faster, applied where the server knows them (a server older
 * than the setting runs without it): aggregate functions compiled to machine code from a query's
 * first run rather than its third (ClickHouse's default). The per-customer passes of the
 * analytics questions (a million keys, a dozen sums each) run about a fifth faster compiled, and
 * a question is often asked once; the compiled code is cached, so later runs pay nothing for it.
 */
export const TUNING_SETTINGS = { min_count_to_compile_aggregate_expression: '0' } as const;
