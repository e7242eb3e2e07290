/**
 * Builds the Temporal worker that serves customer workflows. The caller owns the connections;
 * the bundle can be built once and shared by several workers (tests restart workers often).
 */
import { fileURLToPath } from 'node:url';
import type { JetStreamClient } from '@nats-io/jetstream';
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
import { createActivities } from './customer/activities.ts';

export const workflowsPath = fileURLToPath(new URL('./index.ts', import.meta.url));

export async function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
}

const noop = () => {};
const quietBundlerLogger = {
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
  js: JetStreamClient;
  bundle?: WorkflowBundle;
}

let runtimeInstalled = false;

/** Temporal's runtime logs through our level; it can be installed once per process only. */
function installRuntime(level: Settings['logLevel']) {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const temporalLevel: LogLevel = level === 'fatal' ? 'ERROR' : (level.toUpperCase() as LogLevel);
  Runtime.install({ logger: new DefaultLogger(temporalLevel) });
}

export async function createCustomerWorker(options: CustomerWorkerOptions): Promise<Worker> {
  const { settings } = options;
  installRuntime(settings.logLevel);
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: settings.temporal.namespace,
    taskQueue: settings.temporal.taskQueue,
    workflowBundle: options.bundle ?? (await bundleWorkflows()),
    activities: createActivities({ js: options.js }),
    maxCachedWorkflows: settings.worker.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: settings.worker.maxConcurrentWorkflowTaskExecutions,
    maxConcurrentLocalActivityExecutions: settings.worker.maxConcurrentLocalActivityExecutions,
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
