/**
 * `replay state` on real servers: customers driven through the till gateway (sales a quarter
 * back, a return, redemptions, a cancelled one), a program change, points expiring on the
 * workflow's timer, and an anonymous card merged in by the service desk. The state rebuilt from
 * the analytics store's log equals the live workflow's, field by field; at past moments the
 * balance is the one the test computes from what it sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayStateAnswer } from '../../engine/domain/customer/state-diff.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { parseCondition } from '../../engine/segments/expression.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import { MERGE_SUBJECT, REPLAY_STATE_SUBJECT } from '../../engine/streams/topology.ts';
import { askService } from '../../gateways/shared/ask-service.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { runCli } from '../support/cli.ts';
import { uniqueId } from '../support/events.ts';
import { programOf } from '../support/loyalty.ts';
import { eventually, startTestStack } from '../support/stack.ts';
import { staffMember } from '../support/staff.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

const DAY = 86_400_000;
const started = Date.now();
const ago = (days: number) => new Date(started - days * DAY).toISOString();

const catalog = createProgramCatalog();
const version = (n: number, pointsPerUnit: number, effectiveFrom: string): Program => ({
  ...programOf(
    {
      id: 'rs',
      expiry: { lotMonths: 1 },
      earn: { base: { rate: { points: pointsPerUnit, perMinor: 100 } } },
      // A tier, a live segment and lifecycle rules, so the comparison covers them too.
      tiers: {
        metric: 'spend',
        windowMonths: 12,
        reviewMonths: 12,
        levels: [
          { id: 'member', name: 'Member', threshold: 0 },
          { id: 'silver', name: 'Silver', threshold: 10_000 },
        ],
      },
      segments: [
        { id: 'regular', when: 'visits(60) >= 2', condition: parseCondition('visits(60) >= 2') },
      ],
      lifecycle: {
        rules: [
          { id: 'lapsed', on: 'lapsed', afterDays: 20 },
          { id: 'third-visit', on: 'visits', count: 3 },
        ],
      },
    },
    `rs@${n}`,
  ),
  effectiveFrom,
});

let stack: Stack;
let till: TestTill;
const run = Date.now().toString(36);
const member = `c-rs-member-${run}`;
const card = `c-rs-card-${run}`;

beforeAll(async () => {
  catalog.add(version(1, 1, '2020-01-01T00:00:00.000Z'));
  // The program change: twice the points from ten days ago.
  catalog.add(version(2, 2, ago(10)));
  stack = await startTestStack(
    ['worker', 'router', 'redemptions', 'identity', 'sink', 'till', 'dashboard'],
    undefined,
    undefined,
    { programs: catalog },
  );
  till = await connectTill(stack.till?.url as string, 'S001', 'T1', 'demo-token-S001');
}, 180_000);

afterAll(async () => {
  till?.close();
  await stack?.stop();
});

type Answer = { ok: boolean } & Record<string, unknown>;
const ask = (message: string, payload: unknown): Promise<Answer> =>
  till.socket.timeout(15_000).emitWithAck(message, payload);

function sale(customerId: string, transactionId: string, occurredAt: string, prices: number[]) {
  return {
    type: 'sale',
    eventId: `ev-${transactionId}`,
    occurredAt,
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    transactionId,
    customerId,
    currency: 'EUR',
    lines: prices.map((unitPrice, i) => ({
      lineId: String(i + 1),
      sku: `SKU-${i + 1}`,
      category: 'grocery',
      quantity: 1,
      unitPrice,
      fullPrice: unitPrice,
      discount: 0,
      unitCost: Math.floor(unitPrice / 2),
    })),
    tenders: [{ type: 'card', amount: prices.reduce((a, b) => a + b, 0) }],
  };
}

async function applied(customerId: string, events: number) {
  const handle = stack.temporal.workflow.getHandle(customerWorkflowId(customerId));
  return eventually(
    async () => {
      const s = await handle.query(snapshotQuery);
      return s.eventsApplied >= events ? s : undefined;
    },
    30_000,
    `${events} events applied for ${customerId}`,
  );
}

const replayState = async (customerId: string, asOf?: string, timeline?: 'received' | 'occurred') =>
  (await askService(stack.nc, REPLAY_STATE_SUBJECT, {
    customerId,
    ...(asOf ? { asOf } : {}),
    ...(timeline ? { timeline } : {}),
  })) as ReplayStateAnswer | { ok: false; error: { code: string; issues: { field: string }[] } };

/** The answer once the sink has stored the inputs the test sent. */
async function stateOnceStored(customerId: string, events: number, requests: number) {
  let last: unknown;
  try {
    return await eventually(async () => {
      const answer = await replayState(customerId);
      last = answer;
      if (!answer.ok) return undefined;
      const { inputs } = answer;
      return inputs.events === events && inputs.requests === requests ? answer : undefined;
    }, 30_000);
  } catch (err) {
    throw new Error(
      `the log of ${customerId} was not stored: last answer ${JSON.stringify(last)}`,
      {
        cause: err,
      },
    );
  }
}

/** Moments during the first test, and the member's balance the live workflow had then. */
const known: { at: string; balance: number }[] = [];

describe('a customer rebuilt from the log', () => {
  it('equals the live workflow through returns, redemptions, expiry, a program change and a merge', {
    timeout: 120_000,
  }, async () => {
    // 50 points earned 90 days back (expired 60 days back), 70 points 40 days back (expired
    // 10 days back), 120 points 5 days back under version 2, of which a returned line takes 40.
    for (const event of [
      sale(member, `${run}-s1`, ago(90), [5_000]),
      sale(member, `${run}-s2`, ago(40), [7_000]),
      sale(member, `${run}-s3`, ago(5), [4_000, 2_000]),
    ]) {
      expect(await till.send(event)).toMatchObject({ ok: true });
    }
    await applied(member, 3);
    expect(
      await till.send({
        type: 'return',
        eventId: `ev-${run}-r1`,
        occurredAt: ago(4),
        storeId: 'S001',
        tillId: 'T1',
        channel: 'till',
        transactionId: `${run}-r1`,
        originalTransactionId: `${run}-s3`,
        customerId: member,
        currency: 'EUR',
        lines: [{ lineId: '2', sku: 'SKU-2', quantity: 1, refundAmount: 2_000 }],
        tenders: [{ type: 'card', amount: 2_000 }],
      }),
    ).toMatchObject({ ok: true });
    const afterReturn = await applied(member, 4);
    // What the engine knew then: the moment, and the balance the live workflow gave.
    known.push({ at: new Date().toISOString(), balance: afterReturn.pointsBalance });

    const redeem = (redemptionId: string, points: number) =>
      ask('points:redeem', {
        redemptionId,
        customerId: member,
        points,
        basketMinor: 100_000,
        currency: 'EUR',
      });
    expect(await redeem(`rd-${run}-1`, 30)).toMatchObject({ ok: true, balance: 50 });
    expect(await redeem(`rd-${run}-2`, 20)).toMatchObject({ ok: true, balance: 30 });
    expect(
      await ask('points:cancel', { redemptionId: `rd-${run}-2`, customerId: member }),
    ).toMatchObject({ ok: true, restored: 20, balance: 50 });

    // An anonymous card's sale 3 days back (60 points under version 2), merged into the member.
    expect(await till.send(sale(card, `${run}-a1`, ago(3), [3_000]))).toMatchObject({ ok: true });
    await applied(card, 1);
    const merged = await askService(stack.nc, MERGE_SUBJECT, {
      mergeId: uniqueId('merge'),
      absorbedCustomerId: card,
      survivorCustomerId: member,
      operatorId: 'desk-7',
      storeId: 'HQ',
      channel: 'back-office',
    });
    expect(merged).toMatchObject({ ok: true, points: 60 });
    const afterMerge = await stack.temporal.workflow
      .getHandle(customerWorkflowId(member))
      .query(snapshotQuery);
    known.push({ at: new Date().toISOString(), balance: afterMerge.pointsBalance });

    // 5 events (the card's sale with them), 4 requests: two redemptions, a cancellation, the merge.
    const state = await stateOnceStored(member, 5, 4);
    expect(state.differences).toEqual([]);
    expect(state.rebuilt).toEqual(state.live);
    // Spend: 5,000 + 7,000 + 6,000 + 3,000 less the 2,000 returned.
    expect(state.rebuilt).toMatchObject({ balance: 110, visits: 4, spendMinor: 19_000 });
    expect(state.rebuilt.lots.map((lot) => lot.points).reduce((a, b) => a + b, 0)).toBe(110);

    const absorbed = await stateOnceStored(card, 1, 1);
    expect(absorbed.differences).toEqual([]);
    expect(absorbed.rebuilt).toMatchObject({ balance: 0, mergedInto: member, visits: 1 });
  });

  it('answers the balance known at a past moment, and the moment as the log tells it', {
    timeout: 60_000,
  }, async () => {
    // As the engine received the log: the balance the live workflow had at each moment (after
    // the return: 120 − 40, the older lots expired; after the merge: 110), and nothing before
    // the first event came.
    expect(known.map((k) => k.balance)).toEqual([80, 110]);
    for (const moment of known) {
      const then = await replayState(member, moment.at);
      expect(then).toMatchObject({
        ok: true,
        timeline: 'received',
        rebuilt: { balance: moment.balance },
      });
      expect(then).not.toHaveProperty('live');
    }
    expect(await replayState(member, new Date(started - 1_000).toISOString())).toMatchObject({
      ok: true,
      rebuilt: { balance: 0, visits: 0, lots: [] },
    });
    // Each event at its own time: 70 days back only the first sale's 50 points; 35 days back
    // they had expired (one month), and the second sale's 70 were there; 100 days back, nothing.
    const occurred = (days: number) => replayState(member, ago(days), 'occurred');
    expect(await occurred(70)).toMatchObject({ ok: true, rebuilt: { balance: 50, visits: 1 } });
    expect(await occurred(35)).toMatchObject({ ok: true, rebuilt: { balance: 70, visits: 2 } });
    expect(await occurred(100)).toMatchObject({ ok: true, rebuilt: { balance: 0, lots: [] } });
  });

  it('refuses an unknown customer and a moment in the future, naming the field', async () => {
    expect(await replayState(`c-nobody-${run}`)).toMatchObject({
      ok: false,
      error: { code: 'unknown_customer', issues: [{ field: 'customerId' }] },
    });
    expect(await replayState(member, new Date(Date.now() + DAY).toISOString())).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', issues: [{ field: 'asOf' }] },
    });
  });

  it('is the same over HTTP for the customer page, and from the command line', {
    timeout: 120_000,
  }, async () => {
    const marketer = await staffMember(stack, 'marketer');
    const get = (path: string) => marketer.fetch(path);
    const now = await get(`/api/customers/${member}/state`);
    expect(now.status).toBe(200);
    expect(await now.json()).toMatchObject({
      ok: true,
      differences: [],
      rebuilt: { balance: 110 },
    });
    // A day means its end: 35 days back, the second sale's 70 points (each event at its time).
    const day = ago(35).slice(0, 10);
    expect(
      await (await get(`/api/customers/${member}/state?as-of=${day}&timeline=occurred`)).json(),
    ).toMatchObject({
      ok: true,
      asOf: `${day}T23:59:59.999Z`,
      rebuilt: { balance: 70 },
    });
    const bad = await get(`/api/customers/${member}/state?as-of=yesterday`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { issues: [{ field: 'as-of' }] } });
    expect((await get(`/api/customers/c-nobody-${run}/state`)).status).toBe(404);
    expect((await fetch(`${stack.dashboard?.url}/api/customers/${member}/state`)).status).toBe(401);

    const env = { CLIENTELE_NATS_SERVERS: stack.natsUrl };
    const same = await runCli(['replay', 'state', member], env);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("The rebuilt state equals the live workflow's.");
    expect(same.stdout).toMatch(/^balance\s+110\s+110\s+yes$/m);
    const past = await runCli(
      ['replay', 'state', member, '--as-of', day, '--timeline', 'occurred', '--json'],
      env,
    );
    expect(past.code).toBe(0);
    expect(JSON.parse(past.stdout)).toMatchObject({ rebuilt: { balance: 70 } });
    const unknown = await runCli(['replay', 'state', `c-nobody-${run}`], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown_customer');
    const badMoment = await runCli(['replay', 'state', member, '--as-of', 'soon'], env);
    expect(badMoment.code).toBe(2);
    expect(badMoment.stderr).toContain('--as-of');
  });
});
