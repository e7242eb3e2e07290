/**
 * How large the customers' workflow histories are: what a worker replays when a customer is not
 * in its cache. Each customer's current run is described (its events and bytes), and the runs
 * that ended by continuing as new are counted, so the figures show the history budget at work
 * (`temporal.historyBudgetKib`).
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { customerWorkflowId } from '../workflows/customer/messages.ts';
import { roundedPercentiles } from './checker.ts';

/** The customers among `customerIds` who have a workflow (some were never sent an event). */
export async function historyFigures(
  temporal: Client,
  customerIds: readonly string[],
  prefix: string,
  budgetKib: number,
) {
  const lengths: number[] = [];
  const kib: number[] = [];
  for (const customerId of customerIds) {
    const handle = temporal.workflow.getHandle(customerWorkflowId(customerId));
    const description = await handle.describe().catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
    if (!description) continue;
    lengths.push(description.historyLength);
    if (description.historySize !== undefined) kib.push(description.historySize / 1024);
  }
  const { count: continued } = await temporal.workflow.count(
    `WorkflowId STARTS_WITH '${customerWorkflowId(prefix)}' AND ExecutionStatus = 'ContinuedAsNew'`,
  );
  return {
    customers: lengths.length,
    budget_kib: budgetKib,
    /** Their current runs: events and KiB of history. */
    current_run_events: roundedPercentiles(lengths),
    current_run_kib: roundedPercentiles(kib),
    /** Runs of theirs that ended by continuing as new, in the whole benchmark. */
    runs_continued_as_new: continued,
  };
}
