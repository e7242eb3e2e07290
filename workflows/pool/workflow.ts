/**
 * Moves points from one member of a household to another: the donor gives them (its oldest
 * spendable lots), then the receiver takes them in as lots with the same dates, so they expire
 * when they would have. A refusal to give (not that many spendable points) ends the transfer
 * with nothing moved; once given, taking them in is asked until it is done, so no point is lost
 * between the two. Imports only @temporalio/workflow.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { PoolActivities } from './activities.ts';
import type { PoolInput, PoolOutcome } from './messages.ts';

const steps = proxyActivities<PoolActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '100 milliseconds',
    maximumInterval: '10 seconds',
    nonRetryableErrorTypes: ['PoolRefused', 'CustomerMerged', 'UnknownCustomer'],
  },
});

export async function poolWorkflow(input: PoolInput): Promise<PoolOutcome> {
  let given: Awaited<ReturnType<PoolActivities['givePoints']>>;
  try {
    given = await steps.givePoints(input);
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      throw ApplicationFailure.create({
        type: err.cause.type ?? 'PoolRefused',
        message: err.cause.message,
        details: err.cause.details ? [...err.cause.details] : [],
        nonRetryable: true,
      });
    }
    throw err;
  }
  await steps.receivePoints(input, given.lots);
  return { transferId: input.transferId, points: given.points };
}
