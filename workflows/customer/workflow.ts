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
import { applyEvent, type Effects } from '../../engine/domain/customer/apply-event.ts';
import {
  type CustomerState,
  initialState,
  snapshotOf,
} from '../../engine/domain/customer/state.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import type { CustomerActivities } from './activities.ts';
import { type CustomerWorkflowInput, deliverEventsUpdate, snapshotQuery } from './messages.ts';

const { publishEffects } = proxyLocalActivities<CustomerActivities>({
  startToCloseTimeout: '10 seconds',
  // Publishing is idempotent (message ids), so retrying it for as long as NATS is away is safe.
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

export async function customerWorkflow(input: CustomerWorkflowInput): Promise<void> {
  let state: CustomerState = input.carried?.state ?? initialState(input.customerId, input.program);
  const pending: CustomerEvent[] = [...(input.carried?.pending ?? [])];
  /** Events ever queued in this run, and how many of them are applied: update tickets. */
  let queued = pending.length;
  let done = 0;

  setHandler(deliverEventsUpdate, async (events) => {
    const before = state.eventsApplied;
    pending.push(...events);
    queued += events.length;
    const ticket = queued;
    await condition(() => done >= ticket);
    return { applied: state.eventsApplied - before, pointsBalance: state.pointsBalance };
  });
  setHandler(snapshotQuery, () => snapshotOf(state));

  for (;;) {
    await condition(() => pending.length > 0 || workflowInfo().continueAsNewSuggested);
    while (pending.length > 0) {
      const batch = pending.splice(0, pending.length);
      const effects: Effects = { ledger: [], cues: [] };
      for (const event of batch) {
        const applied = applyEvent(state, event);
        state = applied.state;
        effects.ledger.push(...applied.effects.ledger);
        effects.cues.push(...applied.effects.cues);
      }
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
        program: state.program,
        carried: { state, pending: [] },
      });
    }
  }
}
