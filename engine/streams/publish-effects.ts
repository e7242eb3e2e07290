/**
 * Publishes what a customer workflow's events caused: ledger lines to `LEDGER`, cues (worded
 * here: wording is presentation, not a rule) to `CUES`, tier changes and triggers to `LOYALTY`,
 * lifecycle triggers to `TRIGGERS`, segment entries and exits to `SEGMENTS`.
 * Idempotent by message id (`entryId`, `cueId`, and ids made from what a tier change or trigger
 * is about), so publishing the same effects again, after a crash or a retry, adds nothing within
 * the duplicate window, and the sink's replacing tables absorb what comes after it.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { withWording } from '../domain/cue-wording.ts';
import type { Effects } from '../domain/customer/account.ts';
import { lifecycleTriggerId, segmentChangeId } from '../domain/effects.ts';
import {
  cueSubject,
  ledgerSubject,
  lifecycleSubject,
  segmentSubject,
  tierSubject,
  triggerSubject,
} from './topology.ts';

type Trigger = NonNullable<Effects['triggers']>[number];

/** The same trigger always gets the same id, whichever workflow task produced it. */
export function triggerId(trigger: Trigger): string {
  switch (trigger.kind) {
    case 'points-expiring':
    case 'inactivity-expiry-coming':
      return `${trigger.customerId}/${trigger.kind}/${trigger.expiresAt}`;
    case 'points-expired':
      return `${trigger.customerId}/${trigger.kind}/${trigger.cause}/${trigger.at}`;
    case 'earn-refused':
    case 'adjustment-clipped':
    case 'return-after-period':
    case 'return-refused':
      return `${trigger.customerId}/${trigger.kind}/${trigger.eventId}`;
  }
}

export async function publishEffects(js: JetStreamClient, effects: Effects): Promise<void> {
  await Promise.all([
    ...(effects.tierChanges ?? []).map((change) =>
      js.publish(tierSubject(change.customerId), JSON.stringify(change), {
        msgID: `${change.customerId}/tier/${change.at}/${change.from}-${change.to}`,
      }),
    ),
    ...(effects.triggers ?? []).map((trigger) =>
      js.publish(triggerSubject(trigger.customerId), JSON.stringify(trigger), {
        msgID: triggerId(trigger),
      }),
    ),
    ...(effects.lifecycle ?? []).map((fired) =>
      js.publish(lifecycleSubject(fired.customerId), JSON.stringify(fired), {
        msgID: lifecycleTriggerId(fired),
      }),
    ),
    ...(effects.segments ?? []).map((change) =>
      js.publish(segmentSubject(change.customerId), JSON.stringify(change), {
        msgID: segmentChangeId(change),
      }),
    ),
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
