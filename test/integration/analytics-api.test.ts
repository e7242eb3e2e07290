/**
 * The analytics questions on a real stack: the sink's process answers `svc.analytics.question`
 * from its store, and the console serves them at `/api/analytics/<question>` to signed-in staff
 * whose role and stores allow it, as JSON or CSV, refusing an unknown question or a bad
 * parameter with the error table's code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askQuestion } from '../../engine/analytics/questions/registry.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { httpStatus } from '../../engine/domain/error-codes.ts';
import { writeGenerated } from '../../engine/generator/write.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { QUESTION_SUBJECT } from '../../engine/streams/topology.ts';
import { startTestStack } from '../support/stack.ts';
import { type SignedInClient, staffMember } from '../support/staff.ts';

const AS_OF = '2025-03-31T12:00:00.000Z';
let stack: Stack;
let store: AnalyticsStore;
let marketer: SignedInClient;

beforeAll(async () => {
  stack = await startTestStack(['sink', 'dashboard']);
  store = stack.store as AnalyticsStore;
  await writeGenerated(store, {
    seed: 5,
    customers: 200,
    saleLines: 2000,
    stores: 3,
    skus: 60,
    from: '2025-01-01',
    to: '2025-03-31',
    currency: 'EUR',
  });
  marketer = await staffMember(stack, 'marketer');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

/** As the signed-in marketer (or with another session cookie; `null`: none). */
const get = (path: string, cookie: string | null = marketer.cookie) =>
  fetch(`${stack.dashboard?.url}${path}`, { headers: cookie === null ? {} : { cookie } });

describe('/api/analytics/<question>', () => {
  it('answers a marketer as JSON, as the question asked in process does', async () => {
    const res = await get(`/api/analytics/channel-preference?days=60&as-of=${AS_OF}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    const direct = await askQuestion(
      store,
      { question: 'channel-preference', params: { days: '60' }, asOf: AS_OF },
      new Date(),
    );
    expect(body).toEqual({
      ok: true,
      question: 'channel-preference',
      asOf: AS_OF,
      params: { days: 60 },
      columns: direct.answer.columns,
      rows: direct.answer.rows,
    });
    expect(direct.answer.rows.length).toBeGreaterThan(0);
  });

  it('answers as CSV with format=csv, and passes switches', async () => {
    const res = await get(`/api/analytics/rfm?customers=true&limit=4&format=csv&as-of=${AS_OF}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const records = (await res.text()).split('\r\n');
    expect(records[0]).toBe('customer_id,segment,recency_days,frequency,monetary,r,f,m');
    expect(records.length).toBe(6); // header, 4 rows, the empty string after the last CRLF
  });

  it('refuses without a signed-in session', async () => {
    for (const cookie of [null, 'clientele_session=not-a-session']) {
      const res = await get('/api/analytics/rfm', cookie);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });

  it("gives a store manager their stores' sales only, and no figure that is not by store", async () => {
    const manager = await staffMember(stack, 'store-manager', { stores: ['S002'] });
    const range = `from=2025-01-01&to=2025-03-31&as-of=${AS_OF}`;
    const theirs = await manager.get<{ rows: { store: string; receipts: number }[] }>(
      `/api/analytics/sales?by=store&${range}`,
    );
    expect(theirs.status).toBe(200);
    expect(theirs.body.rows.map((r) => r.store)).toEqual(['S002']);
    const all = await marketer.get<{ rows: { store: string; receipts: number }[] }>(
      `/api/analytics/sales?by=store&${range}`,
    );
    expect(all.body.rows.length).toBeGreaterThan(1);
    expect(theirs.body.rows[0]?.receipts).toBe(
      all.body.rows.find((r) => r.store === 'S002')?.receipts,
    );

    const other = await manager.get<{ error: { code: string; issues: { field: string }[] } }>(
      `/api/analytics/sales?by=store&stores=S001&${range}`,
    );
    expect(other.status).toBe(403);
    expect(other.body.error).toMatchObject({ code: 'forbidden', issues: [{ field: 'stores' }] });
    const points = await manager.get<{ error: { code: string } }>('/api/analytics/points');
    expect(points.status).toBe(403);
    expect(points.body.error.code).toBe('forbidden');

    // An associate sees no figures at all; a service desk neither.
    for (const role of ['associate', 'service-desk'] as const) {
      const member = await staffMember(
        stack,
        role,
        role === 'associate' ? { stores: ['S002'] } : {},
      );
      expect((await member.get('/api/analytics/sales')).status, role).toBe(403);
    }
  });

  it('refuses an unknown question and a bad parameter, naming them', async () => {
    const unknown = await get('/api/analytics/horoscope');
    const refused = (await unknown.json()) as {
      error: { code: Parameters<typeof httpStatus>[0]; issues: { field: string }[] };
    };
    expect(unknown.status).toBe(httpStatus(refused.error.code));
    expect(refused.error.issues[0]?.field).toBe('question');

    const bad = await get('/api/analytics/rfm?days=-3');
    expect(bad.status).toBe(400);
    const badBody = (await bad.json()) as { error: { code: string; issues: { field: string }[] } };
    expect(badBody.error).toMatchObject({ code: 'invalid_request', issues: [{ field: 'days' }] });

    const format = await get('/api/analytics/rfm?format=xml');
    expect(format.status).toBe(400);
  });

  it('is answered over NATS by the process holding the store', async () => {
    const ask = async (request: unknown) =>
      (
        await stack.nc.request(QUESTION_SUBJECT, JSON.stringify(request), { timeout: 10_000 })
      ).json<{
        ok: boolean;
        error?: { code: string };
        rows?: unknown[];
      }>();
    const answer = await ask({ question: 'not-seen', params: { days: '30' }, asOf: AS_OF });
    expect(answer.ok).toBe(true);
    expect(Array.isArray(answer.rows)).toBe(true);
    expect((await ask({ nonsense: 1 })).error?.code).toBe('invalid_request');
  });
});
