import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Effects } from '../../engine/domain/customer/account.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import { isExecutable } from '../../engine/runtime/tools.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import type { CustomerActivities } from '../../workflows/customer/activities.ts';
import { deliverToCustomer } from '../../workflows/customer/client.ts';
import { bundleWorkflows } from '../../workflows/worker.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const TEST_SERVER_ENV = 'CLIENTELE_TOOL_TEMPORAL_TEST_SERVER';

/** The test server's executable: the one CLIENTELE_TOOL_TEMPORAL_TEST_SERVER names, or ours. */
export function findTestServer(): string {
  const fromEnv = process.env[TEST_SERVER_ENV];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${TEST_SERVER_ENV}=${fromEnv} is not executable`);
    return fromEnv;
  }
  const tools = resolve(ROOT, process.env.CLIENTELE_TOOLS_DIR ?? '.tools');
  const local = join(tools, 'bin', 'temporal-test-server');
  if (isExecutable(local)) return local;
  throw new Error(
    `Temporal's time-skipping test server is not in ${local}: run \`node bin/install-tools.js ` +
      `--for-tests\` (or \`npm test\`, which does), or set ${TEST_SERVER_ENV}`,
  );
}

/** Starts the time-skipping test server (a JVM: about 2 s) and connects to it. */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  // The native runtime logs errors only: it warns that the test server lacks a capability of a
  // real server's (heartbeat details) that these tests do not use. Installed before the
  // environment would make one of its own.
  if (Runtime._instance === undefined) {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  }
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: findTestServer() } },
  });
}

/**
 * The customer workflow's local activity, injected: records what the loyalty clock publishes
 * (expiries, warnings, tier reviews) instead of publishing it to NATS.
 */
export function recordingActivities() {
  const published: Effects[] = [];
  const activities: CustomerActivities = {
    async publishEffects(effects) {
      published.push(effects);
    },
  };
  /** `published`: what each call was given, in order. */
  return { activities, published };
}

let bundle: Promise<WorkflowBundle> | undefined;

/**
 * A worker serving the customer workflow (the bundle `workflows/worker.ts` builds) on the test
 * environment, with the given activities. Running until `stop()`.
 *
 * `maxCachedWorkflows: 0` makes a worker without sticky execution, one to stop and replace: the
 * time-skipping server never gives up a stopped worker's sticky queue (it has no schedule-to-start
 * timeout for workflow tasks, nor `ShutdownWorker`), so the next task of a workflow a cached
 * worker served waits there forever.
 */
export async function startCustomerWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  activities: CustomerActivities,
  options: { maxCachedWorkflows?: number } = {},
): Promise<{ stop(): Promise<void> }> {
  bundle ??= bundleWorkflows();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await bundle,
    activities,
    ...options,
  });
  const running = worker.run();
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/**
 * Polls until `check` returns something other than undefined (what a timer caused is published
 * by the workflow task the timer started, which may still be running when `env.sleep` returns).
 */
export async function eventually<T>(
  check: () => T | undefined,
  ms = 10_000,
  what = 'it',
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Delivers events as the router does (update-with-start), each under the version of `programs`
 * in force at its time, to a worker on `taskQueue`.
 */
export function deliverUnder(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  programs: Program[],
  customerId: string,
  events: CustomerEvent[],
) {
  return deliverToCustomer(
    {
      temporal: env.client,
      taskQueue,
      program: { version: 'base-1-per-100', basePointsPerUnit: 1, spendUnitMinor: 100 },
      programs: createProgramCatalog(programs),
    },
    customerId,
    events,
  );
}
