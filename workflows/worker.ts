/**
 * Builds the Temporal worker that serves customer workflows. The caller owns the connections;
 * the bundle can be built once and shared by several workers (tests restart workers often).
 */
import { fileURLToPath } from 'node:url';
import {
  bundleWorkflowCode,
  DefaultLogger,
  type LogLevel,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import type { Settings } from '../config/settings.ts';
import { type ActivityDeps, createActivities } from './customer/activities.ts';
import { createMergeActivities, type MergeActivityDeps } from './merge/activities.ts';
import { createPoolActivities } from './pool/activities.ts';

export const workflowsPath = fileURLToPath(new URL('./index.ts', import.meta.url));

export async function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
}

const noop = () => {};
/** Keeps webpack's chatter out of the logs when bundling workflow code; errors still show. */
export const quietBundlerLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: console.error,
  log: noop,
};

export interface CustomerWorkerOptions {
  settings: Settings;
  temporalAddress: string;
  /** How the workflow's local activity publishes effects (the engine's effects publisher). */
  publish: ActivityDeps['publish'];
  /** What the merge and pool workflows' steps use (absent: this worker runs none of them). */
  merges?: Omit<MergeActivityDeps, 'publish'>;
  bundle?: WorkflowBundle;
}

/** The worker settings every worker of ours runs with (the benchmark's no-op worker too). */
export function workerTuning(settings: Settings) {
  return {
    maxCachedWorkflows: settings.worker.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: settings.worker.maxConcurrentWorkflowTaskExecutions,
    maxConcurrentLocalActivityExecutions: settings.worker.maxConcurrentLocalActivityExecutions,
    maxConcurrentWorkflowTaskPolls: Math.min(
      settings.worker.maxConcurrentWorkflowTaskPolls,
      settings.worker.maxConcurrentWorkflowTaskExecutions,
    ),
  };
}

/**
 * Temporal's native runtime is a process-wide singleton that logs through our level; install it
 * unless one exists (it shuts itself down once no worker or connection uses it).
 */
export function installTemporalRuntime(level: Settings['logLevel']) {
  if (Runtime._instance !== undefined) return;
  const temporalLevel: LogLevel = level === 'fatal' ? 'ERROR' : (level.toUpperCase() as LogLevel);
  Runtime.install({ logger: new DefaultLogger(temporalLevel) });
}

export async function createCustomerWorker(options: CustomerWorkerOptions): Promise<Worker> {
  const { settings } = options;
  installTemporalRuntime(settings.logLevel);
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: settings.temporal.namespace,
    taskQueue: settings.temporal.taskQueue,
    workflowBundle: options.bundle ?? (await bundleWorkflows()),
    activities: {
      ...createActivities({ publish: options.publish }),
      ...(options.merges
        ? {
            ...createMergeActivities({ ...options.merges, publish: options.publish }),
            ...createPoolActivities({ ...options.merges, publish: options.publish }),
          }
        : {}),
    },
    ...workerTuning(settings),
  });
  // The worker does not own the connection; close it once the worker has stopped.
  const run = worker.run.bind(worker);
  worker.run = async () => {
    try {
      await run();
    } finally {
      await connection.close();
    }
  };
  return worker;
}
