/** Runs Clientele's CLI (`clientele …`) in a child process, as staff or an operator would. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Stack } from '../../engine/runtime/stack.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `clientele <args>` with these variables added to the test's environment, `input` its stdin. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
  input?: string,
): Promise<CliRun> {
  try {
    const run = promisify(execFile)('npx', ['tsx', 'engine/cli/main.ts', ...args], {
      env: { ...process.env, ...env },
      timeout: timeoutMs,
    });
    run.child.stdin?.end(input ?? '');
    const { stdout, stderr } = await run;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The back office's commands against a test stack's NATS: the exit code and the JSON printed. */
export async function clientele<A = Record<string, unknown>>(
  stack: Stack,
  ...args: string[]
): Promise<{ code: number; answer: A }> {
  const { code, stdout } = await runCli(args, { CLIENTELE_NATS_SERVERS: stack.natsUrl });
  return { code, answer: JSON.parse(stdout) as A };
}

/**
 * The environment for a command that reads a chDB store in `dataDir` itself, as an operator runs
 * it while Clientele is stopped: no config file, and no NATS to find published versions on.
 */
export const offlineStoreEnv = (dataDir: string): Record<string, string> => ({
  CLIENTELE_DATA_DIR: dataDir,
  CLIENTELE_CLICKHOUSE_BACKEND: 'chdb',
  CLIENTELE_CONFIG: '',
  CLIENTELE_NATS_SERVERS: 'nats://127.0.0.1:1',
});
