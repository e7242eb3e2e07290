/**
 * A program's segments are written in the segment language (`when: recency_days > 90 and …`);
 * the program schema (engine/domain) holds them compiled, since a customer's workflow evaluates
 * the compiled condition and never parses. Every path that parses a program as written goes
 * through `parseWrittenProgram`, which compiles each `when` first.
 */
import {
  type ProgramDefinition,
  ProgramError,
  parseProgram,
} from '../domain/loyalty/program-schema.ts';
import { parseCondition, SegmentExpressionError } from '../segments/expression.ts';

/** Parses a program as written: its segments' conditions compiled, then the program schema. */
export function parseWrittenProgram(input: unknown, source = 'the program'): ProgramDefinition {
  const issues: { field: string; message: string }[] = [];
  const compiled = withCompiledSegments(input, issues);
  if (issues.length > 0) throw new ProgramError(source, issues);
  return parseProgram(compiled, source);
}

/** A copy of `input` with each segment's `when` compiled into `condition` (unless given). */
function withCompiledSegments(
  input: unknown,
  issues: { field: string; message: string }[],
): unknown {
  if (typeof input !== 'object' || input === null || !('segments' in input)) return input;
  const { segments } = input as { segments: unknown };
  if (!Array.isArray(segments)) return input;
  return {
    ...input,
    segments: segments.map((segment: unknown, i) => {
      if (typeof segment !== 'object' || segment === null) return segment;
      const { when, condition } = segment as { when?: unknown; condition?: unknown };
      if (typeof when !== 'string' || condition !== undefined) return segment;
      try {
        return { ...segment, condition: parseCondition(when) };
      } catch (err) {
        if (!(err instanceof SegmentExpressionError)) throw err;
        for (const message of err.problems) issues.push({ field: `segments[${i}].when`, message });
        return segment;
      }
    }),
  };
}
