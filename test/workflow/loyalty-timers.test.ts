/**
 * The customer workflow's loyalty timers on Temporal's time-skipping test server: a lot expiring
 * 24 months after it was earned and a tier review 12 months after the first event, each in
 * seconds. No NATS and no gateways: events come in through update-with-start
 * (`deliverToCustomer`, as the router sends them), what the timers cause goes out through the
 * `publishEffects` local activity, here a stand-in that records it, and the `snapshot` query
 * shows the customer's state.
 *
 * The test server's clock starts at the wall clock and moves only when told (`env.sleep`), so
 * events are dated by it (`env.currentTimeMs()`), the workflow's own clock.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Effects } from '../../engine/domain/customer/account.ts';
import type { SaleEvent } from '../../engine/domain/events.ts';
import { addMonths } from '../../engine/domain/loyalty/arithmetic.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { line, programOf, saleOf } from '../support/loyalty.ts';
import {
  deliverUnder,
  eventually,
  recordingActivities,
  startCustomerWorker,
  startTimeSkipping,
} from '../support/time-skipping.ts';

const DAY_MS = 86_400_000;
const taskQueue = 'customers-time-skipping';
/** In force long before the test server's clock, so every sale here earns under it. */
const EFFECTIVE_FROM = '2020-01-01T00:00:00.000Z';

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

function programWith(fields: Parameters<typeof programOf>[0], version: string): Program {
  return { ...programOf(fields, version), effectiveFrom: EFFECTIVE_FROM };
}

/** Delivers the events as the router does: update-with-start, each under its version in force. */
const deliver = (programs: Program[], customerId: string, events: SaleEvent[]) =>
  deliverUnder(env, taskQueue, programs, customerId, events);

const snapshot = (customerId: string) =>
  env.client.workflow.getHandle(customerWorkflowId(customerId)).query(snapshotQuery);

/** What the loyalty clock published for this customer (the recorder serves every test). */
function publishedFor(customerId: string) {
  const mine = (effects: Effects) =>
    effects.ledger.some((e) => e.customerId === customerId) ||
    (effects.tierChanges ?? []).some((c) => c.customerId === customerId) ||
    (effects.triggers ?? []).some((t) => t.customerId === customerId);
  const effects = recorder.published.filter(mine);
  return {
    ledger: effects.flatMap((e) => e.ledger),
    tierChanges: effects.flatMap((e) => e.tierChanges ?? []),
    triggers: effects.flatMap((e) => e.triggers ?? []),
  };
}

/** Moves the test server's clock to `instant` (timers due by then fire, in order). */
async function skipTo(instant: string) {
  const ms = Date.parse(instant) - (await env.currentTimeMs());
  expect(ms).toBeGreaterThan(0);
  await env.sleep(ms);
}

function sale(customerId: string, tx: string, unitPrice: number, occurredAt: string): SaleEvent {
  return saleOf(tx, [line({ lineId: '1', unitPrice })], {
    customerId,
    eventId: `ev-${tx}`,
    occurredAt,
  });
}

describe('the customer workflow on the time-skipping test server', () => {
  it('expires a lot 24 months after it was earned, publishing the expiry through the local activity', async () => {
    const program = programWith({ expiry: { lotMonths: 24, warnDays: 30 } }, 'expiry@1');
    const customerId = 'c-ts-expiry';
    const earnedAt = new Date(await env.currentTimeMs()).toISOString();
    const receipt = await deliver([program], customerId, [
      sale(customerId, 'tx-lot', 30_000, earnedAt),
    ]);
    expect(receipt.effects?.ledger).toMatchObject([
      { kind: 'earn', points: 300, balanceAfter: 300, programVersion: 'expiry@1' },
    ]);
    expect((await snapshot(customerId)).loyalty).toMatchObject({ balance: 300, spendable: 300 });

    const expiresAt = addMonths(earnedAt, 24);
    // A day before: the 30-day warning went out, the points are still there.
    await skipTo(new Date(Date.parse(expiresAt) - DAY_MS).toISOString());
    const warned = await eventually(
      () => publishedFor(customerId).triggers.find((t) => t.kind === 'points-expiring'),
      10_000,
      'the expiry warning',
    );
    expect(warned).toEqual({
      kind: 'points-expiring',
      points: 300,
      expiresAt,
      customerId,
    });
    expect(publishedFor(customerId).ledger).toEqual([]);
    const before = await snapshot(customerId);
    expect(before.pointsBalance).toBe(300);
    expect(before.loyalty).toMatchObject({ balance: 300, spendable: 300 });

    // Two days on, the lot is past its 24 months: the timer expired it.
    await skipTo(new Date(Date.parse(expiresAt) + DAY_MS).toISOString());
    const expired = await eventually(
      () => publishedFor(customerId).ledger.find((e) => e.kind === 'expire'),
      10_000,
      'the expiry ledger line',
    );
    expect(expired).toMatchObject({
      entryId: `${customerId}/~expire/${expired.transactionId}`,
      customerId,
      kind: 'expire',
      points: -300,
      balanceAfter: 0,
      reason: 'age',
      occurredAt: expiresAt,
      programVersion: 'expiry@1',
      storeId: 'S001',
    });
    expect(publishedFor(customerId).triggers).toContainEqual({
      kind: 'points-expired',
      points: 300,
      at: expiresAt,
      cause: 'age',
      customerId,
    });
    const after = await snapshot(customerId);
    expect(after.pointsBalance).toBe(0);
    expect(after.loyalty).toMatchObject({ balance: 0, spendable: 0 });
  });

  it('downgrades at the tier review 12 months on a customer who reached a tier, then spent nothing', async () => {
    const program = programWith(
      {
        tiers: {
          metric: 'spend',
          windowMonths: 12,
          reviewMonths: 12,
          levels: [
            { id: 'member', name: 'Member', threshold: 0 },
            { id: 'gold', name: 'Gold', threshold: 50_000 },
          ],
        },
      },
      'tiers@1',
    );
    const customerId = 'c-ts-tiers';
    const firstAt = new Date(await env.currentTimeMs()).toISOString();
    // 600.00 EUR in one sale: over Gold's 500.00 at once.
    const receipt = await deliver([program], customerId, [
      sale(customerId, 'tx-gold', 60_000, firstAt),
    ]);
    expect(receipt.effects?.tierChanges).toEqual([
      { from: 'member', to: 'gold', reason: 'upgrade', at: firstAt, customerId },
    ]);
    const reviewAt = addMonths(firstAt, 12);
    expect((await snapshot(customerId)).loyalty).toMatchObject({
      tier: 'gold',
      balance: 600,
      projectedTier: { at: reviewAt },
    });

    // A day before the review: still Gold, nothing published.
    await skipTo(new Date(Date.parse(reviewAt) - DAY_MS).toISOString());
    expect((await snapshot(customerId)).loyalty?.tier).toBe('gold');
    expect(publishedFor(customerId).tierChanges).toEqual([]);

    // The review: the window's spend is 0 now (the sale is 12 months old), one level down.
    await skipTo(new Date(Date.parse(reviewAt) + DAY_MS).toISOString());
    const changes = await eventually(
      () => {
        const published = publishedFor(customerId).tierChanges;
        return published.length > 0 ? published : undefined;
      },
      10_000,
      'the tier change',
    );
    expect(changes).toEqual([
      { from: 'gold', to: 'member', reason: 'downgrade', at: reviewAt, customerId },
    ]);
    const after = await snapshot(customerId);
    expect(after.loyalty).toMatchObject({ tier: 'member', balance: 600 });
    expect(after.pointsBalance).toBe(600);
  });
});
