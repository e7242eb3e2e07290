/**
 * A list of segments as a marketer writes it (YAML, see docs/segments.md):
 *
 *   segments:
 *     - id: lapsed-gold
 *       name: Gold members who stopped buying
 *       when: recency_days > 90 and tier in [gold, platinum]
 *
 * Each `when` is compiled by the segment language (expression.ts) as the list is parsed, so a
 * list that parses holds only conditions a customer's workflow can evaluate.
 */
import { z } from 'zod';
import { formatPath } from '../domain/error-codes.ts';
import type { Condition } from '../domain/segments/conditions.ts';
import { duplicateIds } from '../domain/unique-ids.ts';
import { parseCondition, SegmentExpressionError } from './expression.ts';

export const segmentId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes, up to 63');

const when = z
  .string()
  .min(1, 'say when a customer is in the segment')
  .transform((text, ctx): { text: string; condition: Condition } => {
    try {
      return { text, condition: parseCondition(text) };
    } catch (err) {
      if (!(err instanceof SegmentExpressionError)) throw err;
      for (const problem of err.problems) ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
  });

export const segmentList = z
  .strictObject({
    segments: z
      .array(
        z.strictObject({
          id: segmentId,
          name: z.string().min(1).max(200).optional(),
          when,
        }),
      )
      .min(1, 'name at least one segment'),
  })
  .superRefine((list, ctx) => duplicateIds(list.segments, ['segments'], ctx));

/** A segment as parsed: its condition as written and compiled. */
export interface Segment {
  id: string;
  name?: string;
  when: string;
  condition: Condition;
}

export class SegmentListError extends Error {
  override name = 'SegmentListError';
  constructor(
    readonly source: string,
    readonly issues: readonly { field: string; message: string }[],
  ) {
    super(
      `${source} is not a valid segment list:\n${issues.map((i) => `  ${i.field}: ${i.message}`).join('\n')}`,
    );
  }
}

/** Parses a segment list; the issues name each bad field (`segments[1].when`). */
export function checkSegmentList(
  input: unknown,
): { ok: true; value: Segment[] } | { ok: false; issues: { field: string; message: string }[] } {
  const result = segmentList.safeParse(input);
  if (!result.success) {
    return {
      ok: false,
      issues: result.error.issues.map((issue) => ({
        field: formatPath(issue.path) || '(segment list)',
        message: issue.message,
      })),
    };
  }
  return {
    ok: true,
    value: result.data.segments.map(({ id, name, when }) => ({
      id,
      ...(name !== undefined && { name }),
      when: when.text,
      condition: when.condition,
    })),
  };
}
