/**
 * `clientele staff …`, the admin's commands, run as an operator runs them against a real
 * nats-server: each change is made in the staff directory and written to the audit log in the
 * name of the admin `--by` names; a `--by` that is no enabled admin is refused naming it, before
 * any password is asked and with nothing written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEntry, auditEntry } from '../../engine/domain/staff/audit.ts';
import { type RunningServer, startNatsServer } from '../../engine/runtime/servers.ts';
import { argon2Hasher } from '../../engine/staff/passwords.ts';
import { openStaffDirectory, type StaffDirectory } from '../../engine/staff/staff-directory.ts';
import { declareStreams } from '../../engine/streams/declare.ts';
import { AUDIT_STREAM } from '../../engine/streams/topology.ts';
import { runCli } from '../support/cli.ts';
import { testSettings } from '../support/stack.ts';

let dataDir: string;
let nats: RunningServer;
let nc: NatsConnection;
let directory: StaffDirectory;
let env: Record<string, string>;
const PASSWORD = 'a long enough password';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'clientele-staff-cli-'));
  nats = await startNatsServer({ dataDir });
  nc = await connect({ servers: nats.address });
  await declareStreams(await jetstreamManager(nc), testSettings());
  directory = await openStaffDirectory(nc, { hasher: argon2Hasher });
  const createdAt = new Date().toISOString();
  await directory.add({ userId: 'ada', name: 'Ada', role: 'admin', createdAt }, PASSWORD);
  await directory.add({ userId: 'mia', name: 'Mia', role: 'marketer', createdAt }, PASSWORD);
  env = { CLIENTELE_NATS_SERVERS: nats.address };
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const staff = (args: string[], input?: string) => runCli(['staff', ...args], env, 60_000, input);

/** Every entry in the AUDIT stream, in order. */
async function audited(): Promise<AuditEntry[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(AUDIT_STREAM);
  const entries: AuditEntry[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const message = await jsm.streams.getMessage(AUDIT_STREAM, { seq });
    if (message) entries.push(auditEntry.parse(message.json()));
  }
  return entries;
}
const noted = (entries: AuditEntry[]) =>
  entries.map((e) => [e.userId, e.role, e.action, e.customerId ?? '', e.detail]);

describe('clientele staff', () => {
  it('adds, changes, sets the password of and disables a member, each audited by --by', async () => {
    const added = await staff(
      [
        'add',
        'sm1',
        '--role',
        'store-manager',
        '--stores',
        'S001',
        '--name',
        'Jo',
        '--by',
        'ada',
        '--password-stdin',
      ],
      `${PASSWORD}\n`,
    );
    expect(added).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^added sm1 +store-manager +S001 /),
    });
    expect(await directory.verify('sm1', PASSWORD)).toMatchObject({ role: 'store-manager' });

    const changed = await staff(['change', 'sm1', '--stores', 'S001,S002', '--by', 'ada']);
    expect(changed).toMatchObject({ code: 0 });
    expect((await directory.get('sm1'))?.stores).toEqual(['S001', 'S002']);

    const newPassword = 'another long password';
    expect(
      await staff(['password', 'sm1', '--by', 'ada', '--password-stdin'], `${newPassword}\n`),
    ).toMatchObject({ code: 0 });
    expect(await directory.verify('sm1', PASSWORD)).toBeUndefined();
    expect(await directory.verify('sm1', newPassword)).toMatchObject({ userId: 'sm1' });

    expect(await staff(['confidential', 'C-7', '--to', 'mia,sm1', '--by', 'ada'])).toMatchObject({
      code: 0,
      stdout: 'C-7 is visible only to mia, sm1\n',
    });
    expect((await directory.confidentialTo('C-7'))?.visibleTo).toEqual(['mia', 'sm1']);

    expect(await staff(['disable', 'sm1', '--by', 'ada'])).toMatchObject({ code: 0 });
    expect(await directory.verify('sm1', newPassword)).toBeUndefined();

    expect(noted(await audited())).toEqual([
      ['ada', 'admin', 'staff.add', '', 'sm1: store-manager, S001'],
      ['ada', 'admin', 'staff.change', '', 'sm1: store-manager, S001 S002'],
      ['ada', 'admin', 'staff.change', '', 'sm1: store-manager, S001 S002; password set'],
      ['ada', 'admin', 'customer.confidential', 'C-7', 'visible only to mia, sm1'],
      ['ada', 'admin', 'staff.disable', '', 'sm1'],
    ]);
  }, 180_000);

  it('refuses a --by that is no enabled admin, naming it, and writes nothing', async () => {
    const before = (await audited()).length;
    const byMarketer = await staff(
      [
        'add',
        'sm2',
        '--role',
        'associate',
        '--stores',
        'S001',
        '--name',
        'Al',
        '--by',
        'mia',
        '--password-stdin',
      ],
      `${PASSWORD}\n`,
    );
    expect(byMarketer.code).toBe(2);
    expect(byMarketer.stderr).toContain(
      'forbidden: by: "mia" is a marketer: only an admin changes the staff',
    );
    expect(await directory.get('sm2')).toBeUndefined();

    const byNobody = await staff(['disable', 'mia', '--by', 'ghost']);
    expect(byNobody.code).toBe(2);
    expect(byNobody.stderr).toContain('unknown_staff: by: no member of staff is "ghost"');
    expect((await directory.get('mia'))?.disabledAt).toBeUndefined();

    const withoutBy = await staff(['disable', 'mia']);
    expect(withoutBy.code).not.toBe(0);
    expect(withoutBy.stderr).toContain("required option '--by <userId>' not specified");

    // A change that breaks the role's rule names the field.
    const noStores = await staff(['change', 'mia', '--role', 'associate', '--by', 'ada']);
    expect(noStores.code).toBe(2);
    expect(noStores.stderr).toContain('invalid_request: stores: are needed');
    expect((await directory.get('mia'))?.role).toBe('marketer');

    expect(await audited()).toHaveLength(before);
  }, 180_000);
});
