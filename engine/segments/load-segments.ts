/**
 * Reads a segment list file (YAML, or JSON): every mistake comes back in one `SegmentListError`
 * naming the file, each bad field and its line.
 */
import { parseLocatedYaml, readTextFile } from '../programs/located-yaml.ts';
import { checkSegmentList, type Segment, SegmentListError } from './segment-schema.ts';

/** Parses a segment list's text; `source` names it in errors. */
export function parseSegmentsText(text: string, source: string): Segment[] {
  const parsed = parseLocatedYaml(text, checkSegmentList);
  if (!parsed.ok) throw new SegmentListError(source, parsed.issues);
  return parsed.value;
}

/** Reads and parses a segment list file; a file that cannot be read is a `SegmentListError` too. */
export async function loadSegmentsFile(file: string): Promise<Segment[]> {
  const read = await readTextFile(file);
  if (!read.ok) throw new SegmentListError(file, [{ field: '(file)', message: read.why }]);
  return parseSegmentsText(read.text, file);
}
