/**
 * The generator's history sent through a real stack's gateways (`clientele generate --send`):
 * a tiny population, its period shifted to end yesterday, sent at 50 events/s through the till
 * gateway (till events) and the web gateway (web-shop events). Every event is acked, and what the
 * sink stores is exactly what generateBatches writes for the same options: the same events by
 * id, the same sale lines, the same members. Dates the gateways would refuse, a wrong token and an unreachable gateway
 * are refused with errors that name them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import {
  DEFAULT_GENERATOR_OPTIONS,
  type GeneratorOptions,
  generateBatches,
} from '../../engine/generator/generate.ts';
import {
  type SendProgress,
  type SendTarget,
  sendGenerated,
  shiftToNow,
} from '../../engine/generator/send.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { eventually, startTestStack } from '../support/stack.ts';

const options: GeneratorOptions = shiftToNow(
  {
    ...DEFAULT_GENERATOR_OPTIONS,
    seed: 7,
    customers: 20,
    saleLines: 150,
    // S001–S003 and WEB: the stores the test settings have tokens for.
    stores: 4,
    skus: 200,
    from: '2026-01-01',
    to: '2026-03-01',
  },
  Date.now(),
);

let stack: Stack;
const store = () => stack.store as AnalyticsStore;
const target = (): SendTarget => ({
  tillUrl: stack.till?.url as string,
  webUrl: stack.web?.url as string,
  tokens: stack.settings.stores,
  rate: 50,
  limits: stack.settings.events,
});

beforeAll(async () => {
  stack = await startTestStack(['worker', 'router', 'sink', 'till', 'web']);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('sendGenerated', () => {
  it('sends every event, acked, and the sink stores what generateBatches writes', async () => {
    const expected = {
      events: new Set<string>(),
      lines: new Set<string>(),
      members: new Set<string>(),
    };
    for (const batch of generateBatches(options)) {
      for (const row of batch.events) expected.events.add(row.event_id);
      for (const row of batch.sale_lines) expected.lines.add(`${row.event_id}/${row.line_id}`);
      for (const row of batch.customers) expected.members.add(row.customer_id);
    }
    const progress: SendProgress[] = [];
    const result = await sendGenerated(options, target(), (p) => progress.push(p));

    expect(result.refusals).toEqual({});
    expect(result.examples).toEqual([]);
    expect(result.total).toBe(expected.events.size);
    expect(result.sent).toBe(result.total);
    expect(result.acked).toBe(result.total);
    expect(result.duplicates).toBe(0);
    expect(progress.at(-1)).toMatchObject({ acked: result.total, refused: 0, inFlight: 0 });
    // Open loop at 50/s: the sending takes about total / 50 seconds, never much less.
    expect(result.seconds).toBeGreaterThan((result.total - 1) / 50 - 0.5);

    const db = store().database;
    const ids = async (sql: string) =>
      new Set((await store().query<{ k: string }>(sql)).map((r) => r.k));
    const stored = await eventually(
      async () => {
        const found = await ids(`SELECT DISTINCT event_id AS k FROM ${db}.events`);
        return found.size >= expected.events.size ? found : undefined;
      },
      30_000,
      'the sink to store every event',
    );
    expect(stored).toEqual(expected.events);
    expect(
      await ids(`SELECT DISTINCT concat(event_id, '/', line_id) AS k FROM ${db}.sale_lines`),
    ).toEqual(expected.lines);
    expect(await ids(`SELECT DISTINCT customer_id AS k FROM ${db}.customers`)).toEqual(
      expected.members,
    );
  }, 60_000);

  it('refuses a history dated ahead of the gateways, naming the limit', async () => {
    const ahead = { ...options, from: '2099-01-01', to: '2099-01-31' };
    await expect(sendGenerated(ahead, target())).rejects.toThrow(
      /ahead of now .*events\.maxClockSkewSeconds.*--shift-to-now/,
    );
  });

  it('names a wrong store token and an unreachable gateway', async () => {
    const tokens = { ...stack.settings.stores, S001: 'not-the-token-of-S001' };
    await expect(sendGenerated(options, { ...target(), tokens, rate: 1000 })).rejects.toThrow(
      /till gateway at .* refused the token of store S001/,
    );
    const nowhere = { ...target(), tillUrl: 'http://127.0.0.1:9', rate: 1000 };
    await expect(sendGenerated(options, nowhere)).rejects.toThrow(
      /cannot reach the till gateway at http:\/\/127\.0\.0\.1:9/,
    );
    await expect(
      sendGenerated(options, { ...target(), webUrl: 'http://127.0.0.1:9' }),
    ).rejects.toThrow(/cannot reach the web gateway at http:\/\/127\.0\.0\.1:9/);
  });
});
