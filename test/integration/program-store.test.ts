/**
 * The program store against a real nats-server (the project's own, from .tools/, with JetStream):
 * versions numbered in order and never overwritten, even by publishers racing; invalid programs
 * and versions that would come into force too early refused before anything is stored; corrupted
 * entries named; the watch; and `clientele program publish | list` end to end.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Program,
  type ProgramDefinition,
  ProgramError,
} from '../../engine/domain/loyalty/program-schema.ts';
import { followProgram } from '../../engine/programs/follow-program.ts';
import { loadProgramFile } from '../../engine/programs/load-program.ts';
import {
  openProgramStore,
  PROGRAMS_BUCKET,
  type ProgramStore,
  programInputOf,
} from '../../engine/programs/program-store.ts';
import { freePort, type RunningServer, startNatsServer } from '../../engine/runtime/servers.ts';

const run = promisify(execFile);

async function until(check: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let dataDir: string;
let nats: RunningServer;
let nc: NatsConnection;
let store: ProgramStore;
let grocer: ProgramDefinition;

/** The grocer program as written, under another id (each test keeps to its own program). */
const grocerAs = (id: string, fields: Record<string, unknown> = {}) => ({
  ...programInputOf(grocer),
  id,
  ...fields,
});

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'clientele-programs-'));
  // Only NATS is needed: the project's own nats-server, as npm start and the stack start it.
  nats = await startNatsServer({ dataDir });
  nc = await connect({ servers: nats.address });
  store = await openProgramStore(nc);
  grocer = (await loadProgramFile('config/programs/grocer.yaml')).definition;
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('program store', () => {
  it('publishes versions 1 and 2 and reads them back in order', async () => {
    // Both in the past, whatever the day the test runs: the CLI test publishes a third one now.
    const first = await store.publish(grocerAs('greenleaf'), new Date('2025-11-01T09:00:00Z'));
    expect(first.version).toBe('greenleaf@1');
    expect(first.effectiveFrom).toBe('2025-11-01T09:00:00.000Z');
    const second = await store.publish(
      grocerAs('greenleaf', {
        name: 'Greenleaf Rewards Plus',
        effectiveFrom: '2026-01-01T00:00:00+01:00',
      }),
      new Date('2025-11-20T09:00:00Z'),
    );
    expect(second.version).toBe('greenleaf@2');
    expect(second.effectiveFrom).toBe('2026-01-01T00:00:00+01:00');

    const versions = await store.versions('greenleaf');
    expect(versions).toEqual([first, second]);
    expect(versions[0]?.earn.rules[0]?.effect).toEqual({ multiply: 200 }); // held as parsed
    expect(await store.latest('greenleaf')).toEqual(second);
    expect(await store.latest('nothing-here')).toBeUndefined();
    expect(await store.programIds()).toContain('greenleaf');
  });

  it('gives publishers racing distinct numbers, never the same one twice', async () => {
    const now = new Date('2026-11-02T10:00:00Z');
    const published = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        store.publish(grocerAs('race', { name: `Race ${i}` }), now),
      ),
    );
    expect(published.map((p) => p.version).sort()).toEqual([
      'race@1',
      'race@2',
      'race@3',
      'race@4',
      'race@5',
      'race@6',
    ]);
    const stored = await store.versions('race');
    expect(stored.map((p) => p.version)).toEqual(published.map((p) => p.version).sort());
    // Each number holds what its own publisher sent.
    for (const p of published) {
      expect(stored.find((s) => s.version === p.version)?.name).toBe(p.name);
    }
  });

  it('refuses an invalid program before storing anything', async () => {
    const broken = grocerAs('broken', {
      tiers: { metric: 'spend', levels: [{ id: 'member', name: 'Member', threshold: 5 }] },
    });
    const refusal = store.publish(broken, new Date(), 'broken.yaml');
    await expect(refusal).rejects.toBeInstanceOf(ProgramError);
    await expect(refusal).rejects.toThrow(
      'broken.yaml is not a valid loyalty program:\n' +
        "  tiers.levels[0].threshold: must be 0: the first tier is every member's",
    );
    expect(await store.versions('broken')).toEqual([]);
    expect(await store.programIds()).not.toContain('broken');
  });

  it('refuses a version that comes into force before the latest one', async () => {
    const scheduled = await store.publish(
      grocerAs('scheduled', { effectiveFrom: '2027-01-01T00:00:00Z' }),
      new Date('2026-11-26T10:00:00Z'),
    );
    expect(scheduled.version).toBe('scheduled@1');

    const earlier = store.publish(
      grocerAs('scheduled', { effectiveFrom: '2026-12-15T00:00:00Z' }),
      new Date('2026-11-26T10:00:00Z'),
      'earlier.yaml',
    );
    await expect(earlier).rejects.toBeInstanceOf(ProgramError);
    await expect(earlier).rejects.toThrow(
      "effectiveFrom: 2026-12-15T00:00:00Z is before scheduled@1's effectiveFrom, 2027-01-01T00:00:00Z",
    );
    // Without an effectiveFrom a version applies from publishing: still before scheduled@1.
    await expect(
      store.publish(grocerAs('scheduled'), new Date('2026-11-26T10:00:00Z')),
    ).rejects.toThrow(/effectiveFrom: 2026-11-26T10:00:00.000Z \(the time of publishing/);
    expect((await store.versions('scheduled')).map((p) => p.version)).toEqual(['scheduled@1']);

    // At the same instant, or later, is fine.
    const same = await store.publish(
      grocerAs('scheduled', { effectiveFrom: '2027-01-01T01:00:00+01:00' }),
      new Date('2026-11-26T11:00:00Z'),
    );
    expect(same.version).toBe('scheduled@2');
  });

  it('names the key of an entry that does not read back', async () => {
    const kv = await new Kvm(nc).open(PROGRAMS_BUCKET);
    await kv.put('corrupt.1', 'not json at all');
    await expect(store.versions('corrupt')).rejects.toThrow(
      /^PROGRAMS entry "corrupt\.1" is not a valid loyalty program:\n {2}\(entry\): is not JSON/,
    );
    // Edited by hand into something the schema refuses.
    const edited = await store.publish(grocerAs('edited'), new Date('2026-11-01T00:00:00Z'));
    await kv.put('edited.2', JSON.stringify({ ...edited, version: 'edited@2', currency: 'euro' }));
    await expect(store.versions('edited')).rejects.toThrow(
      'PROGRAMS entry "edited.2" is not a valid loyalty program:\n  currency: must be an ISO 4217 code such as "EUR"',
    );
    // A version whose key it does not match.
    const good = await store.publish(grocerAs('moved'), new Date('2026-11-01T00:00:00Z'));
    await kv.put('moved.2', JSON.stringify(good));
    await expect(store.versions('moved')).rejects.toThrow(
      'PROGRAMS entry "moved.2" is not a valid loyalty program:\n  version: is "moved@1"; the key says "moved@2"',
    );
  });

  it('never reuses the number of a deleted version', async () => {
    await store.publish(grocerAs('deleted'), new Date('2026-11-01T00:00:00Z'));
    const kv = await new Kvm(nc).open(PROGRAMS_BUCKET);
    await kv.delete('deleted.1');
    const next = await store.publish(grocerAs('deleted'), new Date('2026-11-02T00:00:00Z'));
    expect(next.version).toBe('deleted@2');
    expect((await store.versions('deleted')).map((p) => p.version)).toEqual(['deleted@2']);
  });

  it('watches: the versions stored, then each one published', async () => {
    await store.publish(grocerAs('watched'), new Date('2026-11-01T00:00:00Z'));
    const seen: Program[] = [];
    const watch = await store.watch('watched', (p) => seen.push(p));
    expect(seen.map((p) => p.version)).toEqual(['watched@1']);
    await store.publish(grocerAs('other-program'), new Date('2026-11-01T00:00:00Z'));
    const second = await store.publish(grocerAs('watched'), new Date('2026-11-03T00:00:00Z'));
    await until(() => seen.length >= 2, 'the second version');
    expect(seen.map((p) => p.version)).toEqual(['watched@1', 'watched@2']);
    expect(seen[1]).toEqual(second);
    await watch.stop();
  });
});

describe('clientele program (CLI)', () => {
  const cli = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await run(
        'npx',
        ['tsx', 'engine/cli/main.ts', 'program', ...args],
        {
          env: { ...process.env, ...env },
          timeout: 60_000,
        },
      );
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };

  it('publish stores the file as the next version and prints it', async () => {
    const before = (await store.versions('greenleaf')).length;
    const result = await cli(['publish', 'config/programs/grocer.yaml'], {
      CLIENTELE_NATS_SERVERS: nats.address,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const version = `greenleaf@${before + 1}`;
    expect(result.stdout).toMatch(
      new RegExp(`^published ${version} · greenleaf "Greenleaf Rewards" · EUR · 4 earn rules`),
    );
    expect(result.stdout).toMatch(/\n {2}in force now \(from \d{4}-\d\d-\d\dT[\d:.]+Z\)\n$/);
    const stored = await store.latest('greenleaf');
    expect(stored?.version).toBe(version);
    expect(stored?.earn).toEqual(grocer.earn);

    const list = await cli(['list', 'greenleaf'], { CLIENTELE_NATS_SERVERS: nats.address });
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines).toHaveLength(before + 1);
    expect(lines[0]).toBe('greenleaf@1\tfrom 2025-11-01T09:00:00.000Z\tGreenleaf Rewards');
    expect(lines[1]).toBe('greenleaf@2\tfrom 2026-01-01T00:00:00+01:00\tGreenleaf Rewards Plus');
    expect(lines.at(-1)).toMatch(
      new RegExp(`^${version}\\tfrom .*\\tGreenleaf Rewards  ← in force now$`),
    );
  });

  it('publish refuses an invalid file with its errors, exit code 2', async () => {
    const result = await cli(['publish', 'test/unit/no-such-program.yaml'], {
      CLIENTELE_NATS_SERVERS: nats.address,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('clientele: test/unit/no-such-program.yaml: no such file\n');
  });

  it('says where NATS was looked for when it is not there', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const result = await cli(['publish', 'config/programs/fashion.yaml'], {
      CLIENTELE_NATS_SERVERS: url,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`NATS is not reachable at ${url}`);
    expect(result.stderr).toContain('npm start');
    expect(result.stderr).toContain('CLIENTELE_NATS_SERVERS');
  });

  it('validate prints a summary, or the errors with exit code 2', async () => {
    const ok = await cli(['validate', 'config/programs/fashion.yaml']);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toBe(
      'config/programs/fashion.yaml: valid · linnea-club "Linnea Club" · EUR+SEK · 3 earn rules · 3 bonuses · 3 tiers · 0 partners\n',
    );
    const bad = await cli(['validate', 'package.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^clientele: package\.json is not a valid loyalty program:\n/);
    expect(bad.stderr).toContain('(program): Unrecognized keys: "version", "description"');
  });

  it("validate names a misspelt key in an earn rule's effect, with its line", async () => {
    const file = join(dataDir, 'misspelt-effect.yaml');
    writeFileSync(
      file,
      [
        'id: shop',
        'name: Shop',
        'currency: EUR',
        'pointValue: { points: 100, minor: 100 }',
        'earn:',
        '  base: { rate: { points: 1, perMinor: 100 } }',
        '  rules:',
        '    - id: double',
        '      name: Double points',
        '      effect: { multipler: 2 }',
        '',
      ].join('\n'),
    );
    const result = await cli(['validate', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `clientele: ${file} is not a valid loyalty program:\n` +
        '  earn.rules[0].effect: Unrecognized key: "multipler" (line 10)\n',
    );
  });

  it('an engine publishes its file only when none is published, and says when the file was edited', async () => {
    const file = join(dataDir, 'followed.yaml');
    const written = readFileSync('config/programs/fashion.yaml', 'utf8').replace(
      /^id: .*$/m,
      'id: followed',
    );
    writeFileSync(file, written);
    const warnings: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void warnings.push(line) });
    const follow = async () => {
      warnings.length = 0;
      const followed = await followProgram(nc, { file, replicas: 1, logger });
      await followed.watch.stop();
      return warnings.map((line) => JSON.parse(line) as { level: number; msg: string });
    };
    const first = await follow();
    expect(first.map((l) => l.msg)).toContain('published the program file as its first version');
    // Unchanged: nothing to say.
    expect((await follow()).filter((l) => l.level >= 40)).toEqual([]);
    // Edited: the published version stays in force, and the engine says so.
    writeFileSync(file, written.replace(/^name: .*$/m, 'name: Followed Club'));
    const edited = await follow();
    expect(edited.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([
      expect.stringContaining('the program file differs from the latest published version'),
    ]);
    expect((await store.versions('followed')).map((v) => v.version)).toEqual(['followed@1']);
  });
});
