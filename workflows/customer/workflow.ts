/**
 * One long-lived workflow per customer. It applies each event with the pure customer rules and
 * hands the resulting ledger entries and cues to a local activity, so one event costs one
 * workflow task. Imports only @temporalio/workflow and pure modules.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { CustomerAccount, type Effects } from '../../engine/domain/customer/account.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import type { CustomerActivities } from './activities.ts';
import { type CustomerWorkflowInput, deliverEventsUpdate, snapshotQuery } from './messages.ts';

const { publishEffects } = proxyLocalActivities<CustomerActivities>({
  startToCloseTimeout: '10 seconds',
  // Publishing is idempotent (message ids), so retrying it for as long as NATS is away is safe.
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

export async function customerWorkflow(input: CustomerWorkflowInput): Promise<void> {
  // The rules apply events in place (O(1) each); the plain state is rebuilt only to carry it.
  const account = input.carried
    ? CustomerAccount.restore(input.carried.state)
    : CustomerAccount.open(input.customerId, input.program);
  const pending: CustomerEvent[] = [...(input.carried?.pending ?? [])];
  /** Events ever queued in this run, and how many of them are applied: update tickets. */
  let queued = pending.length;
  let done = 0;

  setHandler(deliverEventsUpdate, async (events) => {
    const before = account.eventsApplied;
    pending.push(...events);
    queued += events.length;
    const ticket = queued;
    await condition(() => done >= ticket);
    return { applied: account.eventsApplied - before, pointsBalance: account.pointsBalance };
  });
  setHandler(snapshotQuery, () => account.snapshot());

  for (;;) {
    await condition(() => pending.length > 0 || workflowInfo().continueAsNewSuggested);
    while (pending.length > 0) {
      const batch = pending.splice(0, pending.length);
      const effects: Effects = { ledger: [], cues: [] };
      for (const event of batch) account.apply(event, effects);
      if (effects.ledger.length > 0 || effects.cues.length > 0) {
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
        carried: { state: account.toState(), pending: [] },
      });
    }
  }
}
