/**
 * Which version of a loyalty program is in force when. Pure and free of zod: the customer
 * workflow imports it, so it takes only the *types* of the program schema (erased when compiled).
 *
 * A version is `<programId>@<n>`, n counting from 1 in the order versions were published; each
 * comes into force at its `effectiveFrom`, never before the version published before it.
 */
import type { Program } from './program-schema.ts';

/** The program versions a process knows: which is in force when, and each by name. */
export interface ProgramCatalog {
  /** The version in force at an instant; undefined before the first comes into force. */
  at(instant: string): Program | undefined;
  get(version: string): Program | undefined;
}

/** What choosing a version needs to know of it. */
export type VersionedProgram = Pick<Program, 'version' | 'effectiveFrom'>;

/** `grocer@3` for program `grocer`, version 3. */
export function versionName(programId: string, n: number): string {
  return `${programId}@${n}`;
}

/** The parts of `<programId>@<n>`, or undefined if `version` is not of that form. */
export function parseVersion(version: string): { programId: string; n: number } | undefined {
  const match = /^(.+)@([1-9][0-9]*)$/.exec(version);
  if (!match) return undefined;
  return { programId: match[1] as string, n: Number(match[2]) };
}

/** The n of `<programId>@<n>` (0 when the version is not of that form). */
export function versionNumber(version: string): number {
  return parseVersion(version)?.n ?? 0;
}

/** Orders versions by when they come into force, then by their number. */
export function compareVersions(a: VersionedProgram, b: VersionedProgram): number {
  return (
    Date.parse(a.effectiveFrom) - Date.parse(b.effectiveFrom) ||
    versionNumber(a.version) - versionNumber(b.version)
  );
}

// Every cue asks which version is in force, and the versions' instants rarely change.
let lastEffectiveFrom = '';
let lastEffectiveFromMs = Number.NaN;

function effectiveFromMs(instant: string): number {
  if (instant !== lastEffectiveFrom) {
    lastEffectiveFrom = instant;
    lastEffectiveFromMs = Date.parse(instant);
  }
  return lastEffectiveFromMs;
}

/**
 * The version in force at the instant `at`: of the versions whose `effectiveFrom` is at or before
 * `at`, the last by (effectiveFrom, n). Undefined before the first version comes into force.
 * Instants are compared as moments, whatever offset they were written with.
 */
export function versionInForce<P extends VersionedProgram>(
  versions: readonly P[],
  at: string,
): P | undefined {
  const t = Date.parse(at);
  if (Number.isNaN(t)) return undefined;
  let chosen: P | undefined;
  for (const candidate of versions) {
    if (effectiveFromMs(candidate.effectiveFrom) > t) continue;
    if (chosen === undefined || compareVersions(candidate, chosen) > 0) chosen = candidate;
  }
  return chosen;
}
