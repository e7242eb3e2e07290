/**
 * The changes an admin makes to the staff, on the console's Staff page or with
 * `clientele staff …`: each made in the staff directory and written to the audit log by this one
 * module, whichever way it came in.
 *
 * A change to a member is audited once made (a refused change is no action on the staff):
 * `staff.add|change|disable`, noting the member's id, role and stores, never their name or
 * password. Who may see a confidential customer is audited before it is written
 * (`customer.confidential`), as a read the log cannot record is refused.
 */
import { ClienteleError } from '../domain/error-codes.ts';
import type { AuditAction } from '../domain/staff/audit.ts';
import { may, type Role, type StaffMember } from '../domain/staff/roles.ts';
import type { AuditLog } from './audit-log.ts';
import type { StaffDirectory } from './staff-directory.ts';

/** Who makes a change: the signed-in admin, or the admin a command names with `--by`. */
export interface Changer {
  userId: string;
  role: Role;
}

/** What changes of a member: absent is unchanged; `stores: null` is every store. */
export interface MemberChange {
  role?: Role;
  stores?: string[] | null;
  password?: string;
}

export interface StaffChanges {
  /** `staff_exists` if the user id is taken. */
  add(by: Changer, member: StaffMember, password: string): Promise<StaffMember>;
  /**
   * In one write, at once in every signed-in session. `unknown_staff`; `invalid_request` naming
   * each field if the change breaks a rule of the role (store managers name their stores).
   */
  change(by: Changer, userId: string, change: MemberChange): Promise<StaffMember>;
  /** Their sessions end at once and they cannot sign in again. */
  disable(by: Changer, userId: string, at: Date): Promise<StaffMember>;
  /**
   * The customer's record visible only to `visibleTo` (`[]`: ordinary again); each must be a
   * member of staff (`unknown_staff` naming `visibleTo.N`). Answers the list, duplicates dropped.
   */
  makeConfidential(
    by: Changer,
    customerId: string,
    visibleTo: string[],
    at: Date,
  ): Promise<string[]>;
}

/** A member as the audit log notes them: never their name or password. */
const noted = (m: StaffMember) => `${m.userId}: ${m.role}, ${m.stores?.join(' ') ?? 'all stores'}`;

export function staffChanges(deps: {
  directory: StaffDirectory;
  audit: Pick<AuditLog, 'record'>;
}): StaffChanges {
  const { directory, audit } = deps;
  const entry = (by: Changer, action: AuditAction, detail: string, customerId?: string) => ({
    userId: by.userId,
    role: by.role,
    action,
    detail: detail.slice(0, 500),
    ...(customerId ? { customerId } : {}),
  });
  // The change stands: say so, rather than the log's "nothing was shown".
  const audited = async (by: Changer, action: AuditAction, detail: string) => {
    try {
      await audit.record(entry(by, action, detail));
    } catch (err) {
      if (!(err instanceof ClienteleError)) throw err;
      throw new ClienteleError(
        'unavailable',
        [],
        `${action} made, but not audited: ${err.message}`,
      );
    }
  };

  return {
    async add(by, member, password) {
      const added = await directory.add(member, password);
      await audited(by, 'staff.add', noted(added));
      return added;
    },
    async change(by, userId, { role, stores, password }) {
      const member = await directory.update(
        userId,
        ({ stores: before, ...m }) => {
          const after = stores === null ? undefined : (stores ?? before);
          return { ...m, ...(role ? { role } : {}), ...(after ? { stores: after } : {}) };
        },
        password === undefined ? {} : { password },
      );
      await audited(by, 'staff.change', `${noted(member)}${password ? '; password set' : ''}`);
      return member;
    },
    async disable(by, userId, at) {
      const member = await directory.update(userId, (m) => ({
        ...m,
        disabledAt: at.toISOString(),
      }));
      await audited(by, 'staff.disable', member.userId);
      return member;
    },
    makeConfidential(by, customerId, visibleTo, at) {
      return directory.makeConfidential({ customerId, visibleTo, by: by.userId, at }, (checked) =>
        audit.record(
          entry(
            by,
            'customer.confidential',
            checked.length === 0 ? 'made ordinary' : `visible only to ${checked.join(', ')}`,
            customerId,
          ),
        ),
      );
    },
  };
}

/**
 * The admin a command names as making a change (`--by`): an enabled member whose role manages
 * the staff. Otherwise `unknown_staff` or `forbidden`, naming `by`.
 */
export async function changerNamed(directory: StaffDirectory, userId: string): Promise<Changer> {
  const member = await directory.get(userId);
  if (!member) {
    throw new ClienteleError('unknown_staff', [
      { field: 'by', message: `no member of staff is "${userId}"` },
    ]);
  }
  if (member.disabledAt || !may(member, 'staff')) {
    throw new ClienteleError('forbidden', [
      {
        field: 'by',
        message: member.disabledAt
          ? `"${userId}" is disabled`
          : `"${userId}" is a ${member.role}: only an admin changes the staff`,
      },
    ]);
  }
  return { userId: member.userId, role: member.role };
}
