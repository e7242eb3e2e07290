/**
 * The staff page's API, for members whose role manages the staff (`staff`: admins), and the
 * confidential flag on a customer's record:
 *
 * - `GET /api/staff`: every member (user id, name, role, stores, since when, disabled when).
 * - `POST /api/staff` `{ userId, name, role, stores?, password }`: adds a member
 *   (`staff_exists` if the user id is taken). The password is hashed at once and never shown.
 * - `POST /api/staff/<userId>/disable`: their sessions end at once. Not one's own: another admin
 *   disables an admin, so the last one cannot lock everyone out.
 * - `PUT /api/customers/<id>/confidential` `{ visibleTo: [userId…] }`: the customer's record is
 *   visible only to those staff (each must exist); `[]` makes it ordinary again. The member must
 *   reach the customer, and the change is written to the audit log.
 *
 * The same as `clientele staff add|list|disable|confidential`, through the same directory.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { ClienteleError, issuesOf } from '../../engine/domain/error-codes.ts';
import { storeId } from '../../engine/domain/events.ts';
import { staffId } from '../../engine/domain/identity/messages.ts';
import { password, role, staffMember, staffName } from '../../engine/domain/staff/roles.ts';
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
  app.get('/api/staff', allow('staff'), async (c) =>
    c.json({ ok: true, staff: await deps.directory.list() }),
  );

  app.post('/api/staff', allow('staff'), async (c) => {
    const asked = await jsonBody(c, newMember);
    if (asked instanceof ClienteleError) return fail(c, asked);
    const { password: given, ...fields } = asked;
    // The role's own rule (store managers and associates name their stores).
    const member = staffMember.safeParse({ ...fields, createdAt: deps.now().toISOString() });
    if (!member.success) {
      return fail(c, new ClienteleError('invalid_request', issuesOf(member.error.issues)));
    }
    return c.json({ ok: true, member: await deps.directory.add(member.data, given) }, 201);
  });

  app.post('/api/staff/:userId/disable', allow('staff'), async (c) => {
    const userId = c.req.param('userId');
    if (userId === c.get('signedIn').member.userId) {
      return fail(
        c,
        new ClienteleError('invalid_request', [
          { field: 'userId', message: 'is you: another admin disables an admin' },
        ]),
      );
    }
    const at = deps.now().toISOString();
    const member = await deps.directory.update(userId, (m) => ({ ...m, disabledAt: at }));
    return c.json({ ok: true, member });
  });

  app.put('/api/customers/:customerId/confidential', allow('staff'), async (c) => {
    const customerId = c.req.param('customerId');
    const { member } = c.get('signedIn');
    const refused = await deps.access.check(member, customerId, askedOf(c));
    if (refused) return fail(c, refused);
    const asked = await jsonBody(c, confidentialTo);
    if (asked instanceof ClienteleError) return fail(c, asked);
    const visibleTo = [...new Set(asked.visibleTo)];
    for (const [i, userId] of visibleTo.entries()) {
      if (!(await deps.directory.get(userId))) {
        return fail(
          c,
          new ClienteleError('unknown_staff', [
            { field: `visibleTo.${i}`, message: `no member of staff is "${userId}"` },
          ]),
        );
      }
    }
    await deps.audit.record({
      userId: member.userId,
      role: member.role,
      action: 'customer.confidential',
      customerId,
      detail: (visibleTo.length === 0
        ? 'made ordinary'
        : `visible only to ${visibleTo.join(', ')}`
      ).slice(0, 500),
    });
    await deps.directory.setConfidential(
      visibleTo.length === 0
        ? { customerId, visibleTo: [] }
        : { customerId, visibleTo, setBy: member.userId, at: deps.now().toISOString() },
    );
    return c.json({ ok: true, customerId, visibleTo });
  });
}
