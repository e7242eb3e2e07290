/**
 * Reads a loyalty program file (YAML, or JSON, which is YAML too) and parses it with the program
 * schema. Whatever is wrong comes back as one `ProgramError` naming the file and every bad field,
 * with the line of the YAML it is on where that can be found.
 */
import { readFile } from 'node:fs/promises';
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from 'yaml';
import {
  type ProgramDefinition,
  ProgramError,
  type ProgramIssue,
  parseProgram,
} from '../domain/loyalty/program-schema.ts';

/** The file could not be read at all (missing, a folder, no permission). */
export class ProgramFileError extends Error {
  override name = 'ProgramFileError';
}

/** A schema issue, with the line of the file it points at when known. */
export interface LocatedIssue extends ProgramIssue {
  line?: number;
}

export interface LoadedProgram {
  /** The path as given. */
  file: string;
  /** The program as written in the file: what `ProgramStore.publish` takes. */
  input: unknown;
  /** The program parsed, every default filled (do not parse it again: 2 is held as 200). */
  definition: ProgramDefinition;
}

/** Reads and parses a program file; throws `ProgramFileError` or `ProgramError`. */
export async function loadProgramFile(file: string): Promise<LoadedProgram> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a folder, not a program file'
          : code === 'EACCES'
            ? 'permission denied'
            : (err as Error).message;
    throw new ProgramFileError(`${file}: ${why}`);
  }
  return { file, ...parseProgramText(text, file) };
}

/**
 * Parses a program's text. `source` names it in errors (the file's path). YAML syntax errors
 * come first and stop there; then every schema issue, each with ` (line N)` when its field (or
 * the nearest field above it) is found in the text.
 */
export function parseProgramText(
  text: string,
  source: string,
): { input: unknown; definition: ProgramDefinition } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ProgramError(
      source,
      doc.errors.map((err) => {
        const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
        return {
          field: '(YAML syntax)',
          message: `${err.message.split('\n')[0]} (line ${pos.line}, column ${pos.col})`,
          line: pos.line,
        } satisfies LocatedIssue;
      }),
    );
  }
  const input: unknown = doc.toJS({ maxAliasCount: 100 });
  try {
    return { input, definition: parseProgram(input, source) };
  } catch (err) {
    if (!(err instanceof ProgramError)) throw err;
    throw new ProgramError(
      source,
      err.issues.map((issue): LocatedIssue => {
        const line = lineOfIssue(doc, lineCounter, issue);
        return line === undefined
          ? issue
          : { ...issue, message: `${issue.message} (line ${line})`, line };
      }),
    );
  }
}

/** `earn.rules[2].when.tiers[0]` → ['earn', 'rules', 2, 'when', 'tiers', 0]. */
export function pathOfField(field: string): (string | number)[] {
  if (field.startsWith('(')) return [];
  const path: (string | number)[] = [];
  for (const match of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) path.push(Number(match[2]));
    else if (match[1] !== undefined) path.push(match[1]);
  }
  return path;
}

/** The line of the field an issue names (of the unknown key itself, for an unknown key). */
function lineOfIssue(doc: Document, lines: LineCounter, issue: ProgramIssue): number | undefined {
  const path = pathOfField(issue.field);
  const unknownKey = /^Unrecognized keys?: "([^"]+)"/.exec(issue.message)?.[1];
  if (unknownKey !== undefined) path.push(unknownKey);
  const offset = offsetOf(doc, path);
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

/**
 * The offset where the deepest part of `path` found in the document starts: a mapping entry's
 * key, or a sequence item. Undefined when not even the first step is found.
 */
function offsetOf(doc: Document, path: readonly (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined;
  for (const step of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(step),
      );
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step];
      if (item === undefined) break;
      offset = (item as Node).range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}
