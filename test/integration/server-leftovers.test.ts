/**
 * The embedded servers after a crash, on real servers: `clientele start` killed with SIGKILL
 * leaves nats-server and the Temporal dev server running (process groups of their own); the next
 * start on that data folder stops them and runs its own. A port held by anything else stops
 * start-up with a message naming the port and its holder, and a server counts as ready only
 * when the child that was spawned answers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../config/settings.ts';
import {
  commandOf,
  isAlive,
  pidFilePath,
  readPidFile,
  runsCommand,
  terminate,
  writePidFile,
} from '../../engine/runtime/run-files.ts';
import {
  freePort,
  ServerStartError,
  startNatsServer,
  startTemporalDevServer,
} from '../../engine/runtime/servers.ts';
import { type Stack, startStack } from '../../engine/runtime/stack.ts';
import { eventually } from '../support/stack.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'bin/clientele.js');

const dataDirs: string[] = [];
const stacks: Stack[] = [];
/** Children this file started; a detached one is killed with its whole process group. */
const started: Array<{ child: ChildProcess; group: boolean }> = [];
/** Processes a stand-in server left behind (not our children), by pid. */
const strays: number[] = [];

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clientele-leftovers-'));
  dataDirs.push(dir);
  return dir;
}

/**
 * A free port below the kernel's ephemeral range (32768 and up here): the start under test binds
 * it seconds later, and a port the kernel hands out (`freePort`) may meanwhile be given to
 * another test file's connection or server.
 */
async function reservedPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((done) => {
      const server = createServer();
      server.once('error', () => done(false));
      server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
    });
    if (free) return port;
  }
}

async function portsEnv(dataDir: string): Promise<Record<string, string>> {
  return {
    CLIENTELE_DATA_DIR: dataDir,
    CLIENTELE_LOG_LEVEL: 'warn',
    CLIENTELE_LOYALTY_PROGRAM_FILE: '',
    CLIENTELE_NATS_PORT: String(await reservedPort()),
    CLIENTELE_TEMPORAL_DEV_SERVER_PORT: String(await reservedPort()),
    CLIENTELE_TEMPORAL_DEV_SERVER_UI_PORT: String(await reservedPort()),
    CLIENTELE_GATEWAYS_TILL_PORT: String(await reservedPort()),
    CLIENTELE_GATEWAYS_WEB_PORT: String(await reservedPort()),
    CLIENTELE_GATEWAYS_DASHBOARD_PORT: String(await reservedPort()),
  };
}

interface Cli {
  readonly child: ChildProcess;
  output(): string;
  exit: Promise<number | null>;
}

/** `clientele <args>` in a process group of its own, as `npm start` runs in the terminal's. */
function runCli(args: string[], env: Record<string, string>): Cli {
  const inherited: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('CLIENTELE_') || k.startsWith('CLIENTELE_TOOL')) inherited[k] = v;
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.push({ child, group: true });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exit };
}

/** A logger whose messages the test reads. */
function capturingLogger() {
  const messages: string[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => messages.push(JSON.parse(line).msg as string) },
  );
  return { logger, messages };
}

/** A plain TCP listener in a process of its own: a stranger on the port. */
async function foreignListener(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "require('node:net').createServer().listen(Number(process.argv[1]), '127.0.0.1', () => console.log('listening'))",
      String(port),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  started.push({ child, group: false });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the listener exited with code ${code}`)));
  });
  return child;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

afterAll(async () => {
  for (const stack of stacks) await stack.stop();
  for (const { child, group } of started) {
    // A child not yet reaped still owns its pid (and group id): no stranger is signalled.
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(group ? -child.pid : child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  // Servers a failed test may have left: only those the pid files still recognise.
  for (const dir of dataDirs) {
    for (const server of ['nats-server', 'temporal']) {
      const record = readPidFile(dir, server);
      if (record && runsCommand(record.pid, record.command)) await terminate(record.pid);
    }
  }
  for (const pid of strays) {
    if (commandOf(pid)?.includes('createServer')) process.kill(pid, 'SIGKILL');
  }
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe('servers left running by a crashed start', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let leftovers: { nats: number; temporal: number };
  let stack: Stack;

  it('survive `clientele start` killed with SIGKILL, recorded in pid files', async () => {
    dataDir = newDataDir();
    env = await portsEnv(dataDir);
    const start = runCli(['start', '--no-simulator'], env);
    await eventually(
      () => {
        if (start.child.exitCode !== null) {
          throw new Error(`start exited with ${start.child.exitCode}:\n${start.output()}`);
        }
        return start.output().includes('Clientele is running') ? true : undefined;
      },
      120_000,
      'Clientele is running',
    );
    const nats = readPidFile(dataDir, 'nats-server');
    const temporal = readPidFile(dataDir, 'temporal');
    expect(nats?.ports).toEqual([Number(env.CLIENTELE_NATS_PORT)]);
    expect(temporal?.ports).toEqual([
      Number(env.CLIENTELE_TEMPORAL_DEV_SERVER_PORT),
      Number(env.CLIENTELE_TEMPORAL_DEV_SERVER_UI_PORT),
    ]);
    expect(nats?.owner.pid).toBe(start.child.pid);
    leftovers = { nats: nats?.pid as number, temporal: temporal?.pid as number };

    // While that start lives, its servers are not leftovers: a second start refuses.
    const second = runCli(['start', '--no-simulator'], env);
    expect(await second.exit).toBe(1);
    expect(second.output()).toContain(
      `clientele: nats-server (pid ${leftovers.nats}) on the data folder ${dataDir} belongs to a Clientele process that is still running, pid ${start.child.pid} (`,
    );
    expect(isAlive(leftovers.nats)).toBe(true);
    expect(readPidFile(dataDir, 'nats-server')?.pid).toBe(leftovers.nats);

    process.kill(-(start.child.pid as number), 'SIGKILL'); // every process of its group at once
    await start.exit;
    expect(isAlive(leftovers.nats)).toBe(true);
    expect(isAlive(leftovers.temporal)).toBe(true);
  });

  it('are stopped, with a message, by the next start on the same data folder', async () => {
    const { logger, messages } = capturingLogger();
    stack = await startStack({
      settings: loadSettings({ env, root: dataDir }),
      logger,
      components: [],
    });
    stacks.push(stack);
    expect(messages).toContain(
      `stopped nats-server (pid ${leftovers.nats}) left running by an earlier run on this data folder (${dataDir})`,
    );
    expect(messages).toContain(
      `stopped temporal (pid ${leftovers.temporal}) left running by an earlier run on this data folder (${dataDir})`,
    );
    expect(isAlive(leftovers.nats)).toBe(false);
    expect(isAlive(leftovers.temporal)).toBe(false);

    const nats = stack.servers.nats?.process.pid as number;
    const temporal = stack.servers.temporal?.process.pid as number;
    expect([nats, temporal]).not.toContain(leftovers.nats);
    expect([nats, temporal]).not.toContain(leftovers.temporal);
    expect(readPidFile(dataDir, 'nats-server')?.pid).toBe(nats);
    expect(readPidFile(dataDir, 'temporal')?.pid).toBe(temporal);
    // The new servers answer, on the configured ports.
    expect(stack.natsUrl).toBe(`nats://127.0.0.1:${env.CLIENTELE_NATS_PORT}`);
    await stack.nc.flush();
    expect(stack.temporalAddress).toBe(`127.0.0.1:${env.CLIENTELE_TEMPORAL_DEV_SERVER_PORT}`);
    await stack.temporal.workflowService.getSystemInfo({});
  });

  it('settings naming external servers spawn nothing and leave the running ones alone', async () => {
    const { logger, messages } = capturingLogger();
    const external = await startStack({
      settings: loadSettings({
        env: {
          ...env,
          CLIENTELE_NATS_SERVERS: stack.natsUrl,
          CLIENTELE_TEMPORAL_ADDRESS: stack.temporalAddress,
        },
        root: dataDir,
      }),
      logger,
      components: [],
    });
    try {
      expect(external.servers).toEqual({});
      expect(messages.filter((m) => m.startsWith('stopped'))).toEqual([]);
      expect(readPidFile(dataDir, 'nats-server')?.pid).toBe(stack.servers.nats?.process.pid);
      expect(readPidFile(dataDir, 'temporal')?.pid).toBe(stack.servers.temporal?.process.pid);
      await external.nc.flush();
    } finally {
      await external.stop();
    }
    await stack.nc.flush();
  });

  it('a clean stop removes the pid files', async () => {
    const nats = stack.servers.nats?.process.pid as number;
    const temporal = stack.servers.temporal?.process.pid as number;
    await stack.stop();
    stacks.splice(stacks.indexOf(stack), 1);
    expect(existsSync(pidFilePath(dataDir, 'nats-server'))).toBe(false);
    expect(existsSync(pidFilePath(dataDir, 'temporal'))).toBe(false);
    expect(isAlive(nats)).toBe(false);
    expect(isAlive(temporal)).toBe(false);
  });
});

describe('a port held by a process the data folder did not start', () => {
  it('stops start-up with a message naming the port, its holder and the settings', async () => {
    const dataDir = newDataDir();
    const env = await portsEnv(dataDir);
    const port = Number(env.CLIENTELE_NATS_PORT);
    const listener = await foreignListener(port);
    const { logger } = capturingLogger();
    const failed = await startStack({
      settings: loadSettings({ env, root: dataDir }),
      logger,
      components: [],
    }).then(
      (s) => {
        stacks.push(s);
        throw new Error('started despite the busy port');
      },
      (err: unknown) => err,
    );
    expect(failed).toBeInstanceOf(ServerStartError);
    const message = (failed as Error).message;
    expect(message).toContain(`cannot start nats-server: port ${port} (NATS, CLIENTELE_NATS_PORT)`);
    expect(message).toContain(`in use by pid ${listener.pid} (${process.execPath} -e`);
    expect(message).toContain('choose another port with CLIENTELE_NATS_PORT');
    expect(message).toContain(`CLIENTELE_NATS_SERVERS=nats://127.0.0.1:${port}`);
    // Nothing was spawned, and the stranger was left alone.
    expect(existsSync(pidFilePath(dataDir, 'nats-server'))).toBe(false);
    expect(existsSync(pidFilePath(dataDir, 'temporal'))).toBe(false);
    expect(isAlive(listener.pid as number)).toBe(true);

    // The command says so in one line, and exits 1.
    const start = runCli(['start', '--no-simulator'], env);
    expect(await start.exit).toBe(1);
    expect(start.output()).toContain(`clientele: cannot start nats-server: port ${port}`);
    expect(start.output()).not.toContain('Clientele is running');
    expect(start.output()).not.toContain('    at '); // no stack trace
    expect(existsSync(pidFilePath(dataDir, 'nats-server'))).toBe(false);
    listener.kill('SIGKILL');
  });

  it('a pid file naming a pid now used by another program is dropped silently', async () => {
    const dataDir = newDataDir();
    const listener = await foreignListener(await freePort());
    const stranger = listener.pid as number;
    writePidFile(dataDir, {
      server: 'nats-server',
      pid: stranger,
      ports: [4222],
      command: ['/somewhere/nats-server', '-c', join(dataDir, 'nats', 'nats-server.conf')],
      owner: { pid: 999_999_999, command: 'node gone' },
      startedAt: new Date().toISOString(),
    });
    const messages: string[] = [];
    const nats = await startNatsServer({ dataDir, log: (m) => messages.push(m) });
    try {
      expect(messages).toEqual([]);
      expect(isAlive(stranger)).toBe(true);
      expect(readPidFile(dataDir, 'nats-server')?.pid).toBe(nats.process.pid);
    } finally {
      await nats.stop();
      listener.kill('SIGKILL');
    }
    expect(existsSync(pidFilePath(dataDir, 'nats-server'))).toBe(false);
  });
});

describe('readiness', () => {
  it('a server whose child exits fails start-up with its output, though the port answers', async () => {
    // A stand-in for the Temporal CLI that loses the port race: something else (its own
    // background listener) answers on the port, and the spawned process exits.
    const dataDir = newDataDir();
    const port = await freePort();
    const listenerPidFile = join(dataDir, 'listener.pid');
    const fake = join(newDataDir(), 'temporal');
    writeFileSync(
      fake,
      [
        '#!/bin/sh',
        `"${process.execPath}" -e "require('node:net').createServer().listen(${port}, '127.0.0.1')" </dev/null >/dev/null 2>&1 &`,
        `echo $! > "${listenerPidFile}"`,
        'sleep 2',
        `echo "listen tcp 127.0.0.1:${port}: bind: address already in use" >&2`,
        'exit 1',
        '',
      ].join('\n'),
    );
    chmodSync(fake, 0o755);
    const previous = process.env.CLIENTELE_TOOL_TEMPORAL;
    process.env.CLIENTELE_TOOL_TEMPORAL = fake;
    try {
      const failed = await startTemporalDevServer({ dataDir, port }).then(
        async (server) => {
          await server.stop();
          throw new Error('counted as ready');
        },
        (err: unknown) => err,
      );
      expect(failed).toBeInstanceOf(ServerStartError);
      expect((failed as Error).message).toMatch(
        new RegExp(`^temporal exited with code 1 before it answered on 127.0.0.1:${port}:\\n`),
      );
      expect((failed as Error).message).toContain('bind: address already in use');
      expect(await answers(port)).toBe(true); // the stranger did answer all along
      expect(existsSync(pidFilePath(dataDir, 'temporal'))).toBe(false);
    } finally {
      if (previous === undefined) delete process.env.CLIENTELE_TOOL_TEMPORAL;
      else process.env.CLIENTELE_TOOL_TEMPORAL = previous;
      if (existsSync(listenerPidFile)) strays.push(Number(readFileSync(listenerPidFile, 'utf8')));
    }
  });
});
