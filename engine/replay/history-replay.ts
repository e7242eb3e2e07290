/**
 * Replaying customers' workflow histories against the workflow code of this checkout, so an
 * engineer learns before a deploy whether a change to a released workflow needs `patched()`.
 *
 * A customer's workflow is a chain of runs (continue-as-new): each run's history names the run
 * it continues, so the chain is walked back from the current run without the visibility store.
 * Each run is replayed with the Temporal SDK's replayer. Its error says what did not match
 * ("Missing associated machine for LocalActivity(1)") but not where: a failing run is replayed
 * again cut after each workflow task, halving the range, and the first cut that fails names the
 * task whose recorded commands the code no longer makes. Its first command event is reported.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { type ReplayWorkerOptions, Worker } from '@temporalio/worker';

export type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type WorkflowBundle = NonNullable<ReplayWorkerOptions['workflowBundle']>;

/** One run of a workflow, its history as the server keeps it. */
export interface RunHistory {
  workflowId: string;
  runId: string;
  history: History;
}

/** Where a replay parted from the history: the first event of the task the code now differs in. */
export interface Divergence {
  eventId: number;
  eventType: string;
  /** What the event recorded: the marker, activity, timer or update it names. */
  detail: string;
}

export interface RunReplay {
  workflowId: string;
  runId: string;
  events: number;
  /** The patches the run marked (`patched()` ids), in order. */
  patches: string[];
  /** Absent when the run replays. */
  failure?: { message: string; divergence: Divergence | null; advice: string };
}

/** No workflow with this id on the server. */
export class UnknownWorkflowError extends Error {}

/** The run a history continues (continue-as-new), or undefined for the first of its chain. */
const continuedFrom = (history: History): string | undefined =>
  history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ||
  undefined;

/**
 * Every run of `workflowId`, oldest first: the current (or last) run, then each run it continues,
 * as far back as the server still keeps them (`max` runs at most; a run past its retention ends
 * the walk).
 */
export async function fetchRuns(
  client: Client,
  workflowId: string,
  max = 1_000,
): Promise<RunHistory[]> {
  let runId: string | undefined;
  try {
    runId = (await client.workflow.getHandle(workflowId).describe()).runId;
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') {
      throw new UnknownWorkflowError(`no workflow ${workflowId} on the server`);
    }
    throw err;
  }
  const runs: RunHistory[] = [];
  while (runId && runs.length < max) {
    let history: History;
    try {
      history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    } catch (err) {
      if (runs.length > 0 && (err as Error).name === 'WorkflowNotFoundError') break;
      throw err;
    }
    runs.unshift({ workflowId, runId, history });
    runId = continuedFrom(history);
  }
  return runs;
}

/** The patches a history marked (`patched()`), by id, in order. */
export const patchesOf = (history: History): string[] =>
  (history.events ?? []).flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return [];
    const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? [(JSON.parse(new TextDecoder().decode(data)) as { id: string }).id] : [];
  });

/** Replays one history; the SDK's error when it does not match the code. */
async function replayError(
  workflowBundle: WorkflowBundle,
  workflowId: string,
  history: History,
): Promise<Error | undefined> {
  try {
    await Worker.runReplayHistory(
      { workflowBundle, replayName: 'clientele-replay' },
      history,
      workflowId,
    );
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

const EVENT_TYPES = [
  'workflowTaskScheduled',
  'workflowTaskStarted',
  'workflowTaskCompleted',
  'workflowTaskFailed',
  'workflowTaskTimedOut',
] as const;
const isWorkflowTaskEvent = (e: HistoryEvent) =>
  EVENT_TYPES.some((t) => e[`${t}EventAttributes`] != null);

/** The event's kind, as the Temporal UI names it (`MarkerRecorded`), and what it names. */
export function describeEvent(e: HistoryEvent): Divergence {
  const key = Object.keys(e).find(
    (k) => k.endsWith('EventAttributes') && e[k as keyof HistoryEvent],
  );
  const kind = key ? key.slice(0, -'EventAttributes'.length) : 'unknown';
  const eventType = kind.charAt(0).toUpperCase() + kind.slice(1);
  const marker = e.markerRecordedEventAttributes;
  const detail = marker
    ? `marker ${marker.markerName}`
    : e.activityTaskScheduledEventAttributes
      ? `activity ${e.activityTaskScheduledEventAttributes.activityType?.name}`
      : e.timerStartedEventAttributes
        ? `timer ${e.timerStartedEventAttributes.timerId}`
        : e.workflowExecutionUpdateAcceptedEventAttributes
          ? `update ${e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name}`
          : e.workflowExecutionUpdateCompletedEventAttributes
            ? 'update completed'
            : e.workflowExecutionContinuedAsNewEventAttributes
              ? 'continue-as-new'
              : kind;
  return { eventId: Number(e.eventId ?? 0), eventType, detail };
}

/**
 * The first event of the workflow task the code parts from the history in: the history is cut
 * after each workflow task's start (the replayer runs the last task without checking it), the
 * first cut that fails found by halving; when every cut replays, the history fails in its last
 * task. Null for a history without a workflow task.
 */
export async function locateDivergence(
  workflowBundle: WorkflowBundle,
  run: RunHistory,
  message = '',
): Promise<Divergence | null> {
  const events = run.history.events ?? [];
  const starts = events.flatMap((e, i) => (e.workflowTaskStartedEventAttributes ? [i] : []));
  if (starts.length === 0) return null;
  const cut = (j: number): History => ({ events: events.slice(0, (starts[j] as number) + 1) });
  // Invariant: the cut at `good` replays (the first task's cut always does: nothing to check);
  // the cut at `bad` fails, or `bad` is past the last cut and the whole history fails.
  let good = 0;
  let bad = starts.length;
  while (bad - good > 1) {
    const mid = Math.floor((good + bad) / 2);
    if (await replayError(workflowBundle, run.workflowId, cut(mid))) bad = mid;
    else good = mid;
  }
  // Task `good` is the last one whose commands match: its commands follow its start.
  const from = (starts[good] as number) + 1;
  const to = bad < starts.length ? (starts[bad] as number) : events.length;
  const commands = events.slice(from, to).filter((e) => !isWorkflowTaskEvent(e));
  // The event the SDK's message names the kind of, else the first that is not an update's
  // acceptance or answer (those follow the handlers, not the code's commands), else the first.
  const named = MESSAGE_KINDS.find(([pattern]) => pattern.test(message))?.[1];
  const isUpdate = (e: HistoryEvent) =>
    e.workflowExecutionUpdateAcceptedEventAttributes != null ||
    e.workflowExecutionUpdateCompletedEventAttributes != null;
  const first =
    (named && commands.find(named)) ??
    commands.find((e) => !isUpdate(e)) ??
    commands[0] ??
    events[to - 1];
  return first ? describeEvent(first) : null;
}

/** The kinds of command the SDK's nondeterminism messages name, and their events. */
const MESSAGE_KINDS: [RegExp, (e: HistoryEvent) => boolean][] = [
  [/LocalActivity/, (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity'],
  [/[Pp]atch/, (e) => e.markerRecordedEventAttributes?.markerName === 'core_patch'],
  [/Timer/, (e) => e.timerStartedEventAttributes != null],
  [/ScheduleActivity|Activity\(/, (e) => e.activityTaskScheduledEventAttributes != null],
  [/ContinueAsNew/, (e) => e.workflowExecutionContinuedAsNewEventAttributes != null],
  [/ChildWorkflow/, (e) => e.startChildWorkflowExecutionInitiatedEventAttributes != null],
];

/** What to do about a run the code no longer replays. */
export function adviceFor(divergence: Divergence | null, patches: readonly string[]): string {
  const where = divergence
    ? `at event ${divergence.eventId} (${divergence.eventType}, ${divergence.detail})`
    : 'at the end of the run';
  const known = patches.length > 0 ? patches.join(', ') : 'none';
  return (
    `the workflow code no longer does what this run recorded ${where}. Keep the recorded behaviour ` +
    "for runs like it behind a new patch: if (patched('<a new id>')) { the new code } else { the " +
    `code as it was }, and record a history of the new branch (test/histories). Patches this run marked: ${known}.`
  );
}

/**
 * Replays runs against `workflowBundle` (one replay worker for all), calling `onRun` as each
 * ends; a run that fails is located (locateDivergence) before the next.
 */
export async function replayRuns(
  workflowBundle: WorkflowBundle,
  runs: Iterable<RunHistory> | AsyncIterable<RunHistory>,
  onRun: (result: RunReplay) => void = () => {},
): Promise<RunReplay[]> {
  const results: RunReplay[] = [];
  for await (const run of runs) {
    const error = await replayError(workflowBundle, run.workflowId, run.history);
    const patches = patchesOf(run.history);
    const result: RunReplay = {
      workflowId: run.workflowId,
      runId: run.runId,
      events: run.history.events?.length ?? 0,
      patches,
    };
    if (error) {
      const detail = /Nondeterminism error: ([^"]+)"/.exec(error.message)?.[1];
      const divergence = await locateDivergence(workflowBundle, run, detail);
      result.failure = {
        message: detail ? `nondeterminism: ${detail}` : error.message,
        divergence,
        advice: adviceFor(divergence, patches),
      };
    }
    results.push(result);
    onRun(result);
  }
  return results;
}
