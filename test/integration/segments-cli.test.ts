/**
 * `clientele segments …`, run as a user runs it. `validate`: the example list is valid and listed;
 * a list with mistakes names each with its line and exits 2; a missing file says so.
 * `reconcile`: a program's live segments against the same conditions over the stored events, on
 * a chDB store no other process holds: a difference is named (exit 3), none exits 0.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { settingsSchema } from '../../config/settings.ts';
import { createAnalyticsStore } from '../../engine/analytics/open-store.ts';
import { eventRows, segmentChangeRow } from '../../engine/analytics/rows.ts';
import { saleEvent } from '../../engine/domain/events.ts';
import { runCli } from '../support/cli.ts';
import { saleInput } from './analytics-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'clientele-segments-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const segments = (...args: string[]) =>
  runCli(['segments', ...args], {
    CLIENTELE_DATA_DIR: join(dir, 'data'),
    CLIENTELE_CLICKHOUSE_BACKEND: 'chdb',
    CLIENTELE_CONFIG: '',
  });

describe('clientele segments validate', () => {
  it('lists a valid list, and names each mistake of a bad one with its line (exit 2)', async () => {
    const ok = await segments('validate', 'config/segments/examples.yaml');
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toBe(
      [
        'config/segments/examples.yaml: valid · 3 segments',
        '  lapsed-gold: recency_days > 90 and tier in [gold, platinum]',
        '  coffee-lapsers: visits(365) >= 6 and not (coffee in categories(60))',
        '  big-spenders: spend_minor(90) >= 50000 or tags has vip',
        '',
      ].join('\n'),
    );

    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'segments:',
        '  - id: lapsed',
        '    when: recency > 90',
        '  - id: gold',
        '    when: tier > gold',
        '',
      ].join('\n'),
    );
    const bad = await segments('validate', file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `clientele: ${file} is not a valid segment list:\n` +
        '  segments[0].when: unknown measure "recency": one of recency_days, visits, spend_minor, margin_minor, points_balance, age, tier, home_store, channel, tags, categories (line 3)\n' +
        '  segments[1].when: tier is a word: compare it with == or != (or use in [...]) (line 5)\n',
    );

    const missing = await segments('validate', join(dir, 'none.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('(file): no such file');
  }, 120_000);
});

describe('clientele segments reconcile', () => {
  it('names the customers live and batch membership disagree on (exit 3), and says none (exit 0)', async () => {
    const store = await createAnalyticsStore(
      settingsSchema.parse({ dataDir: join(dir, 'data'), clickhouse: { backend: 'chdb' } }),
    );
    await store.migrate();
    // c-1 bought twice in March (a regular), c-2 once.
    const sales = [
      ['c-1', 'tx-1', '2026-03-01T10:00:00Z'],
      ['c-1', 'tx-2', '2026-03-10T10:00:00Z'],
      ['c-2', 'tx-3', '2026-03-05T10:00:00Z'],
    ].map(([customerId, transactionId, occurredAt], i) =>
      saleEvent.parse(saleInput({ customerId, transactionId, occurredAt, eventId: `ev-${i}` })),
    );
    for (const [i, sale] of sales.entries()) {
      const rows = eventRows(sale, { streamSeq: i + 1, receivedAt: sale.occurredAt });
      await store.insert('sale_lines', rows.sale_lines);
      await store.insert('events', rows.events);
    }
    const change = (customerId: string, at: string) =>
      segmentChangeRow({
        customerId,
        segmentId: 'regulars',
        change: 'entered',
        at,
        cause: 'event',
        programVersion: 'p@1',
      });
    // The workflows put c-1 in (right) and c-2 too (wrong).
    await store.insert('segment_changes', [
      change('c-1', '2026-03-10T10:00:00Z'),
      change('c-2', '2026-03-05T10:00:00Z'),
    ]);
    await store.close();
    const program = join(dir, 'program.yaml');
    writeFileSync(
      program,
      [
        'id: test',
        'name: Test Rewards',
        'currency: EUR',
        'pointValue: { points: 100, minor: 100 }',
        'earn:',
        '  base: { rate: { points: 1, perMinor: 100 } }',
        'segments:',
        '  - id: regulars',
        '    when: visits(30) >= 2',
        '',
      ].join('\n'),
    );

    const differs = await segments('reconcile', program, '--as-of', '2026-03-20T00:00:00Z');
    expect(differs.code).toBe(3);
    expect(differs.stdout.split('\n').slice(0, 3)).toEqual([
      'as of 2026-03-20T00:00:00.000Z',
      'segment   live  batch  differences  only live  only batch',
      'regulars  2     1      1            c-2',
    ]);

    // Before c-2's (wrong) entry, they agree.
    const agrees = await segments(
      'reconcile',
      program,
      '--as-of',
      '2026-03-04T00:00:00Z',
      '--json',
    );
    expect(agrees.code).toBe(0);
    expect(JSON.parse(agrees.stdout).segments).toEqual([
      { segmentId: 'regulars', live: 0, batch: 0, onlyLive: [], onlyBatch: [], differences: 0 },
    ]);
    const bad = await segments('reconcile', program, '--as-of', 'yesterday');
    expect(bad).toMatchObject({
      code: 2,
      stderr: 'clientele: --as-of: "yesterday" is not an ISO 8601 instant\n',
    });
  }, 120_000);
});
