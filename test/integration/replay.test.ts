/**
 * Recorded workflow histories replay against the current workflow code without a determinism
 * violation (RELIABILITY.md T9, first cut): a change to a released workflow must go behind
 * `patched()`. The drifted copy under test/histories/drifted shows the check can fail. Recorded:
 * effects from a local activity, effects in the update result (patch `effects-in-update-result`),
 * under a loyalty program (patch `loyalty-programs`), one customer engine, merges and household
 * transfers (`across-*`, with the merge and pool workflows), and lifecycle rules
 * (`lifecycle-*`, patch `lifecycle-triggers`), and a run rolled over by its history budget
 * (patch `history-budget`). New histories: `npx tsx test/histories/record.ts`, `record-across.ts`,
 * `record-lifecycle.ts`, `record-history-budget.ts`, `record-segments.ts`.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import {
  HISTORY_BUDGET_PATCH,
  LIFECYCLE_PATCH,
  ONE_ENGINE_PATCH,
  SEGMENTS_PATCH,
} from '../../workflows/customer/workflow.ts';
import { quietBundlerLogger, workflowsPath } from '../../workflows/worker.ts';
import { patchesOf } from '../support/histories.ts';

const dir = new URL('../histories/', import.meta.url);
const histories = readdirSync(dir).filter((f) => f.endsWith('.binpb'));
const load = (file: string) =>
  proto.temporal.api.history.v1.History.decode(readFileSync(new URL(file, dir)));
const quiet = { logger: quietBundlerLogger };
/** The workflow id a history was recorded under (its type comes from the history too). */
const workflowIdOf = (history: ReturnType<typeof load>) =>
  history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId ||
  'customer/c-recorded-1';
/** Names of the updates a history accepted. */
const updatesOf = (history: ReturnType<typeof load>) =>
  (history.events ?? []).flatMap((e) => {
    const name = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    return name ? [name] : [];
  });

describe('replay of recorded histories', () => {
  it('has histories to replay, including a continued run', () => {
    expect(histories).toEqual(
      expect.arrayContaining(['customer-first-run.binpb', 'customer-continued-run.binpb']),
    );
    const first = load('customer-first-run.binpb');
    expect(first.events?.some((e) => e.workflowExecutionContinuedAsNewEventAttributes)).toBe(true);
    expect(first.events?.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(true);
  });

  it('has one recording from before the effects-in-result patch and one after it', () => {
    const markers = (file: string) =>
      (load(file).events ?? []).flatMap((e) => {
        const marker = e.markerRecordedEventAttributes;
        return marker?.markerName ? [marker.markerName] : [];
      });
    // Before: effects published by a local activity (a marker per delivery), no patch marker.
    expect(markers('customer-first-run.binpb')).toContain('core_local_activity');
    expect(markers('customer-first-run.binpb')).not.toContain('core_patch');
    // After: the patch marker once, no local activity.
    expect(markers('customer-effects-in-result-first-run.binpb')).toContain('core_patch');
    expect(markers('customer-effects-in-result-first-run.binpb')).not.toContain(
      'core_local_activity',
    );
    expect(
      load('customer-effects-in-result-first-run.binpb').events?.some(
        (e) => e.workflowExecutionContinuedAsNewEventAttributes,
      ),
    ).toBe(true);
  });

  it('has recordings under a loyalty program: a redemption, a timer that fired, a continued run', () => {
    const loyalty = histories.filter((f) => f.startsWith('customer-loyalty-'));
    expect(loyalty).toEqual(
      expect.arrayContaining([
        'customer-loyalty-first-run.binpb',
        'customer-loyalty-continued-run.binpb',
        'customer-loyalty-timer-run.binpb',
      ]),
    );
    const events = loyalty.flatMap((f) => load(f).events ?? []);
    const updates = events.flatMap((e) => {
      const name = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
      return name ? [name] : [];
    });
    expect(new Set(updates)).toEqual(new Set(['deliverEvents', 'redeemPoints']));
    expect(events.some((e) => e.timerFiredEventAttributes)).toBe(true);
    expect(events.some((e) => e.workflowExecutionContinuedAsNewEventAttributes)).toBe(true);
    expect(
      load('customer-loyalty-first-run.binpb').events?.filter(
        (e) => e.markerRecordedEventAttributes?.markerName === 'core_patch',
      ),
    ).toHaveLength(2);
  });

  it('has a recording of one customer engine: base rate first, the program after, its patch marked', () => {
    const patches = (file: string) => patchesOf(load(file));
    const first = patches('customer-loyalty-one-engine-first-run.binpb');
    expect(first).toContain(ONE_ENGINE_PATCH);
    // Older recordings never passed it: they replay the unpatched branch.
    expect(patches('customer-loyalty-first-run.binpb')).not.toContain(ONE_ENGINE_PATCH);
    const events = ['first', 'continued', 'timer'].flatMap(
      (run) => load(`customer-loyalty-one-engine-${run}-run.binpb`).events ?? [],
    );
    expect(events.some((e) => e.timerFiredEventAttributes)).toBe(true);
    expect(events.some((e) => e.workflowExecutionContinuedAsNewEventAttributes)).toBe(true);
  });

  it('has recordings across customers: summaries asked, a merge, a pooled redemption', () => {
    const across = histories.filter((f) => f.startsWith('across-'));
    expect(across.sort()).toEqual([
      'across-absorbed.binpb',
      'across-donor.binpb',
      'across-merge.binpb',
      'across-pool.binpb',
      'across-survivor.binpb',
    ]);
    const typeOf = (file: string) =>
      load(file).events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
    expect(across.map(typeOf).sort()).toEqual([
      'customerWorkflow',
      'customerWorkflow',
      'customerWorkflow',
      'mergeWorkflow',
      'poolWorkflow',
    ]);

    const survivor = load('across-survivor.binpb');
    expect(updatesOf(survivor)).toEqual(
      expect.arrayContaining(['reserveMerge', 'absorb', 'receivePoints', 'redeemPoints']),
    );
    // Deliveries whose options ask for the customer's summary.
    const deliveryOptions = (survivor.events ?? []).flatMap((e) => {
      const input = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
      const data = input?.name === 'deliverEvents' ? input.args?.payloads?.[1]?.data : undefined;
      return data ? [JSON.parse(new TextDecoder().decode(data)) as { summary?: boolean }] : [];
    });
    expect(deliveryOptions.some((options) => options.summary === true)).toBe(true);

    expect(updatesOf(load('across-absorbed.binpb'))).toEqual(
      expect.arrayContaining(['handOver', 'settleMerge']),
    );
    expect(updatesOf(load('across-donor.binpb'))).toContain('givePoints');
    for (const file of ['across-merge.binpb', 'across-pool.binpb']) {
      expect(load(file).events?.some((e) => e.workflowExecutionCompletedEventAttributes)).toBe(
        true,
      );
    }
  });

  it('has a recording under lifecycle rules: the patch marked, a milestone, the birthday on the timer', () => {
    const history = load('lifecycle-first-run.binpb');
    const events = history.events ?? [];
    expect(patchesOf(history)).toContain(LIFECYCLE_PATCH);
    // The second visit's milestone, in the answer to its delivery.
    const answered = events.flatMap((e) => {
      const data =
        e.workflowExecutionUpdateCompletedEventAttributes?.outcome?.success?.payloads?.[0]?.data;
      return data
        ? [JSON.parse(new TextDecoder().decode(data)) as { effects?: { lifecycle?: unknown[] } }]
        : [];
    });
    expect(answered.flatMap((r) => r.effects?.lifecycle ?? [])).toContainEqual(
      expect.objectContaining({ ruleId: 'second-visit', on: 'visits', occasion: 'once' }),
    );
    // The birthday: a timer started and fired, then published from the local activity.
    const fired = events.findIndex((e) => e.timerFiredEventAttributes);
    expect(events.some((e) => e.timerStartedEventAttributes)).toBe(true);
    expect(fired).toBeGreaterThan(0);
    expect(
      events
        .slice(fired + 1)
        .some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity'),
    ).toBe(true);
  });

  it('has a recording under live segments: the patch marked, an entry answered, time-caused changes on the timer', () => {
    const history = load('segments-first-run.binpb');
    const events = history.events ?? [];
    expect(patchesOf(history)).toContain(SEGMENTS_PATCH);
    const answered = events.flatMap((e) => {
      const data =
        e.workflowExecutionUpdateCompletedEventAttributes?.outcome?.success?.payloads?.[0]?.data;
      return data
        ? [JSON.parse(new TextDecoder().decode(data)) as { effects?: { segments?: unknown[] } }]
        : [];
    });
    expect(answered.flatMap((r) => r.effects?.segments ?? [])).toContainEqual(
      expect.objectContaining({ segmentId: 'regulars', change: 'entered', cause: 'event' }),
    );
    const fired = events.findIndex((e) => e.timerFiredEventAttributes);
    expect(fired).toBeGreaterThan(0);
    expect(
      events
        .slice(fired + 1)
        .some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity'),
    ).toBe(true);
  });

  it('has a run that its history budget rolled over: the patch marked, then continue-as-new', () => {
    const history = load('customer-history-budget-run.binpb');
    expect(patchesOf(history)).toContain(HISTORY_BUDGET_PATCH);
    expect(history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  });

  it.each(histories)('%s replays against the current workflow code', async (file) => {
    const workflowBundle = await bundleWorkflowCode({ workflowsPath, ...quiet });
    const history = load(file);
    await expect(
      Worker.runReplayHistory({ workflowBundle }, history, workflowIdOf(history)),
    ).resolves.toBeUndefined();
  });

  it('an unpatched change to the workflow is caught', async () => {
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../histories/drifted/index.ts', import.meta.url)),
      ...quiet,
    });
    await expect(
      Worker.runReplayHistory(
        { workflowBundle },
        load('customer-first-run.binpb'),
        'customer/c-recorded-1',
      ),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
