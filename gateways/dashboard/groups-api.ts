/**
 * Saving and removing groups from the segments page, for those who may define segments:
 * `POST /api/groups` `{ id, name?, when, baseTier?, replace? }` and `DELETE /api/groups/<id>`,
 * relayed to `svc.analytics.groups` with the member as who saved or removed it. A condition the
 * segment language refuses comes back `invalid_request` naming `when`.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Hono } from 'hono';
import { z } from 'zod';
import { ClienteleError, httpStatus, issuesOf } from '../../engine/domain/error-codes.ts';
import { GROUPS_SUBJECT } from '../../engine/streams/topology.ts';
import { askService } from '../shared/ask-service.ts';
import { allow, type ConsoleEnv, fail } from './staff-auth.ts';

const saveBody = z.strictObject({
  id: z.string(),
  name: z.string().optional(),
  when: z.string(),
  baseTier: z.string().optional(),
  replace: z.boolean().default(false),
});

export function addGroupRoutes(app: Hono<ConsoleEnv>, deps: { nc: NatsConnection }): void {
  app.post('/api/groups', allow('segments'), async (c) => {
    const body = saveBody.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) {
      return fail(c, new ClienteleError('invalid_request', issuesOf(body.error.issues)));
    }
    const { replace, ...group } = body.data;
    const answer = await askService(deps.nc, GROUPS_SUBJECT, {
      action: 'save',
      group: { ...group, savedBy: c.get('signedIn').member.userId },
      replace,
    });
    return c.json(answer, answer.ok ? 201 : httpStatus(answer.error.code));
  });
  app.delete('/api/groups/:id', allow('segments'), async (c) => {
    const answer = await askService(deps.nc, GROUPS_SUBJECT, {
      action: 'remove',
      id: c.req.param('id'),
      by: c.get('signedIn').member.userId,
    });
    return c.json(answer, answer.ok ? 200 : httpStatus(answer.error.code));
  });
}
