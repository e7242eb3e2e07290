/**
 * Starting a workflow that must happen once for its id (the merge of one record, one household
 * transfer): started unless a workflow with that id is running or completed; a failed one (a
 * refusal) may be started again. Then its outcome is waited for either way.
 */
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowResultType,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';

/** The workflow's result, and whether it was there already (this call did not start it). */
export async function runOnce<W extends Workflow>(
  temporal: Client,
  type: string,
  options: WorkflowStartOptions<W>,
): Promise<{ result: WorkflowResultType<W>; repeated: boolean }> {
  let repeated = false;
  try {
    await temporal.workflow.start<W>(type, {
      ...options,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    repeated = true;
  }
  const result = await temporal.workflow.getHandle<W>(options.workflowId).result();
  return { result, repeated };
}
