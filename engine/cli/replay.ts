/**
 * `clientele replay history`: customers' workflow histories, every run of each, fetched from
 * Temporal and replayed against the workflow code of this checkout (engine/replay). A run the code
 * no longer replays is reported with the event where it parted and the patch it needs.
 * Exit codes: 0 every run replays; 3 a run does not; 2 bad input (an unknown customer, a bad
 * number); 1 Temporal could not be reached.
 *
 * `clientele replay state`: a customer's state rebuilt from the log in the analytics store, now
 * (with the differences from the live workflow's) or at a past moment. Asked of a running
 * Clientele (`svc.replay.state`): with chDB only its process reads the store.
 * Exit codes: 0 the states agree (or a past moment was answered); 3 they differ; 2 bad input
 * (an unknown customer, a moment that is not one); 1 Clientele could not be reached.
 */
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { type Command, Option } from 'commander';
import type { Settings } from '../../config/settings.ts';
import { askService } from '../../gateways/shared/ask-service.ts';
import { customerWorkflowId } from '../../workflows/customer/messages.ts';
import {
  installTemporalRuntime,
  quietBundlerLogger,
  workflowsPath,
} from '../../workflows/worker.ts';
import { momentOf, replayStateAnswer } from '../domain/customer/state-diff.ts';
import {
  fetchRuns,
  type RunHistory,
  type RunReplay,
  replayRuns,
  UnknownWorkflowError,
} from '../replay/history-replay.ts';
import { REPLAY_STATE_SUBJECT } from '../streams/topology.ts';
import { withNats } from './nats.ts';
import { startProgressBar } from './progress.ts';
import { formatReplayState } from './replay-state-format.ts';

/** Exit code when a run does not replay against the current code, or a rebuilt state differs. */
export const NOT_REPLAYED = 3;

/** The customer workflows' type, as the worker registers it. */
const CUSTOMER_WORKFLOW_TYPE = 'customerWorkflow';

interface HistoryOptions {
  all?: boolean;
  sample?: string;
  json?: boolean;
}

export function addReplayCommands(program: Command, settingsOrExit: () => Settings) {
  const replay = program
    .command('replay')
    .description(
      'Replay customers: their workflow histories against this checkout, their state from the log',
    );
  addStateCommand(replay, settingsOrExit);
  replay
    .command('history')
    .description(
      "Fetch a customer's workflow histories (every continued run) from Temporal and replay them against the current workflow code; a run that does not replay is reported with its event and the patch it needs. Exit codes: 0 every run replays, 3 one does not, 2 bad input, 1 Temporal unreachable",
    )
    .argument('[customerId]', 'the customer (or --all, --sample N)')
    .option('--all', "every customer's workflow on the server")
    .option('--sample <n>', 'the first N customer workflows the server lists')
    .option('--json', 'one JSON object per run instead of lines')
    .action(async (customerId: string | undefined, options: HistoryOptions) => {
      const settings = settingsOrExit();
      const sample = options.sample === undefined ? undefined : Number(options.sample);
      if (sample !== undefined && !(Number.isInteger(sample) && sample > 0)) {
        return refuse(`--sample: ${options.sample} is not a whole number of at least 1`);
      }
      const many = options.all === true || sample !== undefined;
      if ((customerId === undefined) === !many) {
        return refuse('name one customer, or give --all or --sample N (not both)');
      }
      const address = settings.temporal.address ?? `127.0.0.1:${settings.temporal.devServerPort}`;
      let connection: Connection;
      try {
        connection = await Connection.connect({ address, connectTimeout: 5_000 });
      } catch (err) {
        process.stderr.write(
          `clientele: cannot reach Temporal at ${address}: ${(err as Error).message}\n`,
        );
        process.exitCode = 1;
        return;
      }
      try {
        const client = new Client({ connection, namespace: settings.temporal.namespace });
        const ids = many
          ? await customerWorkflowIds(client, sample)
          : [customerWorkflowId(customerId as string)];
        // The replay workers' state changes are the SDK's to log, not the report's.
        installTemporalRuntime('warn');
        const workflowBundle = await bundleWorkflowCode({
          workflowsPath,
          logger: quietBundlerLogger,
        });
        let done = 0;
        let failed = 0;
        const progress = many
          ? startProgressBar(ids.length, 'customers', () => ({
              done,
              figures: { 'runs not replayed': failed },
            }))
          : null;
        const report = (result: RunReplay) => {
          if (result.failure) failed += 1;
          if (!many || result.failure) print(result, options.json === true);
        };
        const results: RunReplay[] = [];
        for (const id of ids) {
          let runs: RunHistory[];
          try {
            runs = await fetchRuns(client, id);
          } catch (err) {
            if (!(err instanceof UnknownWorkflowError)) throw err;
            if (!many) return refuse(`${err.message}: is ${customerId} a customer id?`);
            // Listed, then gone (deleted past its retention) before it was fetched.
            runs = [];
          }
          results.push(...(await replayRuns(workflowBundle, runs, report)));
          done += 1;
        }
        progress?.stop();
        const notReplayed = results.filter((r) => r.failure).length;
        process.stderr.write(
          `${ids.length} customer${ids.length === 1 ? '' : 's'}, ${results.length} run${results.length === 1 ? '' : 's'}: ${notReplayed === 0 ? 'every run replays' : `${notReplayed} not replayed`}\n`,
        );
        if (notReplayed > 0) process.exitCode = NOT_REPLAYED;
      } finally {
        await connection.close();
      }
    });
}

function addStateCommand(replay: Command, settingsOrExit: () => Settings) {
  replay
    .command('state')
    .description(
      "Rebuild a customer's state (balance, lots, tier, segments, lifecycle occasions) from the log in the analytics store, each event under the program version in force at its time, and show how it differs from the live workflow's; --as-of answers at a past moment. Needs a running Clientele. Exit codes: 0 the same (or a past moment answered), 3 they differ, 2 bad input, 1 Clientele unreachable",
    )
    .argument('<customerId>', 'the customer')
    .option('--as-of <moment>', 'an ISO instant, or a day (YYYY-MM-DD: its end, UTC)')
    .addOption(
      new Option(
        '--timeline <timeline>',
        'received: what the engine knew then; occurred: the moment as the whole log tells it, late events included',
      )
        .choices(['received', 'occurred'])
        .default('received'),
    )
    .option('--json', 'the answer as JSON')
    .action(
      async (customerId: string, options: { asOf?: string; timeline: string; json?: boolean }) => {
        const settings = settingsOrExit();
        const asOf = options.asOf === undefined ? undefined : momentOf(options.asOf);
        if (options.asOf !== undefined && asOf === undefined) {
          return refuse(`--as-of: "${options.asOf}" is not an ISO instant or a day (YYYY-MM-DD)`);
        }
        await withNats(settings, async (nc) => {
          const answer = await askService(nc, REPLAY_STATE_SUBJECT, {
            customerId,
            timeline: options.timeline,
            ...(asOf === undefined ? {} : { asOf }),
          });
          if (!answer.ok) {
            process.stderr.write(`clientele: ${answer.error.code}: ${answer.error.message}\n`);
            process.exitCode = answer.error.code === 'unavailable' ? 1 : 2;
            return;
          }
          const state = replayStateAnswer.parse(answer);
          process.stdout.write(
            options.json ? `${JSON.stringify(state, null, 2)}\n` : formatReplayState(state),
          );
          if ((state.differences?.length ?? 0) > 0) process.exitCode = NOT_REPLAYED;
        });
      },
    );
}

function refuse(message: string) {
  process.stderr.write(`clientele: ${message}\n`);
  process.exitCode = 2;
}

/** Customer workflow ids from the server's visibility store, each once (a chain lists each run). */
async function customerWorkflowIds(client: Client, limit: number | undefined): Promise<string[]> {
  const ids = new Set<string>();
  for await (const execution of client.workflow.list({
    query: `WorkflowType = '${CUSTOMER_WORKFLOW_TYPE}'`,
  })) {
    ids.add(execution.workflowId);
    if (limit !== undefined && ids.size >= limit) break;
  }
  return [...ids];
}

function print(result: RunReplay, json: boolean) {
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const head = `${result.workflowId} run ${result.runId} (${result.events} events)`;
  if (!result.failure) {
    process.stdout.write(`${head}: replays\n`);
    return;
  }
  const { message, divergence, advice } = result.failure;
  const where = divergence
    ? ` at event ${divergence.eventId} (${divergence.eventType}: ${divergence.detail})`
    : '';
  process.stdout.write(`${head}: DOES NOT REPLAY${where}\n  ${message}\n  ${advice}\n`);
}
