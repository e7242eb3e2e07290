/**
 * Programs for commands: a file read and checked (or the command exits 2 naming each mistake),
 * and the versions in force for the commands that replay the log.
 */
import { connect } from '@nats-io/transport-node';
import type { Settings } from '../../config/settings.ts';
import type { Program } from '../domain/loyalty/program.ts';
import { type ProgramDefinition, ProgramError } from '../domain/loyalty/program-schema.ts';
import { type LoadedProgram, loadProgramFile, ProgramFileError } from '../programs/load-program.ts';
import { allVersions, openProgramStore } from '../programs/program-store.ts';

export async function programFileOrExit(file: string): Promise<LoadedProgram> {
  try {
    return await loadProgramFile(file);
  } catch (err) {
    if (err instanceof ProgramError || err instanceof ProgramFileError) {
      process.stderr.write(`clientele: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

export const inForceThroughout = (definition: ProgramDefinition): Program => ({
  ...definition,
  version: `${definition.id}@in-force`,
  effectiveFrom: '1970-01-01T00:00:00.000Z',
});

/** The published versions when NATS answers (quickly), else undefined. */
async function publishedVersions(settings: Settings): Promise<Program[] | undefined> {
  const url = settings.nats.servers ?? `nats://127.0.0.1:${settings.nats.port}`;
  try {
    const nc = await connect({
      servers: url.split(','),
      name: 'clientele-simulate',
      timeout: 2000,
    });
    try {
      const versions = await allVersions(
        await openProgramStore(nc, { replicas: settings.nats.replicas }),
      );
      return versions.length > 0 ? versions : undefined;
    } finally {
      await nc.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * The versions in force: the published ones when NATS answers, else the settings' program file
 * as in force throughout. With names saying which, for the report.
 */
export async function versionsInForce(
  settings: Settings,
): Promise<{ versions: Program[]; names: string[] }> {
  const published = await publishedVersions(settings);
  if (published) return { versions: published, names: published.map((p) => p.version) };
  const file = settings.loyalty.programFile;
  return {
    versions: [inForceThroughout((await programFileOrExit(file)).definition)],
    names: [`${file} (in force throughout: no published versions reachable)`],
  };
}
