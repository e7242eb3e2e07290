/**
 * A segment as a program version holds it: its id, its condition as the marketer wrote it
 * (`when`), and that condition compiled (`condition`, by engine/segments/expression.ts when the
 * program is loaded or published). The workflow evaluates `condition`; `when` is for people.
 */
import { z } from 'zod';
import { condition } from './condition-schema.ts';
import { type Condition, measuresOf } from './conditions.ts';

export const segmentId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes, up to 63');

/** Measures a customer's workflow cannot know: the birth year stays out of it (personal data). */
const NOT_LIVE = new Set(['age']);

export const liveSegment = z
  .strictObject({
    id: segmentId,
    name: z.string().min(1).max(200).optional(),
    /** The condition as written, in the segment language (docs/segments.md). */
    when: z.string().min(1, 'say when a customer is in the segment'),
    /** `when` compiled; filled in by the program loader, never written by hand. */
    condition: z.custom<Condition>((value) => condition.safeParse(value).success, {
      message: 'is missing or not a compiled condition: load the program with `clientele program`',
    }),
  })
  .superRefine((segment, ctx) => {
    if (!condition.safeParse(segment.condition).success) return;
    for (const m of measuresOf(segment.condition)) {
      if (NOT_LIVE.has(m.measure)) {
        ctx.addIssue({
          code: 'custom',
          path: ['when'],
          message: `names ${m.measure}, which live segments cannot evaluate (the birth year stays out of customer workflows); count it with \`clientele analytics segment\` instead`,
        });
      }
    }
  });

export type LiveSegmentDefinition = z.infer<typeof liveSegment>;
