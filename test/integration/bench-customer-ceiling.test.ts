/**
 * The customer-workflow ceiling at a tiny size against a real Temporal server and the real
 * customer worker: every call is applied once by its customer's workflow, and the share of
 * calls that started a workflow is what was asked for. No timing is asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureCustomerWorkflow } from '../../bench/ceilings/customer-workflow.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { snapshotQuery } from '../../workflows/customer/messages.ts';
import { eventually, startTestStack } from '../support/stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startTestStack(['worker']);
});

afterAll(async () => {
  await stack?.stop();
});

describe('customer-workflow ceiling', () => {
  it('delivers every call to its customer once, one in flight per customer', async () => {
    const result = await measureCustomerWorkflow({
      temporal: stack.temporal,
      settings: stack.settings,
      customers: 4,
      callsPerCustomer: 3,
      inFlight: 8,
    });
    expect(result).toMatchObject({ calls: 12, customers: 4, in_flight: 4 });
    expect(result.workflow_start_share).toBeCloseTo(4 / 12);
    expect(result.call_latency_ms.count).toBe(12);
    expect(Number.isFinite(result.calls_per_s) && result.calls_per_s > 0).toBe(true);
    // Each customer's workflow applied its three sales (the ceiling also checks every receipt).
    const applied = await eventually(async () => {
      const counts: number[] = [];
      for await (const execution of stack.temporal.workflow.list({
        query: `WorkflowType = 'customerWorkflow'`,
      })) {
        const handle = stack.temporal.workflow.getHandle(execution.workflowId);
        counts.push((await handle.query(snapshotQuery)).eventsApplied);
      }
      return counts.length === 4 ? counts : undefined;
    });
    expect(applied).toEqual([3, 3, 3, 3]);
  });
});
