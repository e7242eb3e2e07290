/**
 * `clientele analytics …` end to end: the CLI opens a chDB store holding a small generated data
 * set (while no other process holds it), answers as a table, CSV or JSON, lists the questions,
 * and names a bad option.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsSchema } from '../../config/settings.ts';
import { createAnalyticsStore } from '../../engine/analytics/open-store.ts';
import { askQuestion } from '../../engine/analytics/questions/registry.ts';
import type { EventRow } from '../../engine/analytics/rows.ts';
import { writeGenerated } from '../../engine/generator/write.ts';
import { runCli } from '../support/cli.ts';

const AS_OF = '2025-06-30T18:00:00.000Z';
let dataDir: string;
const events: EventRow[] = [];

const settings = () => settingsSchema.parse({ dataDir, clickhouse: { backend: 'chdb' } });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'clientele-analytics-cli-'));
  const options = {
    seed: 11,
    customers: 300,
    saleLines: 4000,
    stores: 4,
    skus: 100,
    from: '2025-01-01',
    to: '2025-06-30',
    currency: 'EUR',
  };
  const { generateBatches } = await import('../../engine/generator/generate.ts');
  for (const batch of generateBatches(options)) events.push(...batch.events);
  const store = await createAnalyticsStore(settings());
  await store.migrate();
  await writeGenerated(store, options);
  await store.close();
}, 120_000);

afterAll(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Runs `clientele analytics …` on the test's store: exit code, stdout, stderr. */
const cli = (...args: string[]) => clientele('analytics', ...args);

/** Runs the CLI on the test's store: exit code, stdout, stderr. */
const clientele = (...args: string[]) =>
  runCli(args, {
    CLIENTELE_DATA_DIR: dataDir,
    CLIENTELE_CLICKHOUSE_BACKEND: 'chdb',
    CLIENTELE_CONFIG: '',
  });

describe('clientele groups', () => {
  it('saves a group with its history, then answers its sizes; refuses a bad condition', async () => {
    const saved = await clientele(
      'groups',
      'save',
      'regulars',
      '--when',
      'visits(60) >= 2',
      '--by',
      'mkt-1',
      '--history-days',
      '3',
      '--as-of',
      AS_OF,
      '--json',
    );
    expect(saved.code).toBe(0);
    const result = JSON.parse(saved.stdout) as { members: number; sizes: { members: number }[] };
    expect(result.sizes).toHaveLength(4);
    expect(result.members).toBeGreaterThan(0);
    const sizes = await cli(
      'group-sizes',
      '--group',
      'regulars',
      '--as-of',
      AS_OF,
      '--format',
      'json',
    );
    expect(sizes.code).toBe(0);
    const answer = JSON.parse(sizes.stdout) as { rows: { members: number }[] };
    expect(answer.rows.map((r) => r.members)).toEqual(result.sizes.map((s) => s.members));

    const bad = await clientele(
      'groups',
      'save',
      'bad',
      '--when',
      'visits(60) >=',
      '--by',
      'mkt-1',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid_request');
    expect(bad.stderr).toContain('when');
    const unknown = await cli('group-sizes', '--group', 'nobody', '--as-of', AS_OF);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no saved group "nobody"');
  });
});

describe('clientele analytics', () => {
  it('lists the questions', async () => {
    const { code, stdout } = await cli('list');
    expect(code).toBe(0);
    for (const name of ['rfm', 'not-seen', 'cross-sell', 'demographics', 'clusters']) {
      expect(stdout).toMatch(new RegExp(`^${name}\\s`, 'm'));
    }
    const json = JSON.parse((await cli('list', '--format', 'json')).stdout) as {
      name: string;
      params: { name: string }[];
    }[];
    expect(json.find((q) => q.name === 'not-seen')?.params.map((p) => p.name)).toEqual([
      'days',
      'limit',
    ]);
  });

  it('answers as JSON, the same as the question asked in process', async () => {
    const { code, stdout } = await cli('rfm', '--as-of', AS_OF, '--format', 'json');
    expect(code).toBe(0);
    const answer = JSON.parse(stdout) as {
      question: string;
      asOf: string;
      rows: { segment: string; customers: number }[];
    };
    expect(answer).toMatchObject({ question: 'rfm', asOf: AS_OF });
    // Every member with a sale in the 365 days up to the as-of day is in one segment.
    const buyers = new Set(
      events
        .filter(
          (e) => e.type === 'sale' && e.customer_id !== '' && e.occurred_at <= '2025-06-30 99',
        )
        .map((e) => e.customer_id),
    );
    expect(answer.rows.reduce((n, r) => n + r.customers, 0)).toBe(buyers.size);

    const store = await createAnalyticsStore(settings());
    try {
      const direct = await askQuestion(
        store,
        { question: 'rfm', params: {}, asOf: AS_OF },
        new Date(),
      );
      expect(answer.rows).toEqual(direct.answer.rows);
    } finally {
      await store.close();
    }
  });

  it('answers as CSV (RFC 4180) and as an aligned table', async () => {
    const csv = await cli(
      'not-seen',
      '--days',
      '30',
      '--limit',
      '3',
      '--as-of',
      AS_OF,
      '--format',
      'csv',
    );
    expect(csv.code).toBe(0);
    const records = csv.stdout.split('\r\n');
    expect(records[0]).toBe('customer_id,last_visit,days_since,lifetime_spend');
    expect(records.slice(1, 4).every((r) => /^c\d+,\d{4}-\d\d-\d\d,\d+,-?\d+\.\d\d$/.test(r))).toBe(
      true,
    );
    expect(records.at(-1)).toBe('');

    const table = await cli('demographics', '--by', 'gender', '--as-of', AS_OF);
    expect(table.code).toBe(0);
    const [header, rule] = table.stdout.split('\n');
    expect(header).toMatch(/^gender\s+customers\s+active\s+spend\s+margin\s+avg_basket$/);
    expect(rule).toMatch(/^-+( +-+){5}$/);
  });

  it('names a bad option', async () => {
    const bad = await cli('rfm', '--days', 'soon', '--as-of', AS_OF);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--days');

    const unknown = await cli('rfm', '--colour', 'red');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('--colour');

    const choice = await cli('demographics', '--by', 'shoe-size');
    expect(choice.code).not.toBe(0);
    expect(choice.stderr).toContain('--by');

    const asOf = await cli('rfm', '--as-of', 'yesterday-ish');
    expect(asOf.code).toBe(2);
    expect(asOf.stderr).toContain('--as-of');
  });
});
