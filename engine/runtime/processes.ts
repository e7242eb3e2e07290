/** Runs `clientele <command>` as a child process, as in production: tests kill -9 it, the benchmark measures its memory. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../bin/clientele.js', import.meta.url));

export interface ComponentProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resident memory of the process now, from /proc (Linux). */
  rssBytes(): number;
  /** SIGKILL, as a crash: no cleanup runs. */
  kill(): Promise<void>;
  /** SIGTERM, as an orderly stop. */
  stop(): Promise<void>;
}

export function spawnComponent(args: string[], env: Record<string, string>): ComponentProcess {
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('CLIENTELE_') || k.startsWith('CLIENTELE_TOOL')) childEnv[k] = v;
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...childEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = () =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    output: () => out,
    rssBytes: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      return kb ? Number(kb) * 1024 : Number.NaN;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited();
    },
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited();
      clearTimeout(t);
    },
  };
}
