/**
 * The merge workflow's steps: updates on the two customer workflows, the identity index's move,
 * and what each step answers published (ledger lines) and kept (summaries). What they use comes
 * in through the factory. A customer workflow's refusal becomes a non-retryable failure of the
 * same type and details, so the merge workflow stops on it.
 */
import type { Client } from '@temporalio/client';
import type { Effects } from '../../engine/domain/customer/account.ts';
import type { CustomerState } from '../../engine/domain/customer/state.ts';
import type { CustomerSummary } from '../../engine/domain/customer/summary.ts';
import { asked } from '../customer/client.ts';
import {
  absorbUpdate,
  customerWorkflowId,
  handOverUpdate,
  releaseMergeUpdate,
  reserveMergeUpdate,
  settleMergeUpdate,
} from '../customer/messages.ts';
import type { MergeInput } from './messages.ts';

export interface MergeActivityDeps {
  temporal: Client;
  /** The identity index's move of everything `from` holds to `into` (`IdentityIndex.moveHolder`). */
  moveHolder(
    from: string,
    into: string,
    mark: { customerId: string; mergeId: string; at: string },
  ): Promise<void>;
  publish(effects: Effects): Promise<void>;
  keepSummary(summary: CustomerSummary): Promise<void>;
}

export function createMergeActivities(deps: MergeActivityDeps) {
  const customer = (id: string) => deps.temporal.workflow.getHandle(customerWorkflowId(id));
  return {
    async reserveSurvivor(m: MergeInput): Promise<void> {
      await asked(m.survivorCustomerId, () =>
        customer(m.survivorCustomerId).executeUpdate(reserveMergeUpdate, {
          args: [{ mergeId: m.mergeId, customerId: m.absorbedCustomerId, at: m.at }],
        }),
      );
    },
    async releaseSurvivor(m: MergeInput): Promise<void> {
      await asked(m.survivorCustomerId, () =>
        customer(m.survivorCustomerId).executeUpdate(releaseMergeUpdate, {
          args: [{ mergeId: m.mergeId }],
        }),
      );
    },
    async handOver(m: MergeInput): Promise<CustomerState> {
      return asked(m.absorbedCustomerId, () =>
        customer(m.absorbedCustomerId).executeUpdate(handOverUpdate, {
          args: [{ mergeId: m.mergeId, customerId: m.survivorCustomerId, at: m.at }],
        }),
      );
    },
    async absorb(m: MergeInput, state: CustomerState) {
      const answer = await asked(m.survivorCustomerId, () =>
        customer(m.survivorCustomerId).executeUpdate(absorbUpdate, {
          args: [
            {
              mergeId: m.mergeId,
              customerId: m.absorbedCustomerId,
              at: m.at,
              storeId: m.storeId,
              state,
            },
          ],
        }),
      );
      await Promise.all([deps.publish(answer.effects), deps.keepSummary(answer.summary)]);
      return { points: answer.points, repeated: answer.repeated };
    },
    async settleAbsorbed(m: MergeInput): Promise<void> {
      const answer = await asked(m.absorbedCustomerId, () =>
        customer(m.absorbedCustomerId).executeUpdate(settleMergeUpdate, {
          args: [{ mergeId: m.mergeId, storeId: m.storeId, at: m.at }],
        }),
      );
      await Promise.all([deps.publish(answer.effects), deps.keepSummary(answer.summary)]);
    },
    async moveIdentifiers(m: MergeInput): Promise<void> {
      await deps.moveHolder(m.absorbedCustomerId, m.survivorCustomerId, {
        customerId: m.survivorCustomerId,
        mergeId: m.mergeId,
        at: m.at,
      });
    },
  };
}

export type MergeActivities = ReturnType<typeof createMergeActivities>;
