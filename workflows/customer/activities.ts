/**
 * The customer workflow's side effects. Clients come in through the factory, so the worker
 * passes the real NATS connection and tests can pass their own.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Effects } from '../../engine/domain/customer/apply-event.ts';
import { cueSubject, ledgerSubject } from '../../engine/streams/topology.ts';

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
      await Promise.all([
        ...effects.ledger.map((entry) =>
          js.publish(ledgerSubject(entry.storeId), JSON.stringify(entry), { msgID: entry.entryId }),
        ),
        // Web-shop cues have no till: they go to `cues.<store>.web`.
        ...effects.cues.map((cue) =>
          js.publish(cueSubject(cue.storeId, cue.tillId ?? cue.channel), JSON.stringify(cue), {
            msgID: cue.cueId,
          }),
        ),
      ]);
    },
  };
}

export type CustomerActivities = ReturnType<typeof createActivities>;
