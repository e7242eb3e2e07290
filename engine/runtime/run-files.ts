/**
 * What the embedded servers leave on disk while they run, and what can be learnt about other
 * processes: one pid file per server under `<dataDir>/run/`, so that a start after a crash can
 * tell its own leftovers (servers run in process groups of their own and outlive a killed
 * parent) from a stranger on the port. Linux reads /proc; elsewhere `ps` and `lsof`.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export interface PidFile {
  readonly server: string;
  readonly pid: number;
  readonly ports: readonly number[];
  /** The executable and its arguments as spawned: what /proc/<pid>/cmdline must say. */
  readonly command: readonly string[];
  /** The process that spawned it; while that one lives, the server is not a leftover. */
  readonly owner: { readonly pid: number; readonly command: string | undefined };
  readonly startedAt: string;
}

const hasProc = existsSync('/proc/self/stat');

export function pidFilePath(dataDir: string, server: string): string {
  return join(dataDir, 'run', `${server}.pid`);
}

export function writePidFile(dataDir: string, record: PidFile): void {
  const path = pidFilePath(dataDir, record.server);
  mkdirSync(join(dataDir, 'run'), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temporary, path);
}

/** The pid file's record, or undefined when there is none or it is unreadable. */
export function readPidFile(dataDir: string, server: string): PidFile | undefined {
  try {
    const record = JSON.parse(readFileSync(pidFilePath(dataDir, server), 'utf8')) as PidFile;
    if (!Number.isInteger(record.pid) || record.pid <= 0 || !Array.isArray(record.command)) {
      return undefined;
    }
    return record;
  } catch {
    return undefined;
  }
}

/** Removes the pid file; with `pid`, only if it still names that process (not a successor's). */
export function removePidFile(dataDir: string, server: string, pid?: number): void {
  if (pid !== undefined) {
    const record = readPidFile(dataDir, server);
    if (record && record.pid !== pid) return;
  }
  rmSync(pidFilePath(dataDir, server), { force: true });
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces). */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Whether the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!hasProc) return true;
  const state = procStat(pid)?.[0];
  return state !== undefined && state !== 'Z';
}

/** The command line of a live process, arguments joined by spaces; undefined when gone. */
export function commandOf(pid: number): string | undefined {
  if (!isAlive(pid)) return undefined;
  if (hasProc) {
    try {
      const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const args = raw.split('\0');
      if (args.at(-1) === '') args.pop();
      return args.length > 0 ? args.join(' ') : undefined;
    } catch {
      return undefined;
    }
  }
  const ps = spawnSync('ps', ['-ww', '-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
  const out = ps.status === 0 ? ps.stdout.trim() : '';
  return out || undefined;
}

/** Whether the process is alive and runs exactly this command line. */
export function runsCommand(pid: number, command: readonly string[]): boolean {
  return commandOf(pid) === command.join(' ');
}

function processGroupOf(pid: number): number | undefined {
  if (hasProc) {
    const group = Number(procStat(pid)?.[2]);
    return Number.isInteger(group) && group > 0 ? group : undefined;
  }
  const ps = spawnSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8' });
  const group = Number(ps.stdout?.trim());
  return ps.status === 0 && Number.isInteger(group) && group > 0 ? group : undefined;
}

async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * SIGTERM, then SIGKILL after `graceMs`, to the process's whole group when it leads one (as the
 * servers do: they are spawned detached), and waits until it is gone.
 */
export async function terminate(pid: number, graceMs = 10_000): Promise<void> {
  const target = processGroupOf(pid) === pid ? -pid : pid;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(target, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  if (await goneWithin(pid, graceMs)) {
    if (target < 0) signal('SIGKILL'); // anything of its group that outlived it
    return;
  }
  signal('SIGKILL');
  if (!(await goneWithin(pid, 5_000))) {
    throw new Error(`pid ${pid} did not exit after SIGKILL`);
  }
}

/** Socket inodes listening on the TCP port, from /proc/net/tcp and tcp6. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const state = fields[3];
      const inode = fields[9];
      if (!local || state !== '0A' || !inode || inode === '0') continue; // 0A: LISTEN
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(inode);
    }
  }
  return inodes;
}

function holdsSocket(pid: number | string, inodes: Set<string>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone, or another user's
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}

/**
 * Whether this process holds a listening socket on the port; undefined where that cannot be
 * told (no /proc).
 */
export function listensOn(pid: number, port: number): boolean | undefined {
  if (!hasProc) return undefined;
  const inodes = listeningInodes(port);
  return inodes.size > 0 && holdsSocket(pid, inodes);
}

export interface PortHolder {
  readonly pid: number;
  readonly command: string | undefined;
}

/** The processes listening on the TCP port, as far as this user may see them. */
export function portHolders(port: number): PortHolder[] {
  let pids: number[] = [];
  if (hasProc) {
    const inodes = listeningInodes(port);
    if (inodes.size > 0) {
      for (const entry of readdirSync('/proc')) {
        if (/^\d+$/.test(entry) && holdsSocket(entry, inodes)) pids.push(Number(entry));
      }
    }
  } else {
    const lsof = spawnSync('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-t'], {
      encoding: 'utf8',
    });
    if (lsof.status === 0) pids = lsof.stdout.split('\n').filter(Boolean).map(Number);
  }
  return pids.map((pid) => ({ pid, command: commandOf(pid) }));
}

/** "pid 1234 (node server.js)", shortened to fit an error message. */
export function describeHolder(holder: PortHolder): string {
  const command = holder.command ?? 'command unknown';
  return `pid ${holder.pid} (${command.length > 120 ? `${command.slice(0, 117)}…` : command})`;
}
