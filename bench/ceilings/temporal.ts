/**
 * Ceiling: Temporal calls per second to a no-op workflow, served by a worker with the same
 * settings as the customer worker (`workflows/worker.ts`), on a task queue of its own.
 *
 * Calls are spread over `workflows` workflow ids with `inFlight` calls outstanding at once and at
 * most one per workflow, as the router delivers. `calls_per_s` runs from the first call to the
 * last call's completion: for update-with-start a call completes once the worker ran the update;
 * for signal-with-start once the server stored the signal, so `handled_calls_per_s` also waits
 * until the worker has handled every signal (reported by the workflow through a sink).
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import type { InjectedSinks } from '@temporalio/worker';
import {
  bundleWorkflowCode,
  NativeConnection,
  Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import type { Settings } from '../../config/settings.ts';
import {
  installTemporalRuntime,
  quietBundlerLogger,
  workerTuning,
} from '../../workflows/worker.ts';
import { type BenchSinks, type noopWorkflow, pingSignal, pingUpdate } from './noop-workflow.ts';

export type TemporalCeilingMode = 'signal-with-start' | 'update-with-start';

export interface TemporalCeilingOptions {
  temporal: Client;
  temporalAddress: string;
  settings: Settings;
  /** Distinct workflow ids the calls are spread over. */
  workflows: number;
  /** Calls outstanding at once (at most one per workflow). */
  inFlight: number;
  mode: TemporalCeilingMode;
  /** Total calls; defaults to 5 per workflow. */
  calls?: number;
  /** A bundle of `noop-workflow.ts` to reuse; bundled (once per process) when absent. */
  bundle?: WorkflowBundle;
}

export interface TemporalCeilingResult {
  mode: TemporalCeilingMode;
  calls_per_s: number;
  /** Calls per second until the worker had handled every call (equal to `calls_per_s` for updates). */
  handled_calls_per_s: number;
  workflows: number;
  calls: number;
  in_flight: number;
  duration_ms: number;
  call_latency_ms: { p50: number; p95: number; p99: number; max: number };
  /** Calls that failed and were sent again (not counted in `calls`). */
  retries: number;
}

const noopWorkflowsPath = fileURLToPath(new URL('./noop-workflow.ts', import.meta.url));
let sharedBundle: Promise<WorkflowBundle> | undefined;
export function bundleNoopWorkflow(): Promise<WorkflowBundle> {
  sharedBundle ??= bundleWorkflowCode({
    workflowsPath: noopWorkflowsPath,
    logger: quietBundlerLogger,
  });
  return sharedBundle;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** Runs `task(i)` for i in [0, count) with at most `limit` at once. */
async function eachLimited(count: number, limit: number, task: (i: number) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  });
  await Promise.all(lanes);
}

export async function measureTemporal(
  options: TemporalCeilingOptions,
): Promise<TemporalCeilingResult> {
  const { temporal, settings, mode } = options;
  const workflows = Math.max(1, Math.floor(options.workflows));
  const calls = Math.max(1, Math.floor(options.calls ?? workflows * 5));
  const inFlight = Math.max(1, Math.min(Math.floor(options.inFlight), workflows));
  const runId = randomUUID().slice(0, 8);
  const taskQueue = `bench-noop-${runId}`;
  const workflowId = (i: number) => `bench-noop/${runId}/${i}`;

  installTemporalRuntime(settings.logLevel);
  const workflowBundle = options.bundle ?? (await bundleNoopWorkflow());
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  /** Calls the worker has handled, and a wait for a number of them. */
  let handledCalls = 0;
  let waiting: { target: number; resolve: () => void } | undefined;
  const sinks: InjectedSinks<BenchSinks> = {
    bench: {
      handled: {
        fn: () => {
          handledCalls += 1;
          if (waiting && handledCalls >= waiting.target) waiting.resolve();
        },
      },
    },
  };
  const handledAtLeast = (target: number, ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (handledCalls >= target) return resolve();
      const timer = setTimeout(
        () =>
          reject(new Error(`the worker handled ${handledCalls} of ${target} calls in ${ms} ms`)),
        ms,
      );
      waiting = {
        target,
        resolve: () => {
          clearTimeout(timer);
          waiting = undefined;
          resolve();
        },
      };
    });
  try {
    worker = await Worker.create({
      connection,
      namespace: settings.temporal.namespace,
      taskQueue,
      workflowBundle,
      sinks,
      // The customer worker registers (local) activities, so it polls for activity tasks too.
      activities: { noop: async () => {} },
      // The customer worker's settings, so the ceiling is what that worker could do.
      ...workerTuning(settings),
    });
    running = worker.run();

    const start = (id: string) =>
      new WithStartWorkflowOperation<typeof noopWorkflow>('noopWorkflow', {
        workflowId: id,
        taskQueue,
        args: [],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    const call = async (id: string) => {
      if (mode === 'update-with-start') {
        await temporal.workflow.executeUpdateWithStart(pingUpdate, {
          args: [],
          startWorkflowOperation: start(id),
        });
      } else {
        await temporal.workflow.signalWithStart<typeof noopWorkflow, []>('noopWorkflow', {
          workflowId: id,
          taskQueue,
          args: [],
          signal: pingSignal,
          signalArgs: [],
        });
      }
    };

    // Not timed: the worker's pollers are up and the sandbox is warm before the clock starts.
    await call(`bench-noop/${runId}/warm-up`);
    await handledAtLeast(1, 60_000);
    handledCalls = 0;

    // Calls per workflow: as even as possible; a workflow is in the ready queue only while it
    // has no call outstanding, so each has at most one in flight.
    const remaining = Array.from(
      { length: workflows },
      (_, i) => Math.floor(calls / workflows) + (i < calls % workflows ? 1 : 0),
    );
    const ready: number[] = [];
    for (let i = 0; i < workflows; i++) if ((remaining[i] as number) > 0) ready.push(i);
    let head = 0;
    const latencies: number[] = [];
    let retries = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (head < ready.length) {
          const w = ready[head++] as number;
          for (let attempt = 1; ; attempt++) {
            const t = performance.now();
            try {
              await call(workflowId(w));
              latencies.push(performance.now() - t);
              break;
            } catch (err) {
              if (attempt >= 5) throw err;
              retries += 1;
              await sleep(50 * 2 ** attempt);
            }
          }
          remaining[w] = (remaining[w] as number) - 1;
          if ((remaining[w] as number) > 0) ready.push(w);
        }
      }),
    );
    const callsDone = performance.now();

    // Signals are stored before the worker sees them: wait until it has handled every one.
    await handledAtLeast(calls, 120_000);
    const handled = performance.now();

    // Not timed: nothing of the run is left running (the dev server's data is thrown away too).
    await eachLimited(workflows + 1, 32, async (i) => {
      const id = i === workflows ? `bench-noop/${runId}/warm-up` : workflowId(i);
      await temporal.workflow
        .getHandle(id)
        .terminate('benchmark finished')
        .catch(() => {});
    });

    latencies.sort((a, b) => a - b);
    const round = (ms: number) => Math.round(ms * 10) / 10;
    return {
      mode,
      calls_per_s: calls / ((callsDone - started) / 1000),
      handled_calls_per_s: calls / ((handled - started) / 1000),
      workflows,
      calls,
      in_flight: inFlight,
      duration_ms: Math.round(callsDone - started),
      call_latency_ms: {
        p50: round(percentile(latencies, 50)),
        p95: round(percentile(latencies, 95)),
        p99: round(percentile(latencies, 99)),
        max: round(percentile(latencies, 100)),
      },
      retries,
    };
  } finally {
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => {});
    await connection.close();
  }
}
