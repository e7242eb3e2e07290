/**
 * The program versions an engine process knows, kept current from the program store's watch:
 * the router asks it which version is in force at each event's time, the redemption service
 * which is in force now. In memory, ordered by when each version comes into force. Before the
 * first version comes into force no version is: an event from then earns at the base rate.
 */
import type { Program } from '../domain/loyalty/program.ts';
import {
  compareVersions,
  type ProgramCatalog,
  versionInForce,
} from '../domain/loyalty/versions.ts';

export interface MutableProgramCatalog extends ProgramCatalog {
  /** Adds (or replaces) a version as the store reports it. */
  add(program: Program): void;
  /** Every known version, oldest in force first. */
  all(): Program[];
}

export function createProgramCatalog(initial: readonly Program[] = []): MutableProgramCatalog {
  let versions: Program[] = [];
  const byVersion = new Map<string, Program>();
  const add = (program: Program) => {
    byVersion.set(program.version, program);
    versions = [...byVersion.values()].sort(compareVersions);
  };
  for (const program of initial) add(program);
  return {
    add,
    all: () => [...versions],
    get: (version) => byVersion.get(version),
    at: (instant) => versionInForce(versions, instant),
  };
}
