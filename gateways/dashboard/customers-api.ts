/**
 * The customer pages' API, for staff who may read customers, about customers they reach
 * (customer-access.ts), every read written to the audit log before it is answered:
 *
 * - `GET /api/customers?by=card|account|phone|email|id|name&value=…`: the customers found, as
 *   `customers: [{ customerId, givenName?, familyName?, homeStoreId? }]` (the names and home
 *   store for a search by name) and `more` when some were left out.
 *   An identifier finds its holder (a blocked or lost card too: the service desk finds its
 *   holder); a name (the family name, or given and family names, in any order) finds up to
 *   NAME_MATCHES_SHOWN customers, those the member does not reach left out unsaid. The audit
 *   notes how each customer listed was found, never the value.
 * - `GET /api/customers/<id>`: the 360 view with the profile (`svc.customer.view`, full scope),
 *   and whether the record is confidential and to whom.
 * - `GET /api/customers/<id>/timeline?before=…&limit=…`: events, ledger lines, cues, triggers,
 *   tier and segment changes, newest first (`svc.analytics.customer-timeline`).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { ProfileStore } from '../../engine/customer-view/profile-store.ts';
import { timelineAnswer } from '../../engine/domain/customer/timeline.ts';
import { ClienteleError, httpStatus, issuesOf } from '../../engine/domain/error-codes.ts';
import { instant } from '../../engine/domain/events.ts';
import { readCard } from '../../engine/domain/identity/card-number.ts';
import type { Identifier } from '../../engine/domain/identity/identifiers.ts';
import type { IdentityIndex } from '../../engine/identity/identity-index.ts';
import type { AuditLog } from '../../engine/staff/audit-log.ts';
import type { StaffDirectory } from '../../engine/staff/staff-directory.ts';
import { TIMELINE_SUBJECT, VIEW_SUBJECT } from '../../engine/streams/topology.ts';
import { askService } from '../shared/ask-service.ts';
import { askedOf, type CustomerAccess } from './customer-access.ts';
import { allow, type ConsoleEnv, fail } from './staff-auth.ts';

/** The store the console's requests speak for (the back office's). */
export const CONSOLE_STORE = 'HQ';

/** How many customers a search by name lists (a longer list asks for the given name too). */
export const NAME_MATCHES_SHOWN = 25;

export interface CustomersApiDeps {
  nc: NatsConnection;
  lookUp: IdentityIndex['lookUp'];
  findByName: ProfileStore['findByName'];
  access: CustomerAccess;
  audit: AuditLog;
  directory: Pick<StaffDirectory, 'confidentialTo'>;
}

const searchQuery = z.strictObject({
  by: z.enum(['card', 'account', 'phone', 'email', 'id', 'name']),
  value: z.string().trim().min(1, 'is empty').max(254),
});

const timelineQuery = z.strictObject({
  before: instant.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

function identifierOf(by: 'card' | 'account' | 'phone' | 'email', value: string): Identifier {
  if (by !== 'card') return { kind: by, value };
  const read = readCard(value, 'typed');
  if (!read.ok)
    throw new ClienteleError('invalid_request', [{ field: 'value', message: read.message }]);
  return { kind: 'card', value: read.cardNumber };
}

export function addCustomerRoutes(app: Hono<ConsoleEnv>, deps: CustomersApiDeps): void {
  const reader = (c: Context<ConsoleEnv>) => c.get('signedIn').member;

  const checked = (c: Context<ConsoleEnv>, customerId: string) =>
    deps.access.check(reader(c), customerId, askedOf(c));

  app.get('/api/customers', allow('customers.read'), async (c) => {
    const query = searchQuery.safeParse(c.req.query());
    if (!query.success)
      return fail(c, new ClienteleError('invalid_request', issuesOf(query.error.issues)));
    const { by, value } = query.data;
    const member = reader(c);
    const searched = (customerId: string) =>
      deps.audit.record({
        userId: member.userId,
        role: member.role,
        action: 'customer.search',
        customerId,
        detail: `by ${by}`,
      });
    if (by === 'name') {
      // Staff of named stores reach a share of the holders: look further for theirs.
      const looked = NAME_MATCHES_SHOWN * (member.stores ? 8 : 1);
      const { found, more } = await deps.findByName(value, looked);
      // Not `checked`: a name that matches another store's customer is no request for them.
      const reach = await Promise.all(
        found.map((match) => deps.access.reach(member, match.customerId)),
      );
      const reached = found.flatMap((match, i) => {
        const home = reach[i];
        return home ? [{ ...match, ...home }] : [];
      });
      const shown = reached.slice(0, NAME_MATCHES_SHOWN);
      for (const match of shown) await searched(match.customerId);
      return c.json({ ok: true, customers: shown, more: more || reached.length > shown.length });
    }
    const customerId =
      by === 'id' ? value : (await deps.lookUp(identifierOf(by, value))).customerId;
    const refused = await checked(c, customerId);
    if (refused) return fail(c, refused);
    await searched(customerId);
    return c.json({ ok: true, customers: [{ customerId }], more: false });
  });

  app.get('/api/customers/:customerId', allow('customers.read'), async (c) => {
    const customerId = c.req.param('customerId');
    const refused = await checked(c, customerId);
    if (refused) return fail(c, refused);
    const member = reader(c);
    await deps.audit.record({
      userId: member.userId,
      role: member.role,
      action: 'customer.read',
      customerId,
      detail: '360 view',
    });
    const [view, confidential] = await Promise.all([
      askService(deps.nc, VIEW_SUBJECT, {
        customerId,
        scope: 'full',
        channel: 'back-office',
        storeId: CONSOLE_STORE,
      }),
      deps.directory.confidentialTo(customerId),
    ]);
    if (!view.ok) return c.json(view, httpStatus(view.error.code));
    return c.json({ ...view, ...(confidential ? { confidential } : {}) });
  });

  app.get('/api/customers/:customerId/timeline', allow('customers.read'), async (c) => {
    const customerId = c.req.param('customerId');
    const query = timelineQuery.safeParse(c.req.query());
    if (!query.success)
      return fail(c, new ClienteleError('invalid_request', issuesOf(query.error.issues)));
    const refused = await checked(c, customerId);
    if (refused) return fail(c, refused);
    const member = reader(c);
    await deps.audit.record({
      userId: member.userId,
      role: member.role,
      action: 'customer.timeline',
      customerId,
      detail: query.data.before ? `before ${query.data.before}` : 'latest',
    });
    const answer = await askService(deps.nc, TIMELINE_SUBJECT, { customerId, ...query.data });
    if (!answer.ok) return c.json(answer, httpStatus(answer.error.code));
    const parsed = timelineAnswer.safeParse(answer);
    if (!parsed.success) {
      return fail(c, new ClienteleError('unavailable', [], 'the timeline came in an unknown form'));
    }
    return c.json(parsed.data);
  });
}
