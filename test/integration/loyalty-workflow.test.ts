/**
 * The customer workflow under a loyalty program, on a real Temporal dev server and nats-server:
 * events applied under the version in force at their time (a version published mid-stream
 * applies to later events only), redemption served over NATS request–reply, lots expiring on the
 * workflow's timer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../engine/domain/effects.ts';
import type { CustomerEvent, SaleEvent } from '../../engine/domain/events.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import type { RedeemAnswer, RedeemRequest } from '../../engine/domain/redemption.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import { REDEEM_SUBJECT } from '../../engine/streams/topology.ts';
import { deliverToCustomer } from '../../workflows/customer/client.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { line, programOf, saleOf } from '../support/loyalty.ts';
import { eventually, startTestStack } from '../support/stack.ts';

const catalog = createProgramCatalog();
let stack: Stack;
const run = `${Date.now().toString(36)}`;

function versionOf(
  fields: Parameters<typeof programOf>[0],
  version: string,
  effectiveFrom: string,
): Program {
  return { ...programOf(fields, version), effectiveFrom };
}

beforeAll(async () => {
  catalog.add(versionOf({ expiry: { lotMonths: 1 } }, 'it@1', '2020-01-01T00:00:00.000Z'));
  stack = await startTestStack(['worker', 'redemptions', 'web'], undefined, undefined, {
    programs: catalog,
  });
});

afterAll(async () => {
  await stack?.stop();
});

const customers = () => ({
  temporal: stack.temporal,
  taskQueue: stack.settings.temporal.taskQueue,
  program: { version: 'base', basePointsPerUnit: 1, spendUnitMinor: 100 },
  programs: catalog,
});

function saleFor(customerId: string, tx: string, unitPrice: number, occurredAt: string): SaleEvent {
  return saleOf(tx, [line({ lineId: '1', unitPrice })], {
    customerId,
    eventId: `ev-${tx}`,
    occurredAt,
  });
}

const deliver = (customerId: string, events: CustomerEvent[]) =>
  deliverToCustomer(customers(), customerId, events);

async function redeem(
  request: Omit<RedeemRequest, 'currency' | 'channel' | 'storeId'>,
): Promise<RedeemAnswer> {
  const reply = await stack.nc.request(
    REDEEM_SUBJECT,
    JSON.stringify({ currency: 'EUR', channel: 'till', storeId: 'S001', tillId: 'T1', ...request }),
    { timeout: 20_000 },
  );
  return JSON.parse(new TextDecoder().decode(reply.data)) as RedeemAnswer;
}

const snapshot = (customerId: string) =>
  stack.temporal.workflow.getHandle(customerWorkflowId(customerId)).query(snapshotQuery);

describe('the customer workflow under a loyalty program', () => {
  it('earns under the program and redeems over NATS request-reply, once per redemption id', {
    timeout: 60_000,
  }, async () => {
    const customerId = `c-it-redeem-${run}`;
    const receipt = await deliver(customerId, [
      saleFor(customerId, `${run}-r1`, 50_000, new Date().toISOString()),
    ]);
    expect(receipt.effects?.ledger).toMatchObject([
      { kind: 'earn', points: 500, programVersion: 'it@1' },
    ]);
    expect(receipt.effects?.cues[0]).toMatchObject({ pointsEarned: 500, spendablePoints: 500 });

    const granted = await redeem({
      redemptionId: `rd-${run}-1`,
      customerId,
      points: 200,
      basketMinor: 1_000,
    });
    expect(granted).toEqual({
      ok: true,
      redemptionId: `rd-${run}-1`,
      points: 200,
      valueMinor: 200,
      currency: 'EUR',
      repeated: false,
      balance: 300,
      spendable: 300,
    });
    const again = await redeem({
      redemptionId: `rd-${run}-1`,
      customerId,
      points: 200,
      basketMinor: 1_000,
    });
    expect(again).toMatchObject({ ok: true, repeated: true, balance: 300 });

    const tooMuch = await redeem({
      redemptionId: `rd-${run}-2`,
      customerId,
      points: 301,
      basketMinor: 100_000,
    });
    expect(tooMuch).toMatchObject({
      ok: false,
      error: {
        code: 'insufficient_balance',
        issues: [{ field: 'points', code: 'insufficient_balance' }],
      },
      spendable: 300,
    });
    expect(tooMuch.ok === false && tooMuch.error.message).toContain('Only 300 points');

    const invalid = await redeem({
      redemptionId: `rd-${run}-3`,
      customerId,
      points: -5,
      basketMinor: 100,
    });
    expect(invalid).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', issues: [{ field: 'points' }] },
    });

    const nobody = await redeem({
      redemptionId: `rd-${run}-4`,
      customerId: `c-nobody-${run}`,
      points: 5,
      basketMinor: 100,
    });
    expect(nobody).toMatchObject({ ok: false, error: { code: 'unknown_customer' } });

    expect((await snapshot(customerId)).loyalty).toMatchObject({ balance: 300, spendable: 300 });
  });

  it('redeems for the web shop over HTTP, in the token’s store, with statuses for refusals', {
    timeout: 60_000,
  }, async () => {
    const customerId = `c-it-web-${run}`;
    await deliver(customerId, [saleFor(customerId, `${run}-w1`, 20_000, new Date().toISOString())]);
    const post = (path: string, body: unknown, token = stack.settings.stores.WEB as string) =>
      fetch(`${stack.web?.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ask = {
      redemptionId: `web-${run}-1`,
      customerId,
      points: 150,
      basketMinor: 5_000,
      currency: 'EUR',
    };
    const granted = await post('/v1/redemptions', { ...ask, storeId: 'S001' });
    expect(granted.status).toBe(200);
    expect(await granted.json()).toMatchObject({ ok: true, points: 150, balance: 50 });

    const refused = await post('/v1/redemptions', {
      ...ask,
      redemptionId: `web-${run}-2`,
      points: 51,
    });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({
      ok: false,
      error: { code: 'insufficient_balance' },
    });

    const invalid = await post('/v1/redemptions', { ...ask, points: 'lots' });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({
      error: { code: 'invalid_request', issues: [{ field: 'points' }] },
    });

    const cancelled = await post(`/v1/redemptions/web-${run}-1/cancel`, { customerId });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ ok: true, restored: 150, balance: 200 });

    // A redemption granted to a till in S001 cannot be given back by the web shop's token.
    const atTill = await redeem({
      redemptionId: `web-${run}-till`,
      customerId,
      points: 100,
      basketMinor: 5_000,
    });
    expect(atTill).toMatchObject({ ok: true });
    const notYours = await post(`/v1/redemptions/web-${run}-till/cancel`, { customerId });
    expect(notYours.status).toBe(404);
    expect(await notYours.json()).toMatchObject({
      ok: false,
      error: { code: 'unknown_redemption' },
    });

    // Points that paid for a sale come back by returning the sale, never by a cancel.
    const paying = await post('/v1/redemptions', {
      ...ask,
      redemptionId: `web-${run}-3`,
      points: 20,
    });
    expect(await paying.json()).toMatchObject({ ok: true, valueMinor: 20 });
    const paid = saleOf(`${run}-w2`, [line({ lineId: '1', unitPrice: 1_000 })], {
      customerId,
      storeId: 'WEB',
      channel: 'web',
      tillId: undefined,
      occurredAt: new Date().toISOString(),
      tenders: [
        { type: 'points', amount: 20, redemptionId: `web-${run}-3` },
        { type: 'card', amount: 980 },
      ],
    });
    const receipt = await deliver(customerId, [paid]);
    expect(receipt.effects?.cues.at(-1)).toMatchObject({
      kind: 'repeat-visit',
      pointsRedeemed: 20,
    });
    const used = await post(`/v1/redemptions/web-${run}-3/cancel`, { customerId });
    expect(used.status).toBe(422);
    expect(await used.json()).toMatchObject({ ok: false, error: { code: 'redemption_used' } });

    // A redemption id in the path that no till could have chosen is named as the field it fills.
    const badId = await post('/v1/redemptions/bad%20id/cancel', { customerId });
    expect(badId.status).toBe(400);
    expect(await badId.json()).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', issues: [{ field: 'redemptionId' }] },
    });

    const stranger = await post('/v1/redemptions', ask, 'not-a-token');
    expect(stranger.status).toBe(401);
    expect(await stranger.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it('applies a version published mid-stream to later events only', {
    timeout: 60_000,
  }, async () => {
    const customerId = `c-it-versions-${run}`;
    const before = new Date(Date.now() - 60_000).toISOString();
    const first = await deliver(customerId, [saleFor(customerId, `${run}-v1`, 10_000, before)]);
    expect(first.effects?.ledger.map((e) => [e.points, e.programVersion])).toEqual([[100, 'it@1']]);

    // Double points from now on: published while the customer's workflow runs under it@1.
    const from = new Date().toISOString();
    catalog.add(
      versionOf({ earn: { base: { rate: { points: 2, perMinor: 100 } } } }, 'it@2', from),
    );
    const later = new Date(Date.parse(from) + 1_000).toISOString();
    const second = await deliver(customerId, [
      saleFor(customerId, `${run}-v2`, 10_000, later),
      // A till that was offline sends a sale from before the new version: the old one applies.
      saleFor(customerId, `${run}-v1-late`, 10_000, before),
    ]);
    // (The first delivery's line comes again too: this caller never confirmed publishing it.)
    const lines =
      second.effects?.ledger.filter((e) => e.kind === 'earn' && e.transactionId !== `${run}-v1`) ??
      [];
    expect(lines.map((e) => [e.transactionId, e.points, e.programVersion])).toEqual([
      [`${run}-v2`, 200, 'it@2'],
      [`${run}-v1-late`, 100, 'it@1'],
    ]);
  });

  it('expires a lot on the workflow timer and publishes the expiry', {
    timeout: 60_000,
  }, async () => {
    const customerId = `c-it-expiry-${run}`;
    // Earned a month ago, less four seconds: under it@1 (expiry after one month) it expires soon.
    const earnedAt = new Date(Date.now() + 4_000);
    earnedAt.setUTCMonth(earnedAt.getUTCMonth() - 1);
    // it@1 (expiry after a month) was in force then; the lot keeps the expiry it was earned with.
    await deliver(customerId, [saleFor(customerId, `${run}-x1`, 30_000, earnedAt.toISOString())]);
    const after = await eventually(
      async () => {
        const s = await snapshot(customerId);
        return s.loyalty?.balance === 0 ? s : undefined;
      },
      20_000,
      'the lot to expire',
    );
    expect(after.pointsBalance).toBe(0);
    const expiry = await eventually(
      async () => {
        const message = await stack.jsm.streams
          .getMessage('LEDGER', { last_by_subj: 'ledger.S001' })
          .catch(() => undefined);
        const entry = message?.json<LedgerEntry>();
        return entry?.kind === 'expire' && entry.customerId === customerId ? entry : undefined;
      },
      10_000,
      'the expiry on the LEDGER stream',
    );
    expect(expiry).toMatchObject({ points: -300, transactionId: `${run}-x1`, reason: 'age' });
  });
});
