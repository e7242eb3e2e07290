/**
 * `clientele segments …`: segment lists marketers write (docs/segments.md), and the check that
 * the live segments the customers' workflows keep agree with the same definitions computed over
 * the stored events.
 */
import type { Command } from 'commander';
import type { Settings } from '../../config/settings.ts';
import { ProgramError } from '../domain/loyalty/program-schema.ts';
import { loadProgramFile, ProgramFileError } from '../programs/load-program.ts';
import { loadSegmentsFile } from '../segments/load-segments.ts';
import { reconcileProgramSegments } from '../segments/reconcile.ts';
import { SegmentListError } from '../segments/segment-schema.ts';
import { openOrExit, storeReadFailed } from './analytics.ts';

/** Exit code of `reconcile` when live and batch membership differ. */
export const DIFFERENCES_FOUND = 3;

export function addSegmentCommands(program: Command, settingsOrExit: () => Settings) {
  const segments = program.command('segments').description('Segment lists (docs/segments.md)');
  segments
    .command('validate')
    .description('Check a segment list (YAML or JSON): each mistake with its field and line')
    .argument('<file>', 'the segment list, e.g. config/segments.yaml')
    .action(async (file: string) => {
      try {
        const list = await loadSegmentsFile(file);
        process.stdout.write(
          `${file}: valid · ${list.length} segment${list.length === 1 ? '' : 's'}\n`,
        );
        for (const segment of list) process.stdout.write(`  ${segment.id}: ${segment.when}\n`);
      } catch (err) {
        if (!(err instanceof SegmentListError)) throw err;
        process.stderr.write(`clientele: ${err.message}\n`);
        process.exitCode = 2;
      }
    });

  segments
    .command('reconcile')
    .description(
      `Compare each live segment of a program with the same condition computed over the stored events: exit ${DIFFERENCES_FOUND} when they differ. Reads the analytics store itself (with chDB, while Clientele is stopped)`,
    )
    .argument('<program>', 'the program file whose segments to check (YAML or JSON)')
    .option('--as-of <time>', 'the moment to compare at (ISO 8601; default now)')
    .option('--json', 'print the report as JSON')
    .option('--limit <n>', 'customer ids listed per difference', '10')
    .action(async (file: string, options: { asOf?: string; json?: boolean; limit: string }) => {
      const asOf = options.asOf === undefined ? new Date() : new Date(options.asOf);
      if (Number.isNaN(asOf.getTime())) {
        process.stderr.write(`clientele: --as-of: "${options.asOf}" is not an ISO 8601 instant\n`);
        process.exitCode = 2;
        return;
      }
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 0) {
        process.stderr.write(`clientele: --limit: "${options.limit}" is not a whole number\n`);
        process.exitCode = 2;
        return;
      }
      let definition: Awaited<ReturnType<typeof loadProgramFile>>['definition'];
      try {
        definition = (await loadProgramFile(file)).definition;
      } catch (err) {
        if (!(err instanceof ProgramError || err instanceof ProgramFileError)) throw err;
        process.stderr.write(`clientele: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      const list = definition.segments ?? [];
      if (list.length === 0) {
        process.stderr.write(`clientele: ${file} has no segments to compare\n`);
        process.exitCode = 2;
        return;
      }
      const settings = settingsOrExit();
      const store = await openOrExit(settings);
      try {
        let report: Awaited<ReturnType<typeof reconcileProgramSegments>>;
        try {
          report = await reconcileProgramSegments(store, definition, asOf, { limit });
        } catch (err) {
          storeReadFailed(settings, 'the reconciliation', err);
          return;
        }
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({ asOf: asOf.toISOString(), segments: report }, null, 2)}\n`,
          );
        } else {
          process.stdout.write(`as of ${asOf.toISOString()}\n`);
          const rows = [
            ['segment', 'live', 'batch', 'differences', 'only live', 'only batch'],
            ...report.map((r) => [
              r.segmentId,
              String(r.live),
              String(r.batch),
              String(r.differences),
              r.onlyLive.join(' '),
              r.onlyBatch.join(' '),
            ]),
          ];
          const widths = rows[0]?.map((_, i) =>
            Math.max(...rows.map((row) => row[i]?.length ?? 0)),
          );
          for (const row of rows) {
            process.stdout.write(
              `${row
                .map((cell, i) => cell.padEnd(widths?.[i] ?? 0))
                .join('  ')
                .trimEnd()}\n`,
            );
          }
        }
        if (report.some((r) => r.differences > 0)) process.exitCode = DIFFERENCES_FOUND;
      } finally {
        await store.close();
      }
    });
}
