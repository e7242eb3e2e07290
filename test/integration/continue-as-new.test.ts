/**
 * A long-lived customer rolls over with continue-as-new when Temporal suggests it, carrying its
 * state, its seen-event window and any signals that arrived meanwhile: nothing is lost and an
 * event re-sent across the boundary is still ignored. (The server is told to suggest
 * continue-as-new after 40 history events, so a few dozen events make several runs.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEvent } from '../../engine/domain/customer/apply-event.ts';
import { type CustomerState, initialState } from '../../engine/domain/customer/state.ts';
import {
  parseRetailEvent,
  type RetailEvent,
  withoutPersonalData,
} from '../../engine/domain/events.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { eventSubject } from '../../engine/streams/topology.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { returnInput, saleInput } from '../support/events.ts';
import { eventually, startTestStack, testSettings } from '../support/stack.ts';

const CUSTOMER = 'c-long-lived-1';
let stack: Stack;

beforeAll(async () => {
  stack = await startTestStack(['worker', 'router', 'sink'], testSettings(), {
    'limit.historyCount.suggestContinueAsNew': 40,
  });
});

afterAll(async () => {
  await stack?.stop();
});

function parsed(input: unknown): RetailEvent {
  const result = parseRetailEvent(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.event;
}

describe('continue-as-new', () => {
  it('carries state, seen ids and in-flight signals across runs', async () => {
    const publish = (e: RetailEvent, msgID = e.eventId) =>
      stack.js.publish(eventSubject(e.storeId), JSON.stringify(e), { msgID });
    const log: RetailEvent[] = [];
    const handle = stack.temporal.workflow.getHandle(customerWorkflowId(CUSTOMER));

    for (let round = 0; round < 12; round++) {
      // A burst: several events at once, so deliveries arrive while a run is finishing.
      const burst = Array.from({ length: 6 }, (_, i) =>
        parsed(
          saleInput({
            customerId: CUSTOMER,
            occurredAt: `2026-11-${String(1 + round).padStart(2, '0')}T1${i}:00:00Z`,
          }),
        ),
      );
      const sale = burst[0] as RetailEvent;
      burst.push(
        parsed(
          returnInput({
            transactionId: (sale as { transactionId: string }).transactionId,
            customerId: CUSTOMER,
          }),
        ),
      );
      log.push(...burst);
      await Promise.all(burst.map((e) => publish(e)));
      // Re-send, under a new message id, an event from two rounds ago: it straddles a boundary.
      const old = log[Math.max(0, log.length - 20)] as RetailEvent;
      await publish(old, `${old.eventId}:resend-${round}`);
      const applied = log.length;
      let last: unknown;
      await eventually(
        async () => {
          const snapshot = await handle.query(snapshotQuery);
          last = snapshot;
          return snapshot.eventsApplied === applied ? true : undefined;
        },
        30_000,
        `round ${round} applied`,
      ).catch((err) => {
        throw new Error(
          `${(err as Error).message}: expected ${applied}, last ${JSON.stringify(last)}, router ${JSON.stringify(stack.router?.stats)}`,
        );
      });
    }

    const program = { version: 'oracle', basePointsPerUnit: 1, spendUnitMinor: 100 };
    let expected: CustomerState = initialState(CUSTOMER, program);
    for (const e of log) expected = applyEvent(expected, withoutPersonalData(e)).state;
    const snapshot = await handle.query(snapshotQuery);
    expect(snapshot).toMatchObject({
      pointsBalance: expected.pointsBalance,
      spendMinor: expected.spendMinor,
      visits: expected.visits,
      eventsApplied: log.length,
    });
    expect(expected.pointsBalance).toBeGreaterThan(0);

    // It really rolled over, more than once.
    const runs: string[] = [];
    for await (const execution of stack.temporal.workflow.list({
      query: `WorkflowId = '${customerWorkflowId(CUSTOMER)}'`,
    })) {
      runs.push(execution.status.name);
    }
    expect(runs.filter((status) => status === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(2);
    expect(runs.filter((status) => status === 'RUNNING')).toHaveLength(1);

    // And the ledger in ClickHouse still adds up to the balance.
    const db = stack.settings.clickhouse.database;
    await eventually(
      async () => {
        const [row] =
          (await stack.store?.query<{ points: string }>(
            `SELECT sum(points) AS points FROM ${db}.ledger FINAL WHERE customer_id = '${CUSTOMER}'`,
          )) ?? [];
        return Number(row?.points) === expected.pointsBalance ? true : undefined;
      },
      30_000,
      'the ledger sum in ClickHouse',
    );
  });
});
