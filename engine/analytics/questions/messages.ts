/**
 * The analytics question as it crosses NATS (`svc.analytics.question`): the dashboard's HTTP
 * endpoint asks, the process holding the analytics store answers (questions-service.ts).
 */
import { z } from 'zod';

const columnKind = z.enum(['text', 'count', 'money', 'ratio', 'date']);
const cell = z.union([z.string(), z.number(), z.null()]);

export const questionRequest = z.strictObject({
  /** A question's name (`clientele analytics list`). */
  question: z.string().min(1),
  /** Its parameters as strings, as a query string gives them (a switch: `true`). */
  params: z.record(z.string(), z.union([z.string(), z.boolean()])).default({}),
  /** The moment asked about, an ISO 8601 date or instant; the answering process's clock if absent. */
  asOf: z.string().optional(),
});

export const questionAnswer = z.strictObject({
  ok: z.literal(true),
  question: z.string(),
  asOf: z.string(),
  params: z.record(z.string(), z.unknown()),
  columns: z.array(z.strictObject({ name: z.string(), kind: columnKind })),
  /** Money in minor units. */
  rows: z.array(z.record(z.string(), cell)),
  summary: z.record(z.string(), cell).optional(),
});

export type QuestionRequest = z.infer<typeof questionRequest>;
export type QuestionAnswer = z.infer<typeof questionAnswer>;
