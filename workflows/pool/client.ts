/**
 * Starting a transfer between household members and reading its outcome. A transfer asked again
 * (a till retrying its redemption) is not started again: its outcome is read.
 */
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { runOnce } from '../start-once.ts';
import { type PoolInput, type PoolOutcome, poolWorkflowId } from './messages.ts';
import type { poolWorkflow } from './workflow.ts';

/** The points moved; undefined when the giving member refused (fewer spendable points by now). */
export async function poolPoints(
  temporal: Client,
  taskQueue: string,
  input: PoolInput,
): Promise<PoolOutcome | undefined> {
  try {
    const { result } = await runOnce<typeof poolWorkflow>(temporal, 'poolWorkflow', {
      workflowId: poolWorkflowId(input.transferId),
      taskQueue,
      args: [input],
    });
    return result;
  } catch (err) {
    if (err instanceof WorkflowFailedError) return undefined;
    throw err;
  }
}
