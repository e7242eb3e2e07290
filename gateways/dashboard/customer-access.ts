/**
 * Whether a signed-in person may open a customer's record: the customer's home store (their
 * preferred store, from the summary store) must be one of the person's stores, and a
 * confidential customer is for the staff named on them only (roles.ts says the rule; this reads
 * what it needs). A customer the engine does not know yet is for those who reach every store.
 */
import type { SummaryStore } from '../../engine/customer-view/summary-store.ts';
import { ClienteleError } from '../../engine/domain/error-codes.ts';
import { customerId as customerIdSchema } from '../../engine/domain/events.ts';
import { reachesCustomer, type StaffMember } from '../../engine/domain/staff/roles.ts';
import type { StaffDirectory } from '../../engine/staff/staff-directory.ts';

export type CustomerAccess = (
  member: StaffMember,
  customerId: string,
) => Promise<ClienteleError | undefined>;

export function customerAccess(deps: {
  summaries: Pick<SummaryStore, 'read'>;
  directory: Pick<StaffDirectory, 'confidentialTo'>;
}): CustomerAccess {
  return async (member, customerId) => {
    if (!customerIdSchema.safeParse(customerId).success) {
      return new ClienteleError('invalid_request', [
        { field: 'customerId', message: 'is not a customer id' },
      ]);
    }
    const [summary, confidential] = await Promise.all([
      deps.summaries.read(customerId),
      deps.directory.confidentialTo(customerId),
    ]);
    const customer = {
      ...(summary?.preferredStoreId ? { homeStoreId: summary.preferredStoreId } : {}),
      ...(confidential ? { confidentialTo: confidential.visibleTo } : {}),
    };
    if (reachesCustomer(member, customer)) return undefined;
    // The same answer whatever the reason, so a refusal tells nothing of the customer.
    return new ClienteleError('forbidden', [
      { field: 'customerId', message: `customer ${customerId} is not for ${member.userId} to see` },
    ]);
  };
}
