/**
 * The admin's commands for the people who sign in to the console: add a member with a role
 * (and their stores), list them, set a password, change a role or stores, disable a member, and
 * make a customer confidential to named staff. They write the staff directory (NATS KV `STAFF`)
 * of a running Clientele, and each change its audit log, in the name of the admin given with
 * `--by` (staff-changes.ts, as the console's Staff page does). Passwords are asked for without
 * echo on a terminal, or read from the first line of standard input with `--password-stdin` (for
 * scripts); they are never an argument, which shells and process lists keep.
 */
import passwordPrompt from '@inquirer/password';
import { jetstream } from '@nats-io/jetstream';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Settings } from '../../config/settings.ts';
import { ClienteleError, describeIssues, issuesOf } from '../domain/error-codes.ts';
import {
  password as passwordRule,
  ROLE_MEANINGS,
  type Role,
  roles,
  type StaffMember,
  staffMember,
} from '../domain/staff/roles.ts';
import { auditLog } from '../staff/audit-log.ts';
import { argon2Hasher } from '../staff/passwords.ts';
import { changerNamed, type StaffChanges, staffChanges } from '../staff/staff-changes.ts';
import { openStaffDirectory, type StaffDirectory } from '../staff/staff-directory.ts';
import { withNats } from './nats.ts';

async function withStaff(
  settings: Settings,
  use: (directory: StaffDirectory, changes: StaffChanges) => Promise<void>,
) {
  await withNats(settings, async (nc) => {
    const directory = await openStaffDirectory(nc, {
      hasher: argon2Hasher,
      replicas: settings.nats.replicas,
    });
    try {
      await use(directory, staffChanges({ directory, audit: auditLog(jetstream(nc)) }));
    } catch (err) {
      if (!(err instanceof ClienteleError)) throw err;
      process.stderr.write(`clientele: ${err.code}: ${err.message}\n`);
      process.exitCode = 2;
    }
  });
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/** The new password, checked against the rule; exits 2 naming what is wrong. */
async function newPassword(fromStdin: boolean): Promise<string> {
  let given: string;
  if (fromStdin) {
    given = await readStdinLine();
  } else if (process.stdin.isTTY) {
    given = await passwordPrompt({ message: 'Password (12 characters at least):', mask: true });
    const again = await passwordPrompt({ message: 'Once more:', mask: true });
    if (again !== given) fail('the two passwords differ');
  } else {
    fail('no terminal to ask the password on: give it on standard input with --password-stdin');
  }
  const checked = passwordRule.safeParse(given);
  if (!checked.success) fail(`password: ${checked.error.issues[0]?.message}`);
  return given;
}

function fail(message: string): never {
  process.stderr.write(`clientele: ${message}\n`);
  process.exit(2);
}

const storesOption = () =>
  new Option('--stores <ids>', 'the stores they work in, comma-separated (all stores when absent)');
const storeList = (text: string | undefined) =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');

/** The member, or exit 2 naming each field at fault. */
function checkedMember(member: unknown): StaffMember {
  const parsed = staffMember.safeParse(member);
  if (!parsed.success) fail(describeIssues(issuesOf(parsed.error.issues)));
  return parsed.data;
}

const describe = (m: StaffMember) =>
  [
    m.userId.padEnd(20),
    m.role.padEnd(14),
    (m.stores?.join(',') ?? 'all stores').padEnd(20),
    m.disabledAt ? `disabled ${m.disabledAt}` : `since ${m.createdAt}`,
  ].join(' ');

const byOption = () =>
  new Option(
    '--by <userId>',
    'the admin making the change, as the audit log keeps it',
  ).makeOptionMandatory();

export function addStaffCommands(program: Command, settingsOrExit: () => Settings): void {
  const staff = program
    .command('staff')
    .description('The people who sign in to the console: their roles, stores and passwords');
  const roleOption = () =>
    new Option('--role <role>', roles.map((r) => `${r}: ${ROLE_MEANINGS[r]}`).join('; ')).choices(
      roles,
    );

  staff
    .command('add')
    .description('Add a member of staff, who can then sign in to the console')
    .argument('<userId>', 'what they sign in with: letters, digits, ".", "_" or "-"')
    .addOption(roleOption().makeOptionMandatory())
    .requiredOption('--name <name>', 'as the console shows it')
    .addOption(storesOption())
    .addOption(byOption())
    .option('--password-stdin', 'read the password from the first line of standard input')
    .action(
      async (
        userId: string,
        opts: { role: Role; name: string; stores?: string; by: string; passwordStdin?: boolean },
      ) => {
        const settings = settingsOrExit();
        const stores = storeList(opts.stores);
        const member = checkedMember({
          userId,
          name: opts.name,
          role: opts.role,
          ...(stores ? { stores } : {}),
          createdAt: new Date().toISOString(),
        });
        await withStaff(settings, async (directory, changes) => {
          const by = await changerNamed(directory, opts.by);
          const password = await newPassword(opts.passwordStdin === true);
          const added = await changes.add(by, member, password);
          process.stdout.write(`added ${describe(added)}\n`);
        });
      },
    );

  staff
    .command('list')
    .description('Every member of staff: user id, role, stores, since when or disabled')
    .action(async () => {
      const settings = settingsOrExit();
      await withStaff(settings, async (directory) => {
        const members = await directory.list();
        if (members.length === 0) process.stdout.write('no staff yet: start Clientele first\n');
        for (const m of members) process.stdout.write(`${describe(m)}\n`);
      });
    });

  staff
    .command('password')
    .description("Set a member's password (their sessions go on until they expire)")
    .argument('<userId>')
    .addOption(byOption())
    .option('--password-stdin', 'read the password from the first line of standard input')
    .action(async (userId: string, opts: { by: string; passwordStdin?: boolean }) => {
      const settings = settingsOrExit();
      await withStaff(settings, async (directory, changes) => {
        const by = await changerNamed(directory, opts.by);
        const password = await newPassword(opts.passwordStdin === true);
        await changes.change(by, userId, { password });
        process.stdout.write(`password of ${userId} set\n`);
      });
    });

  staff
    .command('change')
    .description("Change a member's role or stores (at once, in every signed-in session)")
    .argument('<userId>')
    .addOption(roleOption())
    .addOption(storesOption())
    .option('--all-stores', 'they work in every store')
    .addOption(byOption())
    .action(
      async (
        userId: string,
        opts: { role?: Role; stores?: string; allStores?: boolean; by: string },
      ) => {
        const settings = settingsOrExit();
        if (opts.stores !== undefined && opts.allStores) fail('give --stores or --all-stores');
        const stores = opts.allStores ? null : storeList(opts.stores);
        if (!opts.role && stores === undefined) fail('give --role, --stores or --all-stores');
        await withStaff(settings, async (directory, changes) => {
          const by = await changerNamed(directory, opts.by);
          const changed = await changes.change(by, userId, {
            ...(opts.role ? { role: opts.role } : {}),
            ...(stores !== undefined ? { stores } : {}),
          });
          process.stdout.write(`changed ${describe(changed)}\n`);
        });
      },
    );

  staff
    .command('disable')
    .description('Disable a member: their sessions end at once and they cannot sign in again')
    .argument('<userId>')
    .addOption(byOption())
    .action(async (userId: string, opts: { by: string }) => {
      const settings = settingsOrExit();
      await withStaff(settings, async (directory, changes) => {
        const by = await changerNamed(directory, opts.by);
        const changed = await changes.disable(by, userId, new Date());
        process.stdout.write(`disabled ${describe(changed)}\n`);
      });
    });

  staff
    .command('confidential')
    .description(
      "Make a customer's record visible only to the staff named (an empty --to makes it ordinary again)",
    )
    .argument('<customerId>')
    .requiredOption('--to <userIds>', 'the staff who may see it, comma-separated')
    .addOption(byOption())
    .action(async (customerId: string, opts: { to: string; by: string }) => {
      const settings = settingsOrExit();
      await withStaff(settings, async (directory, changes) => {
        const by = await changerNamed(directory, opts.by);
        const to = await changes.makeConfidential(
          by,
          customerId,
          storeList(opts.to) ?? [],
          new Date(),
        );
        process.stdout.write(
          to.length === 0
            ? `${customerId} is no longer confidential\n`
            : `${customerId} is visible only to ${to.join(', ')}\n`,
        );
      });
    });
}
