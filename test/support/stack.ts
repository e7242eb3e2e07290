/**
 * Starts a real stack for integration tests: nats-server and the Temporal dev server from the
 * project's tools folder, chDB in a temporary folder, free ports everywhere.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowBundle } from '@temporalio/worker';
import { pino } from 'pino';
import { loadSettings, type Settings } from '../../config/settings.ts';
import type { CustomerSnapshot } from '../../engine/domain/customer/state.ts';
import { type LifecycleTriggerMessage, lifecycleTrigger } from '../../engine/domain/effects.ts';
import { parseRetailEvent, type RetailEvent } from '../../engine/domain/events.ts';
import {
  allComponents,
  type Component,
  type Stack,
  type StackOptions,
  startStack,
} from '../../engine/runtime/stack.ts';
import { eventSubject, lifecycleSubject, TRIGGERS_STREAM } from '../../engine/streams/topology.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { bundleWorkflows } from '../../workflows/worker.ts';
import { saleInput } from './events.ts';

let bundle: Promise<WorkflowBundle> | undefined;
/** Bundled once per test file: workers restart often in tests. */
export const sharedBundle = () => {
  bundle ??= bundleWorkflows();
  return bundle;
};

export function testSettings(env: Record<string, string> = {}): Settings {
  const dataDir = mkdtempSync(join(tmpdir(), 'clientele-test-'));
  return loadSettings({
    env: {
      CLIENTELE_DATA_DIR: dataDir,
      CLIENTELE_LOG_LEVEL: 'warn',
      CLIENTELE_SINK_FLUSH_MS: '50',
      // Base earn unless a test names a program (or passes a catalog to the stack).
      CLIENTELE_LOYALTY_PROGRAM_FILE: '',
      ...env,
    },
    root: dataDir,
  });
}

export async function startTestStack(
  components: readonly Component[] = allComponents,
  settings: Settings = testSettings(),
  temporalDynamicConfig?: Record<string, string | number | boolean>,
  more: Partial<Pick<StackOptions, 'programs'>> = {},
): Promise<Stack> {
  return startStack({
    settings,
    logger: pino({ level: settings.logLevel }),
    components,
    ephemeralPorts: true,
    workflowBundle: await sharedBundle(),
    temporalDynamicConfig,
    ...more,
  });
}

/** Polls until `check` returns a value that is not undefined, or fails after `ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  ms = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
  );
}

/**
 * Every lifecycle trigger the TRIGGERS stream holds for the customer, oldest first: as many as
 * the stream counts on the customer's subject, each read back (a repeat published after the
 * duplicate window is a message of its own, and is counted).
 */
export async function lifecycleTriggersOf(
  stack: Pick<Stack, 'js' | 'jsm'>,
  customerId: string,
): Promise<LifecycleTriggerMessage[]> {
  const subject = lifecycleSubject(customerId);
  const info = await stack.jsm.streams.info(TRIGGERS_STREAM, { subjects_filter: subject });
  const count = info.state.subjects?.[subject] ?? 0;
  if (count === 0) return [];
  const consumer = await stack.js.consumers.get(TRIGGERS_STREAM, { filter_subjects: [subject] });
  const seen: LifecycleTriggerMessage[] = [];
  for await (const msg of await consumer.fetch({ max_messages: count, expires: 5_000 })) {
    seen.push(lifecycleTrigger.parse(msg.json()));
    if (seen.length === count) break;
  }
  if (seen.length !== count) throw new Error(`read ${seen.length} of ${count} triggers`);
  return seen;
}

/**
 * Publishes a sale (`saleInput` with `fields`) on the event stream as a gateway does, then waits
 * until the customer's workflow has applied `applied` events in all: one delivery at a time.
 */
export async function sendSale(
  stack: Pick<Stack, 'js' | 'temporal'>,
  fields: Record<string, unknown> & { customerId: string },
  applied: number,
): Promise<{ event: RetailEvent; snapshot: CustomerSnapshot }> {
  const parsed = parseRetailEvent(saleInput(fields));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const event = parsed.event;
  await stack.js.publish(eventSubject(event.storeId), JSON.stringify(event), {
    msgID: event.eventId,
  });
  const handle = stack.temporal.workflow.getHandle(customerWorkflowId(fields.customerId));
  const snapshot = await eventually(
    async () => {
      const s = await handle.query(snapshotQuery);
      return s.eventsApplied === applied ? s : undefined;
    },
    30_000,
    `sale ${applied} applied`,
  );
  return { event, snapshot };
}
