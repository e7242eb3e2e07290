/**
 * Reads a loyalty program file (YAML, or JSON, which is YAML too) and parses it with the program
 * schema. Whatever is wrong comes back as one `ProgramError` naming the file and every bad field,
 * with the line of the YAML it is on where that can be found.
 */
import { type ProgramDefinition, ProgramError } from '../domain/loyalty/program-schema.ts';
import { parseLocatedYaml, readTextFile } from './located-yaml.ts';
import { parseWrittenProgram } from './program-segments.ts';

/** The file could not be read at all (missing, a folder, no permission). */
export class ProgramFileError extends Error {
  override name = 'ProgramFileError';
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
  const read = await readTextFile(file);
  if (!read.ok) throw new ProgramFileError(`${file}: ${read.why}`);
  return { file, ...parseProgramText(read.text, file) };
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
  const parsed = parseLocatedYaml(text, (input) => {
    try {
      return { ok: true, value: parseWrittenProgram(input, source) };
    } catch (err) {
      if (err instanceof ProgramError) return { ok: false, issues: err.issues };
      throw err;
    }
  });
  if (!parsed.ok) throw new ProgramError(source, parsed.issues);
  return { input: parsed.input, definition: parsed.value };
}
