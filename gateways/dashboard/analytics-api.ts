/**
 * `GET /api/analytics/<question>?<param>=…`: the analytics questions for marketers, asked of the
 * process holding the analytics store (`svc.analytics.question`). The marketer token comes as
 * `Authorization: Bearer <token>` (never in the URL, which logs keep). JSON by default, CSV with
 * `format=csv`; `as-of` sets the moment asked about; every other parameter is the question's.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Context, Hono } from 'hono';
import { formatCsv } from '../../engine/analytics/questions/format.ts';
import { type QuestionAnswer, questionAnswer } from '../../engine/analytics/questions/messages.ts';
import { AS_OF } from '../../engine/analytics/questions/registry.ts';
import { ClienteleError, httpStatus } from '../../engine/domain/error-codes.ts';
import { QUESTION_SUBJECT } from '../../engine/streams/topology.ts';
import { askService } from '../shared/ask-service.ts';
import { fail } from './api-auth.ts';

export interface AnalyticsApiDeps {
  nc: NatsConnection;
  /** The marketer token. */
  token: string;
}

/** The questions' routes; `requireMarketer` (api-auth.ts) guards them. */
export function addAnalyticsRoutes(app: Hono, deps: AnalyticsApiDeps): void {
  app.get('/api/analytics/:question', async (c) => {
    const { format = 'json', [AS_OF]: asOf, ...params } = c.req.query();
    if (format !== 'json' && format !== 'csv') {
      return fail(
        c,
        new ClienteleError('invalid_request', [
          { field: 'format', message: `"${format}" is not json or csv` },
        ]),
      );
    }
    const answer = await askService(deps.nc, QUESTION_SUBJECT, {
      question: c.req.param('question'),
      params,
      ...(asOf === undefined ? {} : { asOf }),
    });
    if (!answer.ok) return c.json(answer, httpStatus(answer.error.code));
    const parsed = questionAnswer.safeParse(answer);
    if (!parsed.success) {
      return fail(
        c,
        new ClienteleError('unavailable', [], 'the analytics service answered in an unknown form'),
      );
    }
    if (format === 'csv') return csv(c, parsed.data);
    return c.json(parsed.data);
  });
}

function csv(c: Context, answer: QuestionAnswer) {
  const body = formatCsv({ columns: answer.columns, rows: answer.rows });
  return c.body(body, 200, {
    'content-type': 'text/csv; charset=utf-8; header=present',
    'content-disposition': `attachment; filename="${answer.question}.csv"`,
  });
}
