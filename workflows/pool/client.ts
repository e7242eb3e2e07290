/**
 * Starting a transfer between household members and reading its outcome. A transfer asked again
 * (a till retrying its redemption) is not started again: its outcome is read.
 */
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
} from '@temporalio/client';
import { type PoolInput, type PoolOutcome, poolWorkflowId } from './messages.ts';
import type { poolWorkflow } from './workflow.ts';

/** The points moved; undefined when the giving member refused (fewer spendable points by now). */
export async function poolPoints(
  temporal: Client,
  taskQueue: string,
  input: PoolInput,
): Promise<PoolOutcome | undefined> {
  const workflowId = poolWorkflowId(input.transferId);
  try {
    await temporal.workflow.start<typeof poolWorkflow>('poolWorkflow', {
      workflowId,
      taskQueue,
      args: [input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  try {
    return await temporal.workflow.getHandle<typeof poolWorkflow>(workflowId).result();
  } catch (err) {
    if (err instanceof WorkflowFailedError) return undefined;
    throw err;
  }
}
