/**
 * `svc.replay.state`: a customer's state rebuilt from the log in the analytics store
 * (`customer-log.ts`, `domain/customer/rebuild.ts`), at a past moment or now, and for now the
 * differences from the live workflow's state. Answered by the process holding the analytics
 * store (with chDB only it can read it); `clientele replay state` and the dashboard's
 * `/api/customers/<id>/state` ask it.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Logger } from 'pino';
import { customerWorkflowId, stateQuery } from '../../workflows/customer/messages.ts';
import type { AnalyticsStore } from '../analytics/store.ts';
import { inputsApplied, rebuildCustomer } from '../domain/customer/rebuild.ts';
import type { CustomerState } from '../domain/customer/state.ts';
import {
  differences,
  type ReplayStateAnswer,
  type ReplayStateRequest,
  replayStateRequest,
  viewOf,
} from '../domain/customer/state-diff.ts';
import { ClienteleError } from '../domain/error-codes.ts';
import type { BaseEarnProgram } from '../domain/loyalty/base-earn.ts';
import type { ProgramCatalog } from '../domain/loyalty/versions.ts';
import { type Served, type ServedStats, serveRequests } from '../services/serve-requests.ts';
import { HISTORY_QUEUE, REPLAY_STATE_SUBJECT } from '../streams/topology.ts';
import { readCustomerLog } from './customer-log.ts';

export interface ReplayStateDeps {
  store: AnalyticsStore;
  temporal: Client;
  /** Every published program version (read when asked: versions published since count). */
  catalog: () => Promise<ProgramCatalog>;
  /** The base earn rate customers' workflows start with (a live customer's own is used first). */
  base: BaseEarnProgram;
  now?: () => Date;
}

/** The live workflow's state, or why there is none to compare with. */
async function liveState(
  temporal: Client,
  customerId: string,
): Promise<{ state: CustomerState } | { unavailable: string }> {
  try {
    const handle = temporal.workflow.getHandle(customerWorkflowId(customerId));
    return { state: await handle.query(stateQuery) };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      return { unavailable: 'no workflow runs for this customer' };
    }
    return { unavailable: `the workflow did not answer: ${(err as Error).message}` };
  }
}

export async function replayState(
  deps: ReplayStateDeps,
  request: ReplayStateRequest,
): Promise<ReplayStateAnswer> {
  const now = (deps.now ?? (() => new Date()))();
  const asOf = request.asOf === undefined ? now : new Date(request.asOf);
  if (asOf.getTime() > now.getTime()) {
    throw new ClienteleError('invalid_request', [
      { field: 'asOf', message: `${request.asOf} is in the future: the log ends now` },
    ]);
  }
  const at = asOf.toISOString();
  const live =
    request.asOf === undefined ? await liveState(deps.temporal, request.customerId) : undefined;
  const [read, catalog] = await Promise.all([
    readCustomerLog(deps.store, request.customerId),
    deps.catalog(),
  ]);
  if (read.events + read.requests === 0 && (live === undefined || !('state' in live))) {
    throw new ClienteleError('unknown_customer', [
      {
        field: 'customerId',
        message: `${request.customerId}: nothing in the log for this customer`,
      },
    ]);
  }
  const base = live && 'state' in live ? live.state.program : deps.base;
  const rebuilt = viewOf(
    rebuildCustomer(read.log, { catalog, base, until: at, timeline: request.timeline }),
    at,
  );
  const answer: ReplayStateAnswer = {
    ok: true,
    customerId: request.customerId,
    asOf: at,
    timeline: request.timeline,
    inputs: inputsApplied(read.log, at, request.timeline),
    rebuilt,
  };
  if (read.pooled > 0) {
    answer.leftOut = `${read.pooled} household transfer${read.pooled === 1 ? '' : 's'} on the ledger: pooling is not rebuilt`;
  }
  if (live === undefined) return answer;
  if ('unavailable' in live) return { ...answer, liveUnavailable: live.unavailable };
  const liveView = viewOf(live.state, at);
  return { ...answer, live: liveView, differences: differences(rebuilt, liveView) };
}

export function startReplayStateService(
  nc: NatsConnection,
  deps: ReplayStateDeps & { logger: Logger },
): Served & { stats: ServedStats } {
  const stats: ServedStats = { answered: 0, refused: 0, failed: 0 };
  const served = serveRequests(
    nc,
    REPLAY_STATE_SUBJECT,
    HISTORY_QUEUE,
    replayStateRequest,
    (request) => replayState(deps, request),
    { stats, logger: deps.logger, what: 'replay state service' },
  );
  return { stats, stop: () => served.stop() };
}
