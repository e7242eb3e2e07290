/**
 * The console's what-ifs on a real stack (chDB, NATS, the console gateway): customers' sales with
 * bakery lines stored before and in the period, a bakery return in it, a sale after it; the
 * versions in force give the bakery rule a multiplier of 2, the candidate 4. For one customer
 * (`svc.replay.what-if`, `POST /api/customers/<id>/what-if`) and for all of them as a job
 * (`svc.replay.simulate`, `POST /api/programs/what-if`, polled), the extra points are exactly twice
 * the bakery base points the test computes from what it stored. Mistakes in the candidate come
 * back with their lines; each what-if is audited without the program's text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inForceThroughout } from '../../engine/cli/program-file.ts';
import { parseProgramText } from '../../engine/programs/load-program.ts';
import type { CustomerWhatIfReport } from '../../engine/replay/simulation-report.ts';
import type { SimulationJob } from '../../engine/replay/what-if-messages.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import { REPLAY_WHAT_IF_SUBJECT } from '../../engine/streams/topology.ts';
import { askService } from '../../gateways/shared/ask-service.ts';
import { eventually, startTestStack } from '../support/stack.ts';
import { type SignedInClient, staffMember } from '../support/staff.ts';
import { storeEvents } from '../support/stored-events.ts';

const CUSTOMERS = 12;
const FROM = '2026-05-01';
const TO = '2026-05-31';

const program = (multiply: number) => `id: bakery
name: Bakery test
currency: EUR
pointValue: { points: 100, minor: 100 }
earn:
  base:
    rate: { points: 1, perMinor: 100 }
  rules:
    - id: bakery-double
      name: More points on bakery
      when:
        categories: [bakery]
      effect:
        multiply: ${multiply}
`;
const candidate = program(4);
/** Two mistakes: a negative rate (line 7) and a fractional multiplier (line 14). */
const broken = program(4)
  .replace('multiply: 4', 'multiply: 0.5')
  .replace('perMinor: 100', 'perMinor: -1');

/** By customer: bakery base points (1 per 1.00) sold in the period, and those kept (less returns). */
const bakery = new Map<string, { sold: number; kept: number }>();
let keptInAll = 0;
let affected = 0;

function sale(customer: number, n: number, occurredAt: string, bread: number, other: number) {
  const lines = [
    { lineId: '1', sku: 'BREAD', category: 'bakery', quantity: 1, unitPrice: bread },
    { lineId: '2', sku: 'MILK', category: 'dairy', quantity: 1, unitPrice: other },
  ].map((l) => ({ ...l, fullPrice: l.unitPrice, discount: 0, unitCost: l.unitPrice / 2 }));
  return {
    type: 'sale',
    eventId: `ev-wi-${customer}-${n}`,
    occurredAt,
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    transactionId: `tx-wi-${customer}-${n}`,
    customerId: `c-wi-${customer}`,
    currency: 'EUR',
    lines,
    tenders: [{ type: 'card', amount: bread + other }],
  };
}

function events(): unknown[] {
  const list: unknown[] = [];
  for (let c = 0; c < CUSTOMERS; c++) {
    list.push(sale(c, 0, '2026-03-10T10:00:00Z', 300 + c * 100, 500));
    if (c % 3 === 0) continue; // a third buy nothing in the period
    affected += 1;
    const bread = 200 + (c % 5) * 100;
    list.push(sale(c, 1, '2026-05-02T09:30:00Z', bread, 1_000));
    list.push(sale(c, 2, '2026-05-20T17:00:00Z', 100, 700));
    const sold = bread / 100 + 1;
    let kept = sold;
    if (c % 4 === 1) {
      list.push({
        type: 'return',
        eventId: `ev-wi-${c}-r`,
        occurredAt: '2026-05-25T12:00:00Z',
        storeId: 'S001',
        tillId: 'T1',
        channel: 'till',
        transactionId: `rt-wi-${c}`,
        originalTransactionId: `tx-wi-${c}-1`,
        customerId: `c-wi-${c}`,
        currency: 'EUR',
        lines: [{ lineId: '1', sku: 'BREAD', quantity: 1, refundAmount: bread }],
        tenders: [{ type: 'card', amount: bread }],
      });
      kept -= bread / 100;
    }
    bakery.set(`c-wi-${c}`, { sold, kept });
    keptInAll += kept;
  }
  list.push(sale(1, 9, '2026-07-01T10:00:00Z', 5_000, 100)); // after the period
  return list;
}

let stack: Stack;
let marketer: SignedInClient;

beforeAll(async () => {
  const inForce = inForceThroughout(parseProgramText(program(2), 'in force').definition);
  stack = await startTestStack(['sink', 'dashboard'], undefined, undefined, {
    programs: createProgramCatalog([inForce]),
  });
  await storeEvents(stack.store as NonNullable<Stack['store']>, events());
  marketer = await staffMember(stack, 'marketer');
});

afterAll(async () => {
  await stack?.stop();
});

type Refusal = { ok: false; error: { code: string; issues: { field: string; message: string }[] } };

const whatIf = async (payload: Record<string, unknown>) =>
  (await askService(stack.nc, REPLAY_WHAT_IF_SUBJECT, {
    program: candidate,
    from: FROM,
    to: TO,
    ...payload,
  })) as CustomerWhatIfReport | Refusal;

const figure = (report: Pick<CustomerWhatIfReport, 'figures'>, metric: string) =>
  report.figures.find((f) => f.metric === metric);
const rule = (report: Pick<CustomerWhatIfReport, 'rules'>, side: string) =>
  report.rules.find((r) => r.rule === 'bakery-double' && r.side === side);

describe('the what-if of a candidate program for one customer', () => {
  it('gives exactly twice the bakery base points more when the multiplier doubles', async () => {
    // One customer who kept their bread, and one whose bread came back.
    for (const customerId of ['c-wi-2', 'c-wi-1']) {
      const { sold, kept } = bakery.get(customerId) as { sold: number; kept: number };
      const report = await whatIf({ customerId });
      if (!report.ok) throw new Error(JSON.stringify(report));
      expect(figure(report, 'points issued')?.difference).toBe(2 * kept);
      expect(figure(report, 'points outstanding at the end')?.difference).toBe(2 * kept);
      expect(figure(report, 'points redeemed')?.difference).toBe(0);
      expect(figure(report, 'points expired')?.difference).toBe(0);
      // What the rule gave at the sales (× 2 is base × 1 more; × 4 is base × 3 more).
      expect(rule(report, 'baseline')?.points).toBe(sold);
      expect(rule(report, 'candidate')?.points).toBe(3 * sold);
      expect(report).toMatchObject({
        customerId,
        visits: 2,
        baseline: ['bakery@in-force'],
        candidate: 'bakery@candidate',
        tier: { atFrom: '-', baseline: '-', candidate: '-' },
      });
    }
  });

  it('names each mistake of the candidate with its line, and refuses unknown customers and periods', async () => {
    const mistakes = (await whatIf({ customerId: 'c-wi-2', program: broken })) as Refusal;
    expect(mistakes.error.code).toBe('invalid_request');
    const issue = (field: string) => mistakes.error.issues.find((i) => i.field === field);
    expect(issue('program.earn.base.rate.perMinor')?.message).toMatch(/\(line 7\)$/);
    expect(issue('program.earn.rules[0].effect.multiply')?.message).toMatch(/\(line 14\)$/);

    const syntax = (await whatIf({ customerId: 'c-wi-2', program: 'id: [bakery' })) as Refusal;
    expect(syntax.error.code).toBe('invalid_request');
    expect(syntax.error.issues[0]?.field).toBe('program');
    expect(syntax.error.issues[0]?.message).toMatch(/line 1/);

    const unknown = (await whatIf({ customerId: 'c-wi-nobody' })) as Refusal;
    expect(unknown.error.code).toBe('unknown_customer');

    const backwards = (await whatIf({ customerId: 'c-wi-2', from: TO, to: FROM })) as Refusal;
    expect(backwards.error).toMatchObject({ code: 'invalid_request', issues: [{ field: 'to' }] });
    const notADay = (await whatIf({ customerId: 'c-wi-2', from: 'May' })) as Refusal;
    expect(notADay.error.issues.map((i) => i.field)).toEqual(['from']);
  });

  it('is asked from the console by those who read customers, and audited without the program', async () => {
    const answer = await marketer.fetch('/api/customers/c-wi-2/what-if', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ program: candidate, from: FROM, to: TO }),
    });
    expect(answer.status).toBe(200);
    const report = (await answer.json()) as CustomerWhatIfReport;
    expect(figure(report, 'points issued')?.difference).toBe(2 * (bakery.get('c-wi-2')?.kept ?? 0));

    const refused = await marketer.fetch('/api/customers/c-wi-2/what-if', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ program: broken, from: FROM, to: TO }),
    });
    expect(refused.status).toBe(400);
    const unknown = await marketer.fetch('/api/customers/c-wi-nobody/what-if', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ program: candidate, from: FROM, to: TO }),
    });
    expect(unknown.status).toBe(404);
    const missing = await marketer.fetch('/api/customers/c-wi-2/what-if', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: FROM }),
    });
    expect(missing.status).toBe(400);
    const fields = ((await missing.json()) as Refusal).error.issues.map((i) => i.field).sort();
    expect(fields).toEqual(['program', 'to']);

    const admin = await staffMember(stack, 'admin');
    const audit = await eventually(
      async () => {
        const rows = (
          await admin.get<{ rows: { action: string; customer: string; detail: string }[] }>(
            `/api/analytics/audit?user=${marketer.userId}`,
          )
        ).body.rows.filter((r) => r.action === 'customer.what-if');
        return rows.length >= 3 ? rows : undefined;
      },
      30_000,
      'the what-ifs in the audit log',
    );
    expect(audit.map((r) => r.detail)).toContain(`${FROM}..${TO}`);
    expect(audit.map((r) => r.customer)).toContain('c-wi-2');
    expect(JSON.stringify(audit)).not.toContain('bakery');
  });
});

describe('the what-if of a draft program over every customer', () => {
  const start = (client: SignedInClient, body: Record<string, unknown>) =>
    client.fetch('/api/programs/what-if', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  async function finished(jobId: string): Promise<SimulationJob> {
    const seen: SimulationJob['progress'][] = [];
    const job = await eventually(
      async () => {
        const status = await marketer.get<SimulationJob>(`/api/programs/what-if/${jobId}`);
        expect(status.status).toBe(200);
        seen.push(status.body.progress);
        return status.body.state === 'running' ? undefined : status.body;
      },
      120_000,
      'the what-if job to finish',
    );
    for (const p of seen) if (p.total > 0) expect(p.done).toBeLessThanOrEqual(p.total);
    return job;
  }

  it('runs as a job, one at a time, with the same figures as the customers add up to', async () => {
    const started = await start(marketer, { program: candidate, from: FROM, to: TO });
    expect(started.status).toBe(200);
    const { jobId } = (await started.json()) as { jobId: string };
    // A second while the first runs is refused.
    const second = await start(marketer, { program: candidate, from: FROM, to: TO });
    expect(second.status).toBe(503);
    expect(((await second.json()) as Refusal).error.code).toBe('busy');

    const job = await finished(jobId);
    expect(job.error).toBeUndefined();
    expect(job.state).toBe('done');
    expect(job.progress).toEqual({ done: CUSTOMERS, total: CUSTOMERS });
    const report = job.report as NonNullable<SimulationJob['report']>;
    const f = (metric: string) => report.figures.find((x) => x.metric === metric);
    expect(f('points issued')?.difference).toBe(2 * keptInAll);
    expect(f('points outstanding at the end')?.difference).toBe(2 * keptInAll);
    expect(f('reward cost (points issued)')?.difference).toBe(2 * keptInAll);
    expect(report.customersAffected).toBe(affected);
    expect(report.run.customers).toBe(CUSTOMERS);
    const sold = [...bakery.values()].reduce((sum, b) => sum + b.sold, 0);
    expect(rule(report, 'baseline')?.points).toBe(sold);
    expect(rule(report, 'candidate')?.points).toBe(3 * sold);
    expect(report.tierMigration).toEqual({
      tiers: ['-'],
      inForce: [[CUSTOMERS]],
      candidate: [[CUSTOMERS]],
    });

    // The report stays until the next job starts; a period with no events fails that one.
    expect((await marketer.get(`/api/programs/what-if/${jobId}`)).body).toMatchObject({
      state: 'done',
    });
    const empty = await start(marketer, {
      program: candidate,
      from: '2027-01-01',
      to: '2027-01-31',
    });
    expect(empty.status).toBe(200);
    const emptyJob = await finished(((await empty.json()) as { jobId: string }).jobId);
    expect(emptyJob).toMatchObject({ state: 'failed', error: { code: 'invalid_request' } });
    expect(emptyJob.error?.message).toContain('no customer events between');
    const gone = await marketer.get<Refusal>(`/api/programs/what-if/${jobId}`);
    expect(gone.status).toBe(400);
    expect(gone.body.error.issues[0]?.field).toBe('jobId');
  });

  it('refuses a draft with mistakes before starting, and those who do not manage programs', async () => {
    const refused = await start(marketer, { program: broken, from: FROM, to: TO });
    expect(refused.status).toBe(400);
    const issues = ((await refused.json()) as Refusal).error.issues;
    expect(issues.map((i) => i.message).filter((m) => /\(line (7|14)\)$/.test(m))).toHaveLength(2);
    const badSegment = await start(marketer, {
      program: candidate,
      from: FROM,
      to: TO,
      segment: 'visits( >',
    });
    expect(badSegment.status).toBe(400);
    expect(((await badSegment.json()) as Refusal).error.issues[0]?.field).toBe('segment');

    const associate = await staffMember(stack, 'associate', { stores: ['S001'] });
    expect((await start(associate, { program: candidate, from: FROM, to: TO })).status).toBe(403);
    expect((await associate.get('/api/programs/what-if/some-job')).status).toBe(403);

    const admin = await staffMember(stack, 'admin');
    const audit = await eventually(
      async () => {
        const rows = (
          await admin.get<{ rows: { action: string; detail: string }[] }>(
            `/api/analytics/audit?user=${marketer.userId}`,
          )
        ).body.rows.filter((r) => r.action === 'program.what-if');
        return rows.length >= 2 ? rows : undefined;
      },
      30_000,
      'the program what-ifs in the audit log',
    );
    expect(audit.map((r) => r.detail)).toContain(`${FROM}..${TO}`);
    expect(JSON.stringify(audit)).not.toContain('bakery');
  });
});
