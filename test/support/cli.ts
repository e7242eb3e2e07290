/** Runs the back office's CLI (`clientele …`) against a test stack's NATS, as staff would. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Stack } from '../../engine/runtime/stack.ts';

/** The exit code and the JSON the command printed. */
export async function clientele<A = Record<string, unknown>>(
  stack: Stack,
  ...args: string[]
): Promise<{ code: number; answer: A }> {
  const run = promisify(execFile);
  const env = { ...process.env, CLIENTELE_NATS_SERVERS: stack.natsUrl };
  try {
    const { stdout } = await run('npx', ['tsx', 'engine/cli/main.ts', ...args], {
      env,
      timeout: 60_000,
    });
    return { code: 0, answer: JSON.parse(stdout) as A };
  } catch (err) {
    const failed = err as { code: number; stdout: string };
    return { code: failed.code, answer: JSON.parse(failed.stdout) as A };
  }
}
