/**
 * `svc.replay.simulate`: the what-if of a draft program over every customer (or a segment's),
 * from the console before the program is published, run as `clientele simulate` runs it
 * (simulate.ts, on worker threads) and reported the same way (simulation-report.ts).
 *
 * A job: `start` checks the draft and the period and answers the job's id at once; `status` says
 * how many customers are replayed of how many and, once done, the report. One job at a time (a
 * second is refused `busy` while one runs: each takes worker threads beside the live engine); the
 * last job and its report are kept until the next starts, in the memory of the process that holds
 * the analytics store.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { ClienteleError, type ErrorBody, toClienteleError } from '../domain/error-codes.ts';
import { parseCondition, SegmentExpressionError } from '../segments/expression.ts';
import { type CompiledSegment, compileSegment } from '../segments/sql.ts';
import { type Served, type ServedStats, serveRequests } from '../services/serve-requests.ts';
import { HISTORY_QUEUE, REPLAY_SIMULATE_SUBJECT } from '../streams/topology.ts';
import { EmptyPeriodError, simulate } from './simulate.ts';
import { reportOf, type SimulationReport } from './simulation-report.ts';
import {
  type SimulateStart,
  type SimulateStarted,
  type SimulationJob,
  simulateRequest,
} from './what-if-messages.ts';
import { baselineNames, candidateOf, periodOf, type WhatIfDeps } from './what-if-service.ts';

export interface SimulateServiceDeps extends WhatIfDeps {
  logger: Logger;
  /** Worker threads for a job (half the cores by default: the engine runs beside it). */
  workers?: number;
}

interface Job {
  id: string;
  state: SimulationJob['state'];
  progress: SimulationJob['progress'];
  report?: SimulationReport;
  error?: ErrorBody;
  run: Promise<void>;
}

function segmentOf(text: string, database: string): CompiledSegment {
  try {
    return compileSegment(parseCondition(text), { database });
  } catch (err) {
    if (!(err instanceof SegmentExpressionError)) throw err;
    throw new ClienteleError(
      'invalid_request',
      err.problems.map((message) => ({ field: 'segment', message })),
    );
  }
}

/** Why a job failed, as the console is told: a period without events is the request's fault. */
function failure(err: unknown): ErrorBody {
  if (err instanceof EmptyPeriodError) {
    return new ClienteleError('invalid_request', [{ field: 'from', message: err.message }]).body;
  }
  return toClienteleError(err).body;
}

export function simulationJobs(deps: SimulateServiceDeps) {
  const workers = deps.workers ?? Math.max(1, Math.floor(availableParallelism() / 2));
  let job: Job | undefined;

  function start(request: SimulateStart): SimulateStarted {
    if (job?.state === 'running') {
      throw new ClienteleError(
        'busy',
        [],
        'a what-if of a program is running already: ask again once it is done',
      );
    }
    const period = periodOf(request);
    const candidate = candidateOf(request.program, period.from);
    const segment =
      request.segment === undefined ? undefined : segmentOf(request.segment, deps.store.database);
    const current: Job = {
      id: randomUUID(),
      state: 'running',
      progress: { done: 0, total: 0 },
      run: Promise.resolve(),
    };
    job = current;
    current.run = (async () => {
      const baseline = await deps.versions();
      const simulation = await simulate({
        store: deps.store,
        base: deps.base,
        baseline,
        candidate,
        ...period,
        ...(segment ? { segment } : {}),
        workers,
        onScope: (scope) => {
          current.progress.total = scope.customers;
        },
        onProgress: (p) => {
          current.progress.done = p.customers;
        },
      });
      current.report = reportOf(simulation, {
        candidate: candidate.version,
        baseline: baselineNames(baseline),
        ...(request.segment !== undefined ? { segment: request.segment } : {}),
        ...period,
      });
      current.state = 'done';
    })().catch((err: unknown) => {
      current.error = failure(err);
      current.state = 'failed';
      if (!(err instanceof EmptyPeriodError)) {
        deps.logger.error({ err, jobId: current.id }, 'a what-if of a program failed');
      }
    });
    return { ok: true, jobId: current.id };
  }

  function status(jobId: string): SimulationJob {
    if (job?.id !== jobId) {
      throw new ClienteleError('invalid_request', [
        { field: 'jobId', message: 'no such job: only the last one started is kept' },
      ]);
    }
    return {
      ok: true,
      jobId: job.id,
      state: job.state,
      progress: { ...job.progress },
      ...(job.report ? { report: job.report } : {}),
      ...(job.error ? { error: job.error } : {}),
    };
  }

  return {
    start,
    status,
    /** Resolves once the job running (if any) is over. */
    settled: () => job?.run ?? Promise.resolve(),
  };
}

export function startSimulateService(
  nc: NatsConnection,
  deps: SimulateServiceDeps,
): Served & { stats: ServedStats } {
  const stats: ServedStats = { answered: 0, refused: 0, failed: 0 };
  const jobs = simulationJobs(deps);
  const served = serveRequests(
    nc,
    REPLAY_SIMULATE_SUBJECT,
    HISTORY_QUEUE,
    simulateRequest,
    async (request) =>
      request.action === 'start' ? jobs.start(request) : jobs.status(request.jobId),
    { stats, logger: deps.logger, what: 'simulate service' },
  );
  return {
    stats,
    async stop() {
      await served.stop();
      await jobs.settled();
    },
  };
}
