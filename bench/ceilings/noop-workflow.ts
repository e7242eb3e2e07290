/**
 * The no-op workflow of the Temporal ceiling: long-lived like a customer workflow, it only counts
 * the signals and updates it receives, so a measure of it is Temporal's cost and nothing else.
 * Each handled call is also reported to the worker process through a sink (called once the
 * workflow task completes, never on replay), so the benchmark knows when the worker has handled
 * every signal without querying. Imports only @temporalio/workflow (bundled for the sandbox).
 */
import {
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxySinks,
  type Sinks,
  setHandler,
} from '@temporalio/workflow';

export const pingSignal = defineSignal<[]>('ping');
/** Answers the number of calls (signals and updates) handled so far, this one included. */
export const pingUpdate = defineUpdate<number, []>('pingUpdate');
export const stopSignal = defineSignal<[]>('stop');
export const countQuery = defineQuery<number>('count');

export interface BenchSinks extends Sinks {
  bench: { handled(): void };
}

const { bench } = proxySinks<BenchSinks>();

export async function noopWorkflow(): Promise<number> {
  let count = 0;
  let stopped = false;
  setHandler(pingSignal, () => {
    count += 1;
    bench.handled();
  });
  setHandler(pingUpdate, () => {
    count += 1;
    bench.handled();
    return count;
  });
  setHandler(stopSignal, () => {
    stopped = true;
  });
  setHandler(countQuery, () => count);
  await condition(() => stopped);
  return count;
}
