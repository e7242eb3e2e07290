/**
 * `clientele groups …`: saving, refreshing and removing a marketer's saved groups
 * (engine/segments/groups.ts). Reading them is a question like any other: `clientele analytics
 * groups`, `group-sizes --group ID`, `group-members --group ID`.
 */
import type { Command } from 'commander';
import type { Settings } from '../../config/settings.ts';
import type { AnalyticsStore } from '../analytics/store.ts';
import { ClienteleError } from '../domain/error-codes.ts';
import { refreshGroups, removeGroup, saveGroup } from '../segments/groups.ts';
import { openOrExit } from './analytics.ts';
import { startProgressBar } from './progress.ts';

/** `--as-of` as a Date, or undefined after saying what is wrong (exit code 2). */
function momentOf(text: string | undefined): Date | undefined {
  const at = text === undefined ? new Date() : new Date(text);
  if (Number.isNaN(at.getTime())) {
    process.stderr.write(`clientele: --as-of: "${text}" is not an ISO 8601 instant\n`);
    process.exitCode = 2;
    return undefined;
  }
  return at;
}

/** Runs `work` on the migrated store; a refusal is printed with its field, exit code 2. */
async function withStore(settings: Settings, work: (store: AnalyticsStore) => Promise<void>) {
  const store = await openOrExit(settings);
  try {
    await store.migrate();
    await work(store);
  } catch (err) {
    if (!(err instanceof ClienteleError)) throw err;
    process.stderr.write(`clientele: ${err.code}: ${err.message}\n`);
    process.exitCode = 2;
  } finally {
    await store.close();
  }
}

export function addGroupCommands(program: Command, settingsOrExit: () => Settings) {
  const groups = program
    .command('groups')
    .description(
      'Saved groups: a condition in the segment language kept with its members and its size over time (read them with `clientele analytics groups | group-sizes | group-members`)',
    );

  groups
    .command('save')
    .description(
      'Save a group: measure it at the end of each of the days before, keep who is in it now',
    )
    .argument('<id>', 'the group id (lower case, digits, hyphens)')
    .requiredOption(
      '--when <condition>',
      'who is in it, e.g. "recency_days > 90 and tier in [gold]"',
    )
    .requiredOption('--by <staffId>', 'who saves it (a staff id)')
    .option('--name <text>', 'how people call it (default: the id)')
    .option('--base-tier <tier>', "the tier of members with no tier change (the program's first)")
    .option('--history-days <n>', 'days before now measured at their end', '30')
    .option('--replace', 'save over a group with this id (a new version)')
    .option('--as-of <time>', 'the moment it is saved at (ISO 8601; default now)')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, options: Record<string, string | boolean | undefined>) => {
      const now = momentOf(options.asOf as string | undefined);
      if (!now) return;
      const historyDays = Number(options.historyDays);
      await withStore(settingsOrExit(), async (store) => {
        let done = 0;
        let total = historyDays + 1;
        const bar =
          options.json === true
            ? undefined
            : startProgressBar(total, 'sizes', () => ({ done, figures: { of: total } }));
        try {
          const saved = await saveGroup(
            store,
            {
              id,
              when: options.when as string,
              savedBy: options.by as string,
              ...(options.name !== undefined ? { name: options.name as string } : {}),
              ...(options.baseTier !== undefined ? { baseTier: options.baseTier as string } : {}),
            },
            now,
            {
              historyDays,
              replace: options.replace === true,
              onProgress: (d, t) => {
                done = d;
                total = t;
              },
            },
          );
          bar?.stop();
          if (options.json === true) {
            process.stdout.write(`${JSON.stringify(saved, null, 2)}\n`);
            return;
          }
          const first = saved.sizes[0];
          process.stdout.write(
            `saved ${saved.group.id} at ${saved.group.savedAt}: ${saved.members} members` +
              (first && saved.sizes.length > 1
                ? ` (${first.members} at ${first.at}, ${saved.sizes.length - 1} days before)`
                : '') +
              '\n',
          );
        } finally {
          bar?.stop();
        }
      });
    });

  groups
    .command('refresh')
    .description('Measure saved groups now and keep the point (all, or those named)')
    .argument('[ids...]', 'groups to measure (default: every saved group)')
    .option('--as-of <time>', 'the moment measured (ISO 8601; default now)')
    .action(async (ids: string[], options: { asOf?: string }) => {
      const now = momentOf(options.asOf);
      if (!now) return;
      await withStore(settingsOrExit(), async (store) => {
        const done = await refreshGroups(store, now, ids);
        for (const { group, size } of done) {
          process.stdout.write(`${group}: ${size.members} members at ${size.at}\n`);
        }
        if (done.length === 0) process.stdout.write('no saved groups\n');
      });
    });

  groups
    .command('remove')
    .description('Stop listing and refreshing a group (its figures stay stored)')
    .argument('<id>', 'the group id')
    .requiredOption('--by <staffId>', 'who removes it (a staff id)')
    .action(async (id: string, options: { by: string }) => {
      await withStore(settingsOrExit(), async (store) => {
        await removeGroup(store, id, new Date(), options.by);
        process.stdout.write(`removed ${id}\n`);
      });
    });
}
