/**
 * Starts the embedded servers, a Temporal dev server and a nats-server with JetStream, as child
 * processes with their files under the data folder, and stops them cleanly. Used by `npm start`,
 * the tests and the benchmark alike.
 *
 * Each server is recorded in a pid file under `<dataDir>/run/` while it runs. A start first stops
 * what an earlier run on the same data folder left running (a crashed parent cannot stop its
 * servers), refuses a port that anything else holds, and counts a server as ready only when the
 * child it spawned is the one answering.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import {
  commandOf,
  describeHolder,
  listensOn,
  portHolders,
  readPidFile,
  removePidFile,
  runsCommand,
  terminate,
  writePidFile,
} from './run-files.ts';
import { findTool, type ToolName } from './tools.ts';

export interface RunningServer {
  readonly name: string;
  readonly address: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
  /** Sends SIGKILL, as a crash would, and waits for the process to be gone. */
  kill(): Promise<void>;
}

/** An embedded server could not be started; the message says why and what to do. */
export class ServerStartError extends Error {
  override name = 'ServerStartError';
}

/** Which settings to name when a port is taken (the stack knows them; direct callers need not). */
export interface PortAdvice {
  /** The setting that chooses the port, e.g. `CLIENTELE_NATS_PORT`. */
  readonly portSetting?: string;
  /** The setting that chooses the UI port (Temporal). */
  readonly uiPortSetting?: string;
  /** The setting naming an external server instead, e.g. `CLIENTELE_NATS_SERVERS`. */
  readonly externalSetting?: string;
}

interface ServerBaseOptions {
  dataDir: string;
  port?: number;
  /** Told what start-up did beyond the ordinary (a leftover stopped); stderr by default. */
  log?: (message: string) => void;
  advice?: PortAdvice;
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
      // A connect to a free port in the ephemeral range can meet itself (TCP self-connect).
      const self = socket.localPort === port;
      socket.destroy();
      done(!self);
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
    socket.connect(port, '127.0.0.1');
  });
}

/** The `server_name` in the INFO line a NATS server greets with, or undefined. */
async function natsServerName(port: number): Promise<string | undefined> {
  return new Promise((done) => {
    const socket = new Socket();
    let received = '';
    const finish = (name?: string) => {
      socket.destroy();
      done(name);
    };
    socket.setTimeout(1000);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      const end = received.indexOf('\r\n');
      if (end < 0 && received.length < 65_536) return;
      const line = received.slice(0, end < 0 ? undefined : end);
      if (!line.startsWith('INFO ')) return finish();
      try {
        const info = JSON.parse(line.slice(5)) as { server_name?: unknown };
        finish(typeof info.server_name === 'string' ? info.server_name : undefined);
      } catch {
        finish();
      }
    });
    socket.once('error', () => finish());
    socket.once('timeout', () => finish());
    socket.once('end', () => finish());
    socket.connect(port, '127.0.0.1');
  });
}

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function exitDescription(child: ChildProcess): string {
  return child.signalCode
    ? `was killed by ${child.signalCode}`
    : `exited with code ${child.exitCode}`;
}

/** Polls `answers` until it holds while the child is alive; fails as soon as the child exits. */
async function waitUntilReady(
  name: string,
  port: number,
  child: ChildProcess,
  answers: () => Promise<boolean>,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (hasExited(child)) {
      throw new ServerStartError(
        `${name} ${exitDescription(child)} before it answered on 127.0.0.1:${port}`,
      );
    }
    if ((await answers()) && !hasExited(child)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const others = (await canConnect(port))
    ? portHolders(port).filter((holder) => holder.pid !== child.pid)
    : [];
  const held =
    others.length > 0 ? `; the port is held by ${others.map(describeHolder).join(', ')}` : '';
  throw new ServerStartError(`${name} did not answer on 127.0.0.1:${port} within ${ms} ms${held}`);
}

/** Signals the child's process group (it leads one: spawned detached), or the child alone. */
function signal(child: ChildProcess, name: NodeJS.Signals) {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, name);
    else child.kill(name);
  } catch {
    child.kill(name);
  }
}

interface Spawned {
  readonly child: ChildProcess;
  readonly dataDir: string;
  readonly server: ToolName;
}

/**
 * Servers run in their own process group, so a Ctrl-C at the terminal reaches only us and we stop
 * them after the parts that use them. Should we exit anyway, they are killed on the way out.
 */
const children = new Set<Spawned>();
let exitHookInstalled = false;

function spawnServer(
  server: ToolName,
  command: string[],
  dataDir: string,
  ports: number[],
): ChildProcess {
  const [executable, ...args] = command as [string, ...string[]];
  const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const spawned = { child, dataDir, server };
  children.add(spawned);
  if (child.pid !== undefined) {
    writePidFile(dataDir, {
      server,
      pid: child.pid,
      ports,
      command,
      owner: { pid: process.pid, command: commandOf(process.pid) },
      startedAt: new Date().toISOString(),
    });
  }
  child.once('exit', () => {
    children.delete(spawned);
    removePidFile(dataDir, server, child.pid);
  });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of children) {
        signal(c.child, 'SIGKILL');
        removePidFile(c.dataDir, c.server, c.child.pid);
      }
    });
  }
  return child;
}

/**
 * Stops the server an earlier run on this data folder left running, if its pid file names a live
 * process with the same command line; a stale pid file (process gone, pid reused) is dropped.
 */
async function stopLeftover(
  dataDir: string,
  server: ToolName,
  log: (message: string) => void,
): Promise<void> {
  const record = readPidFile(dataDir, server);
  if (!record || !runsCommand(record.pid, record.command)) {
    removePidFile(dataDir, server);
    return;
  }
  const { owner } = record;
  if (
    owner.pid !== process.pid &&
    owner.command !== undefined &&
    commandOf(owner.pid) === owner.command
  ) {
    throw new ServerStartError(
      `${server} (pid ${record.pid}) on the data folder ${dataDir} belongs to a Clientele process that is still running, ${describeHolder(owner)}. Stop that one first, or give this one a data folder of its own (CLIENTELE_DATA_DIR).`,
    );
  }
  await terminate(record.pid);
  removePidFile(dataDir, server, record.pid);
  log(
    `stopped ${server} (pid ${record.pid}) left running by an earlier run on this data folder (${dataDir})`,
  );
}

interface WantedPort {
  readonly port: number;
  /** What it is for, e.g. "Temporal UI". */
  readonly what: string;
  readonly setting?: string;
  /** How to use what answers there instead, e.g. `CLIENTELE_NATS_SERVERS=nats://127.0.0.1:4222`. */
  readonly external?: string;
}

/** Refuses to start when something this data folder did not start answers on a wanted port. */
async function refuseTakenPorts(server: ToolName, ports: readonly WantedPort[]): Promise<void> {
  for (const wanted of ports) {
    if (!(await canConnect(wanted.port))) continue;
    let holders = portHolders(wanted.port);
    // A listener no process owns is one going away (a server just stopped): give it a moment.
    for (let i = 0; holders.length === 0 && i < 15; i++) {
      await new Promise((r) => setTimeout(r, 200));
      if (!(await canConnect(wanted.port))) break;
      holders = portHolders(wanted.port);
    }
    if (!(await canConnect(wanted.port))) continue;
    const by =
      holders.length > 0
        ? `by ${holders.map(describeHolder).join(', ')}`
        : 'by a process that could not be identified';
    const fixes = [
      'stop it',
      wanted.setting ? `choose another port with ${wanted.setting}` : 'choose another port',
    ];
    if (wanted.external) fixes.push(`if it is the server to use, set ${wanted.external}`);
    const last = fixes.pop();
    throw new ServerStartError(
      `cannot start ${server}: port ${wanted.port} (${wanted.what}${wanted.setting ? `, ${wanted.setting}` : ''}) on 127.0.0.1 is already in use ${by}, which no run on this data folder started. To fix it, ${fixes.join(', ')} or, ${last}.`,
    );
  }
}

async function launch(
  server: ToolName,
  options: ServerBaseOptions,
  command: string[],
  ready: (child: ChildProcess) => Promise<boolean>,
  ports: number[],
  address: string,
  timeoutMs: number,
): Promise<RunningServer> {
  const tail: string[] = [];
  const child = spawnServer(server, command, options.dataDir, ports);
  child.stdout?.on('data', (chunk: Buffer) => keepTail(tail, chunk));
  child.stderr?.on('data', (chunk: Buffer) => keepTail(tail, chunk));
  // Gone, with its output read; a grandchild holding the pipes open delays this by 1 s at most.
  const exited = new Promise<void>((done) => {
    child.once('close', () => done());
    child.once('exit', () => setTimeout(done, 1000));
  });
  const running: RunningServer = {
    name: server,
    address,
    process: child,
    async stop() {
      if (!hasExited(child)) {
        signal(child, 'SIGTERM');
        const timer = setTimeout(() => signal(child, 'SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      removePidFile(options.dataDir, server, child.pid);
    },
    async kill() {
      signal(child, 'SIGKILL');
      await exited;
    },
  };
  try {
    await waitUntilReady(server, ports[0] as number, child, () => ready(child), timeoutMs);
  } catch (err) {
    await running.stop();
    const output = tail.join('').slice(-2000).trimEnd();
    throw new ServerStartError(`${(err as Error).message}${output ? `:\n${output}` : ''}`);
  }
  return running;
}

function keepTail(tail: string[], chunk: Buffer) {
  tail.push(chunk.toString());
  if (tail.length > 50) tail.shift();
}

const stderrLog = (message: string) => process.stderr.write(`${message}\n`);

export interface NatsServerOptions extends ServerBaseOptions {
  /** 'always' fsyncs every write; 'default' leaves NATS's 2-minute interval. */
  syncInterval?: 'default' | 'always';
}

export async function startNatsServer(options: NatsServerOptions): Promise<RunningServer> {
  const dataDir = resolve(options.dataDir);
  const port = options.port ?? (await freePort());
  await stopLeftover(dataDir, 'nats-server', options.log ?? stderrLog);
  const advice = options.advice ?? {};
  await refuseTakenPorts('nats-server', [
    {
      port,
      what: 'NATS',
      setting: advice.portSetting,
      external: advice.externalSetting && `${advice.externalSetting}=nats://127.0.0.1:${port}`,
    },
  ]);
  const storeDir = resolve(dataDir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  const confPath = join(storeDir, 'nats-server.conf');
  const sync = options.syncInterval === 'always' ? '\n  sync_interval: always' : '';
  // A name of its own tells this server's greeting from any other NATS server's on the port.
  const serverName = `clientele-${process.pid}-${randomBytes(6).toString('hex')}`;
  writeFileSync(
    confPath,
    `server_name: "${serverName}"\nlisten: "127.0.0.1:${port}"\nmax_payload: 4MB\njetstream {\n  store_dir: "${storeDir}"${sync}\n}\n`,
  );
  return launch(
    'nats-server',
    { ...options, dataDir },
    [findTool('nats-server'), '-c', confPath],
    async () => (await natsServerName(port)) === serverName,
    [port],
    `nats://127.0.0.1:${port}`,
    20_000,
  );
}

export interface TemporalServerOptions extends ServerBaseOptions {
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
  const dataDir = resolve(options.dataDir);
  const port = options.port ?? (await freePort());
  await stopLeftover(dataDir, 'temporal', options.log ?? stderrLog);
  const advice = options.advice ?? {};
  const wanted: WantedPort[] = [
    {
      port,
      what: 'Temporal frontend',
      setting: advice.portSetting,
      external: advice.externalSetting && `${advice.externalSetting}=127.0.0.1:${port}`,
    },
  ];
  const dir = resolve(dataDir, 'temporal');
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
    wanted.push({ port: uiPort, what: 'Temporal UI', setting: advice.uiPortSetting });
    args.push('--ui-port', String(uiPort));
    uiAddress = `http://127.0.0.1:${uiPort}`;
  } else {
    args.push('--headless');
  }
  await refuseTakenPorts('temporal', wanted);
  const server = await launch(
    'temporal',
    { ...options, dataDir },
    [findTool('temporal'), ...args],
    // Where /proc cannot tell who listens, a live child is the best there is.
    async (child) => (await canConnect(port)) && listensOn(child.pid as number, port) !== false,
    wanted.map((w) => w.port),
    `127.0.0.1:${port}`,
    60_000,
  );
  return { ...server, uiAddress };
}
