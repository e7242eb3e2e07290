/**
 * The audit log of staff actions on customers: every read of a customer's record (the 360 view,
 * the ledger and timeline, the state as of a date, a what-if), every search that found one, and
 * every change made to customers and to the staff themselves. One zod schema: published to
 * `audit.<action>`, stored in the analytics store's `audit_log`, answered by the `audit` question.
 *
 * No personal data: who (a staff id), which customer (an opaque id), what, and `detail` in the
 * console's words (how the customer was found: "by card", never the number or the phone).
 */
import { z } from 'zod';
import { customerId, instant } from '../events.ts';
import { staffId } from '../identity/messages.ts';
import { role } from './roles.ts';

export const auditActions = [
  /** The customer's record: the 360 view. */
  'customer.read',
  /** Their ledger, lots and timeline. */
  'customer.timeline',
  /** Their state rebuilt as of a moment. */
  'customer.state',
  /** Their period replayed under a candidate program (detail: the period). */
  'customer.what-if',
  /** A search that found them (detail: by what kind of identifier). */
  'customer.search',
  /** A refused read: the customer was not theirs to see. */
  'customer.refused',
  /** A service-desk change: points adjusted, a card blocked or linked, a merge. */
  'customer.change',
  /** Who may see a confidential customer changed. */
  'customer.confidential',
  /** A segment's or group's members exported. */
  'members.export',
  /** A draft program's what-if over every customer started (detail: the period). */
  'program.what-if',
  /**
   * A member of staff added, changed or disabled, on the Staff page or with `clientele staff`
   * (detail: who, and what).
   */
  'staff.add',
  'staff.change',
  'staff.disable',
] as const;
export const auditAction = z.enum(auditActions);
export type AuditAction = z.infer<typeof auditAction>;

export const auditEntry = z.strictObject({
  /** Unique: the message id, so a retried publish is one entry. */
  auditId: z.string().min(1).max(64),
  at: instant,
  userId: staffId,
  role,
  action: auditAction,
  customerId: customerId.optional(),
  /** What was done or seen, in the console's words; never personal data. */
  detail: z.string().max(500).default(''),
});
export type AuditEntry = z.infer<typeof auditEntry>;
export type AuditInput = z.input<typeof auditEntry>;
