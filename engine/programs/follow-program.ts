/**
 * The program an engine process follows: the settings name a program file; its program's
 * versions come from the program store (published there by `clientele program publish`), kept
 * current by a watch, and the file itself becomes the first version when none is published yet
 * (a fresh install starts under the example program).
 */
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Program, ProgramDefinition } from '../domain/loyalty/program-schema.ts';
import { createProgramCatalog, type MutableProgramCatalog } from '../services/program-catalog.ts';
import { loadProgramFile } from './load-program.ts';
import { openProgramStore, type ProgramWatch } from './program-store.ts';

export interface FollowedProgram {
  catalog: MutableProgramCatalog;
  watch: ProgramWatch;
}

export async function followProgram(
  nc: NatsConnection,
  { file, replicas, logger }: { file: string; replicas: number; logger: Logger },
): Promise<FollowedProgram> {
  const loaded = await loadProgramFile(resolve(file));
  const programId = loaded.definition.id;
  const store = await openProgramStore(nc, { replicas });
  const latest = (await store.versions(programId)).at(-1);
  if (latest === undefined) {
    const first = await store.publish(loaded.input, new Date(), file);
    logger.info(
      { version: first.version, file },
      'published the program file as its first version',
    );
  } else if (!sameRules(latest, loaded.definition)) {
    // An edited file is not a new version by itself: versions are published deliberately, each
    // with the moment it comes into force.
    logger.warn(
      { version: latest.version, file },
      'the program file differs from the latest published version, which stays in force: publish the file with `clientele program publish` to make it a new version',
    );
  }
  const catalog = createProgramCatalog();
  const watch = await store.watch(
    programId,
    (program) => {
      catalog.add(program);
      logger.info(
        { version: program.version, effectiveFrom: program.effectiveFrom },
        'program version',
      );
    },
    (err) => logger.warn({ err: err.message }, 'a program version could not be read; ignored'),
  );
  return { catalog, watch };
}

/** The same program apart from its version name and when it comes into force. */
function sameRules(published: Program, file: ProgramDefinition): boolean {
  const { version: _v, effectiveFrom: _p, ...stored } = published;
  const { effectiveFrom: _f, ...written } = file;
  return isDeepStrictEqual(stored, written);
}
