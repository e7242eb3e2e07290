/**
 * The service desk's actions from a customer's page, for staff whose role may act on customers,
 * on customers they reach. Each goes through the same door as from anywhere else, signed with the
 * member's user id as the operator, and is written to the audit log:
 *
 * - `POST /api/customers/<id>/adjustments` `{ points, reason, note? }`: a `points.adjusted`
 *   event on the events stream (the customer's workflow applies it, as any event).
 * - `POST /api/customers/<id>/cards` `{ change, cardNumber, reason, type? }`: block, unblock,
 *   report lost one of the customer's cards, or link a new card to them (`svc.identity.card`).
 * - `POST /api/customers/<id>/merges` `{ absorbedCustomerId }`: merge another record of the same
 *   person into this one (`svc.identity.merge`); the member must reach both.
 */
import { randomUUID } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { ClienteleError, httpStatus } from '../../engine/domain/error-codes.ts';
import type { EventTimeLimits } from '../../engine/domain/event-time.ts';
import { customerId as customerIdSchema, pointsAdjustedEvent } from '../../engine/domain/events.ts';
import { cardNumber } from '../../engine/domain/identity/card-number.ts';
import { cardType } from '../../engine/domain/identity/card-status.ts';
import { changeReason } from '../../engine/domain/identity/messages.ts';
import type { IdentityIndex } from '../../engine/identity/identity-index.ts';
import type { AuditLog } from '../../engine/staff/audit-log.ts';
import { publishEvent } from '../../engine/streams/publish-event.ts';
import { CARD_SUBJECT, MERGE_SUBJECT } from '../../engine/streams/topology.ts';
import { askService } from '../shared/ask-service.ts';
import { askedOf, type CustomerAccess } from './customer-access.ts';
import { CONSOLE_STORE } from './customers-api.ts';
import { allow, type ConsoleEnv, fail, jsonBody } from './staff-auth.ts';

export interface ServiceDeskDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  lookUp: IdentityIndex['lookUp'];
  access: CustomerAccess;
  audit: AuditLog;
  eventTime: { limits: EventTimeLimits; now: () => Date };
}

const adjustment = z.strictObject({
  points: pointsAdjustedEvent.shape.points,
  reason: pointsAdjustedEvent.shape.reason,
  note: pointsAdjustedEvent.shape.note,
});

const cardAction = z.strictObject({
  change: z.enum(['block', 'unblock', 'report-lost', 'link']),
  cardNumber,
  reason: changeReason,
  type: cardType.optional(),
});

const mergeAction = z.strictObject({ absorbedCustomerId: customerIdSchema });

export function addServiceDeskRoutes(app: Hono<ConsoleEnv>, deps: ServiceDeskDeps): void {
  /** The member acting, once the customer is theirs to act on. */
  async function actor(c: Context<ConsoleEnv>, customerId: string) {
    const { member } = c.get('signedIn');
    return (await deps.access.check(member, customerId, askedOf(c))) ?? member;
  }
  const audited = (
    member: { userId: string; role: Parameters<AuditLog['record']>[0]['role'] },
    customerId: string,
    detail: string,
  ) =>
    deps.audit.record({
      userId: member.userId,
      role: member.role,
      action: 'customer.change',
      customerId,
      detail,
    });

  app.post('/api/customers/:customerId/adjustments', allow('customers.act'), async (c) => {
    const customerId = c.req.param('customerId');
    const member = await actor(c, customerId);
    if (member instanceof ClienteleError) return fail(c, member);
    const request = await jsonBody(c, adjustment);
    if (request instanceof ClienteleError) return fail(c, request);
    const adjustmentId = randomUUID();
    const outcome = await publishEvent(
      deps.js,
      {
        type: 'points.adjusted',
        eventId: `console-${adjustmentId}`,
        occurredAt: deps.eventTime.now().toISOString(),
        storeId: CONSOLE_STORE,
        channel: 'back-office',
        adjustmentId,
        customerId,
        points: request.points,
        reason: request.reason,
        ...(request.note ? { note: request.note } : {}),
        operatorId: member.userId,
      },
      { storeId: CONSOLE_STORE },
      deps.eventTime,
    );
    if (!outcome.ok) return c.json(outcome, httpStatus(outcome.error.code));
    await audited(
      member,
      customerId,
      `points adjusted ${request.points > 0 ? '+' : ''}${request.points} (${request.reason})`,
    );
    return c.json({ ok: true, adjustmentId, eventId: outcome.eventId }, 202);
  });

  app.post('/api/customers/:customerId/cards', allow('customers.act'), async (c) => {
    const customerId = c.req.param('customerId');
    const member = await actor(c, customerId);
    if (member instanceof ClienteleError) return fail(c, member);
    const request = await jsonBody(c, cardAction);
    if (request instanceof ClienteleError) return fail(c, request);
    if (request.change !== 'link') {
      // Only this customer's own cards, whatever card number the request names.
      const holder = await deps
        .lookUp({ kind: 'card', value: request.cardNumber })
        .catch(() => undefined);
      if (holder?.customerId !== customerId) {
        return fail(
          c,
          new ClienteleError('invalid_request', [
            { field: 'cardNumber', message: "is not one of this customer's cards" },
          ]),
        );
      }
    }
    const answer = await askService(deps.nc, CARD_SUBJECT, {
      ...request,
      ...(request.change === 'link' ? { customerId } : {}),
      operatorId: member.userId,
    });
    if (!answer.ok) return c.json(answer, httpStatus(answer.error.code));
    await audited(
      member,
      customerId,
      `card ${request.change === 'report-lost' ? 'reported lost' : `${request.change}ed`}`,
    );
    return c.json(answer);
  });

  app.post('/api/customers/:customerId/merges', allow('customers.act'), async (c) => {
    const survivor = c.req.param('customerId');
    const member = await actor(c, survivor);
    if (member instanceof ClienteleError) return fail(c, member);
    const request = await jsonBody(c, mergeAction);
    if (request instanceof ClienteleError) return fail(c, request);
    const absorbedRefused = await deps.access.check(member, request.absorbedCustomerId, askedOf(c));
    if (absorbedRefused) return fail(c, absorbedRefused);
    const answer = await askService(deps.nc, MERGE_SUBJECT, {
      mergeId: `console-${randomUUID()}`,
      absorbedCustomerId: request.absorbedCustomerId,
      survivorCustomerId: survivor,
      operatorId: member.userId,
      channel: 'back-office',
      storeId: CONSOLE_STORE,
    });
    if (!answer.ok) return c.json(answer, httpStatus(answer.error.code));
    await audited(member, survivor, `merged ${request.absorbedCustomerId} into this customer`);
    await audited(member, request.absorbedCustomerId, `merged into ${survivor}`);
    return c.json(answer);
  });
}
