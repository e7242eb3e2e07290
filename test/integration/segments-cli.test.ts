/**
 * `clientele segments validate`, run as a user runs it: the example list is valid and listed;
 * a list with mistakes names each with its line and exits 2; a missing file says so.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'clientele-segments-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function segments(...args: string[]) {
  try {
    const { stdout, stderr } = await run(
      'npx',
      ['tsx', 'engine/cli/main.ts', 'segments', ...args],
      {
        timeout: 60_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

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
