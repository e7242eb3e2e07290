/**
 * The zod schema of a compiled condition (conditions.ts), for what reads one from outside: a
 * program version as stored and published. Kept apart so the customer workflow, which only
 * evaluates conditions, does not bundle zod.
 */
import { z } from 'zod';
import {
  COMPARISONS,
  type Condition,
  MAX_WINDOW_DAYS,
  MEASURES,
  type Measure,
  type MeasureName,
} from './conditions.ts';

export const measureName = z.enum(Object.keys(MEASURES) as [MeasureName, ...MeasureName[]]);

export const measure: z.ZodType<Measure> = z.strictObject({
  measure: measureName,
  days: z.number().int().min(1).max(MAX_WINDOW_DAYS).optional(),
});

export const comparison = z.enum(COMPARISONS);

export const condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(condition).min(2) }),
    z.strictObject({ any: z.array(condition).min(2) }),
    z.strictObject({ not: condition }),
    z.strictObject({ of: measure, compare: comparison, value: z.union([z.number(), z.string()]) }),
    z.strictObject({ of: measure, oneOf: z.array(z.union([z.number(), z.string()])).min(1) }),
    z.strictObject({ of: measure, has: z.string() }),
  ]),
);
