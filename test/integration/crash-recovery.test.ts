/**
 * First cut of RELIABILITY.md T1 and T2: the worker and the router are killed with SIGKILL
 * mid-stream, and events are re-published inside and "after" the duplicate window; every
 * customer's balance must still equal an oracle computed from the input log by the same pure
 * rules, with no event lost and none counted twice, and ClickHouse must hold each event once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEvent } from '../../engine/domain/customer/apply-event.ts';
import { type CustomerState, initialState } from '../../engine/domain/customer/state.ts';
import {
  type CustomerEvent,
  parseRetailEvent,
  type RetailEvent,
  withoutPersonalData,
} from '../../engine/domain/events.ts';
import { type ComponentProcess, spawnComponent } from '../../engine/runtime/processes.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { createTrafficGenerator } from '../../engine/simulator/traffic.ts';
import {
  DEAD_LETTER_STREAM,
  EVENTS_STREAM,
  eventSubject,
  LEDGER_STREAM,
  ROUTER_CONSUMER,
} from '../../engine/streams/topology.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { eventually, startTestStack, testSettings } from '../support/stack.ts';

const EVENTS = 3000;
const CHUNK = 100;
const CUSTOMERS = 40;
/** Kills with SIGKILL, in this order, each at a moment when events are waiting. */
const KILLS = [
  'worker',
  'router',
  'worker',
  'worker',
  'router',
  'worker',
  'router',
  'worker',
] as const;

let stack: Stack;
const running: ComponentProcess[] = [];

beforeAll(async () => {
  stack = await startTestStack(['sink'], testSettings({ CLIENTELE_ROUTER_ACK_WAIT_SECONDS: '3' }));
});

afterAll(async () => {
  await Promise.all(running.map((p) => p.kill()));
  await stack?.stop();
});

function componentEnv(): Record<string, string> {
  return {
    CLIENTELE_TEMPORAL_ADDRESS: stack.temporalAddress,
    CLIENTELE_NATS_SERVERS: stack.natsUrl,
    CLIENTELE_DATA_DIR: stack.settings.dataDir,
    CLIENTELE_LOG_LEVEL: 'warn',
    CLIENTELE_ROUTER_ACK_WAIT_SECONDS: '3',
    // The oracle is the base earn rate: no loyalty program.
    CLIENTELE_LOYALTY_PROGRAM_FILE: '',
  };
}

function start(command: 'worker' | 'router'): ComponentProcess {
  const p = spawnComponent([command], componentEnv());
  running.push(p);
  return p;
}

async function restart(
  p: ComponentProcess,
  command: 'worker' | 'router',
): Promise<ComponentProcess> {
  await p.kill();
  running.splice(running.indexOf(p), 1);
  return start(command);
}

/** Diagnostics for a mismatch: the pure rules over the order the workflow actually received. */
async function deliveredOrderReport(customerId: string): Promise<string> {
  const delivered: CustomerEvent[] = [];
  const runs: string[] = [];
  for await (const ex of stack.temporal.workflow.list({
    query: `WorkflowId = '${customerWorkflowId(customerId)}'`,
  }))
    runs.push(ex.runId);
  const converter = (await import('@temporalio/common')).defaultPayloadConverter;
  for (const runId of runs.reverse()) {
    const history = await stack.temporal.workflow
      .getHandle(customerWorkflowId(customerId), runId)
      .fetchHistory();
    for (const e of history.events ?? []) {
      const accepted = e.workflowExecutionUpdateAcceptedEventAttributes;
      const payload = accepted?.acceptedRequest?.input?.args?.payloads?.[0];
      if (payload) delivered.push(...(converter.fromPayload(payload) as CustomerEvent[]));
    }
  }
  let state = initialState(customerId, { version: 'x', basePointsPerUnit: 1, spendUnitMinor: 100 });
  for (const e of delivered) state = applyEvent(state, e).state;
  return ` | runs ${runs.length}, delivered ${delivered.length}, rules over delivered order: balance ${state.pointsBalance} spend ${state.spendMinor} events ${state.eventsApplied}`;
}

/** What every customer's state must be: the pure rules over the input log, in publish order. */
function oracle(events: RetailEvent[]): Map<string, CustomerState> {
  const program = {
    version: 'oracle',
    basePointsPerUnit: stack.settings.loyalty.basePointsPerUnit,
    spendUnitMinor: stack.settings.loyalty.spendUnitMinor,
  };
  const states = new Map<string, CustomerState>();
  for (const event of events) {
    if (!event.customerId) continue;
    const state = states.get(event.customerId) ?? initialState(event.customerId, program);
    states.set(
      event.customerId,
      applyEvent(state, withoutPersonalData(event) as CustomerEvent).state,
    );
  }
  return states;
}

describe('crash recovery (T1, T2 first cut)', () => {
  it('loses no event and double-counts no points across worker and router kills and re-publishes', {
    timeout: 400_000,
  }, async () => {
    const generator = createTrafficGenerator({
      seed: 42,
      runId: `crash${Date.now().toString(36)}`,
      stores: ['S001', 'S002', 'S003'],
      tillsPerStore: 2,
      customers: CUSTOMERS,
      anonymousShare: 0.05,
      returnShare: 0.08,
    });
    const log: RetailEvent[] = [];
    const start0 = Date.parse('2026-11-01T08:00:00Z');
    for (let i = 0; i < EVENTS; i++) {
      const parsed = parseRetailEvent(generator.next(new Date(start0 + i * 60_000)));
      if (!parsed.ok)
        throw new Error(`generator made an invalid event: ${JSON.stringify(parsed.issues)}`);
      log.push(parsed.event);
    }

    let worker = start('worker');
    let router = start('router');
    // The router's durable consumer exists once the first router has started.
    await eventually(
      async () => (await stack.jsm.consumers.info(EVENTS_STREAM, ROUTER_CONSUMER)) ?? undefined,
      60_000,
      'the router consumer',
    );
    const ledgerCount = async () => (await stack.jsm.streams.info(LEDGER_STREAM)).state.messages;
    const routerInfo = () => stack.jsm.consumers.info(EVENTS_STREAM, ROUTER_CONSUMER);
    const routerAckFloor = async () => (await routerInfo()).ack_floor.stream_seq;
    const outstanding = async () => {
      const info = await routerInfo();
      return info.num_pending + info.num_ack_pending;
    };
    let ledgerAtLastKill = 0;
    let ackFloorAtLastKill = 0;
    const outstandingAtKill: number[] = [];
    let republishedInside = 0;
    let republishedAfter = 0;
    let published = 0;
    const chunksLeft = () => published < log.length;
    const publishChunk = async () => {
      const slice = log.slice(published, published + CHUNK);
      published += slice.length;
      await Promise.all(
        slice.map((e) =>
          stack.js.publish(eventSubject(e.storeId), JSON.stringify(e), { msgID: e.eventId }),
        ),
      );
      // T2: 10 % re-published with the same message id (inside the duplicate window), 5 % under a
      // new message id, as a resend after the window would be: the workflow must ignore them.
      for (const [i, e] of slice.entries()) {
        if (i % 10 === 3) {
          const ack = await stack.js.publish(eventSubject(e.storeId), JSON.stringify(e), {
            msgID: e.eventId,
          });
          expect(ack.duplicate).toBe(true);
          republishedInside += 1;
        }
        if (i % 20 === 7) {
          await stack.js.publish(eventSubject(e.storeId), JSON.stringify(e), {
            msgID: `${e.eventId}:late`,
          });
          republishedAfter += 1;
        }
      }
    };
    /**
     * Waits until `ready` holds (the part to kill has done work), then publishes one more chunk
     * and returns how many events wait: the kill that follows lands mid-stream.
     */
    const midStream = (ready: () => Promise<boolean>, what: string) =>
      eventually<number>(
        async () => {
          if (await ready()) {
            await publishChunk();
            return outstanding();
          }
          return undefined;
        },
        90_000,
        what,
      ).catch(async (err) => {
        const info = await routerInfo();
        throw new Error(
          `${(err as Error).message}; kills so far ${outstandingAtKill.length}, published ${published}/${log.length}, ledger ${await ledgerCount()} (at last kill ${ledgerAtLastKill}), router pending ${info.num_pending} ack-pending ${info.num_ack_pending} redelivered ${info.num_redelivered}\nworker: ${worker.output().slice(-1500)}\nrouter: ${router.output().slice(-1500)}`,
        );
      });

    await publishChunk();
    for (const kind of KILLS) {
      if (kind === 'worker') {
        // Kill only a worker that has done work, while work is outstanding.
        outstandingAtKill.push(
          await midStream(async () => (await ledgerCount()) > ledgerAtLastKill, 'worker progress'),
        );
        worker = await restart(worker, 'worker');
        ledgerAtLastKill = await ledgerCount();
        await publishChunk(); // work for the new worker
      } else {
        outstandingAtKill.push(
          await midStream(
            async () => (await routerAckFloor()) > ackFloorAtLastKill,
            'router progress',
          ),
        );
        router = await restart(router, 'router');
        ackFloorAtLastKill = await routerAckFloor();
        await publishChunk(); // work for the new router
      }
    }
    while (chunksLeft()) await publishChunk();
    // Every kill left events published but not yet routed.
    expect(outstandingAtKill).toHaveLength(KILLS.length);
    expect(outstandingAtKill.every((n) => n > 0)).toBe(true);
    expect(republishedInside).toBeGreaterThan(100);
    expect(republishedAfter).toBeGreaterThan(50);

    const expected = oracle(log);
    expect(expected.size).toBeGreaterThan(10);
    const handle = (id: string) => stack.temporal.workflow.getHandle(customerWorkflowId(id));
    const lagging = async () => {
      const behind: string[] = [];
      for (const [id, state] of expected) {
        const snapshot = await handle(id).query(snapshotQuery);
        if (snapshot.eventsApplied !== state.eventsApplied) {
          behind.push(`${id} ${snapshot.eventsApplied}/${state.eventsApplied}`);
        }
      }
      return behind;
    };
    let behind: string[] = [];
    await eventually(
      async () => {
        behind = await lagging();
        return behind.length === 0 ? true : undefined;
      },
      150_000,
      'every customer to have applied its events',
    ).catch(async (err) => {
      const info = await routerInfo();
      throw new Error(
        `${(err as Error).message}: behind ${behind.join(', ')}; router pending ${info.num_pending} ack-pending ${info.num_ack_pending}\nworker: ${worker.output().slice(-1500)}\nrouter: ${router.output().slice(-1500)}`,
      );
    });
    // Nothing was set aside as poison: every event here is good.
    expect((await stack.jsm.streams.info(DEAD_LETTER_STREAM)).state.messages).toBe(0);
    const mismatches: string[] = [];
    for (const [id, state] of expected) {
      const snapshot = await handle(id).query(snapshotQuery);
      if (
        snapshot.pointsBalance !== state.pointsBalance ||
        snapshot.eventsApplied !== state.eventsApplied ||
        snapshot.spendMinor !== state.spendMinor ||
        snapshot.visits !== state.visits
      ) {
        mismatches.push(
          `${id}: got ${JSON.stringify(snapshot)}, expected balance ${state.pointsBalance}, spend ${state.spendMinor}, events ${state.eventsApplied}${await deliveredOrderReport(id)}`,
        );
      }
    }
    expect(mismatches).toEqual([]);

    // ClickHouse: each event once, and each customer's ledger adds up to its balance.
    const db = stack.settings.clickhouse.database;
    const distinctIds = new Set(log.map((e) => e.eventId)).size;
    await eventually(
      async () => {
        const [row] =
          (await stack.store?.query<{ n: string }>(
            `SELECT count() AS n FROM ${db}.events FINAL`,
          )) ?? [];
        return Number(row?.n) === distinctIds ? true : undefined;
      },
      60_000,
      `${distinctIds} distinct events in ClickHouse`,
    );
    const sums = await eventually(
      async () => {
        const rows =
          (await stack.store?.query<{ customer_id: string; points: string }>(
            `SELECT customer_id, sum(points) AS points FROM ${db}.ledger FINAL GROUP BY customer_id`,
          )) ?? [];
        const byCustomer = new Map(rows.map((r) => [r.customer_id, Number(r.points)]));
        for (const [id, state] of expected) {
          if ((byCustomer.get(id) ?? 0) !== state.pointsBalance) return undefined;
        }
        return byCustomer;
      },
      60_000,
      'ledger sums equal to the balances',
    );
    expect(sums.size).toBeGreaterThan(0);
  });
});
