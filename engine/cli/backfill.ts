/**
 * `clientele backfill`: the derived tables (points ledger, tier changes, segment entries and
 * exits, lifecycle occasions) derived again from the raw event log with the current rules
 * (engine/replay/backfill.ts), with a progress bar. Reads and writes the analytics store itself:
 * with chDB, while Clientele is stopped. Idempotent: run it again after an interruption.
 *
 * Exit codes: 0 done; 2 bad input; 1 the store could not be read or written.
 */
import type { Command } from 'commander';
import type { Settings } from '../../config/settings.ts';
import { baseProgram } from '../../workflows/customer/client.ts';
import { backfill } from '../replay/backfill.ts';
import { openOrExit, storeReadFailed } from './analytics.ts';
import { versionsInForce } from './program-file.ts';
import { startProgressBar } from './progress.ts';

export function addBackfillCommand(program: Command, settingsOrExit: () => Settings) {
  program
    .command('backfill')
    .description(
      'Derive the points ledger, tier changes, segment changes and lifecycle occasions again from the raw event log with the current rules, after a fix; idempotent. Reads and writes the analytics store itself (with chDB, while Clientele is stopped). Exit codes: 0 done, 2 bad input, 1 the store could not be read or written',
    )
    .option('--workers <n>', 'worker threads (default: every core)')
    .action(async (flags: { workers?: string }) => {
      const settings = settingsOrExit();
      const workers = flags.workers === undefined ? undefined : Number(flags.workers);
      if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1)) {
        process.stderr.write(
          `clientele: --workers: ${flags.workers} is not a whole number of at least 1\n`,
        );
        process.exit(2);
      }
      const { versions, names } = await versionsInForce(settings);
      process.stderr.write(`program versions: ${names.join(', ')}\n`);
      const store = await openOrExit(settings);
      let done = 0;
      let progress: ReturnType<typeof startProgressBar> | undefined;
      try {
        const result = await backfill({
          store,
          base: baseProgram(settings.loyalty),
          versions,
          // Everything received: the rows derived from it are all replaced.
          until: new Date().toISOString(),
          ...(workers !== undefined ? { workers } : {}),
          onScope: (scope) => {
            progress = startProgressBar(scope.customers, 'customers', () => ({ done }));
          },
          onProgress: (p) => {
            done = p.customers;
          },
          onReplacing: () => {
            progress?.stop();
            progress = undefined;
            process.stderr.write(
              'every customer derived: replacing the rows, one table at a time…\n',
            );
          },
        });
        progress?.stop();
        const rows = Object.entries(result.rows)
          .map(([table, n]) => `${table} ${n}`)
          .join(', ');
        process.stdout.write(
          `backfilled ${result.customers} customers (${result.events} events) in ${Math.round(result.seconds * 10) / 10} s on ${result.workers} workers: ${rows}${result.merged > 0 ? `; ${result.merged} in merges rebuilt one by one` : ''}${result.leftAlone > 0 ? `; ${result.leftAlone} with household transfers left as they were` : ''}${result.requestsNotRederived > 0 ? `; ${result.requestsNotRederived} granted requests on the ledger the rules no longer write (redemptions the rebuilt balance does not cover), kept` : ''}\n`,
        );
      } catch (err) {
        progress?.stop();
        storeReadFailed(settings, 'the backfill', err);
      } finally {
        await store.close();
      }
    });
}
