/**
 * Publishes what a customer workflow's events caused: ledger lines to `LEDGER`, cues (worded
 * here: wording is presentation, not a rule) to `CUES`. Idempotent by message id (`entryId`,
 * `cueId`), so publishing the same effects again, after a crash or a retry, adds nothing within
 * the duplicate window, and the sink's replacing tables absorb what comes after it.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { withWording } from '../domain/cue-wording.ts';
import type { Effects } from '../domain/customer/account.ts';
import { cueSubject, ledgerSubject } from './topology.ts';

export async function publishEffects(js: JetStreamClient, effects: Effects): Promise<void> {
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
}
