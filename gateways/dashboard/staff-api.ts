/**
 * The staff page's API, for members whose role manages the staff (`staff`: admins), and the
 * confidential flag on a customer's record:
 *
 * - `GET /api/staff`: every member (user id, name, role, stores, since when, disabled when), and
 *   the roles there are.
 * - `POST /api/staff` `{ userId, name, role, stores?, password }`: adds a member
 *   (`staff_exists` if the user id is taken). The password is hashed at once and never shown.
 * - `PUT /api/staff/<userId>` `{ role?, stores?, password? }`: changes their role, their stores
 *   (`null`: every store) or sets their password, at once in their signed-in sessions.
 * - `POST /api/staff/<userId>/disable`: their sessions end at once.
 * - `PUT /api/customers/<id>/confidential` `{ visibleTo: [userId…] }`: the customer's record is
 *   visible only to those staff (each must exist); `[]` makes it ordinary again. The member must
 *   reach the customer, and the change is written to the audit log before it is made.
 *
 * Not one's own change or disabling: another admin does it, so the last admin cannot lock
 * everyone out. Each change to the staff is written to the audit log once done
 * (`staff.add|change|disable`: the member's id, role and stores, never their name or password).
 *
 * The same as `clientele staff add|list|change|password|disable|confidential`, through the same
 * directory.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { ClienteleError, issuesOf } from '../../engine/domain/error-codes.ts';
import { storeId } from '../../engine/domain/events.ts';
import { staffId } from '../../engine/domain/identity/messages.ts';
import type { AuditAction } from '../../engine/domain/staff/audit.ts';
import {
  password,
  role,
  roles,
  type StaffMember,
  staffMember,
  staffName,
} from '../../engine/domain/staff/roles.ts';
import type { AuditLog } from '../../engine/staff/audit-log.ts';
import type { StaffDirectory } from '../../engine/staff/staff-directory.ts';
import { askedOf, type CustomerAccess } from './customer-access.ts';
import { allow, type ConsoleEnv, fail, jsonBody } from './staff-auth.ts';

const newMember = z.strictObject({
  userId: staffId,
  name: staffName,
  role,
  stores: z.array(storeId).min(1).optional(),
  password,
});

/** What an admin changes of a member: absent is unchanged; `stores: null` is every store. */
const memberChange = z
  .strictObject({
    role: role.optional(),
    stores: z.array(storeId).min(1).nullable().optional(),
    password: password.optional(),
  })
  .refine((c) => Object.keys(c).length > 0, 'must change the role, the stores or the password');

const confidentialTo = z.strictObject({ visibleTo: z.array(staffId).max(50) });

/** A member as the audit log notes them: never their name or password. */
const noted = (m: StaffMember) => `${m.userId}: ${m.role}, ${m.stores?.join(' ') ?? 'all stores'}`;

export function addStaffRoutes(
  app: Hono<ConsoleEnv>,
  deps: {
    directory: StaffDirectory;
    access: CustomerAccess;
    audit: AuditLog;
    now: () => Date;
  },
): void {
  app.get('/api/staff', allow('staff'), async (c) =>
    c.json({ ok: true, staff: await deps.directory.list(), roles }),
  );

  // Done, then audited: a refused change is no action on the staff.
  const audited = (c: Context<ConsoleEnv>, action: AuditAction, detail: string) => {
    const { member } = c.get('signedIn');
    return deps.audit.record({ userId: member.userId, role: member.role, action, detail });
  };
  // Another admin changes or disables an admin, so the last one cannot lock everyone out.
  const notYourself = (c: Context<ConsoleEnv>, userId: string, what: string) =>
    userId === c.get('signedIn').member.userId
      ? new ClienteleError('invalid_request', [
          { field: 'userId', message: `is you: another admin ${what} an admin` },
        ])
      : undefined;

  app.post('/api/staff', allow('staff'), async (c) => {
    const asked = await jsonBody(c, newMember);
    if (asked instanceof ClienteleError) return fail(c, asked);
    const { password: given, ...fields } = asked;
    // The role's own rule (store managers and associates name their stores).
    const member = staffMember.safeParse({ ...fields, createdAt: deps.now().toISOString() });
    if (!member.success) {
      return fail(c, new ClienteleError('invalid_request', issuesOf(member.error.issues)));
    }
    const added = await deps.directory.add(member.data, given);
    await audited(c, 'staff.add', noted(added));
    return c.json({ ok: true, member: added }, 201);
  });

  app.put('/api/staff/:userId', allow('staff'), async (c) => {
    const userId = c.req.param('userId');
    const yourself = notYourself(c, userId, 'changes');
    if (yourself) return fail(c, yourself);
    const asked = await jsonBody(c, memberChange);
    if (asked instanceof ClienteleError) return fail(c, asked);
    const { role: newRole, stores, password: given } = asked;
    const member = await deps.directory.update(
      userId,
      ({ stores: before, ...m }) => {
        const after = stores === null ? undefined : (stores ?? before);
        return { ...m, ...(newRole ? { role: newRole } : {}), ...(after ? { stores: after } : {}) };
      },
      given === undefined ? {} : { password: given },
    );
    await audited(c, 'staff.change', `${noted(member)}${given ? '; password set' : ''}`);
    return c.json({ ok: true, member });
  });

  app.post('/api/staff/:userId/disable', allow('staff'), async (c) => {
    const userId = c.req.param('userId');
    const yourself = notYourself(c, userId, 'disables');
    if (yourself) return fail(c, yourself);
    const at = deps.now().toISOString();
    const member = await deps.directory.update(userId, (m) => ({ ...m, disabledAt: at }));
    await audited(c, 'staff.disable', member.userId);
    return c.json({ ok: true, member });
  });

  app.put('/api/customers/:customerId/confidential', allow('staff'), async (c) => {
    const customerId = c.req.param('customerId');
    const { member } = c.get('signedIn');
    const refused = await deps.access.check(member, customerId, askedOf(c));
    if (refused) return fail(c, refused);
    const asked = await jsonBody(c, confidentialTo);
    if (asked instanceof ClienteleError) return fail(c, asked);
    const visibleTo = await deps.directory.makeConfidential(
      { customerId, visibleTo: asked.visibleTo, by: member.userId, at: deps.now() },
      (visibleTo) =>
        deps.audit.record({
          userId: member.userId,
          role: member.role,
          action: 'customer.confidential',
          customerId,
          detail: (visibleTo.length === 0
            ? 'made ordinary'
            : `visible only to ${visibleTo.join(', ')}`
          ).slice(0, 500),
        }),
    );
    return c.json({ ok: true, customerId, visibleTo });
  });
}
