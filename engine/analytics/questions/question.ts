/**
 * What every analytics question is: a name, a summary, its parameters as one zod object (coerced
 * from the strings a CLI option or a query-string parameter gives), and a function of the store,
 * the parameters and the moment asked about. A question never reads a clock: `asOf` is passed in,
 * so the same question asked twice about the same moment gives the same answer.
 *
 * Money stays in integer minor units in the rows; only the output (format.ts) formats it.
 */
import { z } from 'zod';
import type { AnalyticsStore, QueryParams } from '../store.ts';

/**
 * How a column's values are shown: `money` is integer minor units; `ratio` any number that need
 * not be whole (a share, an average, an index); `date` is `YYYY-MM-DD`.
 */
export type ColumnKind = 'text' | 'count' | 'money' | 'ratio' | 'date';

export interface Column {
  name: string;
  kind: ColumnKind;
}

export type Cell = string | number | null;
export type AnswerRow = Record<string, Cell>;

/** A question's answer: a table, its columns in order. */
export interface Answer {
  columns: Column[];
  rows: AnswerRow[];
  /**
   * Headline figures beside the table (a count when the rows are a limited list): printed above
   * the table, a field of the JSON, left out of CSV (which holds the rows only).
   */
  summary?: { columns: Column[]; values: AnswerRow };
}

/**
 * A set of customers as SQL: `sql` selects one column, `customer_id`, from the database `sql`
 * names (tables qualified), with `params` bound. Questions restrict to it or compare against it
 * with `customer_id IN (…)`. Parameter names start with `pop_` so they never clash with a
 * question's own.
 */
export interface Population {
  /** How it is named to people, e.g. `rfm:champions`. */
  name: string;
  sql: string;
  params: QueryParams;
}

/** Parameters as a zod object whose fields take strings (see `param`, `flag`). */
export type ParamsSchema = z.ZodObject<z.ZodRawShape>;

export interface Question<S extends ParamsSchema = ParamsSchema> {
  /** The name in `clientele analytics <name>` and `/api/analytics/<name>`. */
  name: string;
  summary: string;
  params: S;
  run(store: AnalyticsStore, params: z.output<S>, asOf: Date): Promise<Answer>;
}

/** Any question, whatever its parameters (for registries). */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds questions of different parameters
export type AnyQuestion = Question<any>;

/** Metadata of a parameter, for the CLI's options and the docs. */
export interface ParamMeta {
  description: string;
  /** A switch: `--name` on the CLI, `?name=true` in a query string. */
  flag?: true;
}

/** Declares a question with its parameter types inferred. */
export const defineQuestion = <S extends ParamsSchema>(question: Question<S>): Question<S> =>
  question;

/** A parameter: `schema` coerces from a string; `description` is its help. */
export const param = <T extends z.ZodType>(schema: T, description: string): T =>
  schema.meta({ description } satisfies ParamMeta) as T;

/** A switch, false unless given (`true`, `1`, `yes`, `on` from a query string). */
export const flag = (description: string) =>
  z
    .stringbool()
    .default(false)
    .meta({ description, flag: true } satisfies ParamMeta);

/** A whole number of at least `min` (and at most `max`), from a string. */
export const integer = (description: string, fallback: number, min = 1, max = 1_000_000) =>
  param(
    z.coerce
      .number({ error: 'is not a number' })
      .int('is not a whole number')
      .min(min, `is less than ${min}`)
      .max(max, `is more than ${max}`)
      .default(fallback),
    description,
  );
