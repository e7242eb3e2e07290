/**
 * The customer 360 on real servers: a member built through every path (till sales in two
 * stores, a return, a profile change and a service contact from the back office, campaign
 * responses from the web, an anonymous card's web purchases merged in, and one more sale on that
 * card after the merge), then each field of the 360 answer checked against figures this test
 * computes from the events it sent. Merges asked twice and racing leave one correct record; the
 * absorbed record answers with where it went; a bad profile change and a merge into itself are
 * refused naming the field, with nothing changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomerView } from '../../engine/domain/customer/view.ts';
import { cardNumberOf } from '../../engine/domain/identity/card-number.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { MERGE_SUBJECT, VIEW_SUBJECT } from '../../engine/streams/topology.ts';
import { askService } from '../../gateways/shared/ask-service.ts';
import { uniqueId } from '../support/events.ts';
import { eventually, startTestStack } from '../support/stack.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

let stack: Stack;
let tillS1: TestTill;
let tillS2: TestTill;
const BACK_OFFICE = 'demo-back-office-token';

beforeAll(async () => {
  stack = await startTestStack(['worker', 'router', 'identity', 'sink', 'till', 'web']);
  const url = stack.till?.url as string;
  tillS1 = await connectTill(url, 'S001', 'T1', 'demo-token-S001');
  tillS2 = await connectTill(url, 'S002', 'T1', 'demo-token-S002');
}, 180_000);

afterAll(async () => {
  tillS1?.close();
  tillS2?.close();
  await stack?.stop();
});

type Answer = { ok: boolean; error?: { code: string; issues: { field: string }[] } } & Record<
  string,
  unknown
>;

const ask = (till: TestTill, message: string, payload: unknown): Promise<Answer> =>
  till.socket.timeout(15_000).emitWithAck(message, payload);

async function web(
  method: 'GET' | 'POST',
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; answer: Answer }> {
  const response = await fetch(`${stack.web?.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, answer: (await response.json()) as Answer };
}

const DAY = 86_400_000;
/** An instant `days` ago (plus `minutes`), so the 12-month window holds every event. */
const ago = (days: number, minutes = 0) =>
  new Date(Date.now() - days * DAY + minutes * 60_000).toISOString();

interface Line {
  category: string;
  quantity: number;
  unitPrice: number;
  unitCost: number;
}

/** What the test sent: the figures the 360 answer must show are computed from these. */
const sales: {
  transactionId: string;
  customerId: string;
  storeId: string;
  channel: 'till' | 'web';
  occurredAt: string;
  lines: Line[];
}[] = [];
const returns: {
  transactionId: string;
  occurredAt: string;
  storeId: string;
  channel: 'till';
  of: string;
  line: number;
}[] = [];

function sale(
  customerId: string,
  storeId: string,
  channel: 'till' | 'web',
  occurredAt: string,
  lines: Line[],
) {
  const transactionId = uniqueId('tx');
  sales.push({ transactionId, customerId, storeId, channel, occurredAt, lines });
  const total = lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);
  return {
    type: 'sale',
    eventId: uniqueId('ev'),
    occurredAt,
    storeId,
    ...(channel === 'till' ? { tillId: 'T1' } : {}),
    channel,
    transactionId,
    customerId,
    currency: 'EUR',
    lines: lines.map((l, i) => ({
      lineId: String(i + 1),
      sku: `${l.category}-sku`,
      category: l.category,
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      fullPrice: l.unitPrice,
      unitCost: l.unitCost,
    })),
    tenders: [{ type: 'card', amount: total }],
  };
}

const lineTotal = (l: Line) => l.quantity * l.unitPrice;
const saleTotal = (s: (typeof sales)[number]) => s.lines.reduce((sum, l) => sum + lineTotal(l), 0);
/** The base rate of the test settings: 1 point per 1.00, rounded down per sale. */
const pointsOf = (minor: number) => Math.floor(minor / 100);

describe('the customer 360, built through every path', () => {
  let member: string;
  let anonymous: string;
  let memberAccount: string;
  let anonymousAccount: string;
  const memberCard = cardNumberOf('279901', 3601);
  const anonymousCard = cardNumberOf('279901', 3602);
  /** The merge that moved the points (of two racing). */
  let mergeId: string;

  it('registers a member at the till and an anonymous card on the web', async () => {
    const registered = await ask(tillS1, 'customer:register', {
      registrationId: uniqueId('reg'),
      profile: { givenName: 'Mia', birthDate: '1990-04-21' },
      card: { cardNumber: memberCard },
      phone: '+39 06 5550 0101',
    });
    expect(registered).toMatchObject({ ok: true });
    member = registered.customerId as string;
    memberAccount = registered.accountNumber as string;
    const card = await web('POST', '/v1/customers', 'demo-token-WEB', {
      registrationId: uniqueId('reg'),
      card: { cardNumber: anonymousCard, type: 'virtual' },
    });
    expect(card.status).toBe(200);
    anonymous = card.answer.customerId as string;
    anonymousAccount = card.answer.accountNumber as string;
  });

  it('sells, returns, changes the profile, records a contact and campaign responses', async () => {
    const s1 = sale(member, 'S001', 'till', ago(40), [
      { category: 'coffee', quantity: 2, unitPrice: 1500, unitCost: 900 },
      { category: 'bakery', quantity: 1, unitPrice: 400, unitCost: 200 },
    ]);
    const s2 = sale(member, 'S001', 'till', ago(20), [
      { category: 'coffee', quantity: 1, unitPrice: 1500, unitCost: 900 },
    ]);
    const s3 = sale(member, 'S002', 'till', ago(10), [
      { category: 'dairy', quantity: 3, unitPrice: 300, unitCost: 150 },
    ]);
    for (const [till, event] of [
      [tillS1, s1],
      [tillS1, s2],
      [tillS2, s3],
    ] as const) {
      expect(await till.send(event)).toMatchObject({ ok: true });
    }
    // The bakery line of the first sale comes back.
    const returned = {
      transactionId: uniqueId('rt'),
      occurredAt: ago(39),
      storeId: 'S001',
      channel: 'till' as const,
      of: s1.transactionId,
      line: 1,
    };
    returns.push(returned);
    expect(
      await tillS1.send({
        type: 'return',
        eventId: uniqueId('ev'),
        occurredAt: returned.occurredAt,
        storeId: 'S001',
        tillId: 'T1',
        channel: 'till',
        transactionId: returned.transactionId,
        originalTransactionId: s1.transactionId,
        customerId: member,
        currency: 'EUR',
        lines: [{ lineId: '2', sku: 'bakery-sku', quantity: 1, refundAmount: 400 }],
        tenders: [{ type: 'card', amount: 400 }],
      }),
    ).toMatchObject({ ok: true });

    // The anonymous card shops on the web.
    for (const event of [
      sale(anonymous, 'WEB', 'web', ago(30), [
        { category: 'coffee', quantity: 2, unitPrice: 1500, unitCost: 900 },
      ]),
      sale(anonymous, 'WEB', 'web', ago(15), [
        { category: 'snacks', quantity: 1, unitPrice: 800, unitCost: 300 },
      ]),
    ]) {
      expect((await web('POST', '/v1/events', 'demo-token-WEB', event)).status).toBe(202);
    }

    // The service desk: a profile change with a mistake is refused whole, naming the field…
    const badChange = await web('POST', '/v1/events', BACK_OFFICE, {
      type: 'profile.changed',
      eventId: uniqueId('ev'),
      occurredAt: ago(5),
      storeId: 'HQ',
      channel: 'back-office',
      customerId: member,
      operatorId: 'desk-7',
      changes: {
        familyName: 'Wrong',
        addresses: [
          {
            addressId: 'home',
            kind: 'home',
            line1: 'Via Roma 1',
            city: 'Roma',
            postalCode: '00100',
            country: 'Italy',
          },
        ],
      },
    });
    expect(badChange.status).toBe(400);
    expect(badChange.answer.error?.issues.map((i) => i.field)).toEqual([
      'changes.addresses[0].country',
    ]);
    // …and the right one lands in the same record as the till's registration.
    const change = await web('POST', '/v1/events', BACK_OFFICE, {
      type: 'profile.changed',
      eventId: uniqueId('ev'),
      occurredAt: ago(5),
      storeId: 'HQ',
      channel: 'back-office',
      customerId: member,
      operatorId: 'desk-7',
      changes: profileChange,
    });
    expect(change.status).toBe(202);
    const contact = await web('POST', '/v1/events', BACK_OFFICE, {
      type: 'service.interaction',
      eventId: uniqueId('ev'),
      occurredAt: ago(4),
      storeId: 'HQ',
      channel: 'back-office',
      interactionId: uniqueId('contact'),
      customerId: member,
      reason: 'complaint',
      outcome: 'escalated',
      operatorId: 'desk-7',
      note: 'Mia says the oat milk was out of date',
    });
    expect(contact.status).toBe(202);
    for (const [action, minutes] of [
      ['click', 0],
      ['offer-used', 1],
    ] as const) {
      const response = await web('POST', '/v1/events', 'demo-token-WEB', {
        type: 'campaign.response',
        eventId: uniqueId('ev'),
        occurredAt: ago(3, minutes),
        storeId: 'WEB',
        channel: 'web',
        responseId: uniqueId('resp'),
        customerId: member,
        campaignId: 'spring-26',
        action,
        ...(action === 'offer-used' ? { offerId: 'OFF-10', transactionId: s2.transactionId } : {}),
      });
      expect(response.status).toBe(202);
    }
  });

  it('merges the anonymous card into the member once, asked twice and racing', async () => {
    // Both records are in their workflows before the merge.
    await eventually(
      async () => {
        const view = await viewOf(anonymous, 'till');
        return view.summary?.visits === 2 ? view : undefined;
      },
      30_000,
      'the anonymous card’s sales',
    );
    const request = (id: string) => ({
      mergeId: id,
      absorbedCustomerId: anonymous,
      survivorCustomerId: member,
      operatorId: 'desk-7',
      storeId: 'HQ',
      channel: 'back-office',
    });
    const [first, racing] = await Promise.all([
      askService(stack.nc, MERGE_SUBJECT, request(uniqueId('merge'))),
      askService(stack.nc, MERGE_SUBJECT, request(uniqueId('merge'))),
    ]);
    // One of the two moved the points; the other found it done.
    const moved = pointsOf(3000) + pointsOf(800);
    for (const answer of [first, racing]) {
      expect(answer).toMatchObject({ ok: true, survivorCustomerId: member, points: moved });
    }
    expect([first, racing].map((a) => (a as Answer).repeated).sort()).toEqual([false, true]);
    const winner = [first, racing].find((a) => !(a as Answer).repeated) as Answer;
    mergeId = winner.mergeId as string;
    expect(await askService(stack.nc, MERGE_SUBJECT, request(mergeId))).toMatchObject({
      ok: true,
      points: moved,
      repeated: true,
    });

    // A merge into itself, or of the absorbed record elsewhere, is refused naming the field.
    const self = await askService(stack.nc, MERGE_SUBJECT, {
      ...request(uniqueId('merge')),
      survivorCustomerId: anonymous,
    });
    expect(self).toMatchObject({
      ok: false,
      error: { code: 'invalid_request', issues: [{ field: 'survivorCustomerId' }] },
    });
    const nobody = await askService(stack.nc, MERGE_SUBJECT, {
      ...request(uniqueId('merge')),
      absorbedCustomerId: 'c-nobody-here',
    });
    expect(nobody).toMatchObject({
      ok: false,
      error: { code: 'unknown_customer', issues: [{ field: 'absorbedCustomerId' }] },
    });
    const elsewhere = await askService(stack.nc, MERGE_SUBJECT, {
      ...request(uniqueId('merge')),
      survivorCustomerId: 'c-someone-else',
    });
    expect(elsewhere).toMatchObject({
      ok: false,
      error: { code: 'customer_merged', issues: [{ field: 'absorbedCustomerId' }] },
    });

    // The anonymous card shops once more: the sale goes to the member.
    const after = sale(anonymous, 'WEB', 'web', ago(2), [
      { category: 'snacks', quantity: 1, unitPrice: 500, unitCost: 200 },
    ]);
    expect((await web('POST', '/v1/events', 'demo-token-WEB', after)).status).toBe(202);
  }, 120_000);

  it('answers every field of the 360 view from what was sent', async () => {
    const visits = sales.length; // no sale was returned whole
    const refunded = 400;
    const accrued = sales.reduce((sum, s) => sum + pointsOf(saleTotal(s)), 0);
    let last: CustomerView | undefined;
    const view = await eventually(
      async () => {
        const v = await viewOf(member, 'full');
        last = v;
        return v.summary?.visits === visits &&
          v.history?.lifetime.sales === visits &&
          v.history.serviceInteractions.length === 1 &&
          v.history.campaignResponses.length === 2 &&
          // The ledger lines land in their own table, possibly in a later batch.
          v.history.points.accrued === accrued &&
          v.history.points.reversed === pointsOf(refunded)
          ? v
          : undefined;
      },
      60_000,
      'the member’s 360 view with every event',
    ).catch((err) => {
      throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`);
    });

    // Identity: the member's account, both cards (the anonymous one moved over).
    expect(view.accountNumber).toBe(memberAccount);
    expect(view.cards.map((c) => [c.cardNumber, c.status, c.type])).toEqual([
      [memberCard, 'active', 'plastic'],
      [anonymousCard, 'active', 'virtual'],
    ]);

    // Profile: the till's registration and the back office's change in one record.
    expect(view.profile).toEqual({
      givenName: 'Mia',
      birthDate: '1990-04-21',
      phone: '+39 06 5550 0101',
      ...profileChange,
    });
    expect(view.profileHistory?.map((h) => [h.channel, h.fields])).toEqual([
      ['till', ['birthDate', 'givenName', 'phone']],
      ['back-office', Object.keys(profileChange).sort()],
    ]);
    expect(view.profileHistory?.[1]?.operatorId).toBe('desk-7');

    // Live figures from the customer's own state.
    const spend = sales.reduce((sum, s) => sum + saleTotal(s), 0) - refunded;
    const points = sales.reduce((sum, s) => sum + pointsOf(saleTotal(s)), 0) - pointsOf(refunded);
    const times = sales.map((s) => s.occurredAt).sort();
    const summary = view.summary as NonNullable<CustomerView['summary']>;
    expect(summary).toMatchObject({
      customerId: member,
      accountNumber: memberAccount,
      customerType: 'individual',
      preferredStoreId: 'S001',
      visits,
      spendMinor: spend,
      averageReceiptMinor: Math.floor(spend / visits),
      firstPurchaseAt: times[0],
      lastPurchaseAt: times.at(-1),
      pointsBalance: points,
      mergedFrom: [anonymous],
      loyalty: { balance: points, spendable: points },
    });
    const span = Date.parse(times.at(-1) as string) - Date.parse(times[0] as string);
    expect(summary.meanDaysBetweenVisits).toBe(Math.round((span / DAY / (visits - 1)) * 10) / 10);
    expect(summary.service).toMatchObject({
      contacts: 1,
      recent: [{ reason: 'complaint', outcome: 'escalated', operatorId: 'desk-7' }],
    });
    expect(summary.campaigns.responses).toBe(2);
    expect(summary.campaigns.recent.map((r) => r.action)).toEqual(['click', 'offer-used']);
    // The note holds what the customer said: never in the summary or the history.
    expect(JSON.stringify(summary)).not.toContain('oat milk');
    expect(JSON.stringify(view.history)).not.toContain('oat milk');

    // The long history from ClickHouse, the merged card's included.
    const cost = sales.reduce(
      (sum, s) => sum + s.lines.reduce((c, l) => c + l.quantity * l.unitCost, 0),
      0,
    );
    const margin = spend - cost + 200; // the returned bakery line's cost is not lost
    const history = view.history as NonNullable<CustomerView['history']>;
    expect(history.lifetime).toEqual({
      spendMinor: spend,
      marginMinor: margin,
      sales: visits,
      returns: 1,
    });
    expect(history.last12Months).toEqual(history.lifetime);
    const byCategory = new Map<string, number>();
    for (const s of sales) {
      for (const l of s.lines)
        byCategory.set(l.category, (byCategory.get(l.category) ?? 0) + lineTotal(l));
    }
    const categoryTotal = [...byCategory.values()].reduce((a, b) => a + b, 0);
    expect(history.categories).toEqual(
      [...byCategory]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([category, spendMinor]) => ({
          category,
          spendMinor,
          share: Math.round((spendMinor / categoryTotal) * 1000) / 1000,
        })),
    );
    const byStore = new Map<string, number>();
    for (const s of sales) byStore.set(s.storeId, (byStore.get(s.storeId) ?? 0) + 1);
    expect(history.stores).toEqual(
      [...byStore]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([storeId, n]) => ({
          storeId,
          sales: n,
          share: Math.round((n / visits) * 1000) / 1000,
        })),
    );
    const channelOf = (c: 'till' | 'web') => ({
      channel: c,
      sales: sales.filter((s) => s.channel === c).length,
      spendMinor:
        sales.filter((s) => s.channel === c).reduce((sum, s) => sum + saleTotal(s), 0) -
        (c === 'till' ? refunded : 0),
    });
    expect(history.channels).toEqual(
      [channelOf('till'), channelOf('web')].sort(
        (a, b) => b.sales - a.sales || a.channel.localeCompare(b.channel),
      ),
    );
    const transactions = [
      ...sales.map((s) => ({
        id: s.transactionId,
        type: 'sale',
        at: s.occurredAt,
        total: saleTotal(s),
      })),
      ...returns.map((r) => ({
        id: r.transactionId,
        type: 'return',
        at: r.occurredAt,
        total: -refunded,
      })),
    ].sort((a, b) => b.at.localeCompare(a.at));
    expect(history.recentTransactions.map((t) => [t.transactionId, t.type, t.totalMinor])).toEqual(
      transactions.map((t) => [t.id, t.type, t.total]),
    );
    expect(history.serviceInteractions).toMatchObject([
      { reason: 'complaint', outcome: 'escalated', storeId: 'HQ', channel: 'back-office' },
    ]);
    expect(history.campaignResponses.map((r) => [r.campaignId, r.action, r.offerId])).toEqual([
      ['spring-26', 'offer-used', 'OFF-10'],
      ['spring-26', 'click', undefined],
    ]);
    // Every point earned, the returned line's taken back; the merge's lines cancel out.
    expect(history.points).toEqual({
      accrued,
      spent: 0,
      expired: 0,
      reversed: pointsOf(refunded),
      adjusted: 0,
      merged: 0,
      pooled: 0,
    });

    // What to tell the cashier: an open service case.
    expect(view.cues.map((c) => c.kind)).toEqual(['welcome-back', 'open-service-case']);
  }, 90_000);

  it('scopes the view: a till and a store token get no profile; the back office does', async () => {
    const atTill = await ask(tillS1, 'customer:view', { customerId: member, scope: 'full' });
    expect(atTill).toMatchObject({ ok: true, scope: 'till', customerId: member });
    expect(atTill.profile).toBeUndefined();
    expect(JSON.stringify(atTill)).not.toContain('Mia');
    const store = await web('GET', `/v1/customers/${member}`, 'demo-token-S002');
    expect(store.answer).toMatchObject({ ok: true, scope: 'till' });
    expect(store.answer.profile).toBeUndefined();
    const desk = await web('GET', `/v1/customers/${member}`, BACK_OFFICE);
    expect(desk.answer).toMatchObject({ ok: true, scope: 'full', profile: { givenName: 'Mia' } });
  });

  it('finds the member by the merged card and account; the absorbed record says where it went', async () => {
    const byCard = await ask(tillS2, 'customer:identify', {
      card: { payload: anonymousCard, source: 'barcode' },
    });
    expect(byCard).toMatchObject({ ok: true, customerId: member });
    expect(
      await ask(tillS2, 'customer:identify', { accountNumber: anonymousAccount }),
    ).toMatchObject({ ok: true, customerId: member });
    const absorbed = await viewOf(anonymous, 'till');
    expect(absorbed).toMatchObject({
      ok: true,
      customerId: anonymous,
      mergedInto: { customerId: member, mergeId },
      cards: [],
    });
    expect(absorbed.summary).toBeUndefined();
  });
});

const profileChange = {
  familyName: 'Rossi',
  addresses: [
    {
      addressId: 'home',
      kind: 'home',
      line1: 'Via Roma 1',
      city: 'Roma',
      postalCode: '00100',
      country: 'IT',
    },
    {
      addressId: 'office',
      kind: 'shipping',
      line1: 'Via Veneto 20',
      city: 'Roma',
      postalCode: '00187',
      country: 'IT',
      defaultShipping: true,
    },
  ],
  gender: 'female',
  familyStatus: 'married',
  children: [{ birthYear: 2019 }],
  pets: [{ kind: 'dog', name: 'Fido' }],
  customerType: 'individual',
  preferredStoreId: 'S001',
  notes: 'Prefers oat milk; size M',
};

async function viewOf(customerId: string, scope: 'till' | 'full'): Promise<CustomerView> {
  const answer = await askService(stack.nc, VIEW_SUBJECT, {
    customerId,
    scope,
    storeId: 'HQ',
    channel: 'back-office',
  });
  if (!answer.ok) throw new Error(JSON.stringify(answer));
  return answer as unknown as CustomerView;
}
