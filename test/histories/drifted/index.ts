/**
 * The customer workflow with one unpatched change (effects are no longer published from a local
 * activity). Replaying a recorded history against it must fail with a determinism violation:
 * that is what proves the replay test can catch drift.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { CustomerAccount } from '../../../engine/domain/customer/account.ts';
import { applyEvent } from '../../../engine/domain/customer/apply-event.ts';
import { type CustomerState, initialState } from '../../../engine/domain/customer/state.ts';
import type { CustomerEvent } from '../../../engine/domain/events.ts';
import {
  type CustomerWorkflowInput,
  deliverEventsUpdate,
  snapshotQuery,
} from '../../../workflows/customer/messages.ts';

export async function customerWorkflow(input: CustomerWorkflowInput): Promise<void> {
  let state: CustomerState = input.carried?.state ?? initialState(input.customerId, input.program);
  const pending: CustomerEvent[] = [...(input.carried?.pending ?? [])];
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
  setHandler(snapshotQuery, () =>
    CustomerAccount.restore(state).snapshot(new Date(Date.now()).toISOString()),
  );
  for (;;) {
    await condition(() => pending.length > 0 || workflowInfo().continueAsNewSuggested);
    const batch = pending.splice(0, pending.length);
    for (const event of batch) state = applyEvent(state, event).state; // the drift: nothing published
    done += batch.length;
    if (workflowInfo().continueAsNewSuggested) {
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
