/**
 * The staff who sign in to the console, in the NATS KV bucket `STAFF`:
 *
 * - `user.<userId>` → the member with their password's hash (passwords.ts)
 * - `confidential.<customerId>` → the staff a confidential customer is visible to
 * - `marks.<userId>` → their marks on the console's charts (chart-marks.ts)
 *
 * Every console process reads the same bucket, so a member disabled or a customer made
 * confidential is so at once everywhere.
 */
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { ClienteleError, issuesOf } from '../domain/error-codes.ts';
import { customerId, instant } from '../domain/events.ts';
import { staffId } from '../domain/identity/messages.ts';
import { type StaffMember, staffMember } from '../domain/staff/roles.ts';
import { isWrongLastSequence, liveEntry } from '../streams/kv.ts';
import { STAFF_BUCKET } from '../streams/topology.ts';
import type { PasswordHasher } from './passwords.ts';

const storedMember = z.strictObject({ member: staffMember, passwordHash: z.string() });

/** Who may see a confidential customer's record, and who said so. */
export const confidentiality = z.strictObject({
  customerId,
  /** The staff the customer's record is visible to. */
  visibleTo: z.array(staffId).min(1),
  setBy: staffId,
  at: instant,
});
export type Confidentiality = z.infer<typeof confidentiality>;

export interface StaffDirectory {
  /** `staff_exists` if the user id is taken. */
  add(member: StaffMember, password: string): Promise<StaffMember>;
  get(userId: string): Promise<StaffMember | undefined>;
  /** Every member, by user id. */
  list(): Promise<StaffMember[]>;
  /**
   * Changes a member (and their password, if one is given) in one write, at once in every
   * signed-in session. `unknown_staff` if there is no such member; `invalid_request` naming
   * each field if the change breaks a rule of the role (store managers name their stores).
   */
  update(
    userId: string,
    change: (member: StaffMember) => StaffMember,
    options?: { password?: string },
  ): Promise<StaffMember>;
  /** The member, if the password is theirs and they are not disabled. */
  verify(userId: string, password: string): Promise<StaffMember | undefined>;
  /** The staff a customer is confidential to, if they are. */
  confidentialTo(customerId: string): Promise<Confidentiality | undefined>;
  /**
   * Makes a customer's record visible only to `visibleTo` (duplicates dropped); an empty list
   * makes it ordinary again. `unknown_staff`, naming `visibleTo.N` or `by`, if any of them is no
   * member of staff, and nothing is written. `record` is told the list once it is checked and
   * before it is written (the console's audit log). Answers the list.
   */
  makeConfidential(
    change: { customerId: string; visibleTo: string[]; by: string; at: Date },
    record?: (visibleTo: string[]) => Promise<unknown>,
  ): Promise<string[]>;
}

const MAX_ATTEMPTS = 20;
const userKey = (userId: string) => `user.${userId}`;
const confidentialKey = (customerId: string) => `confidential.${customerId}`;

/** The bucket, as every part keeping something of the staff opens it. */
export const openStaffBucket = (nc: NatsConnection, replicas = 1): Promise<KV> =>
  new Kvm(nc).create(STAFF_BUCKET, {
    history: 1,
    replicas,
    description:
      'Clientele staff: user.<id> → member and password hash; confidential.<customer>; marks.<id>',
  });

export async function openStaffDirectory(
  nc: NatsConnection,
  options: { hasher: PasswordHasher; replicas?: number },
): Promise<StaffDirectory> {
  const { hasher } = options;
  const kv = await openStaffBucket(nc, options.replicas);
  // Verifying an unknown user costs what a known one does, so timing tells no one which exist.
  const unknownUserHash = await hasher.hash('not the password of anyone at all');

  async function read(userId: string) {
    const entry = await liveEntry(kv, userKey(userId));
    return entry && { stored: storedMember.parse(entry.json()), revision: entry.revision };
  }

  async function change(
    userId: string,
    apply: (stored: z.infer<typeof storedMember>) => z.infer<typeof storedMember>,
  ) {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await read(userId);
      if (!current) {
        throw new ClienteleError('unknown_staff', [
          { field: 'userId', message: `no member of staff is "${userId}"` },
        ]);
      }
      const next = storedMember.parse(apply(current.stored));
      try {
        await kv.update(userKey(userId), JSON.stringify(next), current.revision);
        return next.member;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
      }
    }
    throw new ClienteleError('busy', [], `staff member "${userId}" changed too often at once`);
  }

  return {
    async add(member, password) {
      const stored = storedMember.parse({ member, passwordHash: await hasher.hash(password) });
      try {
        await kv.create(userKey(member.userId), JSON.stringify(stored));
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        throw new ClienteleError('staff_exists', [
          { field: 'userId', message: `"${member.userId}" is taken` },
        ]);
      }
      return stored.member;
    },
    async get(userId) {
      return (await read(userId))?.stored.member;
    },
    async list() {
      const members: StaffMember[] = [];
      for await (const key of await kv.keys('user.>')) {
        const found = await read(key.slice('user.'.length));
        if (found) members.push(found.stored.member);
      }
      return members.sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
    },
    async update(userId, apply, { password } = {}) {
      const passwordHash = password === undefined ? undefined : await hasher.hash(password);
      return change(userId, (stored) => {
        const member = staffMember.safeParse(apply(stored.member));
        if (!member.success) {
          throw new ClienteleError('invalid_request', issuesOf(member.error.issues));
        }
        return { member: member.data, passwordHash: passwordHash ?? stored.passwordHash };
      });
    },
    async verify(userId, password) {
      const found = staffId.safeParse(userId).success ? await read(userId) : undefined;
      const matches = await hasher.verify(found?.stored.passwordHash ?? unknownUserHash, password);
      if (!found || !matches || found.stored.member.disabledAt) return undefined;
      return found.stored.member;
    },
    async confidentialTo(customerId) {
      const entry = await liveEntry(kv, confidentialKey(customerId));
      return entry && confidentiality.parse(entry.json());
    },
    async makeConfidential({ customerId, by, at, ...asked }, record) {
      const visibleTo = [...new Set(asked.visibleTo)];
      const named: [field: string, userId: string][] = [
        ...visibleTo.map((userId, i): [string, string] => [`visibleTo.${i}`, userId]),
        ['by', by],
      ];
      for (const [field, userId] of named) {
        if (!(await read(userId))) {
          throw new ClienteleError('unknown_staff', [
            { field, message: `no member of staff is "${userId}"` },
          ]);
        }
      }
      await record?.(visibleTo);
      if (visibleTo.length === 0) {
        await kv.delete(confidentialKey(customerId));
      } else {
        const entry = { customerId, visibleTo, setBy: by, at: at.toISOString() };
        await kv.put(confidentialKey(customerId), JSON.stringify(confidentiality.parse(entry)));
      }
      return visibleTo;
    },
  };
}
