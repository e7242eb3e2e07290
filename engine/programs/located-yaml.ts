/**
 * YAML files whose mistakes are told with their lines: a loyalty program, a segment list. Syntax
 * errors come first and stop there (line and column); then the schema's issues, each with
 * ` (line N)` when its field (or the nearest field above it) is found in the text.
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

/** A file's text, or why it could not be read (missing, a folder, no permission). */
export async function readTextFile(
  file: string,
): Promise<{ ok: true; text: string } | { ok: false; why: string }> {
  try {
    return { ok: true, text: await readFile(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a folder, not a file'
          : code === 'EACCES'
            ? 'permission denied'
            : (err as Error).message;
    return { ok: false, why };
  }
}

/** A bad field, named by its path (`earn.rules[2].when`), and what is wrong with it. */
export interface Issue {
  field: string;
  message: string;
}

/** An issue with the line of the file it points at, when known. */
export interface LocatedIssue extends Issue {
  line?: number;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; issues: readonly Issue[] };

/** Parses `text` as YAML, then checks what it holds with `check`; every issue located. */
export function parseLocatedYaml<T>(
  text: string,
  check: (input: unknown) => Checked<T>,
): { ok: true; input: unknown; value: T } | { ok: false; issues: LocatedIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((err) => {
        const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
        return {
          field: '(YAML syntax)',
          message: `${err.message.split('\n')[0]} (line ${pos.line}, column ${pos.col})`,
          line: pos.line,
        };
      }),
    };
  }
  const input: unknown = doc.toJS({ maxAliasCount: 100 });
  const checked = check(input);
  if (checked.ok) return { ok: true, input, value: checked.value };
  return {
    ok: false,
    issues: checked.issues.map((issue): LocatedIssue => {
      const line = lineOfIssue(doc, lineCounter, issue);
      return line === undefined
        ? issue
        : { ...issue, message: `${issue.message} (line ${line})`, line };
    }),
  };
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
function lineOfIssue(doc: Document, lines: LineCounter, issue: Issue): number | undefined {
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
