/**
 * The pool workflow's steps: the giving member's update, then the receiving member's, each
 * answer's ledger lines published and summary kept. What they use comes in through the factory.
 */
import type { Client } from '@temporalio/client';
import type { Effects } from '../../engine/domain/customer/account.ts';
import type { CustomerSummary } from '../../engine/domain/customer/summary.ts';
import type { PooledLot } from '../../engine/domain/loyalty/pooling.ts';
import { asked } from '../customer/client.ts';
import { customerWorkflowId, givePointsUpdate, receivePointsUpdate } from '../customer/messages.ts';
import type { PoolInput } from './messages.ts';

export interface PoolActivityDeps {
  temporal: Client;
  publish(effects: Effects): Promise<void>;
  keepSummary(summary: CustomerSummary): Promise<void>;
}

export function createPoolActivities(deps: PoolActivityDeps) {
  const customer = (id: string) => deps.temporal.workflow.getHandle(customerWorkflowId(id));
  return {
    async givePoints(p: PoolInput): Promise<{ points: number; lots: PooledLot[] }> {
      const answer = await asked(p.from, () =>
        customer(p.from).executeUpdate(givePointsUpdate, {
          args: [
            { transferId: p.transferId, to: p.to, points: p.points, storeId: p.storeId, at: p.at },
          ],
        }),
      );
      await Promise.all([deps.publish(answer.effects), deps.keepSummary(answer.summary)]);
      return { points: answer.points, lots: answer.lots };
    },
    async receivePoints(p: PoolInput, lots: PooledLot[]): Promise<number> {
      const answer = await asked(p.to, () =>
        customer(p.to).executeUpdate(receivePointsUpdate, {
          args: [{ transferId: p.transferId, from: p.from, lots, storeId: p.storeId, at: p.at }],
        }),
      );
      await Promise.all([deps.publish(answer.effects), deps.keepSummary(answer.summary)]);
      return answer.points;
    },
  };
}

export type PoolActivities = ReturnType<typeof createPoolActivities>;
