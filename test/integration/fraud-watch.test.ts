/**
 * Card anti-fraud on real servers, through the till gateway as tills use it: each rule flags the
 * case built for it, with its evidence, in the flag store, on the FRAUD stream, first among the
 * till's identification cues and in the 360 view; a card the watch blocked is refused at the till
 * (identification and redemption) until the service desk unblocks it, with the operator and the
 * reason kept on the card; the till where a flag was raised is alerted at once; a customer
 * shopping normally raises nothing. (The till-misses rule is
 * exercised where look-ups are limited: identity-gateways.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FraudFlag } from '../../engine/domain/fraud/messages.ts';
import { cardNumberOf } from '../../engine/domain/identity/card-number.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import {
  CARD_SUBJECT,
  FLAGS_SUBJECT,
  FRAUD_STREAM,
  VIEW_SUBJECT,
} from '../../engine/streams/topology.ts';
import { askService } from '../../gateways/shared/ask-service.ts';
import type { FraudAlert } from '../../gateways/till/protocol.ts';
import { clientele } from '../support/cli.ts';
import { saleInput } from '../support/events.ts';
import { programOf } from '../support/loyalty.ts';
import { eventually, startTestStack, testSettings } from '../support/stack.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

const run = Date.now().toString(36);
/** Card serials of this run: numbers no other run of the test on this machine used. */
const serial = (n: number) => cardNumberOf('279901', (Date.now() % 1_000_000) * 100 + n);

let stack: Stack;
const tills: Record<string, TestTill> = {};

beforeAll(async () => {
  stack = await startTestStack(
    ['worker', 'router', 'redemptions', 'identity', 'till'],
    // The velocity rule blocks the card; the others flag it.
    testSettings({ CLIENTELE_FRAUD_REDEMPTION_VELOCITY_ACTION: 'block' }),
    undefined,
    { programs: createProgramCatalog([programOf({}, 'fraud@1')]) },
  );
  for (const [store, till] of [
    ['S001', 'T1'],
    ['S001', 'T2'],
    ['S002', 'T1'],
    ['S003', 'T1'],
  ] as const) {
    tills[`${store}/${till}`] = await connectTill(
      stack.till?.url as string,
      store,
      till,
      `demo-token-${store}`,
    );
  }
}, 120_000);

afterAll(async () => {
  for (const till of Object.values(tills)) till.close();
  await stack?.stop();
});

type Answer = {
  ok: boolean;
  customerId?: string;
  cues?: { kind: string; message: string }[];
  error?: { code: string; message: string; issues: { field: string; message: string }[] };
  [field: string]: unknown;
};

const at = (till: string) => tills[till] as TestTill;
const ask = (till: string, message: string, payload: unknown): Promise<Answer> =>
  at(till).socket.timeout(20_000).emitWithAck(message, payload);
const identify = (till: string, card: string) =>
  ask(till, 'customer:identify', { card: { payload: card, source: 'barcode' } });

/** A member with a card and 39 points from one sale at S001. */
async function member(name: string, card: string): Promise<string> {
  const registered = await ask('S001/T1', 'customer:register', {
    registrationId: `fraud-${name}-${run}`,
    card: { cardNumber: card },
  });
  expect(registered).toMatchObject({ ok: true });
  const customerId = registered.customerId as string;
  expect(
    await at('S001/T1').send(saleInput({ customerId, occurredAt: new Date().toISOString() })),
  ).toMatchObject({ ok: true });
  await at('S001/T1').waitForCue((m) => m.cue.customerId === customerId && m.cue.pointsEarned > 0);
  return customerId;
}

const redeem = (till: string, customerId: string, card: string, n: number) =>
  ask(till, 'points:redeem', {
    redemptionId: `rd-${customerId}-${n}`,
    customerId,
    cardNumber: card,
    points: 5,
    basketMinor: 1000,
    currency: 'EUR',
  });

async function flagsOf(query: {
  customerId?: string;
  cardNumber?: string;
  storeId?: string;
}): Promise<FraudFlag[]> {
  const answer = await askService(stack.nc, FLAGS_SUBJECT, { action: 'list', ...query });
  expect(answer).toMatchObject({ ok: true });
  return (answer as unknown as { flags: FraudFlag[] }).flags;
}

/** The flags on the customer, once `rule` is among them. */
const raised = (customerId: string, rule: FraudFlag['rule']) =>
  eventually(
    async () => {
      const flags = await flagsOf({ customerId });
      return flags.some((f) => f.rule === rule) ? flags : undefined;
    },
    20_000,
    `the ${rule} flag`,
  );

describe('the anti-fraud watch', () => {
  it('blocks a card redeemed too fast; the till refuses it until the service desk unblocks it', async () => {
    const card = serial(1);
    const anna = await member('anna', card);
    // Three redemptions in the hour are allowed; the fourth trips the rule (granted, as the
    // watch reads behind the till), and the card is blocked.
    for (let n = 1; n <= 4; n++) {
      expect(await redeem('S001/T1', anna, card, n)).toMatchObject({ ok: true, points: 5 });
    }
    const flags = await raised(anna, 'redemption-velocity');
    const flag = flags.find((f) => f.rule === 'redemption-velocity') as FraudFlag;
    expect(flag).toMatchObject({
      rule: 'redemption-velocity',
      cardNumber: card,
      customerId: anna,
      action: 'block',
      status: 'open',
      message: expect.stringMatching(/^4 redemptions with this card in \d+ minutes/),
    });
    expect(flag.evidence.map((e) => e.kind === 'redemption' && e.redemptionId)).toEqual(
      [1, 2, 3, 4].map((n) => `rd-${anna}-${n}`),
    );

    // The till: the card is refused, for identification and for a redemption naming it.
    const refused = await eventually(
      async () => {
        const answer = await identify('S001/T2', card);
        return answer.ok ? undefined : answer;
      },
      10_000,
      'the card blocked',
    );
    expect(refused.error).toMatchObject({
      code: 'card_refused',
      issues: [{ field: 'card', message: expect.stringMatching(/blocked/) }],
    });
    expect(await redeem('S001/T2', anna, card, 5)).toMatchObject({
      ok: false,
      error: { code: 'card_refused', issues: [{ field: 'cardNumber' }] },
    });
    // A card never issued is refused, naming the field.
    expect(await redeem('S001/T2', anna, serial(9), 6)).toMatchObject({
      ok: false,
      error: { code: 'unknown_identifier', issues: [{ field: 'cardNumber' }] },
    });

    // The 360 view: the flag with its evidence, the block kept on the card with who and why.
    const view = (await askService(stack.nc, VIEW_SUBJECT, {
      customerId: anna,
      scope: 'till',
      storeId: 'S001',
      channel: 'till',
    })) as unknown as {
      fraudFlags: FraudFlag[];
      cards: { changes: unknown[] }[];
      cues: { kind: string }[];
    };
    expect(view.fraudFlags.map((f) => f.flagId)).toEqual([flag.flagId]);
    expect(view.cards[0]?.changes).toEqual([
      { status: 'blocked', operatorId: 'fraud-watch', reason: flag.message, at: flag.at },
    ]);
    expect(view.cues[0]?.kind).toBe('fraud-alert');

    // The service desk unblocks it, saying why: the flag is resolved with the same words.
    const unblocked = await askService(stack.nc, CARD_SUBJECT, {
      cardNumber: card,
      change: 'unblock',
      operatorId: 'desk-3',
      reason: 'member showed ID; redemptions were for a party',
    });
    expect(unblocked).toMatchObject({
      ok: true,
      card: { status: 'active' },
      resolvedFlags: [flag.flagId],
    });
    const [resolved] = await flagsOf({ cardNumber: card });
    expect(resolved).toMatchObject({
      flagId: flag.flagId,
      status: 'resolved',
      resolution: {
        operatorId: 'desk-3',
        reason: 'member showed ID; redemptions were for a party',
      },
    });
    const again = await identify('S001/T2', card);
    expect(again).toMatchObject({ ok: true, customerId: anna });
    expect(again.cues?.map((c) => c.kind)).not.toContain('fraud-alert');
  }, 90_000);

  it('flags one card used in Berlin and Munich minutes apart, and tells the next till', async () => {
    const card = serial(2);
    const bert = await member('bert', card);
    const alerts: Record<string, FraudAlert[]> = { 'S001/T1': [], 'S003/T1': [] };
    for (const [till, seen] of Object.entries(alerts)) {
      at(till).socket.on('fraud:alert', (alert: FraudAlert) => seen.push(alert));
    }
    expect(await identify('S001/T1', card)).toMatchObject({ ok: true });
    expect(await identify('S003/T1', card)).toMatchObject({ ok: true });
    const [flag] = (await raised(bert, 'impossible-travel')).filter(
      (f) => f.rule === 'impossible-travel',
    );
    expect(flag).toMatchObject({
      cardNumber: card,
      customerId: bert,
      action: 'flag',
      travel: { distanceKm: expect.closeTo(504, 0) },
      message: expect.stringMatching(/^Used at S001 and S003, 504 km apart/),
    });
    expect(flag?.evidence.map((e) => e.storeId)).toEqual(['S001', 'S003']);
    // Listed under the store where it was raised (the second use's), as published.
    expect((await flagsOf({ storeId: 'S003' })).map((f) => f.flagId)).toContain(flag?.flagId);
    expect((await flagsOf({ storeId: 'S001' })).map((f) => f.flagId)).not.toContain(flag?.flagId);
    // The till in Munich is told at once; the one in Berlin is not.
    await eventually(
      async () => (alerts['S003/T1']?.length ? true : undefined),
      10_000,
      'the alert at the till',
    );
    expect(alerts['S003/T1']).toEqual([
      {
        flagId: flag?.flagId,
        rule: 'impossible-travel',
        at: flag?.at,
        message: flag?.message,
        cardNumber: card,
        customerId: bert,
        action: 'flag',
      },
    ]);
    expect(alerts['S001/T1']).toEqual([]);
    // Flagged, not blocked: the next till is told first of all.
    const next = await identify('S003/T1', card);
    expect(next).toMatchObject({ ok: true });
    expect(next.cues?.[0]).toEqual({
      kind: 'fraud-alert',
      message: expect.stringContaining('Used at S001 and S003'),
    });
    // On the FRAUD stream for the console.
    const onStream = await stack.jsm.streams.getMessage(FRAUD_STREAM, {
      last_by_subj: 'fraud.S003',
    });
    expect(onStream?.json<FraudFlag>()).toMatchObject({
      flagId: flag?.flagId,
      rule: 'impossible-travel',
    });

    // The service desk lists it and, having called the member, resolves it.
    expect(await clientele(stack, 'fraud', 'flags', '--card', card)).toMatchObject({
      code: 0,
      answer: { ok: true, flags: [{ flagId: flag?.flagId, status: 'open' }] },
    });
    expect(
      await clientele(
        stack,
        'fraud',
        'resolve',
        flag?.flagId as string,
        '--operator',
        'desk-5',
        '--reason',
        'member was travelling; partner used the card',
      ),
    ).toMatchObject({
      code: 0,
      answer: {
        ok: true,
        flags: [{ status: 'resolved', resolution: { operatorId: 'desk-5' } }],
      },
    });
    expect(
      await clientele(
        stack,
        'fraud',
        'resolve',
        'no-such-flag',
        '--operator',
        'desk-5',
        '--reason',
        'typo',
      ),
    ).toMatchObject({
      code: 2,
      answer: { ok: false, error: { code: 'unknown_flag', issues: [{ field: 'flagId' }] } },
    });
    expect((await identify('S003/T1', card)).cues?.map((c) => c.kind)).not.toContain('fraud-alert');
  }, 120_000);

  it('flags a card reported lost when it is scanned again', async () => {
    const card = serial(3);
    const carl = await member('carl', card);
    expect(
      await askService(stack.nc, CARD_SUBJECT, {
        cardNumber: card,
        change: 'report-lost',
        operatorId: 'desk-4',
        reason: 'member phoned: lost with a wallet',
      }),
    ).toMatchObject({ ok: true, card: { status: 'lost' } });
    expect(await identify('S002/T1', card)).toMatchObject({
      ok: false,
      error: { code: 'card_refused' },
    });
    const [flag] = (await raised(carl, 'lost-card-use')).filter((f) => f.rule === 'lost-card-use');
    expect(flag).toMatchObject({
      cardNumber: card,
      customerId: carl,
      till: { storeId: 'S002', tillId: 'T1', channel: 'till' },
      message: 'A card reported lost was scanned at till S002/T1',
    });
    expect(flag?.evidence).toEqual([
      expect.objectContaining({ kind: 'look-up', outcome: 'refused', cardStatus: 'lost' }),
    ]);
  }, 60_000);

  it('raises nothing for a customer shopping normally', async () => {
    const card = serial(4);
    const dora = await member('dora', card);
    expect(await identify('S001/T1', card)).toMatchObject({ ok: true });
    // A mistyped number at the till, then the card again.
    const misread = `${card.slice(0, 15)}${(Number(card[15]) + 1) % 10}`;
    expect(await identify('S001/T2', misread)).toMatchObject({ ok: false });
    expect(await identify('S001/T2', card)).toMatchObject({ ok: true });
    expect(await redeem('S001/T2', dora, card, 1)).toMatchObject({ ok: true });
    expect(await redeem('S001/T2', dora, card, 2)).toMatchObject({ ok: true });
    // The watch has read all of it (a flag raised for the others after it would be later still).
    const marker = serial(5);
    const erin = await member('erin', marker);
    expect(await identify('S001/T1', marker)).toMatchObject({ ok: true });
    expect(await identify('S003/T1', marker)).toMatchObject({ ok: true });
    await raised(erin, 'impossible-travel');
    expect(await flagsOf({ customerId: dora })).toEqual([]);
    expect(await flagsOf({ cardNumber: card })).toEqual([]);
    const shown = await identify('S001/T1', card);
    expect(shown.cues?.map((c) => c.kind)).not.toContain('fraud-alert');
  }, 60_000);
});
