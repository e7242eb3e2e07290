/**
 * Merges one customer's record into another's, as a saga of updates on the two customer
 * workflows (each step an activity, repeated until it is answered, and each answering the same
 * when repeated):
 *
 * 1. the survivor is reserved, so it cannot be merged elsewhere meanwhile;
 * 2. the absorbed customer hands over its state and applies nothing from then on (its events
 *    and requests are refused with where it went, and the router sends them there);
 * 3. the survivor absorbs the state: points, lots, history, tier metrics;
 * 4. the absorbed customer gives up its points;
 * 5. its cards, contacts and account number move to the survivor in the identity index.
 *
 * A refusal at 1 or 2 (the survivor was merged itself, the absorbed customer elsewhere, a merge
 * the other way round under way) fails the merge with nothing changed; after 2 it can only go
 * forward. Imports only @temporalio/workflow.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { MergeActivities } from './activities.ts';
import type { MergeInput, MergeOutcome } from './messages.ts';

const steps = proxyActivities<MergeActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    maximumInterval: '10 seconds',
    // A refusal is an answer: asking again gets the same.
    nonRetryableErrorTypes: ['MergeRefused', 'CustomerMerged', 'UnknownCustomer'],
  },
});

/** The refusal an activity failed with, as this workflow's own failure (same type, details). */
function refusal(err: unknown): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      type: err.cause.type ?? 'MergeRefused',
      message: err.cause.message,
      details: err.cause.details ? [...err.cause.details] : [],
      nonRetryable: true,
    });
  }
  return err;
}

export async function mergeWorkflow(input: MergeInput): Promise<MergeOutcome> {
  try {
    await steps.reserveSurvivor(input);
  } catch (err) {
    throw refusal(err);
  }
  let state: Awaited<ReturnType<MergeActivities['handOver']>>;
  try {
    state = await steps.handOver(input);
  } catch (err) {
    await steps.releaseSurvivor(input);
    throw refusal(err);
  }
  const absorbed = await steps.absorb(input, state);
  await steps.settleAbsorbed(input);
  await steps.moveIdentifiers(input);
  return {
    mergeId: input.mergeId,
    absorbedCustomerId: input.absorbedCustomerId,
    survivorCustomerId: input.survivorCustomerId,
    points: absorbed.points,
  };
}
