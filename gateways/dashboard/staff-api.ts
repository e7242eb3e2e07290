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
 * everyone out. Each change is made and audited by engine/staff/staff-changes.ts, as
 * `clientele staff add|change|password|disable|confidential` makes it.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { ClienteleError, issuesOf } from '../../engine/domain/error-codes.ts';
import { storeId } from '../../engine/domain/events.ts';
import { staffId } from '../../engine/domain/identity/messages.ts';
import { password, role, roles, staffMember, staffName } from '../../engine/domain/staff/roles.ts';
import type { AuditLog } from '../../engine/staff/audit-log.ts';
import { type Changer, staffChanges } from '../../engine/staff/staff-changes.ts';
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

export function addStaffRoutes(
  app: Hono<ConsoleEnv>,
  deps: {
    directory: StaffDirectory;
    access: CustomerAccess;
    audit: AuditLog;
    now: () => Date;
  },
): void {
  const changes = staffChanges(deps);
  const changer = (c: Context<ConsoleEnv>): Changer => {
    const { userId, role } = c.get('signedIn').member;
    return { userId, role };
  };

  app.get('/api/staff', allow('staff'), async (c) =>
    c.json({ ok: true, staff: await deps.directory.list(), roles }),
  );

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
    const added = await changes.add(changer(c), member.data, given);
    return c.json({ ok: true, member: added }, 201);
  });

  app.put('/api/staff/:userId', allow('staff'), async (c) => {
    const userId = c.req.param('userId');
    const yourself = notYourself(c, userId, 'changes');
    if (yourself) return fail(c, yourself);
    const asked = await jsonBody(c, memberChange);
    if (asked instanceof ClienteleError) return fail(c, asked);
    const member = await changes.change(changer(c), userId, asked);
    return c.json({ ok: true, member });
  });

  app.post('/api/staff/:userId/disable', allow('staff'), async (c) => {
    const userId = c.req.param('userId');
    const yourself = notYourself(c, userId, 'disables');
    if (yourself) return fail(c, yourself);
    const member = await changes.disable(changer(c), userId, deps.now());
    return c.json({ ok: true, member });
  });

  app.put('/api/customers/:customerId/confidential', allow('staff'), async (c) => {
    const customerId = c.req.param('customerId');
    const refused = await deps.access.check(c.get('signedIn').member, customerId, askedOf(c));
    if (refused) return fail(c, refused);
    const asked = await jsonBody(c, confidentialTo);
    if (asked instanceof ClienteleError) return fail(c, asked);
    const visibleTo = await changes.makeConfidential(
      changer(c),
      customerId,
      asked.visibleTo,
      deps.now(),
    );
    return c.json({ ok: true, customerId, visibleTo });
  });
}
