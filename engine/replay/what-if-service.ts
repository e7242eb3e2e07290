/**
 * `svc.replay.what-if`: a candidate program's what-if for one customer over a period. Their log
 * is read from the analytics store (customer-log.ts) and replayed under the versions in force and
 * under the candidate by `simulateCustomer` (domain/customer/what-if.ts), as each customer of
 * `clientele simulate` is, and reported with the simulation's figures (simulation-report.ts).
 * Answered by the process holding the store; the console's customer page asks it.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { AnalyticsStore } from '../analytics/store.ts';
import { momentOf } from '../domain/customer/state-diff.ts';
import { simulateCustomer } from '../domain/customer/what-if.ts';
import { ClienteleError } from '../domain/error-codes.ts';
import type { BaseEarnProgram } from '../domain/loyalty/base-earn.ts';
import type { Program } from '../domain/loyalty/program.ts';
import { ProgramError } from '../domain/loyalty/program-schema.ts';
import { parseProgramText } from '../programs/load-program.ts';
import { type Served, type ServedStats, serveRequests } from '../services/serve-requests.ts';
import { HISTORY_QUEUE, REPLAY_WHAT_IF_SUBJECT } from '../streams/topology.ts';
import { readCustomerLog } from './customer-log.ts';
import { type CustomerWhatIfReport, customerReportOf } from './simulation-report.ts';
import { type CustomerWhatIfRequest, customerWhatIfRequest } from './what-if-messages.ts';
import { whatIfOptions } from './what-if-options.ts';

export interface WhatIfDeps {
  store: AnalyticsStore;
  /** Every published version: the baseline (read when asked: versions published since count). */
  versions: () => Promise<Program[]>;
  /** The base earn rate, for the time before any version is in force. */
  base: BaseEarnProgram;
}

/** The period's instants: `from` at the start of its day, `to` at the end of its own. */
export function periodOf(request: { from: string; to: string }): { from: string; to: string } {
  const from = momentOf(request.from, 'start');
  const to = momentOf(request.to);
  const issues = [
    ...(from === undefined ? [{ field: 'from', message: 'is not a day (YYYY-MM-DD)' }] : []),
    ...(to === undefined ? [{ field: 'to', message: 'is not a day (YYYY-MM-DD)' }] : []),
  ];
  if (from !== undefined && to !== undefined && Date.parse(from) > Date.parse(to)) {
    issues.push({ field: 'to', message: `${request.to} is before from (${request.from})` });
  }
  if (issues.length > 0 || from === undefined || to === undefined) {
    throw new ClienteleError('invalid_request', issues);
  }
  return { from, to };
}

/**
 * The candidate as written, in force from `from`. Each mistake is refused as a field of
 * `program`, its message ending with its line (`(line 7)`).
 */
export function candidateOf(text: string, from: string): Program {
  try {
    const { definition } = parseProgramText(text, 'the candidate program');
    return { ...definition, version: `${definition.id}@candidate`, effectiveFrom: from };
  } catch (err) {
    if (!(err instanceof ProgramError)) throw err;
    throw new ClienteleError(
      'invalid_request',
      err.issues.map((issue) => ({
        // `(YAML syntax)`, `(program)`: the text as a whole.
        field: issue.field.startsWith('(') ? 'program' : `program.${issue.field}`,
        message: issue.message,
      })),
    );
  }
}

/** The versions' names for the report (the base earn rate when none is published). */
export const baselineNames = (versions: readonly Program[]): string[] =>
  versions.length > 0 ? versions.map((v) => v.version) : ['the base earn rate (no version)'];

export async function customerWhatIf(
  deps: WhatIfDeps,
  request: CustomerWhatIfRequest,
): Promise<CustomerWhatIfReport> {
  const period = periodOf(request);
  const candidate = candidateOf(request.program, period.from);
  const [read, baseline] = await Promise.all([
    readCustomerLog(deps.store, request.customerId),
    deps.versions(),
  ]);
  if (read.events + read.requests === 0) {
    throw new ClienteleError('unknown_customer', [
      {
        field: 'customerId',
        message: `${request.customerId}: nothing in the log for this customer`,
      },
    ]);
  }
  const whatIf = simulateCustomer(
    read.log,
    whatIfOptions({ base: deps.base, baseline, candidate, ...period }),
  );
  const report = customerReportOf(whatIf, {
    candidate: candidate.version,
    baseline: baselineNames(baseline),
    ...period,
  });
  if (read.pooled > 0) {
    report.leftOut = `${read.pooled} household transfer${read.pooled === 1 ? '' : 's'} on the ledger: pooling is not replayed`;
  }
  return report;
}

export function startWhatIfService(
  nc: NatsConnection,
  deps: WhatIfDeps & { logger: Logger },
): Served & { stats: ServedStats } {
  const stats: ServedStats = { answered: 0, refused: 0, failed: 0 };
  const served = serveRequests(
    nc,
    REPLAY_WHAT_IF_SUBJECT,
    HISTORY_QUEUE,
    customerWhatIfRequest,
    (request) => customerWhatIf(deps, request),
    { stats, logger: deps.logger, what: 'what-if service' },
  );
  return { stats, stop: () => served.stop() };
}
