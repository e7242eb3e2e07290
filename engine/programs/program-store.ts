/**
 * Published loyalty program versions, in the NATS KV bucket `PROGRAMS`: one key per version,
 * `<programId>.<n>`, holding the JSON `Program` (the parsed definition, every default filled, with
 * `version: "<programId>@<n>"` and `effectiveFrom`). A version is written once and never
 * overwritten: it is created only if its key has never held anything, so two publishers racing
 * get n and n + 1. Every entry read back is checked against the schema again, and one that does
 * not check is an error naming its key.
 */

import { isDeepStrictEqual } from 'node:util';
import { type KV, type KvEntry, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  type Program,
  type ProgramDefinition,
  ProgramError,
  type ProgramInput,
  parseProgram,
} from '../domain/loyalty/program-schema.ts';
import { versionName, versionNumber } from '../domain/loyalty/versions.ts';
import { isWrongLastSequence } from '../streams/kv.ts';
import { parseWrittenProgram } from './program-segments.ts';

export const PROGRAMS_BUCKET = 'PROGRAMS';
/**
 * Each key is written once, so one value per key would do; a few more keep the old value should
 * anyone `put` over a version by hand (the store never does).
 */
const HISTORY = 5;
/** Publishers racing for the next number retry this often before giving up. */
const MAX_ATTEMPTS = 20;

export interface ProgramStoreOptions {
  /** Replicas of the bucket's stream (settings.nats.replicas). */
  replicas?: number;
}

export interface ProgramWatch {
  stop(): Promise<void>;
}

export interface ProgramStore {
  /**
   * Validates a program *as written* (a `ProgramInput`: the YAML's content, not a parsed
   * definition, which would parse differently: 2 is held as 200) and stores it as the program's
   * next version, in force from its `effectiveFrom` or else from `now`. Throws a `ProgramError`
   * (nothing stored) if it is invalid or would come into force before the latest version.
   * `source` names it in errors (the file's path).
   */
  publish(input: unknown, now: Date, source?: string): Promise<Program>;
  /** Every version of the program, ordered by n. */
  versions(programId: string): Promise<Program[]>;
  latest(programId: string): Promise<Program | undefined>;
  /** The ids of every program with a version, sorted. */
  programIds(): Promise<string[]>;
  /**
   * Calls `onVersion` with every version stored (ordered by n per program), then with each one
   * published later, until stopped. It resolves once the stored versions were delivered.
   * `programId` undefined watches every program. An entry that does not read back is given to
   * `onError` (or thrown, for those stored before the watch began).
   */
  watch(
    programId: string | undefined,
    onVersion: (program: Program) => void,
    onError?: (err: Error) => void,
  ): Promise<ProgramWatch>;
}

export async function openProgramStore(
  nc: NatsConnection,
  options: ProgramStoreOptions = {},
): Promise<ProgramStore> {
  const kv = await new Kvm(nc).create(PROGRAMS_BUCKET, {
    history: HISTORY,
    replicas: options.replicas ?? 1,
    description: 'Clientele loyalty program versions: <programId>.<n> → JSON Program',
  });

  const filterFor = (programId: string | undefined) =>
    programId === undefined ? '>' : `${checkedId(programId)}.*`;

  async function publish(input: unknown, now: Date, source = 'the program') {
    const parsed = parseWrittenProgram(input, source);
    const effectiveFrom = parsed.effectiveFrom ?? now.toISOString();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const snapshot = await readAll(kv, filterFor(parsed.id));
      const previous = snapshot.versions.at(-1);
      if (previous && Date.parse(effectiveFrom) < Date.parse(previous.effectiveFrom)) {
        const given = parsed.effectiveFrom
          ? effectiveFrom
          : `${effectiveFrom} (the time of publishing, as the program names no effectiveFrom)`;
        throw new ProgramError(source, [
          {
            field: 'effectiveFrom',
            message: `${given} is before ${previous.version}'s effectiveFrom, ${previous.effectiveFrom}: a new version cannot come into force before the latest one; give an effectiveFrom at or after it`,
          },
        ]);
      }
      const n = snapshot.highestNumber + 1;
      const program: Program = { ...parsed, version: versionName(parsed.id, n), effectiveFrom };
      try {
        // previousSeq 0: only if this key never held anything (not even a deleted version).
        await kv.put(keyOf(parsed.id, n), JSON.stringify(program), { previousSeq: 0 });
        return program;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        // Another publisher took n first: read again and take the next number.
      }
    }
    throw new Error(
      `could not publish ${parsed.id}: ${MAX_ATTEMPTS} attempts lost the race for the next version number`,
    );
  }

  async function versions(programId: string) {
    return (await readAll(kv, filterFor(programId))).versions;
  }

  return {
    publish,
    versions,
    async latest(programId) {
      return (await versions(programId)).at(-1);
    },
    async programIds() {
      const ids = new Set<string>();
      for await (const key of await kv.keys('>')) ids.add(key.slice(0, key.lastIndexOf('.')));
      return [...ids].sort();
    },
    async watch(programId, onVersion, onError) {
      const snapshot = await readAll(kv, filterFor(programId));
      for (const program of snapshot.versions) onVersion(program);
      // From the stream sequence after the snapshot: nothing missed, nothing twice.
      const updates = await kv.watch({
        key: filterFor(programId),
        ignoreDeletes: true,
        ...(snapshot.lastRevision > 0 ? { resumeFromRevision: snapshot.lastRevision + 1 } : {}),
      });
      const done = (async () => {
        for await (const entry of updates) {
          if (entry.operation !== 'PUT') continue;
          try {
            onVersion(programOfEntry(entry));
          } catch (err) {
            onError?.(err as Error);
          }
        }
      })();
      return {
        async stop() {
          updates.stop();
          await done;
        },
      };
    },
  };
}

const keyOf = (programId: string, n: number) => `${programId}.${n}`;

function checkedId(programId: string): string {
  if (!/^[a-z0-9][a-z0-9_-]{0,47}$/.test(programId)) {
    throw new Error(
      `"${programId}" is not a program id (1-48 lower-case letters, digits, "-" or "_")`,
    );
  }
  return programId;
}

interface Snapshot {
  /** Live versions, by program id then n. */
  versions: Program[];
  /** The highest n any key has held, deleted ones too: a number is never used twice. */
  highestNumber: number;
  /** The stream sequence of the last entry read (0 if none). */
  lastRevision: number;
}

/** Every entry under `filter`, the last value of each key, checked. */
async function readAll(kv: KV, filter: string): Promise<Snapshot> {
  const last = new Map<string, KvEntry>();
  let lastRevision = 0;
  for await (const entry of await kv.history({ key: filter })) {
    const before = last.get(entry.key);
    if (!before || before.revision < entry.revision) last.set(entry.key, entry);
    lastRevision = Math.max(lastRevision, entry.revision);
  }
  let highestNumber = 0;
  const versions: Program[] = [];
  for (const entry of last.values()) {
    highestNumber = Math.max(
      highestNumber,
      Number(entry.key.slice(entry.key.lastIndexOf('.') + 1)) || 0,
    );
    if (entry.operation === 'PUT') versions.push(programOfEntry(entry));
  }
  versions.sort(
    (a, b) => a.id.localeCompare(b.id) || versionNumber(a.version) - versionNumber(b.version),
  );
  return { versions, highestNumber, lastRevision };
}

/**
 * The program an entry holds, checked: the key names its id and number, the JSON parses under
 * the schema, and parsing gives back exactly what was stored (defaults were filled when it was
 * published, so a later default cannot change an old version).
 */
/** Every version of every program in the store. */
export async function allVersions(store: ProgramStore): Promise<Program[]> {
  const ids = await store.programIds();
  return (await Promise.all(ids.map((id) => store.versions(id)))).flat();
}

export function programOfEntry(entry: Pick<KvEntry, 'key' | 'string'>): Program {
  const source = `${PROGRAMS_BUCKET} entry "${entry.key}"`;
  const bad = (field: string, message: string) => new ProgramError(source, [{ field, message }]);
  const match = /^([a-z0-9][a-z0-9_-]{0,47})\.([1-9][0-9]*)$/.exec(entry.key);
  if (!match) throw bad('(key)', 'is not of the form <programId>.<n>');
  const [, programId, n] = match;
  let stored: unknown;
  try {
    stored = JSON.parse(entry.string());
  } catch (err) {
    throw bad('(entry)', `is not JSON: ${(err as Error).message}`);
  }
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) {
    throw bad('(entry)', 'is not a JSON object');
  }
  const { version, ...definition } = stored as Record<string, unknown>;
  const expected = `${programId}@${n}`;
  if (version !== expected) {
    throw bad('version', `is ${JSON.stringify(version)}; the key says "${expected}"`);
  }
  if (definition.id !== programId) {
    throw bad('id', `is ${JSON.stringify(definition.id)}; the key says "${programId}"`);
  }
  if (typeof definition.effectiveFrom !== 'string') {
    throw bad('effectiveFrom', 'is missing: every stored version has one');
  }
  const parsed = parseProgram(programInputOf(definition as unknown as ProgramDefinition), source);
  if (!isDeepStrictEqual(parsed, definition)) {
    throw bad('(entry)', 'does not read back as it was stored (edited by hand?)');
  }
  return { ...parsed, version: expected, effectiveFrom: definition.effectiveFrom };
}

/**
 * A parsed definition as it would be written: the schema holds multipliers as percentages
 * (2 → 200) and percentages as basis points (12.5 → 1250); written, they are 2 and 12.5 again.
 * Parsing is not idempotent, so a stored definition is turned back before it is checked.
 */
export function programInputOf(definition: ProgramDefinition): ProgramInput {
  const input = structuredClone(definition);
  const back = (held: number) => held / 100;
  const base = input.earn.base;
  if ('percentOfSpend' in base) base.percentOfSpend = back(base.percentOfSpend);
  for (const rule of input.earn.rules) {
    if ('multiply' in rule.effect) rule.effect.multiply = back(rule.effect.multiply);
  }
  for (const level of input.tiers?.levels ?? []) level.earnMultiplier = back(level.earnMultiplier);
  input.redemption.maxBasketShare = back(input.redemption.maxBasketShare);
  return input;
}
