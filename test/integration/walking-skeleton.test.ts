/**
 * End to end on real servers: a till's sale travels gateway → JetStream → router → customer
 * workflow → cue back to that till, and into ClickHouse (chDB).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../engine/runtime/stack.ts';
import { DEAD_LETTER_STREAM, EVENTS_STREAM } from '../../engine/streams/topology.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { registrationInput, saleInput, uniqueId } from '../support/events.ts';
import { eventually, startTestStack } from '../support/stack.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

let stack: Stack;
let tillA: TestTill;
let tillA2: TestTill;
let tillB: TestTill;
const db = () => stack.settings.clickhouse.database;
const tokenOf = (store: string) => stack.settings.stores[store] as string;

/** The next `error` the gateway emits to this till; fails after `ms` rather than waiting on. */
function nextError(till: TestTill, ms = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no error within ${ms} ms`)), ms);
    till.socket.once('error', (error: unknown) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

async function rows<T>(sql: string): Promise<T[]> {
  return (await stack.store?.query<T>(sql)) ?? [];
}

beforeAll(async () => {
  stack = await startTestStack();
  const url = stack.till?.url as string;
  tillA = await connectTill(url, 'S001', 'T1', tokenOf('S001'));
  tillA2 = await connectTill(url, 'S001', 'T2', tokenOf('S001'));
  tillB = await connectTill(url, 'S002', 'T1', tokenOf('S002'));
});

afterAll(async () => {
  for (const till of [tillA, tillA2, tillB]) till?.close();
  await stack?.stop();
});

/**
 * A POST on a connection of its own: the gateway answers a body over the limit before reading it
 * and closes that connection, which must not be one fetch's pool hands out again.
 */
function postAlone(
  url: string,
  headers: Record<string, string>,
  json: unknown,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    let responded = false;
    const req = request(
      url,
      { method: 'POST', agent: false, headers: { ...headers, 'content-type': 'application/json' } },
      (res) => {
        responded = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    // The gateway closes the connection once it has answered, maybe while the body is being written.
    req.on('error', (err) => (responded ? undefined : reject(err)));
    req.end(JSON.stringify(json));
  });
}

describe('walking skeleton', () => {
  const customerId = `c-${uniqueId('e2e').replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 40);

  it('a till sale comes back to that till as a cue with the points and balance', async () => {
    const sale = saleInput({ customerId }); // 3998 minor units → 39 points
    const ack = await tillA.send(sale);
    expect(ack).toMatchObject({ ok: true, duplicate: false });
    const cue = await tillA.waitForCue((m) => m.cue.eventId === sale.eventId);
    expect(cue.cue).toMatchObject({
      customerId,
      pointsEarned: 39,
      pointsBalance: 39,
      storeId: 'S001',
      tillId: 'T1',
    });
    expect(cue.cue.message).toContain('+39 points');

    const second = saleInput({ customerId, occurredAt: '2026-11-21T10:00:00Z' });
    await tillA.send(second);
    const cue2 = await tillA.waitForCue((m) => m.cue.eventId === second.eventId);
    expect(cue2.cue).toMatchObject({ pointsEarned: 39, pointsBalance: 78, visitsThisMonth: 2 });
    expect(cue2.cue.message).toContain('2nd visit this month');
  });

  it('stores the sale and its ledger entry in ClickHouse', async () => {
    const sale = saleInput({ customerId });
    await tillA.send(sale);
    await tillA.waitForCue((m) => m.cue.eventId === sale.eventId);
    const event = await eventually(
      async () => {
        const found = await rows<{ event_id: string; total_minor: string | number }>(
          `SELECT event_id, total_minor FROM ${db()}.events FINAL WHERE event_id = '${sale.eventId}'`,
        );
        return found[0];
      },
      20_000,
      'the sale in ClickHouse',
    );
    expect(Number(event.total_minor)).toBe(3998);
    const ledger = await eventually(
      async () => {
        const found = await rows<{ points: string | number; kind: string }>(
          `SELECT points, kind FROM ${db()}.ledger FINAL WHERE event_id = '${sale.eventId}'`,
        );
        return found[0];
      },
      20_000,
      'the ledger entry in ClickHouse',
    );
    expect(ledger.kind).toBe('earn');
    expect(Number(ledger.points)).toBe(39);
  });

  it('the same sale sent twice changes nothing', async () => {
    const sale = saleInput({ customerId: 'c-twice-0001' });
    const first = await tillA.send(sale);
    await tillA.waitForCue((m) => m.cue.eventId === sale.eventId);
    const again = await tillA.send(sale);
    expect(first).toMatchObject({ ok: true, duplicate: false });
    expect(again).toMatchObject({ ok: true, duplicate: true, seq: first.seq });

    // The same event re-sent after JetStream's duplicate window arrives as a new message:
    // the workflow itself must ignore it.
    await stack.js.publish(`events.S001`, JSON.stringify(sale), {
      msgID: `${sale.eventId}-late-resend`,
    });
    const marker = saleInput({ customerId: 'c-twice-0001' });
    await tillA.send(marker);
    await tillA.waitForCue((m) => m.cue.eventId === marker.eventId);

    const snapshot = await stack.temporal.workflow
      .getHandle(customerWorkflowId('c-twice-0001'))
      .query(snapshotQuery);
    expect(snapshot).toMatchObject({ pointsBalance: 78, visits: 2, eventsApplied: 2 });
    expect(tillA.cues.filter((m) => m.cue.eventId === sale.eventId)).toHaveLength(1);
    const counted = await eventually(
      async () => {
        const found = await rows<{ n: string | number }>(
          `SELECT count() AS n FROM ${db()}.events FINAL WHERE customer_id = 'c-twice-0001'`,
        );
        return Number(found[0]?.n) === 2 ? 2 : undefined;
      },
      20_000,
      'two distinct events in ClickHouse',
    );
    expect(counted).toBe(2);
  });

  it('refuses a bad sale naming the field, and nothing reaches the stream', async () => {
    const before = (await stack.jsm.streams.info(EVENTS_STREAM)).state.last_seq;
    const negative = saleInput({
      lines: [{ ...(saleInput().lines[0] as object), quantity: -2 }],
    });
    const noStore = saleInput({ storeId: undefined });
    const otherStore = saleInput({ storeId: 'S002' });
    const a = await tillA.send(negative);
    const b = await tillA.send(noStore);
    const c = await tillA.send(otherStore);
    expect(a.ok).toBe(false);
    expect(a.error?.issues.map((i) => i.field)).toContain('lines[0].quantity');
    expect(b.error?.issues.map((i) => i.field)).toContain('storeId');
    expect(c.error).toMatchObject({
      code: 'wrong_store',
      issues: [expect.objectContaining({ field: 'storeId' })],
    });
    expect((await stack.jsm.streams.info(EVENTS_STREAM)).state.last_seq).toBe(before);
  });

  it('refuses what cannot be true, naming the field: impossible dates, repeated lines, unpaid points', async () => {
    const before = (await stack.jsm.streams.info(EVENTS_STREAM)).state.last_seq;
    const coffee = saleInput().lines[0];
    const refusals = await Promise.all(
      [
        saleInput({ occurredAt: '2099-12-01T16:00:00Z' }),
        saleInput({ occurredAt: '1970-01-01T00:00:00Z' }),
        saleInput({ lines: [coffee, coffee], tenders: [{ type: 'card', amount: 7596 }] }),
        saleInput({ tenders: [{ type: 'points', amount: 3998 }] }),
      ].map((event) => tillA.send(event)),
    );
    expect(refusals.map((r) => [r.error?.code, r.error?.issues.map((i) => i.field)])).toEqual([
      ['invalid_event', ['occurredAt']],
      ['invalid_event', ['occurredAt']],
      ['invalid_event', ['lines[1].lineId']],
      ['invalid_event', ['tenders[0].redemptionId']],
    ]);
    expect(refusals[0]?.error?.message).toMatch(
      /^occurredAt: is 73 years ahead of the receiving clock \(.+\); at most 300 s ahead is accepted$/,
    );
    expect(refusals[1]?.error?.message).toBe(
      'occurredAt: is before 2000-01-01T00:00:00.000Z, the earliest date accepted (events.earliestOccurredAt)',
    );
    const web = await fetch(`${stack.web?.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokenOf('WEB')}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        saleInput({
          storeId: 'WEB',
          tillId: undefined,
          channel: 'web',
          occurredAt: '2099-12-01T16:00:00Z',
        }),
      ),
    });
    expect(web.status).toBe(400);
    expect(await web.json()).toMatchObject({
      error: { code: 'invalid_event', issues: [{ field: 'occurredAt' }] },
    });
    expect((await stack.jsm.streams.info(EVENTS_STREAM)).state.last_seq).toBe(before);
  });

  it('the router dead-letters an event dated beyond the limits that was published to NATS directly', async () => {
    const future = saleInput({ customerId: 'c-future-0001', occurredAt: '2099-12-01T16:00:00Z' });
    const ack = await stack.js.publish('events.S001', JSON.stringify(future), {
      msgID: future.eventId,
    });
    const dead = await eventually(
      async () => {
        const m = await stack.jsm.streams.getMessage(DEAD_LETTER_STREAM, {
          last_by_subj: 'deadletter.events',
        });
        return m?.header.get('Clientele-Source-Seq') === String(ack.seq) ? m : undefined;
      },
      20_000,
      'the dead letter of the future sale',
    );
    expect(dead.header.get('Clientele-Reason')).toMatch(
      /^not a valid event: occurredAt: is 73 years ahead of the receiving clock/,
    );
    const next = saleInput({ customerId: 'c-future-0001' });
    await tillA.send(next);
    const cue = await tillA.waitForCue((m) => m.cue.eventId === next.eventId);
    expect(cue.cue).toMatchObject({ pointsBalance: 39, visitsThisMonth: 1 });
  });

  it("a till of store B never sees store A's cues, nor another till's", async () => {
    const sale = saleInput({ customerId: 'c-rooms-0001' });
    await tillA.send(sale);
    await tillA.waitForCue((m) => m.cue.eventId === sale.eventId);
    const fromB = saleInput({ customerId: 'c-rooms-0002', storeId: 'S002', tillId: 'T1' });
    await tillB.send(fromB);
    await tillB.waitForCue((m) => m.cue.eventId === fromB.eventId);
    // Both relays have run past A's cue by now: B got its own cue later than A's.
    expect(tillB.cues.length).toBeGreaterThan(0);
    expect(tillB.cues.every((m) => m.cue.storeId === 'S002')).toBe(true);
    expect(tillA2.cues).toEqual([]);
    expect(tillA.cues.every((m) => m.cue.storeId === 'S001' && m.cue.tillId === 'T1')).toBe(true);
  });

  it('an event sent without an acknowledgement is not stored, and the till is told why', async () => {
    const sale = saleInput({ customerId: 'c-no-ack-0001' });
    const before = (await stack.jsm.streams.info(EVENTS_STREAM)).state.last_seq;
    const error = nextError(tillA);
    tillA.socket.emit('event', sale);
    expect(await error).toEqual({
      code: 'ack_required',
      message:
        '`event` needs an acknowledgement callback: the answer says whether the event was stored',
      issues: [],
      eventId: sale.eventId,
    });
    expect((await stack.jsm.streams.info(EVENTS_STREAM)).state.last_seq).toBe(before);
    // The socket stays usable, and the event was never stored: sent properly, it is new.
    expect(await tillA.send(sale)).toMatchObject({ ok: true, duplicate: false });
  });

  it('a redemption asked without an acknowledgement is refused the same way', async () => {
    const error = nextError(tillA);
    tillA.socket.emit('points:redeem', {
      redemptionId: uniqueId('rd'),
      customerId: 'c-no-ack-0001',
      points: 1,
      basketMinor: 1000,
      currency: 'EUR',
    });
    expect(await error).toEqual({
      code: 'ack_required',
      message:
        '`points:redeem` needs an acknowledgement callback: the answer says whether the points were granted',
      issues: [],
    });
  });

  it('refuses a till with a wrong token', async () => {
    await expect(
      connectTill(stack.till?.url as string, 'S001', 'T9', tokenOf('S002')),
    ).rejects.toMatchObject({
      message: 'unauthorized: unknown store or wrong token',
      data: { code: 'unauthorized', issues: [{ field: 'token' }] },
    });
  });

  it('refuses a malformed cues:missed request as invalid_request, naming the field', async () => {
    const answer = await tillA.socket.timeout(10_000).emitWithAck('cues:missed', { afterSeq: -1 });
    expect(answer).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', issues: [{ field: 'afterSeq' }] },
    });
  });

  it('a message that is not JSON goes to the dead-letter stream and the next event still flows', async () => {
    const before = (await stack.jsm.streams.info(DEAD_LETTER_STREAM)).state.messages;
    await stack.js.publish('events.S001', 'this is { not json', { msgID: uniqueId('poison') });
    const next = saleInput({ customerId: 'c-after-poison' });
    await tillA.send(next);
    const cue = await tillA.waitForCue((m) => m.cue.eventId === next.eventId);
    expect(cue.cue.pointsBalance).toBe(39);
    const after = await eventually(
      async () => {
        const n = (await stack.jsm.streams.info(DEAD_LETTER_STREAM)).state.messages;
        return n > before ? n : undefined;
      },
      10_000,
      'a dead letter',
    );
    expect(after).toBe(before + 1);
    const dead = await stack.jsm.streams.getMessage(DEAD_LETTER_STREAM, {
      last_by_subj: 'deadletter.events',
    });
    expect(new TextDecoder().decode(dead?.data)).toBe('this is { not json');
    expect(dead?.header.get('Clientele-Reason')).toMatch(/not JSON/);
  });

  it('a till that reconnects fetches the cues it missed', async () => {
    const late = await connectTill(stack.till?.url as string, 'S003', 'T1', tokenOf('S003'));
    const sale = saleInput({ customerId: 'c-missed-0001', storeId: 'S003', tillId: 'T1' });
    await late.send(sale);
    const cue = await late.waitForCue((m) => m.cue.eventId === sale.eventId);
    late.close();
    // While the till is away, two more cues for it.
    const away = [
      saleInput({ customerId: 'c-missed-0001', storeId: 'S003', tillId: 'T1' }),
      registrationInput({ customerId: 'c-missed-0002', storeId: 'S003', tillId: 'T1' }),
    ];
    for (const event of away)
      await stack.js.publish('events.S003', JSON.stringify(event), {
        msgID: (event as { eventId: string }).eventId,
      });
    const back = await connectTill(stack.till?.url as string, 'S003', 'T1', tokenOf('S003'));
    const missed = await eventually(
      async () => {
        const answer = (await back.socket
          .timeout(10_000)
          .emitWithAck('cues:missed', { afterSeq: cue.seq })) as {
          ok: boolean;
          cues: { seq: number; cue: { eventId: string } }[];
        };
        return answer.cues.length >= 2 ? answer : undefined;
      },
      20_000,
      'two missed cues',
    );
    // Two customers' cues: each in order, but the two may come in either order.
    expect(missed.cues.map((m) => m.cue.eventId).sort()).toEqual(
      away.map((e) => (e as { eventId: string }).eventId).sort(),
    );
    expect(missed.cues.every((m) => m.seq > cue.seq)).toBe(true);
    back.close();
  });

  it('every web route answers 401 unauthorized without a store token', async () => {
    const routes: [string, string, unknown][] = [
      ['POST', '/v1/events', saleInput({ storeId: 'WEB', tillId: undefined, channel: 'web' })],
      ['POST', '/v1/redemptions', { redemptionId: 'r-1', customerId: 'c-web-000001', points: 1 }],
      ['POST', '/v1/redemptions/r-1/cancel', { customerId: 'c-web-000001' }],
      ['GET', '/v1/customers/c-web-000001', undefined],
    ];
    const headers: [string | undefined, string][] = [
      [undefined, 'is missing: send "Bearer <store token>"'],
      [tokenOf('WEB'), 'needs "Bearer <store token>"'],
      [`Basic ${tokenOf('WEB')}`, 'needs "Bearer <store token>"'],
      ['Bearer ', 'needs "Bearer <store token>"'],
      ['Bearer no-such-token', 'is not the token of any store'],
    ];
    for (const [method, path, body] of routes) {
      for (const [authorization, problem] of headers) {
        const res = await fetch(`${stack.web?.url}${path}`, {
          method,
          headers: {
            ...(authorization === undefined ? {} : { authorization }),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const what = `${method} ${path} with ${authorization ?? 'no'} authorization`;
        expect(res.status, what).toBe(401);
        expect(await res.json(), what).toEqual({
          ok: false,
          error: {
            code: 'unauthorized',
            message: `unauthorized: the Authorization header ${problem}`,
            issues: [{ field: 'authorization', message: problem }],
          },
        });
        expect(res.headers.get('www-authenticate'), what).toBe('Bearer');
      }
    }
  });

  it("a store's token with another store's event is 403 wrong_store", async () => {
    const res = await fetch(`${stack.web?.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokenOf('WEB')}`, 'content-type': 'application/json' },
      body: JSON.stringify(saleInput({ storeId: 'S001', tillId: undefined, channel: 'web' })),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      ok: false,
      error: { code: 'wrong_store', issues: [expect.objectContaining({ field: 'storeId' })] },
    });
  });

  it('an unknown customer is 404 unknown_customer, a body too large 413 too_large', async () => {
    const auth = { authorization: `Bearer ${tokenOf('WEB')}` };
    const nobody = await fetch(`${stack.web?.url}/v1/customers/c-nobody-${uniqueId('x')}`, {
      headers: auth,
    });
    expect(nobody.status).toBe(404);
    expect(await nobody.json()).toMatchObject({
      ok: false,
      error: { code: 'unknown_customer', issues: [{ field: 'customerId' }] },
    });
    const padding = 'x'.repeat(stack.settings.gateways.maxMessageBytes);
    const large = await postAlone(`${stack.web?.url}/v1/events`, auth, { padding });
    expect(large.status).toBe(413);
    expect(large.body).toMatchObject({
      ok: false,
      error: { code: 'too_large', issues: [{ field: '(body)' }] },
    });
  });

  it('a malformed customer id in the path is 400 invalid_request naming it', async () => {
    const res = await fetch(
      `${stack.web?.url}/v1/customers/${encodeURIComponent('ada@example.org')}`,
      {
        headers: { authorization: `Bearer ${tokenOf('WEB')}` },
      },
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      ok: false,
      error: {
        code: 'invalid_request',
        issues: [expect.objectContaining({ field: 'customerId' })],
      },
    });
  });

  it('the web shop sends the same events over HTTP, and reads the customer back', async () => {
    const sale = saleInput({
      customerId: 'c-web-000001',
      storeId: 'WEB',
      tillId: undefined,
      channel: 'web',
    });
    const post = (body: unknown, token = tokenOf('WEB')) =>
      fetch(`${stack.web?.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const accepted = await post(sale);
    expect(accepted.status).toBe(202);
    expect((await post(sale)).status).toBe(200); // a resend: stored once
    const bad = await post({ ...sale, eventId: uniqueId('ev'), currency: 'euro' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('currency');
    expect((await post(sale, 'wrong-token')).status).toBe(401);
    const snapshot = await eventually(
      async () => {
        const res = await fetch(`${stack.web?.url}/v1/customers/c-web-000001`, {
          headers: { authorization: `Bearer ${tokenOf('WEB')}` },
        });
        const body = (await res.json()) as { ok: boolean; summary?: { pointsBalance: number } };
        return body.ok && body.summary?.pointsBalance === 39 ? body.summary : undefined;
      },
      20_000,
      'the web customer snapshot',
    );
    expect(snapshot.pointsBalance).toBe(39);
  });
});
