/**
 * The HTTP analytics store against a real ClickHouse server started by the test.
 *
 * The server is the one found by CLIENTELE_TOOL_CLICKHOUSE_SERVER, /usr/sbin/clickhouse-server or
 * PATH. On these machines that is Debian's `clickhouse-server` package (18.16, 2018:
 * `apt-get install -y clickhouse-server`), which lacks DateTime64 (20.1) and query parameters
 * (19.x). Against it the test exercises the transport with statements 18.16 understands, and
 * checks that migrate() refuses with the version it needs rather than failing half-way. A server
 * of 20.5 or later also runs the real schema and the named queries.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsSchema } from '../../config/settings.ts';
import {
  ClickHouseHttpStore,
  supportsSchema,
} from '../../engine/analytics/clickhouse-http-store.ts';
import { insertOnce } from '../../engine/analytics/facts.ts';
import { createAnalyticsStore } from '../../engine/analytics/open-store.ts';
import { countDistinctEvents, eventById } from '../../engine/analytics/queries.ts';
import { deadLetterRow, eventRows } from '../../engine/analytics/rows.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { parseRetailEvent } from '../../engine/domain/events.ts';
import { freePort } from '../../engine/runtime/servers.ts';
import { saleInput } from './analytics-fixtures.ts';

function findClickHouseServer(): string | undefined {
  const candidates = [
    process.env.CLIENTELE_TOOL_CLICKHOUSE_SERVER,
    '/usr/sbin/clickhouse-server',
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'clickhouse-server')),
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

interface ClickHouseServer {
  url: string;
  child: ChildProcess;
  log: string[];
  stop(): Promise<void>;
}

/** Starts clickhouse-server in the foreground with its whole config and data in `dir`. */
async function startClickHouseServer(binary: string, dir: string): Promise<ClickHouseServer> {
  const [httpPort, tcpPort] = [await freePort(), await freePort()];
  for (const sub of ['data', 'tmp', 'user_files']) mkdirSync(join(dir, sub), { recursive: true });
  // `<yandex>` is the root element 18.16 needs; later versions accept it too.
  writeFileSync(
    join(dir, 'config.xml'),
    `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <mark_cache_size>67108864</mark_cache_size>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
</yandex>
`,
  );
  writeFileSync(
    join(dir, 'users.xml'),
    `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default></default></quotas>
</yandex>
`,
  );
  const child = spawn(binary, [`--config-file=${join(dir, 'config.xml')}`], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const keep = (chunk: Buffer) => {
    log.push(chunk.toString());
    if (log.length > 100) log.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    // 18.16 takes about 8 s to shut down after a test; its data is thrown away anyway.
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  while (true) {
    if (child.exitCode !== null) {
      throw new Error(`clickhouse-server exited with ${child.exitCode}:\n${log.join('')}`);
    }
    try {
      const res = await fetch(`${url}/ping`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`clickhouse-server did not answer on ${url}:\n${log.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child, log, stop };
}

const binary = findClickHouseServer();

describe('ClickHouse HTTP store (real clickhouse-server)', () => {
  it('has a clickhouse-server to test against', () => {
    // Not skipped when missing: a suite that silently tests nothing would look green.
    expect(
      binary,
      'no clickhouse-server: run `node bin/install-tools.js --for-tests`',
    ).toBeTruthy();
  });

  let dir: string;
  let server: ClickHouseServer;
  let store: AnalyticsStore;
  let version = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clientele-clickhouse-'));
    server = await startClickHouseServer(binary as string, dir);
    store = await createAnalyticsStore(
      settingsSchema.parse({
        dataDir: dir,
        clickhouse: { backend: 'http', url: server.url, database: 'clientele_http' },
      }),
    );
    const [row] = await store.query<{ v: string }>('SELECT version() AS v');
    version = row?.v ?? '';
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is the HTTP backend and reads rows as objects, 64-bit integers as strings', async () => {
    expect(store).toBeInstanceOf(ClickHouseHttpStore);
    expect(store.backend).toBe('http');
    expect(version).toMatch(/^\d+\.\d+/);
    const rows = await store.query('SELECT 1 AS one, toInt64(9007199254740993) AS big');
    expect(rows).toEqual([{ one: 1, big: '9007199254740993' }]);
  });

  it('refuses bad SQL with the server’s message', async () => {
    await expect(store.query('SELEKT 1')).rejects.toThrow(/Syntax error/);
  });

  it('inserts idempotently into a replacing table read with FINAL', async () => {
    await store.command(`CREATE DATABASE IF NOT EXISTS ${store.database}`);
    // The dead_letters shape, with `at` as text: 18.16 cannot parse milliseconds into DateTime.
    await store.command(
      `CREATE TABLE IF NOT EXISTS ${store.database}.dead_letters (
         stream String, seq UInt64, subject String, reason String, payload String, at String
       ) ENGINE = ReplacingMergeTree ORDER BY (stream, seq)`,
    );
    const rows = [1, 2, 3].map((seq) =>
      deadLetterRow({
        stream: 'EVENTS',
        seq,
        subject: 'events.S001',
        reason: 'not JSON',
        payload: `{"n": ${seq}, "note": "ünïcödé"`,
        at: '2026-03-14T08:30:00Z',
      }),
    );
    for (let attempt = 0; attempt < 20; attempt++) await store.insert('dead_letters', rows);
    const [counts] = await store.query<{ final: string }>(
      `SELECT count() AS final FROM ${store.database}.dead_letters FINAL`,
    );
    expect(counts?.final).toBe('3');
    const back = await store.query<{ seq: string; payload: string }>(
      `SELECT seq, payload FROM ${store.database}.dead_letters FINAL ORDER BY seq`,
    );
    expect(back).toEqual(rows.map((r) => ({ seq: String(r.seq), payload: r.payload })));

    // Inserted once by natural key (what the sink does): no second copy even before a merge.
    // Its look-up binds query parameters, which servers before 19.x do not have.
    if (!supportsSchema(version)) return;
    const once = rows.map((r) => ({ ...r, stream: 'LEDGER' }));
    const inserted: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      inserted.push(await insertOnce(store, 'dead_letters', [...once, ...once]));
    }
    expect(inserted).toEqual([3, 0, 0]);
    const [plain] = await store.query<{ n: string }>(
      `SELECT count() AS n FROM ${store.database}.dead_letters WHERE stream = 'LEDGER'`,
    );
    expect(plain?.n).toBe('3');
  });

  it('runs the schema and the named queries on a server that supports them (20.5+)', async () => {
    if (!supportsSchema(version)) {
      // 18.16: migrate() refuses before creating anything, naming the version it needs.
      await expect(store.migrate()).rejects.toThrow(/is too old .* needs 20\.5 or later/);
      const [dbs] = await store.query<{ n: string }>(
        `SELECT count() AS n FROM system.tables WHERE database = '${store.database}' AND name = 'events'`,
      );
      expect(dbs?.n).toBe('0');
      return;
    }
    await store.command(`DROP TABLE IF EXISTS ${store.database}.dead_letters`);
    await store.migrate();
    const parsed = parseRetailEvent(saleInput());
    if (!parsed.ok) throw new Error('fixture');
    const rows = eventRows(parsed.event, { streamSeq: 1, receivedAt: new Date() });
    for (let attempt = 0; attempt < 5; attempt++) await store.insert('events', rows.events);
    expect(await countDistinctEvents(store)).toBe(1);
    expect((await eventById(store, parsed.event.eventId))?.totalMinor).toBe(3_397);
  });

  it('closes idempotently', async () => {
    await store.close();
    await store.close();
  });
});
