/**
 * One long-lived workflow per customer. It applies each batch of events with the customer rules
 * and answers what they caused (ledger lines, cues) in the delivering update's result; the router
 * publishes them. So a delivery costs one workflow task and no activity: publishing from a local
 * activity held every workflow task open for a NATS round trip and cost a second activation
 * (about a fifth of the end-to-end throughput, bench/README.md).
 *
 * Effects stay in an outbox until a later delivery says they were published, so a router that
 * crashed between the answer and publishing is given them again. Imports only
 * @temporalio/workflow and pure modules.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { CustomerAccount, type Effects, noEffects } from '../../engine/domain/customer/account.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import type { CustomerActivities } from './activities.ts';
import {
  type CustomerWorkflowInput,
  deliverEventsUpdate,
  type OutboxEntry,
  snapshotQuery,
} from './messages.ts';

/** Histories from before this patch published effects from a local activity. */
export const EFFECTS_IN_RESULT_PATCH = 'effects-in-update-result';

/** Deliveries whose effects are kept unconfirmed at most (a router that never confirms). */
const OUTBOX_LIMIT = 50;

const { publishEffects } = proxyLocalActivities<CustomerActivities>({
  startToCloseTimeout: '10 seconds',
  // Publishing is idempotent (message ids), so retrying it for as long as NATS is away is safe.
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

function merged(outbox: readonly OutboxEntry[]): Effects {
  const effects = noEffects();
  for (const entry of outbox) {
    effects.ledger.push(...entry.effects.ledger);
    effects.cues.push(...entry.effects.cues);
  }
  return effects;
}

export async function customerWorkflow(input: CustomerWorkflowInput): Promise<void> {
  // The rules apply events in place (O(1) each); the plain state is rebuilt only to carry it.
  const account = input.carried
    ? CustomerAccount.restore(input.carried.state)
    : CustomerAccount.open(input.customerId, input.program);
  const pending: CustomerEvent[] = [...(input.carried?.pending ?? [])];
  /** Events ever queued in this run, and how many of them are applied: update tickets. */
  let queued = pending.length;
  let done = 0;
  let outbox: OutboxEntry[] = [...(input.carried?.outbox ?? [])];
  let deliveries = input.carried?.deliveries ?? 0;

  setHandler(deliverEventsUpdate, async (events, options) => {
    const through = options?.publishedThrough;
    if (through !== undefined) outbox = outbox.filter((entry) => entry.delivery > through);
    const before = account.eventsApplied;
    pending.push(...events);
    queued += events.length;
    const ticket = queued;
    await condition(() => done >= ticket);
    const receipt = {
      applied: account.eventsApplied - before,
      pointsBalance: account.pointsBalance,
    };
    // Old histories published from the activity and answered without effects.
    if (outbox.length === 0 && deliveries === 0) return receipt;
    return { ...receipt, effects: merged(outbox), delivery: deliveries };
  });
  setHandler(snapshotQuery, () => account.snapshot());

  for (;;) {
    await condition(() => pending.length > 0 || workflowInfo().continueAsNewSuggested);
    while (pending.length > 0) {
      const batch = pending.splice(0, pending.length);
      const effects = noEffects();
      for (const event of batch) account.apply(event, effects);
      const caused = effects.ledger.length > 0 || effects.cues.length > 0;
      if (patched(EFFECTS_IN_RESULT_PATCH)) {
        deliveries += 1;
        if (caused) outbox.push({ delivery: deliveries, effects });
        if (outbox.length > OUTBOX_LIMIT) outbox = outbox.slice(outbox.length - OUTBOX_LIMIT);
      } else if (caused) {
        await publishEffects(effects);
      }
      done += batch.length;
    }
    if (workflowInfo().continueAsNewSuggested) {
      // Let every delivery finish (its events applied) before rolling over; events that come
      // in meanwhile are applied first.
      await condition(() => pending.length > 0 || allHandlersFinished());
      if (pending.length > 0) continue;
      await continueAsNew<typeof customerWorkflow>({
        customerId: input.customerId,
        program: account.program,
        carried: { state: account.toState(), pending: [], outbox, deliveries },
      });
    }
  }
}
