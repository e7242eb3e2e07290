/**
 * `GET /api/customers/<customerId>/state?as-of=…`: the customer's state rebuilt from the log,
 * with the differences from the live workflow's when asked for now (`svc.replay.state`, answered
 * where the analytics store is held). `as-of` is an ISO instant or a day (its end, UTC);
 * `timeline` is `received` (what the engine knew then, the default) or `occurred`. For those who
 * may read customers, and only customers they reach (customer-access.ts); each read audited.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Hono } from 'hono';
import { momentOf } from '../../engine/domain/customer/state-diff.ts';
import { ClienteleError, httpStatus } from '../../engine/domain/error-codes.ts';
import type { AuditLog } from '../../engine/staff/audit-log.ts';
import { REPLAY_STATE_SUBJECT } from '../../engine/streams/topology.ts';
import { askService } from '../shared/ask-service.ts';
import { askedOf, type CustomerAccess } from './customer-access.ts';
import { allow, type ConsoleEnv, fail } from './staff-auth.ts';

export function addReplayRoutes(
  app: Hono<ConsoleEnv>,
  deps: { nc: NatsConnection; access: CustomerAccess; audit: AuditLog },
): void {
  app.get('/api/customers/:customerId/state', allow('customers.read'), async (c) => {
    const customerId = c.req.param('customerId');
    const { member } = c.get('signedIn');
    const refused = await deps.access.check(member, customerId, askedOf(c));
    if (refused) return fail(c, refused);
    const given = c.req.query('as-of');
    const asOf = given === undefined ? undefined : momentOf(given);
    if (given !== undefined && asOf === undefined) {
      return fail(
        c,
        new ClienteleError('invalid_request', [
          { field: 'as-of', message: `"${given}" is not an ISO instant or a day (YYYY-MM-DD)` },
        ]),
      );
    }
    const timeline = c.req.query('timeline');
    await deps.audit.record({
      userId: member.userId,
      role: member.role,
      action: 'customer.state',
      customerId,
      detail: `as of ${asOf ?? 'now'}${timeline ? `, ${timeline} timeline` : ''}`,
    });
    const answer = await askService(deps.nc, REPLAY_STATE_SUBJECT, {
      customerId,
      ...(asOf === undefined ? {} : { asOf }),
      ...(timeline === undefined ? {} : { timeline }),
    });
    return c.json(answer, answer.ok ? 200 : httpStatus(answer.error.code));
  });
}
