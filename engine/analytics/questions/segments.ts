/**
 * The segment questions: who meets a condition in the segment language, counted over the stored
 * events as of any moment (batch); who the customers' workflows had in a live segment then; and a
 * live segment's size day by day (its dynamics). engine/segments holds the compiler and the
 * membership queries; here they are questions like any other (CLI, HTTP, table/CSV/JSON).
 */
import { z } from 'zod';
import type { Condition } from '../../domain/segments/conditions.ts';
import { segmentId } from '../../domain/segments/definition.ts';
import { parseCondition, SegmentExpressionError } from '../../segments/expression.ts';
import {
  batchMembersPage,
  liveMembersPage,
  type MembersPage,
  segmentSizes,
} from '../../segments/reconcile.ts';
import type { AnalyticsStore } from '../store.ts';
import { type Answer, type AnyQuestion, defineQuestion, integer, param } from './question.ts';

const limit = () => integer('customers to list at most (100)', 100, 0, 100_000);

const when = param(
  z
    .string()
    .min(1, 'say who is in it, e.g. "recency_days > 90 and tier in [gold]"')
    .transform((text, ctx): Condition => {
      try {
        return parseCondition(text);
      } catch (err) {
        if (!(err instanceof SegmentExpressionError)) throw err;
        for (const problem of err.problems) ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
    }),
  'the condition, in the segment language (docs/segments.md)',
);

const countParams = z.object({
  when,
  baseTier: param(
    z.string().min(1).optional(),
    "the tier of members with no tier change stored (the program's first level)",
  ),
  limit: limit(),
});

/** How many customers, and the first listed. */
const membersAnswer = (page: MembersPage): Answer => ({
  summary: {
    columns: [{ name: 'customers', kind: 'count' }],
    values: { customers: page.count },
  },
  columns: [{ name: 'customer_id', kind: 'text' }],
  rows: page.first.map((customer_id) => ({ customer_id })),
});

async function segmentCount(
  store: AnalyticsStore,
  params: z.output<typeof countParams>,
  asOf: Date,
): Promise<Answer> {
  return membersAnswer(
    await batchMembersPage(store, params.when, asOf, params.limit, params.baseTier),
  );
}

const membersParams = z.object({
  segment: param(segmentId, 'the live segment (its id in the program)'),
  limit: limit(),
});

async function segmentMembers(
  store: AnalyticsStore,
  params: z.output<typeof membersParams>,
  asOf: Date,
): Promise<Answer> {
  return membersAnswer(await liveMembersPage(store, params.segment, asOf, params.limit));
}

const sizesParams = z.object({
  segment: param(segmentId, 'the live segment (its id in the program)'),
  days: integer('days up to the as-of day (inclusive) (90)', 90, 1, 3660),
});

async function segmentSizesOver(
  store: AnalyticsStore,
  params: z.output<typeof sizesParams>,
  asOf: Date,
): Promise<Answer> {
  const to = asOf.toISOString().slice(0, 10);
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (params.days - 1) * 86_400_000)
    .toISOString()
    .slice(0, 10);
  const sizes = await segmentSizes(store, params.segment, from, to);
  return {
    columns: [
      { name: 'day', kind: 'date' },
      { name: 'size', kind: 'count' },
      { name: 'entered', kind: 'count' },
      { name: 'exited', kind: 'count' },
    ],
    rows: sizes.map((s) => ({ ...s })),
  };
}

export const SEGMENT_QUESTIONS: readonly AnyQuestion[] = [
  defineQuestion({
    name: 'segment',
    summary:
      'Who meets a condition in the segment language, from the stored events as of a moment: how many, and who',
    params: countParams,
    run: segmentCount,
  }),
  defineQuestion({
    name: 'segment-members',
    summary: "Who was in a live segment at a moment, as the customers' workflows put them there",
    params: membersParams,
    run: segmentMembers,
  }),
  defineQuestion({
    name: 'segment-sizes',
    summary: "A live segment's size at the end of each day, with who entered and left",
    params: sizesParams,
    run: segmentSizesOver,
  }),
];
