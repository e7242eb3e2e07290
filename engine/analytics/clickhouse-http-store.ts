/**
 * The server backend: a ClickHouse server over HTTP through `@clickhouse/client` (docker-compose,
 * a user's cluster).
 *
 * Tables are always named with their database (`<database>.<table>`) and the client is given no
 * default database, so migrate() can create the database through the same client.
 *
 * The schema needs a server of 20.5 or later (DateTime64, `{name:Type}` query parameters,
 * fromUnixTimestamp64Milli); migrate() says so instead of failing half-way. The transport itself
 * also works with old servers such as Debian's 18.16, for statements without parameters.
 */
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { runMigrations } from './migrations.ts';
import type { TableRows } from './rows.ts';
import { qualified, type TableName } from './schema.ts';
import {
  type AnalyticsStore,
  type AppliedMigration,
  DEFAULT_REQUEST_TIMEOUT_MS,
  QUERY_SETTINGS,
  type QueryParams,
  type StoreOptions,
  TUNING_SETTINGS,
} from './store.ts';

export interface HttpStoreOptions extends StoreOptions {
  url: string;
  username: string;
  password: string;
}

export class ClickHouseHttpStore implements AnalyticsStore {
  readonly backend = 'http' as const;
  readonly database: string;
  readonly url: string;
  private readonly client: ClickHouseClient;
  private closed = false;
  /** TUNING_SETTINGS this server knows, found by migrate(). */
  private tuning: Partial<typeof TUNING_SETTINGS> = {};

  constructor(options: HttpStoreOptions) {
    this.database = options.database;
    this.url = options.url;
    this.client = createClient({
      url: options.url,
      username: options.username,
      password: options.password,
      request_timeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      application: 'clientele',
      // The same JSON as chDB's, whatever the server's defaults.
      clickhouse_settings: QUERY_SETTINGS,
      // The client would log every failed request itself; callers report errors their own way.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  async migrate(): Promise<AppliedMigration[]> {
    const [row] = await this.query<{ version: string }>('SELECT version() AS version');
    const version = row?.version ?? '0';
    if (!supportsSchema(version)) {
      throw new Error(
        `ClickHouse server ${version} at ${this.url} is too old for the Clientele schema: it needs ${MIN_SERVER_VERSION.join('.')} or later (DateTime64, fromUnixTimestamp64Milli)`,
      );
    }
    const known = await this.query<{ name: keyof typeof TUNING_SETTINGS }>(
      'SELECT name FROM system.settings WHERE has({names:Array(String)}, name)',
      { names: Object.keys(TUNING_SETTINGS) },
    );
    this.tuning = Object.fromEntries(known.map(({ name }) => [name, TUNING_SETTINGS[name]]));
    return runMigrations(this);
  }

  async insert<T extends TableName>(table: T, rows: readonly TableRows[T][]): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({
      table: qualified(this.database, table),
      values: rows as TableRows[T][],
      format: 'JSONEachRow',
    });
  }

  async query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]> {
    const result = await this.client.query({
      query: sql,
      format: 'JSONEachRow',
      clickhouse_settings: this.tuning,
      ...withParams(params),
    });
    return result.json<T>();
  }

  async *stream(sql: string, params?: QueryParams): AsyncIterable<Uint8Array> {
    const result = await this.client.query({
      query: sql,
      format: 'TabSeparatedRaw',
      clickhouse_settings: this.tuning,
      ...withParams(params),
    });
    const encoder = new TextEncoder();
    for await (const rows of result.stream()) {
      yield encoder.encode(rows.map((row: { text: string }) => `${row.text}\n`).join(''));
    }
  }

  async command(sql: string, params?: QueryParams): Promise<void> {
    await this.client.command({
      query: sql,
      clickhouse_settings: this.tuning,
      ...withParams(params),
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }
}

/** The oldest server the schema and queries are written for (major, minor). */
export const MIN_SERVER_VERSION = [20, 5] as const;

export function supportsSchema(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [minMajor, minMinor] = MIN_SERVER_VERSION;
  return major > minMajor || (major === minMajor && minor >= minMinor);
}

/** Only sends query parameters when there are some: servers before 19.x refuse `param_*`. */
function withParams(params: QueryParams | undefined): { query_params?: Record<string, unknown> } {
  if (!params || Object.keys(params).length === 0) return {};
  return {
    query_params: Object.fromEntries(
      Object.entries(params).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]),
    ),
  };
}
