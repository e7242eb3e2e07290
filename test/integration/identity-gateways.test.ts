/**
 * Registering and identifying customers through the gateways and the back office's commands, on
 * real servers: a member signed up at the till, on the web or in the back office gets a customer
 * id and an account number, their card and phone find them at the till, the registration reaches
 * their workflow; a retry registers nobody new; a taken phone, a blocked card, an unknown or
 * malformed one are refused, naming the field; the service desk blocks and replaces cards.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSummaryStore } from '../../engine/customer-view/summary-store.ts';
import type { FraudFlag } from '../../engine/domain/fraud/messages.ts';
import { cardNumberOf, QR_PREFIX } from '../../engine/domain/identity/card-number.ts';
import { type IdentityIndex, openIdentityIndex } from '../../engine/identity/identity-index.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { FLAGS_SUBJECT } from '../../engine/streams/topology.ts';
import { askService } from '../../gateways/shared/ask-service.ts';
import { clientele as runCli } from '../support/cli.ts';
import { saleInput } from '../support/events.ts';
import { eventually, startTestStack, testSettings } from '../support/stack.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

const HASH_KEY = 'test-contact-hash-key';
let stack: Stack;
let till: TestTill;
let index: IdentityIndex;

beforeAll(async () => {
  stack = await startTestStack(
    ['worker', 'router', 'identity', 'till', 'web'],
    testSettings({
      CLIENTELE_IDENTITY_CONTACT_HASH_KEY: HASH_KEY,
      CLIENTELE_IDENTITY_LOOKUPS_PER_MINUTE: '20',
    }),
  );
  till = await connectTill(stack.till?.url as string, 'S001', 'T1', 'demo-token-S001');
  // The test's own look at the index, under the same key as the stack's.
  index = await openIdentityIndex(stack.nc, {
    hash: (text) => createHmac('sha256', HASH_KEY).update(text).digest('hex'),
  });
}, 120_000);

afterAll(async () => {
  till?.close();
  await stack?.stop();
});

type Answer = {
  ok: boolean;
  customerId?: string;
  accountNumber?: string;
  cardNumber?: string;
  repeated?: boolean;
  card?: { cardNumber: string; status: string; type: string };
  error?: { code: string; message: string; issues: { field: string; message: string }[] };
};

const ask = (message: string, payload: unknown): Promise<Answer> =>
  till.socket.timeout(15_000).emitWithAck(message, payload);

async function web(path: string, body: unknown): Promise<{ status: number; answer: Answer }> {
  const response = await fetch(`${stack.web?.url}${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer demo-token-WEB', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, answer: (await response.json()) as Answer };
}

describe('registration', () => {
  it('at the till gives a customer id and an account number; the card and phone find them', async () => {
    const card = cardNumberOf('279901', 101);
    const registered = await ask('customer:register', {
      registrationId: 'till-reg-1',
      consent: { email: true },
      profile: { givenName: 'Ann' },
      card: { cardNumber: card },
      phone: '+44 20 7946 0001',
    });
    expect(registered).toMatchObject({ ok: true, cardNumber: card, repeated: false });
    expect(registered.customerId).toMatch(/^c-[0-9a-f-]{36}$/);
    expect(registered.accountNumber).toMatch(/^[0-9]{8}$/);

    // Asked again (a double tap): the same customer, nobody new.
    expect(
      await ask('customer:register', {
        registrationId: 'till-reg-1',
        card: { cardNumber: card },
        phone: '+44 20 7946 0001',
      }),
    ).toMatchObject({ ok: true, customerId: registered.customerId, repeated: true });

    expect(
      await ask('customer:identify', { card: { payload: `${QR_PREFIX}${card}`, source: 'qr' } }),
    ).toMatchObject({
      ok: true,
      customerId: registered.customerId,
      accountNumber: registered.accountNumber,
      card: { cardNumber: card, status: 'active', type: 'plastic' },
    });
    expect(await ask('customer:identify', { phone: '0044 20 7946 0001' })).toMatchObject({
      ok: true,
      customerId: registered.customerId,
    });
    expect(
      await ask('customer:identify', { accountNumber: registered.accountNumber }),
    ).toMatchObject({ ok: true, customerId: registered.customerId });

    // The registration reached the customer's workflow, like any event.
    const snapshot = await eventually(
      async () => {
        const response = await fetch(`${stack.web?.url}/v1/customers/${registered.customerId}`, {
          headers: { authorization: 'Bearer demo-token-S001' },
        });
        const body = (await response.json()) as {
          ok: boolean;
          summary?: { registeredAt?: string; accountNumber?: string };
        };
        return body.summary?.registeredAt ? body.summary : undefined;
      },
      30_000,
      'the registration in the workflow',
    );
    expect(snapshot.registeredAt).toBeDefined();
    // The customer's own record knows their account number.
    expect(snapshot.accountNumber).toBe(registered.accountNumber);
    // And the till's identification now carries the customer's summary (no personal data).
    const again = (await ask('customer:identify', { phone: '+44 20 7946 0001' })) as Answer & {
      summary?: Record<string, unknown>;
      cues?: { kind: string }[];
    };
    expect(again.summary).toMatchObject({
      customerId: registered.customerId,
      accountNumber: registered.accountNumber,
      visits: 0,
    });
    expect(JSON.stringify(again.summary)).not.toContain('Ann');
    expect(again.cues?.map((c) => c.kind)).toEqual(['welcome-back']);
  }, 60_000);

  it('on the web works the same, and a phone already held is refused, naming it', async () => {
    const first = await web('/v1/customers', {
      registrationId: 'web-reg-1',
      email: 'bob@example.com',
      phone: '+44 20 7946 0002',
    });
    expect(first.status).toBe(200);
    expect(first.answer).toMatchObject({ ok: true, repeated: false });
    expect(
      (await web('/v1/customers/identify', { email: 'BOB@example.com' })).answer,
    ).toMatchObject({ ok: true, customerId: first.answer.customerId });

    const clash = await web('/v1/customers', {
      registrationId: 'web-reg-2',
      phone: '+442079460002',
    });
    expect(clash.status).toBe(409);
    expect(clash.answer.error).toMatchObject({
      code: 'identifier_taken',
      issues: [{ field: 'phone', message: 'belongs to another customer' }],
    });
  }, 60_000);

  it('refuses a malformed request, naming each field', async () => {
    const bad = await web('/v1/customers', {
      registrationId: 'has:colon',
      card: { cardNumber: '1234' },
      email: 'nobody',
    });
    expect(bad.status).toBe(400);
    expect(bad.answer.error?.code).toBe('invalid_request');
    expect(bad.answer.error?.issues.map((i) => i.field).sort()).toEqual([
      'card.cardNumber',
      'email',
      'registrationId',
    ]);
  });
});

describe('identification at the till', () => {
  it('refuses a blocked card with the reason, an unknown one, and a misread one', async () => {
    const card = cardNumberOf('279901', 102);
    const registered = await ask('customer:register', {
      registrationId: 'till-reg-2',
      card: { cardNumber: card, type: 'key-fob' },
    });
    expect(registered.ok).toBe(true);
    await index.setCardStatus(card, 'blocked', {
      operatorId: 'desk-2',
      reason: 'member asked',
      at: new Date().toISOString(),
    });
    const blocked = await ask('customer:identify', { card: { payload: card, source: 'barcode' } });
    expect(blocked).toMatchObject({
      ok: false,
      error: {
        code: 'card_refused',
        issues: [{ field: 'card', message: expect.stringMatching(/blocked/) }],
      },
    });

    const unknown = await ask('customer:identify', {
      card: { payload: cardNumberOf('279901', 99_999), source: 'barcode' },
    });
    expect(unknown.error?.code).toBe('unknown_identifier');

    const misread = `${card.slice(0, 15)}${(Number(card[15]) + 1) % 10}`;
    expect(
      await ask('customer:identify', { card: { payload: misread, source: 'barcode' } }),
    ).toMatchObject({
      ok: false,
      error: {
        code: 'invalid_request',
        issues: [{ field: 'card.payload', message: expect.stringMatching(/check digit/) }],
      },
    });
    expect(
      await ask('customer:identify', { accountNumber: '00000001', phone: '+4420' }),
    ).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  }, 60_000);
});

describe('look-ups', () => {
  it('are limited per till, so card numbers cannot be tried one after another; misses are counted', async () => {
    const prober = await connectTill(stack.till?.url as string, 'S003', 'T9', 'demo-token-S003');
    const other = await connectTill(stack.till?.url as string, 'S003', 'T8', 'demo-token-S003');
    try {
      const answers: Answer[] = [];
      for (let serial = 500; serial < 522; serial++) {
        answers.push(
          await prober.socket.timeout(15_000).emitWithAck('customer:identify', {
            card: { payload: cardNumberOf('279901', serial), source: 'barcode' },
          }),
        );
      }
      expect(answers.slice(0, 20).map((a) => a.error?.code)).toEqual(
        Array(20).fill('unknown_identifier'),
      );
      expect(answers.slice(20).map((a) => a.error?.code)).toEqual(['rate_limited', 'rate_limited']);
      expect(answers[20]?.error?.message).toMatch(/more than 20 look-ups in a minute/);
      // Another till of the same store is not held back.
      const elsewhere: Answer = await other.socket
        .timeout(15_000)
        .emitWithAck('customer:identify', { accountNumber: '00000001' });
      expect(elsewhere.error?.code).not.toBe('rate_limited');
      // On the web, per store token: past 20 in a minute, 429.
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++) {
        statuses.push((await web('/v1/customers/identify', { accountNumber: '00000999' })).status);
      }
      expect(statuses.at(-1)).toBe(429);
      expect(statuses.filter((s) => s === 429).length).toBeLessThanOrEqual(2);
      // What the engine looked up and did not find raises the anti-fraud watch's flag on the
      // prober's till (more than 10 misses in 10 minutes), and on no other of the store's.
      const flags = await eventually(
        async () => {
          const answer = await askService(stack.nc, FLAGS_SUBJECT, {
            action: 'list',
            storeId: 'S003',
          });
          const raised = (answer as { flags?: FraudFlag[] }).flags ?? [];
          return raised.some((f) => f.rule === 'till-misses') ? raised : undefined;
        },
        15_000,
        'the till-misses flag',
      );
      expect(flags.filter((f) => f.rule === 'till-misses')).toEqual([
        expect.objectContaining({
          till: { storeId: 'S003', tillId: 'T9', channel: 'till' },
          status: 'open',
          evidence: expect.arrayContaining([
            expect.objectContaining({ kind: 'look-up', outcome: 'unknown', tillId: 'T9' }),
          ]),
        }),
      ]);
      expect(flags.find((f) => f.rule === 'till-misses')?.evidence).toHaveLength(11);
    } finally {
      prober.close();
      other.close();
    }
  }, 60_000);
});

/** The customer's summary as the identification reads it. */
async function summaryOf(customerId: string) {
  return (await openSummaryStore(stack.nc)).read(customerId);
}

describe('the back office', () => {
  /** Runs `clientele <args>` against the stack; its JSON answer and exit code. */
  const clientele = (...args: string[]) => runCli<Answer>(stack, ...args);

  it('registers a member, finds them, and replaces a lost card: the new one finds the same customer', async () => {
    const card = cardNumberOf('279901', 201);
    const replacement = cardNumberOf('279901', 202);
    const registered = await clientele(
      'customers',
      'register',
      '--registration-id',
      'desk-1',
      '--store',
      'S002',
      '--card',
      card,
      '--email',
      'cat@example.com',
      '--given-name',
      'Cat',
      '--consent',
      'email',
    );
    expect(registered).toMatchObject({ code: 0, answer: { ok: true, cardNumber: card } });
    const customerId = registered.answer.customerId;

    const spaced = `${card.slice(0, 4)} ${card.slice(4, 8)} ${card.slice(8, 12)} ${card.slice(12)}`;
    expect(
      await clientele('customers', 'identify', '--card', spaced, '--store', 'S002'),
    ).toMatchObject({ code: 0, answer: { ok: true, customerId } });

    // A purchase before the card is lost: 1 point per 1.00 at the base rate.
    expect(
      await till.send(saleInput({ customerId, transactionId: `tx-desk-${Date.now()}` })),
    ).toMatchObject({ ok: true });
    const points = Math.floor(3998 / 100);
    // (Asked of the summary store directly: the till's look-ups are limited to 20 a minute.)
    await eventually(
      async () =>
        (await summaryOf(customerId as string))?.pointsBalance === points ? true : undefined,
      30_000,
      'the sale in the summary',
    );

    expect(
      await clientele('cards', 'lost', card, '--operator', 'desk-7', '--reason', 'lost on a train'),
    ).toMatchObject({
      code: 0,
      answer: { ok: true, customerId, card: { status: 'lost' } },
    });
    expect(
      await clientele(
        'cards',
        'replace',
        card,
        replacement,
        '--type',
        'virtual',
        '--operator',
        'desk-7',
        '--reason',
        'lost card replaced',
      ),
    ).toMatchObject({
      code: 0,
      answer: {
        ok: true,
        customerId,
        card: { cardNumber: card, status: 'replaced' },
        replacement: { cardNumber: replacement, status: 'active', type: 'virtual' },
      },
    });
    expect(
      await ask('customer:identify', { card: { payload: replacement, source: 'barcode' } }),
    ).toMatchObject({ ok: true, customerId });
    expect(
      await ask('customer:identify', { card: { payload: card, source: 'barcode' } }),
    ).toMatchObject({ ok: false, error: { code: 'card_refused' } });
    // The new card, the account number and the e-mail find the same customer, points and all.
    for (const identifier of [
      { card: { payload: replacement, source: 'barcode' } },
      { accountNumber: registered.answer.accountNumber },
      { email: 'CAT@example.com' },
    ]) {
      expect(await ask('customer:identify', identifier)).toMatchObject({
        ok: true,
        customerId,
        summary: { pointsBalance: points, visits: 1 },
      });
    }
    // The record lists both cards: the old one replaced by the new.
    expect(await clientele('customers', 'show', customerId as string)).toMatchObject({
      code: 0,
      answer: {
        ok: true,
        scope: 'full',
        profile: { givenName: 'Cat', email: 'cat@example.com' },
        cards: [
          { cardNumber: card, status: 'replaced', replacedBy: replacement },
          { cardNumber: replacement, status: 'active', type: 'virtual' },
        ],
      },
    });

    // A card that cannot make the change is refused, exit code 2, naming the field.
    expect(
      await clientele(
        'cards',
        'block',
        card,
        '--operator',
        'desk-7',
        '--reason',
        'suspected misuse',
      ),
    ).toMatchObject({
      code: 2,
      answer: { ok: false, error: { code: 'invalid_request', issues: [{ field: 'status' }] } },
    });
  }, 120_000);
});
