/**
 * Live segments in the customer workflow, on Temporal's time-skipping test server: a sale that
 * makes a customer a member answers the entry in the delivery's effects; time alone takes them
 * out when a purchase leaves its window, and makes them "lapsed" at day 91 with no event, each
 * at its exact instant, once (the timers' changes go out through the `publishEffects` local
 * activity, here a recorder); an earn rule that asks for the segment doubles the points.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Effects } from '../../engine/domain/customer/account.ts';
import type { SaleEvent } from '../../engine/domain/events.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import { parseCondition } from '../../engine/segments/expression.ts';
import { line, programOf, saleOf } from '../support/loyalty.ts';
import {
  deliverUnder,
  eventually,
  recordingActivities,
  startCustomerWorker,
  startTimeSkipping,
} from '../support/time-skipping.ts';

const DAY_MS = 86_400_000;
const taskQueue = 'customers-segments';

let env: TestWorkflowEnvironment;
let worker: { stop(): Promise<void> } | undefined;
const recorder = recordingActivities();

beforeAll(async () => {
  env = await startTimeSkipping();
  worker = await startCustomerWorker(env, taskQueue, recorder.activities);
});

afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
});

const segment = (id: string, when: string) => ({ id, when, condition: parseCondition(when) });

const program: Program = {
  ...programOf(
    {
      segments: [
        segment('regulars', 'visits(30) >= 2'),
        segment('lapsed', 'recency_days > 90 and visits(365) >= 1'),
      ],
      earn: {
        rules: [
          {
            id: 'regulars-double',
            name: 'Double points for regulars',
            when: { segments: ['regulars'] },
            effect: { multiply: 2 },
          },
        ],
      },
    } as never,
    'seg@1',
  ),
  effectiveFrom: '2020-01-01T00:00:00.000Z',
};

const deliver = (customerId: string, events: SaleEvent[]) =>
  deliverUnder(env, taskQueue, [program], customerId, events);

const now = async () => new Date(await env.currentTimeMs()).toISOString();
const nowMs = async () => Number(await env.currentTimeMs());

function sale(customerId: string, tx: string, occurredAt: string): SaleEvent {
  return saleOf(tx, [line({ lineId: '1', unitPrice: 1_000 })], {
    customerId,
    eventId: `ev-${tx}`,
    occurredAt,
  });
}

/** What the timers published for this customer: segment, change, instant. */
function timed(customerId: string): string[] {
  return recorder.published
    .flatMap((effects: Effects) => effects.segments ?? [])
    .filter((c) => c.customerId === customerId)
    .map((c) => `${c.segmentId} ${c.change} ${c.at} ${c.cause}`);
}

describe('live segments on the workflow timer', () => {
  it('enters on a sale, leaves when a purchase leaves the window, lapses at day 91', async () => {
    const customerId = 'c-seg-1';
    const first = await now();
    const one = await deliver(customerId, [sale(customerId, 'tx-s1', first)]);
    expect(one.effects?.segments ?? []).toEqual([]);
    expect(one.effects?.ledger[0]?.points).toBe(10);

    await env.sleep(5 * DAY_MS);
    const second = await now();
    const two = await deliver(customerId, [sale(customerId, 'tx-s2', second)]);
    expect(two.effects?.segments?.map((c) => `${c.segmentId} ${c.change} ${c.cause}`)).toEqual([
      'regulars entered event',
    ]);
    // Not a regular when the sale happened: base points.
    const three = await deliver(customerId, [sale(customerId, 'tx-s3', second)]);
    expect(three.effects?.ledger.at(-1)?.points).toBe(20);

    // 30 days after the first sale it leaves the window: still two sales in it (the second and
    // third), so still a regular; 30 days after those, no longer.
    const out = new Date(Date.parse(second) + 30 * DAY_MS).toISOString();
    await env.sleep(Date.parse(out) - (await nowMs()) - 60_000);
    expect(timed(customerId)).toEqual([]);
    await env.sleep(2 * 60_000);
    await eventually(() => (timed(customerId).length > 0 ? true : undefined), 10_000, 'the exit');
    expect(timed(customerId)).toEqual([`regulars exited ${out} time`]);

    // Lapsed once more than 90 whole days have passed since the last sale: day 91.
    const lapse = new Date(Date.parse(second) + 91 * DAY_MS).toISOString();
    await env.sleep(Date.parse(lapse) - (await nowMs()) - 60_000);
    expect(timed(customerId)).toHaveLength(1);
    await env.sleep(2 * 60_000);
    await eventually(() => (timed(customerId).length > 1 ? true : undefined), 10_000, 'the lapse');
    expect(timed(customerId)).toEqual([
      `regulars exited ${out} time`,
      `lapsed entered ${lapse} time`,
    ]);
    // A year after the last sale it has no visit in 365 days: no longer "lapsed" by this
    // definition (a segment says what it says). Then nothing more happens with time alone.
    const gone = new Date(Date.parse(second) + 365 * DAY_MS).toISOString();
    await env.sleep(400 * DAY_MS);
    await eventually(() => (timed(customerId).length > 2 ? true : undefined), 10_000, 'the exit');
    expect(timed(customerId)).toEqual([
      `regulars exited ${out} time`,
      `lapsed entered ${lapse} time`,
      `lapsed exited ${gone} time`,
    ]);
    await env.sleep(400 * DAY_MS);
    expect(timed(customerId)).toHaveLength(3);
  }, 90_000);
});
