/**
 * The staff directory's confidential flag against a real nats-server, as both the console and
 * `clientele staff confidential` set it: every member named must exist, or nothing is written and
 * the error names the field; the checked list is told to the audit before it is written;
 * duplicates are dropped; an empty list makes the record ordinary again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClienteleError } from '../../engine/domain/error-codes.ts';
import { type RunningServer, startNatsServer } from '../../engine/runtime/servers.ts';
import { argon2Hasher } from '../../engine/staff/passwords.ts';
import { openStaffDirectory, type StaffDirectory } from '../../engine/staff/staff-directory.ts';

let dataDir: string;
let nats: RunningServer;
let nc: NatsConnection;
let directory: StaffDirectory;
const at = new Date('2026-12-03T10:00:00Z');

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'clientele-staff-'));
  nats = await startNatsServer({ dataDir });
  nc = await connect({ servers: nats.address });
  directory = await openStaffDirectory(nc, { hasher: argon2Hasher });
  for (const [userId, role] of [
    ['ada', 'admin'],
    ['sam', 'service-desk'],
    ['mia', 'marketer'],
  ] as const) {
    await directory.add(
      { userId, name: userId, role, createdAt: at.toISOString() },
      'a long enough password',
    );
  }
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function refusal(change: Promise<unknown>) {
  const err = await change.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ClienteleError);
  return err as ClienteleError;
}

describe('the confidential flag', () => {
  it('is kept for the members named, once each, after the audit is told', async () => {
    const told: string[][] = [];
    const record = async (visibleTo: string[]) => {
      // Told before the write: the record is not yet confidential.
      expect(await directory.confidentialTo('C-1')).toBeUndefined();
      told.push(visibleTo);
    };
    const to = await directory.makeConfidential(
      { customerId: 'C-1', visibleTo: ['sam', 'mia', 'sam'], by: 'ada', at },
      record,
    );
    expect(to).toEqual(['sam', 'mia']);
    expect(told).toEqual([['sam', 'mia']]);
    expect(await directory.confidentialTo('C-1')).toEqual({
      customerId: 'C-1',
      visibleTo: ['sam', 'mia'],
      setBy: 'ada',
      at: at.toISOString(),
    });
  });

  it('refuses an unknown member by field and writes nothing, not even to the audit', async () => {
    let told = 0;
    const record = async () => {
      told += 1;
    };
    const named = await refusal(
      directory.makeConfidential(
        { customerId: 'C-2', visibleTo: ['sam', 'nobody'], by: 'ada', at },
        record,
      ),
    );
    expect(named.code).toBe('unknown_staff');
    expect(named.issues).toEqual([
      { field: 'visibleTo.1', message: 'no member of staff is "nobody"' },
    ]);
    const by = await refusal(
      directory.makeConfidential({ customerId: 'C-2', visibleTo: ['sam'], by: 'ghost', at }),
    );
    expect(by.issues.map((i) => i.field)).toEqual(['by']);
    expect(told).toBe(0);
    expect(await directory.confidentialTo('C-2')).toBeUndefined();
  });

  it('makes the record ordinary again with an empty list', async () => {
    await directory.makeConfidential({ customerId: 'C-3', visibleTo: ['mia'], by: 'ada', at });
    expect((await directory.confidentialTo('C-3'))?.visibleTo).toEqual(['mia']);
    expect(
      await directory.makeConfidential({ customerId: 'C-3', visibleTo: [], by: 'ada', at }),
    ).toEqual([]);
    expect(await directory.confidentialTo('C-3')).toBeUndefined();
  });
});
