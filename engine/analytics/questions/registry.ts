/**
 * Every question the CLI (`clientele analytics <name>`), the NATS service and the HTTP endpoint
 * answer, found by name; and how a question's parameters are read from strings (CLI options,
 * a query string, a NATS request), each mistake naming its parameter.
 */
import { z } from 'zod';
import { ClienteleError, type FieldIssue } from '../../domain/error-codes.ts';
import type { AnalyticsStore } from '../store.ts';
import { AUDIT_QUESTIONS } from './audit.ts';
import { BUSINESS_QUESTIONS } from './business/index.ts';
import { CUSTOMER_QUESTIONS } from './customers/index.ts';
import { FRAUD_QUESTIONS } from './fraud-flags.ts';
import { GROUP_QUESTIONS } from './groups.ts';
import type { Answer, AnyQuestion, ParamMeta } from './question.ts';
import { SEGMENT_QUESTIONS } from './segments.ts';

/** All questions, in the order `clientele analytics list` shows them. */
export const QUESTIONS: readonly AnyQuestion[] = [
  ...CUSTOMER_QUESTIONS,
  ...BUSINESS_QUESTIONS,
  ...SEGMENT_QUESTIONS,
  ...GROUP_QUESTIONS,
  ...FRAUD_QUESTIONS,
  ...AUDIT_QUESTIONS,
];

/** `fooBar` → `foo-bar`: how a parameter is spelled on the CLI, in a query string and in errors. */
export const paramName = (key: string): string =>
  key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The moment asked about, named `as-of` wherever it is given. */
export const AS_OF = 'as-of';

export interface ParamInfo {
  key: string;
  /** As spelled on the CLI (`--<name>`) and in a query string. */
  name: string;
  description: string;
  flag: boolean;
  /** The default, when it has one. */
  fallback: unknown;
  /** The values it takes, when they are a closed list. */
  choices?: readonly string[];
}

/** A question's parameters, for help texts and CLI options. */
export function paramsOf(question: AnyQuestion): ParamInfo[] {
  return Object.entries(question.params.shape).map(([key, schema]) => {
    const field = schema as z.ZodType;
    const meta = (field.meta() ?? {}) as Partial<ParamMeta>;
    const parsedDefault = field.safeParse(undefined);
    let inner: unknown = field;
    while (inner && typeof inner === 'object' && 'unwrap' in inner) {
      inner = (inner as { unwrap(): unknown }).unwrap();
    }
    const choices = inner instanceof z.ZodEnum ? (inner.options as string[]) : undefined;
    return {
      key,
      name: paramName(key),
      description: meta.description ?? '',
      flag: meta.flag === true,
      fallback: parsedDefault.success ? parsedDefault.data : undefined,
      ...(choices ? { choices } : {}),
    };
  });
}

/** No question by this name. */
export function unknownQuestion(name: string, questions: readonly AnyQuestion[]): ClienteleError {
  return new ClienteleError('unknown_question', [
    {
      field: 'question',
      message: `"${name}" is not a question (${questions.map((q) => q.name).join(', ')})`,
    },
  ]);
}

export function findQuestion(
  name: string,
  questions: readonly AnyQuestion[] = QUESTIONS,
): AnyQuestion {
  const question = questions.find((q) => q.name === name);
  if (!question) throw unknownQuestion(name, questions);
  return question;
}

/** Raw values as strings arrive; a switch given without a value is `true`. */
export type RawParams = Record<string, string | boolean | undefined>;

/**
 * The question's parameters from strings, each spelled `foo-bar` or `fooBar`; `invalid_request`
 * naming each unknown or bad one.
 */
export function parseParams(question: AnyQuestion, raw: RawParams): Record<string, unknown> {
  const known = new Map(paramsOf(question).map((p) => [p.name, p.key]));
  for (const p of paramsOf(question)) known.set(p.key, p.key);
  const input: Record<string, string> = {};
  const issues: FieldIssue[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const key = known.get(name);
    if (key === undefined) {
      const names = paramsOf(question).map((p) => p.name);
      issues.push({
        field: name,
        message: `is not a parameter of ${question.name} (${names.join(', ') || 'it takes none'})`,
      });
      continue;
    }
    input[key] = String(value);
  }
  if (issues.length === 0) {
    const parsed = question.params.safeParse(input);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '(params)');
      issues.push({ field: paramName(key), message: issue.message });
    }
  }
  throw new ClienteleError('invalid_request', issues);
}

/** The as-of moment: `asOf` (an ISO date or instant) when given, else `now`. */
export function asOfMoment(asOf: string | undefined, now: Date): Date {
  if (asOf === undefined || asOf === '') return now;
  const ms = Date.parse(asOf);
  if (Number.isNaN(ms)) {
    throw new ClienteleError('invalid_request', [
      { field: AS_OF, message: `"${asOf}" is not an ISO 8601 date or instant` },
    ]);
  }
  return new Date(ms);
}

export interface Asked {
  question: string;
  asOf: string;
  params: Record<string, unknown>;
  answer: Answer;
}

/** Finds the question, reads its parameters and answers it as of `asOf` (else `now`). */
export async function askQuestion(
  store: AnalyticsStore,
  request: { question: string; params: RawParams; asOf?: string | undefined },
  now: Date,
  questions: readonly AnyQuestion[] = QUESTIONS,
): Promise<Asked> {
  const question = findQuestion(request.question, questions);
  const params = parseParams(question, request.params);
  const asOf = asOfMoment(request.asOf, now);
  const answer = await question.run(store, params, asOf);
  return { question: question.name, asOf: asOf.toISOString(), params, answer };
}
