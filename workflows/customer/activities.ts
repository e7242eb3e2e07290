/**
 * The customer workflow's side effects. Clients come in through the factory, so the worker
 * passes the real NATS connection and tests can pass their own.
 *
 * Used by what no delivery answers, the loyalty clock's expiries, warnings and tier reviews, and
 * by workflow histories from before effects travelled in the update's result (see `workflow.ts`):
 * those replay, and may still be running, through this local activity.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Effects } from '../../engine/domain/customer/account.ts';
import { publishEffects } from '../../engine/streams/publish-effects.ts';

export interface ActivityDeps {
  js: JetStreamClient;
}

export function createActivities({ js }: ActivityDeps) {
  return {
    /**
     * Publishes ledger entries and cues. At-least-once (a retried task publishes again), made
     * exactly-once downstream by message ids and the sink's idempotent inserts.
     */
    async publishEffects(effects: Effects): Promise<void> {
      await publishEffects(js, effects);
    },
  };
}

export type CustomerActivities = ReturnType<typeof createActivities>;
