/**
 * Whether a signed-in person may open a customer's record: the customer's home store (their
 * preferred store, from the summary store) must be one of the person's stores, and a
 * confidential customer is for the staff named on them only (roles.ts says the rule; this reads
 * what it needs). A customer the engine does not know yet is for those who reach every store.
 */
import type { Context } from 'hono';
import type { SummaryStore } from '../../engine/customer-view/summary-store.ts';
import { ClienteleError } from '../../engine/domain/error-codes.ts';
import { customerId as customerIdSchema } from '../../engine/domain/events.ts';
import { reachesCustomer, type StaffMember } from '../../engine/domain/staff/roles.ts';
import type { AuditLog } from '../../engine/staff/audit-log.ts';
import type { StaffDirectory } from '../../engine/staff/staff-directory.ts';

export interface CustomerAccess {
  /**
   * When `member` may open the customer's record, what it says of where they belong (their home
   * store, if they have one); undefined when not. Nothing is audited.
   */
  reach(member: StaffMember, customerId: string): Promise<Reached | undefined>;
  /**
   * Undefined when `member` may open the customer's record; otherwise the refusal, written to
   * the audit log first (`asked` names the request, e.g. `GET /api/customers/:customerId`), so
   * every route that reads or changes a customer audits its refusals the same way.
   */
  check(
    member: StaffMember,
    customerId: string,
    asked: string,
  ): Promise<ClienteleError | undefined>;
}

export interface Reached {
  homeStoreId?: string;
}

/** How a request is named in the audit log: its method and route, never the customer's id. */
export const askedOf = (c: Context): string => `${c.req.method} ${c.req.routePath}`;

export function customerAccess(deps: {
  summaries: Pick<SummaryStore, 'read'>;
  directory: Pick<StaffDirectory, 'confidentialTo'>;
  audit: Pick<AuditLog, 'record'>;
}): CustomerAccess {
  async function reach(member: StaffMember, customerId: string) {
    const [summary, confidential] = await Promise.all([
      deps.summaries.read(customerId),
      deps.directory.confidentialTo(customerId),
    ]);
    const home = summary?.preferredStoreId ? { homeStoreId: summary.preferredStoreId } : {};
    const reached = reachesCustomer(member, {
      ...home,
      ...(confidential ? { confidentialTo: confidential.visibleTo } : {}),
    });
    return reached ? home : undefined;
  }
  return {
    reach,
    async check(member, customerId, asked) {
      if (!customerIdSchema.safeParse(customerId).success) {
        return new ClienteleError('invalid_request', [
          { field: 'customerId', message: 'is not a customer id' },
        ]);
      }
      if (await reach(member, customerId)) return undefined;
      await deps.audit.record({
        userId: member.userId,
        role: member.role,
        action: 'customer.refused',
        customerId,
        detail: asked,
      });
      // The same answer whatever the reason, so a refusal tells nothing of the customer.
      return new ClienteleError('forbidden', [
        {
          field: 'customerId',
          message: `customer ${customerId} is not for ${member.userId} to see`,
        },
      ]);
    },
  };
}
