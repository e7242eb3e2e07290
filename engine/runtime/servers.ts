/**
 * Starts the embedded servers, a Temporal dev server and a nats-server with JetStream, as child
 * processes with their files under the data folder, and stops them cleanly. Used by `npm start`,
 * the tests and the benchmark alike.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { findTool } from './tools.ts';

export interface RunningServer {
  readonly name: string;
  readonly address: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
  /** Sends SIGKILL, as a crash would, and waits for the process to be gone. */
  kill(): Promise<void>;
}

/** A TCP port that is free right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
    socket.connect(port, '127.0.0.1');
  });
}

async function waitForPort(name: string, port: number, child: ChildProcess, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited with code ${child.exitCode} before listening on ${port}`);
    }
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on 127.0.0.1:${port} within ${ms} ms`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

/**
 * Servers run in their own process group, so a Ctrl-C at the terminal reaches only us and we stop
 * them after the parts that use them. Should we exit anyway, they are killed on the way out.
 */
const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function spawnServer(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of children) c.kill('SIGKILL');
    });
  }
  return child;
}

function supervise(
  name: string,
  address: string,
  child: ChildProcess,
  logTail: string[],
): RunningServer {
  child.stdout?.on('data', (chunk: Buffer) => keepTail(logTail, chunk));
  child.stderr?.on('data', (chunk: Buffer) => keepTail(logTail, chunk));
  return {
    name,
    address,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(timer);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

function keepTail(tail: string[], chunk: Buffer) {
  tail.push(chunk.toString());
  if (tail.length > 50) tail.shift();
}

async function startChecked(
  name: string,
  port: number,
  child: ChildProcess,
  address: string,
  timeoutMs: number,
): Promise<RunningServer> {
  const tail: string[] = [];
  const server = supervise(name, address, child, tail);
  try {
    await waitForPort(name, port, child, timeoutMs);
  } catch (err) {
    await server.stop();
    throw new Error(`${(err as Error).message}\n${tail.join('').slice(-2000)}`);
  }
  return server;
}

export interface NatsServerOptions {
  dataDir: string;
  port?: number;
  /** 'always' fsyncs every write; 'default' leaves NATS's 2-minute interval. */
  syncInterval?: 'default' | 'always';
}

export async function startNatsServer(options: NatsServerOptions): Promise<RunningServer> {
  const port = options.port ?? (await freePort());
  const storeDir = resolve(options.dataDir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  const confPath = join(storeDir, 'nats-server.conf');
  const sync = options.syncInterval === 'always' ? '\n  sync_interval: always' : '';
  writeFileSync(
    confPath,
    `listen: "127.0.0.1:${port}"\nmax_payload: 4MB\njetstream {\n  store_dir: "${storeDir}"${sync}\n}\n`,
  );
  const child = spawnServer(findTool('nats-server'), ['-c', confPath]);
  return startChecked('nats-server', port, child, `nats://127.0.0.1:${port}`, 20_000);
}

export interface TemporalServerOptions {
  dataDir: string;
  port?: number;
  uiPort?: number;
  /** Serve the Temporal web UI (npm start) or not (tests). */
  ui?: boolean;
  /** Server dynamic config, e.g. a low `limit.historyCount.suggestContinueAsNew` in tests. */
  dynamicConfig?: Record<string, string | number | boolean>;
  /** SQLite commits: 'normal' (write-ahead log) or 'full' (synced each commit, SQLite's default). */
  sync?: 'normal' | 'full';
}

/**
 * The dev server's defaults are made for a laptop demo, not for throughput. Measured here
 * (bench/README.md): SQLite's default journal syncs every commit, and each task queue has four
 * partitions, so with one local worker tasks waited in partitions nobody was polling; one
 * partition and a write-ahead log roughly doubled what one worker gets through.
 */
const devServerDynamicConfig = {
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

export async function startTemporalDevServer(
  options: TemporalServerOptions,
): Promise<RunningServer & { uiAddress?: string }> {
  const port = options.port ?? (await freePort());
  const dir = resolve(options.dataDir, 'temporal');
  mkdirSync(dir, { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--db-filename',
    join(dir, 'temporal.db'),
    '--log-level',
    'warn',
  ];
  if ((options.sync ?? 'normal') === 'normal') {
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  const dynamicConfig = { ...devServerDynamicConfig, ...options.dynamicConfig };
  for (const [key, value] of Object.entries(dynamicConfig)) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  let uiAddress: string | undefined;
  if (options.ui) {
    const uiPort = options.uiPort ?? (await freePort());
    args.push('--ui-port', String(uiPort));
    uiAddress = `http://127.0.0.1:${uiPort}`;
  } else {
    args.push('--headless');
  }
  const child = spawnServer(findTool('temporal'), args);
  const server = await startChecked('temporal', port, child, `127.0.0.1:${port}`, 60_000);
  return { ...server, uiAddress };
}
