/**
 * The what-if of a candidate program, written as YAML in the console (engine/replay/what-if-*.ts,
 * answered where the analytics store is held):
 *
 * - `POST /api/customers/<id>/what-if` `{ program, from, to }`: one customer's period under the
 *   candidate next to the versions in force (`svc.replay.what-if`). For those who may read
 *   customers, on customers they reach; audited as `customer.what-if`.
 * - `POST /api/programs/what-if` `{ program, from, to, segment? }` starts the same over every
 *   customer as a job (`svc.replay.simulate`), audited as `program.what-if`;
 *   `GET /api/programs/what-if/<jobId>` says how far it is, and once done its report. For those
 *   who manage programs.
 *
 * The audit log gets the period, never the program's text.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import { ClienteleError, httpStatus, issuesOf } from '../../engine/domain/error-codes.ts';
import {
  customerWhatIfRequest,
  simulateStart,
  simulateStatus,
} from '../../engine/replay/what-if-messages.ts';
import type { AuditLog } from '../../engine/staff/audit-log.ts';
import { REPLAY_SIMULATE_SUBJECT, REPLAY_WHAT_IF_SUBJECT } from '../../engine/streams/topology.ts';
import { askService } from '../shared/ask-service.ts';
import { askedOf, type CustomerAccess } from './customer-access.ts';
import { allow, type ConsoleEnv, fail } from './staff-auth.ts';

/** The request's JSON body with what the path says, checked by the service's own schema. */
async function request<T>(
  c: Context,
  schema: z.ZodType<T>,
  fromPath: Record<string, string>,
): Promise<T | ClienteleError> {
  const body: unknown = await c.req.json().catch(() => undefined);
  const given = body && typeof body === 'object' && !Array.isArray(body) ? body : {};
  const parsed = schema.safeParse({ ...given, ...fromPath });
  return parsed.success
    ? parsed.data
    : new ClienteleError('invalid_request', issuesOf(parsed.error.issues));
}

const answered = (c: Context, answer: Awaited<ReturnType<typeof askService>>) =>
  c.json(answer, answer.ok ? 200 : httpStatus(answer.error.code));

export function addWhatIfRoutes(
  app: Hono<ConsoleEnv>,
  deps: { nc: NatsConnection; access: CustomerAccess; audit: AuditLog },
): void {
  app.post('/api/customers/:customerId/what-if', allow('customers.read'), async (c) => {
    const customerId = c.req.param('customerId');
    const { member } = c.get('signedIn');
    const refused = await deps.access.check(member, customerId, askedOf(c));
    if (refused) return fail(c, refused);
    const asked = await request(c, customerWhatIfRequest, { customerId });
    if (asked instanceof ClienteleError) return fail(c, asked);
    await deps.audit.record({
      userId: member.userId,
      role: member.role,
      action: 'customer.what-if',
      customerId,
      detail: `${asked.from}..${asked.to}`,
    });
    return answered(c, await askService(deps.nc, REPLAY_WHAT_IF_SUBJECT, asked));
  });

  app.post('/api/programs/what-if', allow('programs'), async (c) => {
    const { member } = c.get('signedIn');
    const asked = await request(c, simulateStart, { action: 'start' });
    if (asked instanceof ClienteleError) return fail(c, asked);
    await deps.audit.record({
      userId: member.userId,
      role: member.role,
      action: 'program.what-if',
      detail:
        `${asked.from}..${asked.to}${asked.segment ? `, segment ${asked.segment}` : ''}`.slice(
          0,
          500,
        ),
    });
    return answered(c, await askService(deps.nc, REPLAY_SIMULATE_SUBJECT, asked));
  });

  app.get('/api/programs/what-if/:jobId', allow('programs'), async (c) => {
    const asked = simulateStatus.safeParse({ action: 'status', jobId: c.req.param('jobId') });
    if (!asked.success) {
      return fail(c, new ClienteleError('invalid_request', issuesOf(asked.error.issues)));
    }
    return answered(c, await askService(deps.nc, REPLAY_SIMULATE_SUBJECT, asked.data));
  });
}
