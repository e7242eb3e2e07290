/**
 * Households on real servers: the service desk groups customers (over NATS and from the back
 * office's command), one household per customer; the 360 view shows the household with each
 * member's points; under a program that pools points, a member spends what they lack from the
 * others (moved with their dates, each transfer once, also when the till asks again), and the
 * ledger of every member still adds up to their balance.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomerView } from '../../engine/domain/customer/view.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import { HOUSEHOLD_SUBJECT, REDEEM_SUBJECT, VIEW_SUBJECT } from '../../engine/streams/topology.ts';
import { askService } from '../../gateways/shared/ask-service.ts';
import { saleInput, uniqueId } from '../support/events.ts';
import { programOf } from '../support/loyalty.ts';
import { eventually, startTestStack } from '../support/stack.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

const catalog = createProgramCatalog([
  {
    ...programOf({ households: { pooling: true } }, 'hh@1'),
    effectiveFrom: '2020-01-01T00:00:00Z',
  },
]);
let stack: Stack;
let till: TestTill;
const run = Date.now().toString(36);
const [ann, ben, cat] = ['ann', 'ben', 'cat'].map((name) => `c-hh-${name}-${run}`) as [
  string,
  string,
  string,
];
const householdId = `h-rossi-${run}`;
/** Each member's sale, in minor units: 1 point per 1.00 under the program. */
const spent = { [ann]: 3000, [ben]: 5000, [cat]: 2000 };

beforeAll(async () => {
  stack = await startTestStack(
    ['worker', 'router', 'redemptions', 'identity', 'till'],
    undefined,
    undefined,
    { programs: catalog },
  );
  till = await connectTill(stack.till?.url as string, 'S001', 'T1', 'demo-token-S001');
  for (const [customerId, amount] of Object.entries(spent)) {
    const sale = saleInput({
      customerId,
      occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
      lines: [
        {
          lineId: '1',
          sku: 'SKU-1',
          category: 'grocery',
          quantity: 1,
          unitPrice: amount,
          fullPrice: amount,
          unitCost: amount / 2,
        },
      ],
      tenders: [{ type: 'card', amount }],
    });
    expect(await till.send(sale)).toMatchObject({ ok: true });
  }
  for (const customerId of [ann, ben, cat]) {
    await eventually(
      async () => ((await viewOf(customerId)).summary?.visits === 1 ? true : undefined),
      30_000,
      `${customerId}'s sale`,
    );
  }
}, 120_000);

afterAll(async () => {
  till?.close();
  await stack?.stop();
});

async function viewOf(customerId: string): Promise<CustomerView> {
  const answer = await askService(stack.nc, VIEW_SUBJECT, {
    customerId,
    scope: 'till',
    storeId: 'S001',
    channel: 'till',
  });
  if (!answer.ok) throw new Error(JSON.stringify(answer));
  return answer as unknown as CustomerView;
}

const desk = { operatorId: 'desk-7', storeId: 'HQ', channel: 'back-office' };
const change = (change: string, id: string, customerIds: string[]) =>
  askService(stack.nc, HOUSEHOLD_SUBJECT, { change, householdId: id, customerIds, ...desk });

async function redeem(customerId: string, redemptionId: string, points: number) {
  return askService(stack.nc, REDEEM_SUBJECT, {
    redemptionId,
    customerId,
    points,
    basketMinor: 100_000,
    currency: 'EUR',
    channel: 'till',
    storeId: 'S001',
    tillId: 'T1',
  }) as Promise<Record<string, unknown> & { ok: boolean }>;
}

describe('households', () => {
  it('are made from the back office, one per customer, and shown in the 360 view', async () => {
    const { stdout } = await promisify(execFile)(
      'npx',
      [
        'tsx',
        'engine/cli/main.ts',
        'households',
        'create',
        householdId,
        ann,
        ben,
        '--operator',
        'desk-7',
      ],
      { env: { ...process.env, CLIENTELE_NATS_SERVERS: stack.natsUrl } },
    );
    expect(JSON.parse(stdout)).toMatchObject({
      ok: true,
      household: { householdId, members: [ann, ben] },
    });
    // Asked again: the same household, nobody added twice.
    expect(await change('create', householdId, [ann, ben])).toMatchObject({
      ok: true,
      household: { members: [ann, ben] },
    });
    expect(await change('join', householdId, [cat])).toMatchObject({
      household: { members: [ann, ben, cat] },
    });
    expect(await change('leave', householdId, [cat])).toMatchObject({
      household: { members: [ann, ben] },
    });
    // One household per customer: naming the field.
    const other = await change('create', `h-other-${run}`, [cat, ann]);
    expect(other).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', issues: [{ field: 'customerIds[1]' }] },
    });
    const unknown = await change('join', householdId, [`c-nobody-${run}`]);
    expect(unknown).toMatchObject({
      ok: false,
      error: { code: 'unknown_customer', issues: [{ field: 'customerIds[0]' }] },
    });

    const view = await viewOf(ann);
    expect(view.household).toEqual({
      householdId,
      pooling: true,
      members: [
        { customerId: ann, balance: 30, spendable: 30 },
        { customerId: ben, balance: 50, spendable: 50 },
      ],
      spendable: 80,
    });
    expect((await viewOf(cat)).household).toBeUndefined();
  }, 60_000);

  it('pools points: a member spends what they lack from the others, once', async () => {
    const redemptionId = uniqueId('rd');
    const granted = await redeem(ann, redemptionId, 70);
    expect(granted).toMatchObject({ ok: true, points: 70, balance: 0 });
    // The till asks again: the same answer, nothing moved twice.
    expect(await redeem(ann, redemptionId, 70)).toMatchObject({
      ok: true,
      points: 70,
      repeated: true,
    });
    const view = await eventually(
      async () => {
        const v = await viewOf(ben);
        return v.summary?.loyalty.balance === 10 ? v : undefined;
      },
      20_000,
      'the giving member’s balance',
    );
    expect(view.household?.members).toEqual([
      { customerId: ann, balance: 0, spendable: 0 },
      { customerId: ben, balance: 10, spendable: 10 },
    ]);

    // More than the household has: refused, and nothing moves.
    const refused = await redeem(ben, uniqueId('rd'), 100);
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'insufficient_balance' },
      spendable: 10,
    });
    // A member outside the household spends their own points only.
    expect(await redeem(cat, uniqueId('rd'), 21)).toMatchObject({
      ok: false,
      error: { code: 'insufficient_balance' },
    });
    expect((await viewOf(ben)).summary?.loyalty.balance).toBe(10);
  }, 60_000);
});
