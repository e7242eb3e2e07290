/**
 * The embedded backend: ClickHouse in this process through chDB (npm `chdb`).
 *
 * Every call uses chDB's async API (queryAsync, queryBindAsync, insert), which runs on libuv's
 * thread pool, so a large query never blocks the event loop. Rows are inserted as a JSONEachRow
 * Buffer that the engine parses itself (no SQL text is built from values).
 *
 * chDB quirks this relies on or works around:
 * - One engine per process: a second Session on a *different* folder throws while one is open.
 * - Parameterized queries (`{name:Type}`) are serialized process-wide by chdb itself.
 * - A connection has one stream cursor, which a statement run on it meanwhile ends: each stream
 *   reads on a connection of its own to the same folder (connections share the one engine).
 * - close() defers teardown behind running native operations; drainPending() waits for that, so
 *   a test can open another folder afterwards.
 * - A timed-out call rejects, but the engine finishes the work in the background (no interrupt).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { drainPending, Session } from 'chdb';
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

/** Where chDB keeps its files under the data folder. */
export function chdbPath(dataDir: string): string {
  return resolve(dataDir, 'chdb');
}

/** A connection to the chDB folder at `path` (any number share the one engine). */
function connect(path: string): Session {
  return new Session(path, {
    connectionArgs: Object.entries({ ...QUERY_SETTINGS, ...TUNING_SETTINGS }).map(
      ([name, value]) => `--${name}=${value}`,
    ),
  });
}

export class ChdbStore implements AnalyticsStore {
  readonly backend = 'chdb' as const;
  readonly database: string;
  readonly path: string;
  private readonly session: Session;
  private readonly timeoutMs: number;
  private readonly running = new Set<Promise<unknown>>();
  /** The connections of the streams being read. */
  private readonly streams = new Set<Session>();
  private closed = false;

  private constructor(path: string, session: Session, options: StoreOptions) {
    this.path = path;
    this.session = session;
    this.database = options.database;
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** Opens (creating if needed) the chDB folder at `path`. Call migrate() before first use. */
  static open(path: string, options: StoreOptions): ChdbStore {
    mkdirSync(path, { recursive: true });
    let session: Session;
    try {
      session = connect(path);
    } catch (err) {
      throw new Error(
        `cannot open chDB at ${path}: ${(err as Error).message} (only one chDB folder can be open per process)`,
        { cause: err },
      );
    }
    return new ChdbStore(path, session, options);
  }

  migrate(): Promise<AppliedMigration[]> {
    return runMigrations(this);
  }

  async insert<T extends TableName>(table: T, rows: readonly TableRows[T][]): Promise<void> {
    if (rows.length === 0) return;
    const body = Buffer.from(`${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
    const target = qualified(this.database, table);
    await this.track(() =>
      this.session.insert({
        table: target,
        values: body,
        format: 'JSONEachRow',
        timeout: this.timeoutMs,
      }),
    );
  }

  async query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]> {
    const result = await this.run(sql, params, 'JSONEachRow');
    const text = result.text();
    const rows: T[] = [];
    for (const line of text.split('\n')) if (line !== '') rows.push(JSON.parse(line) as T);
    return rows;
  }

  /** On a connection of its own, so the sink's inserts meanwhile do not end it. */
  async *stream(sql: string, params?: QueryParams): AsyncIterable<Uint8Array> {
    if (this.closed) throw new Error('the chDB store is closed');
    const session = connect(this.path);
    this.streams.add(session);
    try {
      const opts = { format: 'TabSeparatedRaw' };
      const chunks =
        params && Object.keys(params).length > 0
          ? session.queryStreamBind(sql, params, opts)
          : session.queryStream(sql, opts);
      for await (const chunk of chunks) yield chunk.raw();
    } finally {
      this.streams.delete(session);
      session.close();
    }
  }

  async command(sql: string, params?: QueryParams): Promise<void> {
    await this.run(sql, params, 'TSV');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.running]);
    for (const stream of this.streams) stream.close();
    this.session.close();
    await drainPending();
  }

  private run(sql: string, params: QueryParams | undefined, format: string) {
    const opts = { format, timeout: this.timeoutMs };
    return this.track(() =>
      params && Object.keys(params).length > 0
        ? this.session.queryBindAsync(sql, params, opts)
        : this.session.queryAsync(sql, opts),
    );
  }

  /** Starts an operation unless the store is closed, and remembers it until it settles. */
  private track<R>(start: () => Promise<R>): Promise<R> {
    if (this.closed) return Promise.reject(new Error('the chDB store is closed'));
    const op = start();
    this.running.add(op);
    const forget = () => this.running.delete(op);
    op.then(forget, forget);
    return op;
  }
}
