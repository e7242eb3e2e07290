/**
 * `clientele replay history` against a real Temporal dev server: a customer driven across
 * continue-as-new has every run fetched, oldest first, and replayed against the current workflow
 * code; a workflow with an unpatched change (test/histories/drifted) is caught, naming the event
 * of the history where it parted.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRetailEvent } from '../../engine/domain/events.ts';
import {
  describeEvent,
  fetchRuns,
  type RunHistory,
  replayRuns,
} from '../../engine/replay/history-replay.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { eventSubject } from '../../engine/streams/topology.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { quietBundlerLogger, workflowsPath } from '../../workflows/worker.ts';
import { runCli } from '../support/cli.ts';
import { saleInput } from '../support/events.ts';
import { eventually, startTestStack, testSettings } from '../support/stack.ts';

const CUSTOMER = 'c-replayed-1';
const SALES = 24;
let stack: Stack;
let runs: RunHistory[];

beforeAll(async () => {
  stack = await startTestStack(['worker', 'router'], testSettings(), {
    'limit.historyCount.suggestContinueAsNew': 40,
  });
  const handle = stack.temporal.workflow.getHandle(customerWorkflowId(CUSTOMER));
  // Rounds of a few sales, each applied before the next: many deliveries, so several runs.
  for (let i = 0; i < SALES; i++) {
    const parsed = parseRetailEvent(
      saleInput({
        customerId: CUSTOMER,
        occurredAt: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T10:${String(i).padStart(2, '0')}:00Z`,
      }),
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    await stack.js.publish(eventSubject(parsed.event.storeId), JSON.stringify(parsed.event), {
      msgID: parsed.event.eventId,
    });
    if (i % 3 === 2) {
      await eventually(
        async () =>
          (await handle.query(snapshotQuery)).eventsApplied === i + 1 ? true : undefined,
        60_000,
        `sale ${i + 1} applied`,
      );
    }
  }
  runs = await fetchRuns(stack.temporal, customerWorkflowId(CUSTOMER));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const cli = (...args: string[]) =>
  runCli(
    ['replay', 'history', ...args],
    { CLIENTELE_TEMPORAL_ADDRESS: stack.temporalAddress },
    120_000,
  );

describe('replay history', () => {
  it('fetches every run of the customer, oldest first, each continuing the one before', () => {
    expect(runs.length).toBeGreaterThanOrEqual(2);
    const started = (run: RunHistory) =>
      run.history.events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(started(runs[0] as RunHistory)?.continuedExecutionRunId || undefined).toBeUndefined();
    runs.slice(1).forEach((run, i) => {
      expect(started(run)?.continuedExecutionRunId).toBe(runs[i]?.runId);
    });
    expect(new Set(runs.map((r) => r.runId)).size).toBe(runs.length);
  });

  it('replays every run against the current workflow code', async () => {
    const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
    const results = await replayRuns(workflowBundle, runs);
    expect(results.map((r) => r.runId)).toEqual(runs.map((r) => r.runId));
    expect(results.filter((r) => r.failure)).toEqual([]);
    expect(results.every((r) => r.patches.length > 0)).toBe(true);
  });

  it('catches an unpatched change, naming the event of the history where the run parted', async () => {
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../histories/drifted/index.ts', import.meta.url)),
      logger: quietBundlerLogger,
    });
    const first = runs[0] as RunHistory;
    const [result] = await replayRuns(workflowBundle, [first]);
    expect(result?.failure?.message).toMatch(/nondeterminism/);
    const divergence = result?.failure?.divergence;
    expect(divergence?.eventId).toBeGreaterThan(0);
    // The event named is the history's own, described as it is there.
    const event = first.history.events?.find((e) => Number(e.eventId) === divergence?.eventId);
    expect(event).toBeDefined();
    expect(describeEvent(event as NonNullable<typeof event>)).toEqual(divergence);
    // A task's commands, not the bookkeeping of workflow tasks.
    expect(divergence?.eventType).not.toMatch(/^WorkflowTask/);
    expect(result?.failure?.advice).toContain(`event ${divergence?.eventId}`);
    expect(result?.failure?.advice).toContain("patched('");
  });

  it('the command replays a customer (exit 0), refuses an unknown one (exit 2)', async () => {
    const ok = await cli(CUSTOMER);
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim().split('\n')).toHaveLength(runs.length);
    for (const run of runs) expect(ok.stdout).toContain(`run ${run.runId}`);
    expect(ok.stdout).not.toContain('DOES NOT REPLAY');
    expect(ok.stderr).toContain('every run replays');

    const sampled = await cli('--sample', '5', '--json');
    expect(sampled.code).toBe(0);
    expect(sampled.stderr).toMatch(/1 customer, \d+ runs?: every run replays/);
    expect(sampled.stdout).toBe(''); // only runs that do not replay are listed when many

    const unknown = await cli('c-nobody');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no workflow customer/c-nobody');
  }, 240_000);
});
