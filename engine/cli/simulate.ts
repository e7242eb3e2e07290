/**
 * `clientele simulate --program FILE --from DATE --to DATE [--segment S]`: what a candidate
 * program would have done over a period of the stored events, next to the versions that were in
 * force (engine/replay/simulate.ts). Reads the analytics store itself: with chDB, while Clientele
 * is stopped (or any time with the `http` backend).
 *
 * The versions in force: `--baseline FILE` when given (in force throughout); else the published
 * versions when NATS answers; else the settings' program file.
 *
 * Exit codes: 0 simulated; 2 bad input (a program file with mistakes, each with its line; a
 * period that is not one, or holds no events; a segment that does not parse); 1 the store could
 * not be read.
 */
import { type Command, Option } from 'commander';
import type { Settings } from '../../config/settings.ts';
import { baseProgram } from '../../workflows/customer/client.ts';
import { momentOf } from '../domain/customer/state-diff.ts';
import type { Program } from '../domain/loyalty/program.ts';
import { EmptyPeriodError, simulate } from '../replay/simulate.ts';
import { formatReport, reportOf } from '../replay/simulation-report.ts';
import { parseCondition, SegmentExpressionError } from '../segments/expression.ts';
import { compileSegment } from '../segments/sql.ts';
import { openOrExit, storeReadFailed } from './analytics.ts';
import { inForceThroughout, programFileOrExit, versionsInForce } from './program-file.ts';
import { startProgressBar } from './progress.ts';

interface SimulateFlags {
  program: string;
  from: string;
  to: string;
  baseline?: string;
  segment?: string;
  format: 'table' | 'json' | 'csv';
  workers?: string;
}

function refuse(message: string): never {
  process.stderr.write(`clientele: ${message}\n`);
  process.exit(2);
}

export function addSimulateCommand(program: Command, settingsOrExit: () => Settings) {
  program
    .command('simulate')
    .description(
      "What a candidate loyalty program would have done over a period of the stored events, next to the versions in force: points issued, redeemed and expired, liability, the tier migration matrix, customers affected, each earn rule's cost against its margin, cost per extra visit. Reads the analytics store itself (with chDB, while Clientele is stopped). Exit codes: 0 simulated, 2 bad input, 1 the store could not be read",
    )
    .requiredOption('--program <file>', 'the candidate program (YAML or JSON)')
    .requiredOption('--from <date>', 'the first day (YYYY-MM-DD) or instant of the period')
    .requiredOption('--to <date>', 'the last day (YYYY-MM-DD, inclusive) or instant of the period')
    .option(
      '--baseline <file>',
      'the program in force throughout (default: the published versions, else the settings’ program file)',
    )
    .option(
      '--segment <condition>',
      'only customers meeting this condition at the start (docs/segments.md)',
    )
    .addOption(
      new Option('--format <format>', 'output').choices(['table', 'json', 'csv']).default('table'),
    )
    .option('--workers <n>', 'worker threads (default: every core)')
    .action(async (flags: SimulateFlags) => {
      const settings = settingsOrExit();
      const from = momentOf(flags.from, 'start');
      const to = momentOf(flags.to);
      if (from === undefined)
        refuse(`--from: "${flags.from}" is not a day (YYYY-MM-DD) or an ISO instant`);
      if (to === undefined)
        refuse(`--to: "${flags.to}" is not a day (YYYY-MM-DD) or an ISO instant`);
      if (Date.parse(from) > Date.parse(to))
        refuse(`--from ${flags.from} is after --to ${flags.to}`);
      const workers = flags.workers === undefined ? undefined : Number(flags.workers);
      if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1)) {
        refuse(`--workers: ${flags.workers} is not a whole number of at least 1`);
      }
      const candidateFile = await programFileOrExit(flags.program);
      const candidate: Program = {
        ...candidateFile.definition,
        version: `${candidateFile.definition.id}@candidate`,
        effectiveFrom: from,
      };
      let baseline: Program[];
      let baselineNames: string[];
      if (flags.baseline !== undefined) {
        baseline = [inForceThroughout((await programFileOrExit(flags.baseline)).definition)];
        baselineNames = [`${flags.baseline} (in force throughout)`];
      } else {
        ({ versions: baseline, names: baselineNames } = await versionsInForce(settings));
      }
      let condition: ReturnType<typeof parseCondition> | undefined;
      if (flags.segment !== undefined) {
        try {
          condition = parseCondition(flags.segment);
        } catch (err) {
          if (err instanceof SegmentExpressionError) refuse(`--segment: ${err.message}`);
          throw err;
        }
      }
      const store = await openOrExit(settings);
      const segment = condition && compileSegment(condition, { database: store.database });
      let done = 0;
      let inputs = 0;
      const started = performance.now();
      let progress: ReturnType<typeof startProgressBar> | undefined;
      try {
        const simulation = await simulate({
          store,
          base: baseProgram(settings.loyalty),
          baseline,
          candidate,
          from,
          to,
          ...(segment ? { segment } : {}),
          ...(workers !== undefined ? { workers } : {}),
          onProgress: (p) => {
            done = p.customers;
            inputs = p.inputs;
          },
          onScope: (scope) => {
            progress = startProgressBar(scope.customers, 'customers', () => ({
              done,
              figures: {
                'events/s': Math.round(inputs / ((performance.now() - started) / 1000)),
              },
            }));
          },
        });
        progress?.stop();
        const report = reportOf(simulation, {
          candidate: `${candidateFile.definition.id} (${flags.program})`,
          baseline: baselineNames,
          ...(flags.segment !== undefined ? { segment: flags.segment } : {}),
          from,
          to,
        });
        process.stdout.write(formatReport(report, flags.format));
      } catch (err) {
        progress?.stop();
        if (err instanceof EmptyPeriodError) refuse(err.message);
        storeReadFailed(settings, 'the simulation', err);
      } finally {
        await store.close();
      }
    });
}
