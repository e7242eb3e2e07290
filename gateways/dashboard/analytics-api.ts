/**
 * `GET /api/analytics/<question>?<param>=…`: the analytics questions, asked of the process
 * holding the analytics store (`svc.analytics.question`). JSON by default, CSV with
 * `format=csv`; `as-of` sets the moment asked about; every other parameter is the question's.
 *
 * Each question needs a permission (`questionPermission`): the figures, or segments, or the
 * export of who is in one. Staff who work in named stores ask only the questions that take
 * stores, about their own stores: the `stores` parameter is theirs when not given, and a store
 * not theirs is refused. An export of who is in a group or segment is written to the audit log.
 * The members' portrait and other slow-moving answers come from slow-answers.ts.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Context, Hono } from 'hono';
import { formatCsv } from '../../engine/analytics/questions/format.ts';
import { type QuestionAnswer, questionAnswer } from '../../engine/analytics/questions/messages.ts';
import { AS_OF, findQuestion, paramsOf } from '../../engine/analytics/questions/registry.ts';
import { ClienteleError, httpStatus } from '../../engine/domain/error-codes.ts';
import {
  may,
  type Permission,
  reachesStore,
  type StaffMember,
} from '../../engine/domain/staff/roles.ts';
import type { AuditLog } from '../../engine/staff/audit-log.ts';
import { QUESTION_SUBJECT } from '../../engine/streams/topology.ts';
import { askService } from '../shared/ask-service.ts';
import { SLOW_MOVING, type SlowAnswers } from './slow-answers.ts';
import { type ConsoleEnv, fail, forbiddenFor } from './staff-auth.ts';

/** What each question needs beyond `figures`, the default. */
const NEEDS: Partial<Record<string, Permission>> = {
  segment: 'segments',
  'segment-sizes': 'segments',
  groups: 'segments',
  'group-sizes': 'segments',
  'segment-members': 'segments.export',
  'group-members': 'segments.export',
  audit: 'staff',
};

/** The permission a question needs (a list of customers needs the export's). */
export function questionPermission(question: string, params: Record<string, string>): Permission {
  if (question === 'rfm' && params.customers !== undefined) return 'segments.export';
  return NEEDS[question] ?? 'figures';
}

/**
 * The parameters as asked, with `stores` narrowed to the member's own; a refusal if the question
 * or a store is not theirs.
 */
function scoped(
  member: StaffMember,
  question: string,
  params: Record<string, string>,
): Record<string, string> | ClienteleError {
  const permission = questionPermission(question, params);
  if (!may(member, permission)) return forbiddenFor(member, `is not allowed to use ${permission}`);
  if (member.stores === undefined) return params;
  let takesStores = false;
  try {
    takesStores = paramsOf(findQuestion(question)).some((p) => p.key === 'stores');
  } catch (err) {
    if (err instanceof ClienteleError) return err;
    throw err;
  }
  if (!takesStores) {
    return forbiddenFor(member, `sees only its stores' figures, and ${question} is not by store`);
  }
  const asked = params.stores
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const foreign = (asked ?? []).filter((s) => !reachesStore(member, s));
  if (foreign.length > 0) {
    return new ClienteleError('forbidden', [
      { field: 'stores', message: `${foreign.join(', ')}: not among ${member.userId}'s stores` },
    ]);
  }
  return { ...params, stores: (asked?.length ? asked : member.stores).join(',') };
}

export function addAnalyticsRoutes(
  app: Hono<ConsoleEnv>,
  deps: { nc: NatsConnection; audit: AuditLog; slow: SlowAnswers },
): void {
  app.get('/api/analytics/:question', async (c) => {
    const { format = 'json', [AS_OF]: asOf, ...asked } = c.req.query();
    if (format !== 'json' && format !== 'csv') {
      return fail(
        c,
        new ClienteleError('invalid_request', [
          { field: 'format', message: `"${format}" is not json or csv` },
        ]),
      );
    }
    const question = c.req.param('question');
    const { member } = c.get('signedIn');
    const params = scoped(member, question, asked);
    if (params instanceof ClienteleError) return fail(c, params);
    if (questionPermission(question, params) === 'segments.export') {
      // Who exported whom: the question and which group or segment, never the members.
      const which = params.group ?? params.segment ?? 'all';
      await deps.audit.record({
        userId: member.userId,
        role: member.role,
        action: 'members.export',
        detail: `${question} ${which}`,
      });
    }
    const request = { question, params, ...(asOf === undefined ? {} : { asOf }) };
    const answer = SLOW_MOVING.has(question)
      ? await deps.slow.get(request)
      : await askService(deps.nc, QUESTION_SUBJECT, request);
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
