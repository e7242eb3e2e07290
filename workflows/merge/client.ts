/**
 * Starting a merge and reading its outcome: the one way the engine asks for a merge. A merge of
 * a record already merged (by this merge id or another) is not started again: its outcome is
 * read, and a merge elsewhere is refused, naming where the record went.
 */
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ClienteleError, type ErrorCode, errorCodes } from '../../engine/domain/error-codes.ts';
import { CUSTOMER_MERGED, MERGE_REFUSED } from '../customer/messages.ts';
import { type MergeInput, type MergeOutcome, mergeWorkflowId } from './messages.ts';
import type { mergeWorkflow } from './workflow.ts';

/** A merge's failure as an error of the table, naming the field it is about. */
function refusalOf(err: WorkflowFailedError, input: MergeInput): ClienteleError | undefined {
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const detail = (cause.details?.[0] ?? {}) as {
    customerId?: string;
    code?: string;
    field?: string;
    message?: string;
  };
  switch (cause.type) {
    case CUSTOMER_MERGED:
      return merged(detail.field ?? 'absorbedCustomerId', detail.customerId ?? '?');
    case 'UnknownCustomer':
      return new ClienteleError('unknown_customer', [
        {
          field:
            detail.customerId === input.absorbedCustomerId
              ? 'absorbedCustomerId'
              : 'survivorCustomerId',
          message: 'is no customer of this engine',
        },
      ]);
    case MERGE_REFUSED: {
      const code = (
        detail.code && detail.code in errorCodes ? detail.code : 'invalid_request'
      ) as ErrorCode;
      return new ClienteleError(code, [
        { field: detail.field ?? 'mergeId', message: detail.message ?? cause.message },
      ]);
    }
  }
  return undefined;
}

const merged = (field: string, into: string) =>
  new ClienteleError('customer_merged', [{ field, message: `was merged into ${into}` }]);

/**
 * Merges `absorbedCustomerId` into `survivorCustomerId` (or finds that it was): the outcome, and
 * whether this call found it done. Throws a `ClienteleError` for a refusal.
 */
export async function mergeCustomer(
  temporal: Client,
  taskQueue: string,
  input: MergeInput,
): Promise<MergeOutcome & { repeated: boolean }> {
  const workflowId = mergeWorkflowId(input.absorbedCustomerId);
  let repeated = false;
  try {
    await temporal.workflow.start<typeof mergeWorkflow>('mergeWorkflow', {
      workflowId,
      taskQueue,
      args: [input],
      // A refused merge may be asked again later; a completed one stands.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    repeated = true;
  }
  let outcome: MergeOutcome;
  try {
    outcome = await temporal.workflow.getHandle<typeof mergeWorkflow>(workflowId).result();
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const refusal = refusalOf(err, input);
      if (refusal) throw refusal;
    }
    throw err;
  }
  if (outcome.survivorCustomerId !== input.survivorCustomerId) {
    throw merged('absorbedCustomerId', outcome.survivorCustomerId);
  }
  return { ...outcome, repeated: repeated || outcome.mergeId !== input.mergeId };
}
