/**
 * Where the server binaries are: an executable named by an environment variable wins, then the
 * project's own tools folder (filled by bin/install-tools.js), then PATH.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export type ToolName = 'temporal' | 'nats-server';

const envVar: Record<ToolName, string> = {
  temporal: 'CLIENTELE_TOOL_TEMPORAL',
  'nats-server': 'CLIENTELE_TOOL_NATS_SERVER',
};

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function toolsDir(root: string = process.cwd()): string {
  return resolve(root, process.env.CLIENTELE_TOOLS_DIR ?? '.tools');
}

export function findTool(name: ToolName, root: string = process.cwd()): string {
  const fromEnv = process.env[envVar[name]];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new Error(`${envVar[name]}=${fromEnv} is not an executable file`);
    }
    return fromEnv;
  }
  const local = join(toolsDir(root), 'bin', name);
  if (isExecutable(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  throw new Error(
    `${name} not found: run \`npm run tools\` to install it into ${toolsDir(root)}/bin, or set ${envVar[name]}`,
  );
}
