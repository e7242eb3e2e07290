/**
 * The people who sign in to the console, what each role may do, and which stores each reaches.
 * Pure: the console gateway asks these functions on every page, API call and socket room; the
 * browser is only ever told the answers.
 *
 * A person with `stores` reaches those stores' figures and customers only; without, every store.
 * Store managers and associates always have stores.
 */
import { z } from 'zod';
import { instant, personal, storeId } from '../events.ts';
import { staffId } from '../identity/messages.ts';

export const roles = ['marketer', 'store-manager', 'associate', 'service-desk', 'admin'] as const;
export const role = z.enum(roles);
export type Role = z.infer<typeof role>;

/** Roles that work in particular stores and must name them. */
const storeBound: readonly Role[] = ['store-manager', 'associate'];

/**
 * What a role may do. `figures`: the console's figures; `customers.read`: search customers and
 * open their records; `customers.act`: the service desk's actions (adjust points, block or link a
 * card, merge); `segments`: define and save segments and groups; `segments.export`: export their
 * members; `programs`: the program calendar and the what-if of a draft; `stores`: the stores page;
 * `staff`: users, roles and confidential customers.
 */
export const permissions = [
  'figures',
  'customers.read',
  'customers.act',
  'segments',
  'segments.export',
  'programs',
  'stores',
  'staff',
] as const;
export type Permission = (typeof permissions)[number];

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  marketer: ['figures', 'customers.read', 'segments', 'segments.export', 'programs', 'stores'],
  'store-manager': ['figures', 'customers.read', 'stores'],
  associate: ['customers.read'],
  'service-desk': ['customers.read', 'customers.act'],
  admin: [...permissions],
};

/** What each role is for, in the words of `clientele staff add --help` and the README. */
export const ROLE_MEANINGS: Readonly<Record<Role, string>> = {
  marketer: 'the console, customers, segments and exports, programs, stores',
  'store-manager': "their stores' figures, customers and page",
  associate: "their stores' customers (clienteling)",
  'service-desk': "customers, and the service desk's actions on them",
  admin: 'everything, and the staff',
};

export const staffName = personal(z.string().trim().min(1).max(100));

/** A person as the staff directory keeps them (without the password hash). */
export const staffMember = z
  .strictObject({
    userId: staffId,
    /** As shown in the console's header. Personal data of the staff member. */
    name: staffName,
    role,
    /** The stores they work in; absent: every store. */
    stores: z.array(storeId).min(1).optional(),
    createdAt: instant,
    /** Signed-in sessions are refused from then on. */
    disabledAt: instant.optional(),
  })
  .superRefine((member, ctx) => {
    if (storeBound.includes(member.role) && member.stores === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['stores'],
        message: `are needed: the ${member.role} role works in named stores`,
      });
    }
  });
export type StaffMember = z.infer<typeof staffMember>;

/** Who is signed in, as the gateway and the page see it. */
export type Principal = Pick<StaffMember, 'userId' | 'name' | 'role' | 'stores'>;

export const may = (who: Pick<Principal, 'role'>, permission: Permission): boolean =>
  ROLE_PERMISSIONS[who.role].includes(permission);

/** Whether the person reaches this store (a store id) at all. */
export const reachesStore = (who: Pick<Principal, 'stores'>, store: string): boolean =>
  who.stores === undefined || who.stores.includes(store);

/** Whether the person reaches every store (so figures for all stores at once). */
export const reachesAllStores = (who: Pick<Principal, 'stores'>): boolean =>
  who.stores === undefined;

/**
 * Whether the person may open this customer's record: their home store (preferred, else where
 * they registered) must be one of the person's stores; a customer with no home store is for
 * those who reach every store. A confidential customer is for the staff named on them only.
 */
export function reachesCustomer(
  who: Pick<Principal, 'userId' | 'stores'>,
  customer: { homeStoreId?: string; confidentialTo?: readonly string[] },
): boolean {
  if (customer.confidentialTo !== undefined && !customer.confidentialTo.includes(who.userId)) {
    return false;
  }
  if (who.stores === undefined) return true;
  return customer.homeStoreId !== undefined && who.stores.includes(customer.homeStoreId);
}

/** The least a password must be: long enough that a guess at the sign-in page is hopeless. */
export const password = z
  .string()
  .min(12, 'must have at least 12 characters')
  .max(256, 'must have at most 256 characters');
