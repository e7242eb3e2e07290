/**
 * The customer workflow's side effects. What they use comes in through the factory (the worker's
 * composition passes the engine's one effects publisher; tests pass their own), so workflow code
 * depends on no stream or client.
 *
 * Used by what no delivery answers, the loyalty clock's expiries, warnings and tier reviews, and
 * by workflow histories from before effects travelled in the update's result (see `workflow.ts`):
 * those replay, and may still be running, through this local activity.
 */
import type { Effects } from '../../engine/domain/customer/account.ts';

export interface ActivityDeps {
  /**
   * Publishes ledger entries, cues, tier changes and triggers. At-least-once (a retried task
   * publishes again), made exactly-once downstream by message ids and the sink's idempotent
   * inserts.
   */
  publish(effects: Effects): Promise<void>;
}

export function createActivities({ publish }: ActivityDeps) {
  return {
    async publishEffects(effects: Effects): Promise<void> {
      await publish(effects);
    },
  };
}

export type CustomerActivities = ReturnType<typeof createActivities>;
