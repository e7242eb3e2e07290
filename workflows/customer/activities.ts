/**
 * The customer workflow's side effects. Clients come in through the factory, so the worker
 * passes the real NATS connection and tests can pass their own.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { withWording } from '../../engine/domain/cue-wording.ts';
import type { Effects } from '../../engine/domain/customer/account.ts';
import { cueSubject, ledgerSubject } from '../../engine/streams/topology.ts';

export interface ActivityDeps {
  js: JetStreamClient;
}

export function createActivities({ js }: ActivityDeps) {
  return {
    /**
     * Publishes ledger entries and cues, the cues worded here rather than in the workflow
     * (wording is presentation, and workflow code re-runs on every replay). At-least-once (a
     * retried task publishes again), made exactly-once downstream by message ids and the sink's
     * idempotent inserts.
     */
    async publishEffects(effects: Effects): Promise<void> {
      await Promise.all([
        ...effects.ledger.map((entry) =>
          js.publish(ledgerSubject(entry.storeId), JSON.stringify(entry), { msgID: entry.entryId }),
        ),
        // Web-shop cues have no till: they go to `cues.<store>.web`.
        ...effects.cues.map((facts) =>
          js.publish(
            cueSubject(facts.storeId, facts.tillId ?? facts.channel),
            JSON.stringify(withWording(facts)),
            { msgID: facts.cueId },
          ),
        ),
      ]);
    },
  };
}

export type CustomerActivities = ReturnType<typeof createActivities>;
