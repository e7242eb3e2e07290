/**
 * The history budget on real servers: with `temporal.historyBudgetKib` at its least (16), a
 * customer sent one sale at a time continues as new once its run has grown past the budget, long
 * before the server would suggest it (4K events or 4 MB), and loses or repeats nothing across the
 * rollovers. A customer whose deliveries name no budget (an old router) grows past it in one run.
 */
import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRetailEvent, type SaleEvent } from '../../engine/domain/events.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import { baseProgram, deliverToCustomer } from '../../workflows/customer/client.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { HISTORY_BUDGET_PATCH } from '../../workflows/customer/workflow.ts';
import { saleInput } from '../support/events.ts';
import { patchesOf } from '../support/histories.ts';
import { programOf } from '../support/loyalty.ts';
import { sendSale, startTestStack, testSettings } from '../support/stack.ts';

type History = temporal.api.history.v1.IHistory;

const CUSTOMER = 'c-budget-1';
const CONTROL = 'c-budget-control';
const BUDGET_BYTES = 16 * 1024;
/** Runs to see (the first and at least two started by the budget). */
const RUNS = 3;
/** Far more sales than three runs of 16 KiB take; reaching it means the budget did nothing. */
const MAX_SALES = 150;

const catalog = createProgramCatalog([
  { ...programOf({}, 'budget@1'), effectiveFrom: '2020-01-01T00:00:00Z' },
]);

let stack: Stack;

beforeAll(async () => {
  stack = await startTestStack(
    ['worker', 'router'],
    testSettings({ CLIENTELE_TEMPORAL_HISTORY_BUDGET_KIB: String(BUDGET_BYTES / 1024) }),
    undefined,
    { programs: catalog },
  );
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** A minute ago: well within what the router takes as now. */
const recent = () => new Date(Date.now() - 60_000).toISOString();

const sale = (customerId: string): SaleEvent => {
  const parsed = parseRetailEvent(saleInput({ customerId, occurredAt: recent() }));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  if (parsed.event.type !== 'sale') throw new Error('not a sale');
  return parsed.event;
};

const toNumber = (n: number | { toNumber(): number } | null | undefined) =>
  typeof n === 'number' ? n : (n?.toNumber() ?? 0);

/** The run's size as each of its workflow tasks started (what `workflowInfo().historySize` was). */
const taskSizes = (history: History) =>
  (history.events ?? []).flatMap((e) => {
    const started = e.workflowTaskStartedEventAttributes;
    return started ? [toNumber(started.historySizeBytes)] : [];
  });

/** Every run of the customer's workflow, oldest first, following the chain of continue-as-new. */
async function runsOf(customerId: string): Promise<{ runId: string; history: History }[]> {
  const id = customerWorkflowId(customerId);
  const latest = await stack.temporal.workflow.getHandle(id).fetchHistory();
  const started = latest.events?.[0]?.workflowExecutionStartedEventAttributes;
  let runId = started?.firstExecutionRunId ?? undefined;
  const runs: { runId: string; history: History }[] = [];
  while (runId) {
    const history = await stack.temporal.workflow.getHandle(id, runId).fetchHistory();
    runs.push({ runId, history });
    runId =
      history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ||
      undefined;
    if (runs.length > MAX_SALES) throw new Error('the chain of runs does not end');
  }
  return runs;
}

describe('history budget', () => {
  it('rolls a customer over once its run has grown past the budget, losing nothing', async () => {
    const handle = stack.temporal.workflow.getHandle(customerWorkflowId(CUSTOMER));
    const seen = new Set<string>();
    let sent = 0;
    let pointsPerSale: number | undefined;
    while (seen.size < RUNS) {
      expect(sent, `sales before ${RUNS} runs`).toBeLessThan(MAX_SALES);
      // One delivery at a time, so a run's growth past the budget is one delivery's at most.
      const { snapshot } = await sendSale(
        stack,
        { customerId: CUSTOMER, occurredAt: recent() },
        sent + 1,
      );
      sent += 1;
      pointsPerSale ??= snapshot.pointsBalance;
      seen.add((await handle.describe()).runId);
    }
    expect(pointsPerSale).toBeGreaterThan(0);

    const runs = await runsOf(CUSTOMER);
    expect(runs.length).toBeGreaterThanOrEqual(RUNS);
    for (const runId of seen) expect(runs.map((r) => r.runId)).toContain(runId);
    const closed = runs.slice(0, -1);
    const perRun: string[] = [];
    for (const { runId, history } of closed) {
      const events = history.events ?? [];
      expect(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes, runId).toBeTruthy();
      expect(patchesOf(history), runId).toContain(HISTORY_BUDGET_PATCH);
      // A tenth of the 4K events at which the server suggests continue-as-new: the budget did it.
      expect(events.length, runId).toBeLessThan(400);
      const sizes = taskSizes(history);
      const first = sizes[0] ?? 0;
      const last = sizes.at(-1) ?? 0;
      const steps = sizes.slice(1).map((size, i) => size - (sizes[i] ?? 0));
      const delivery = Math.max(...steps);
      // Past the budget (why it rolled over), by no more than the delivery that took it there.
      expect(last - first, runId).toBeGreaterThan(BUDGET_BYTES);
      expect(last - first, runId).toBeLessThanOrEqual(BUDGET_BYTES + delivery);
      const deliveries = events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
      perRun.push(
        `${deliveries.length} deliveries, ${events.length} events, ${first} B at start, ${last - first} B grown, ${delivery} B the largest step`,
      );
    }
    process.stdout.write(`history budget: ${sent} sales, runs: ${perRun.join('; ')}\n`);

    const after = await handle.query(snapshotQuery);
    expect(after).toMatchObject({
      eventsApplied: sent,
      visits: sent,
      pointsBalance: sent * (pointsPerSale ?? 0),
    });
    expect(after.loyalty.balance).toBe(sent * (pointsPerSale ?? 0));
  }, 60_000);

  it('does not roll over a customer whose deliveries name no budget', async () => {
    const customers = {
      temporal: stack.temporal,
      taskQueue: stack.settings.temporal.taskQueue,
      program: baseProgram(stack.settings.loyalty),
      programs: catalog,
    };
    const handle = stack.temporal.workflow.getHandle(customerWorkflowId(CONTROL));
    const grown = async () => {
      const sizes = taskSizes(await handle.fetchHistory());
      return (sizes.at(-1) ?? 0) - (sizes[0] ?? 0);
    };
    let sent = 0;
    let publishedThrough: number | undefined;
    while ((await grown().catch(() => 0)) <= 2 * BUDGET_BYTES) {
      expect(sent).toBeLessThan(MAX_SALES);
      // Confirmed as the router confirms them, so the answers do not grow with the outbox.
      const receipt = await deliverToCustomer(customers, CONTROL, [sale(CONTROL)], {
        ...(publishedThrough !== undefined ? { publishedThrough } : {}),
      });
      publishedThrough = receipt.delivery;
      sent += 1;
    }
    const runs = await runsOf(CONTROL);
    process.stdout.write(`no budget: ${sent} sales, ${await grown()} B grown in one run\n`);
    expect(runs).toHaveLength(1);
    expect(patchesOf(runs[0]?.history ?? {})).not.toContain(HISTORY_BUDGET_PATCH);
    expect(await handle.query(snapshotQuery)).toMatchObject({ eventsApplied: sent });
  }, 60_000);
});
