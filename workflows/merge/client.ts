/**
 * Starting a merge and reading its outcome: the one way the engine asks for a merge. A merge of
 * a record already merged (by this merge id or another) is not started again: its outcome is
 * read, and a merge elsewhere is refused, naming where the record went.
 */
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ClienteleError, type ErrorCode, errorCodes } from '../../engine/domain/error-codes.ts';
import { CUSTOMER_MERGED, MERGE_REFUSED } from '../customer/messages.ts';
import { runOnce } from '../start-once.ts';
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
  let outcome: MergeOutcome;
  let repeated: boolean;
  try {
    ({ result: outcome, repeated } = await runOnce<typeof mergeWorkflow>(
      temporal,
      'mergeWorkflow',
      {
        workflowId: mergeWorkflowId(input.absorbedCustomerId),
        taskQueue,
        args: [input],
      },
    ));
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
