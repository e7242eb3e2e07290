/**
 * The customer client: the one way the rest of the engine talks to a customer's workflow. The
 * router delivers events, the redemption service redeems and cancels, the web gateway reads the
 * 360 snapshot; the program-version exchange (a workflow that lacks a version refuses in its
 * validator and is sent it) and the reading of Temporal's errors are written here once.
 */
import { status } from '@grpc/grpc-js';
import {
  type Client,
  isGrpcServiceError,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Settings } from '../../config/settings.ts';
import type { CustomerSnapshot } from '../../engine/domain/customer/state.ts';
import { ClienteleError, type ErrorCode } from '../../engine/domain/error-codes.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import type { BaseEarnProgram } from '../../engine/domain/loyalty/base-earn.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import type { ProgramCatalog } from '../../engine/domain/loyalty/versions.ts';
import {
  CUSTOMER_MERGED,
  customerWorkflowId,
  type DeliveryOptions,
  type DeliveryReceipt,
  deliverEventsUpdate,
  PROGRAMS_NEEDED,
  snapshotQuery,
} from './messages.ts';
import type { customerWorkflow } from './workflow.ts';

/** The earn rules a new customer starts with, from the settings. */
export function baseProgram(loyalty: Settings['loyalty']): BaseEarnProgram {
  return {
    version: `base-${loyalty.basePointsPerUnit}-per-${loyalty.spendUnitMinor}`,
    basePointsPerUnit: loyalty.basePointsPerUnit,
    spendUnitMinor: loyalty.spendUnitMinor,
  };
}

export interface CustomerDelivery {
  temporal: Client;
  taskQueue: string;
  /** For a customer whose workflow does not exist yet. */
  program: BaseEarnProgram;
  /** The published loyalty program versions, when there are any. */
  programs?: ProgramCatalog;
  /** Sent with every delivery (`DeliveryOptions.historyBudgetBytes`). */
  historyBudgetBytes?: number;
}

/** The versions a workflow asked for, if this is its `ProgramsNeeded` refusal. */
function versionsNeeded(err: unknown): string[] | undefined {
  if (!(err instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure) || cause.type !== PROGRAMS_NEEDED) return undefined;
  return (cause.details?.[0] as string[] | undefined) ?? [];
}

/**
 * Update-with-start: starts the customer's workflow if needed; resolves once the events are
 * applied, with what they caused (to publish) and the delivery's number (to confirm next time).
 *
 * Each event travels with the program version in force at its time. A new customer's workflow
 * starts with those versions; a running one that lacks one refuses in its validator (nothing is
 * written), and is sent the delivery again with the versions it named.
 */
export async function deliverToCustomer(
  { temporal, taskQueue, program, programs: catalog, historyBudgetBytes }: CustomerDelivery,
  customerId: string,
  events: CustomerEvent[],
  options: DeliveryOptions = {},
): Promise<DeliveryReceipt> {
  const inForce = catalog ? events.map((event) => catalog.at(event.occurredAt)) : [];
  // null: no version in force at the event's time (it earns at the base rate).
  const versions = catalog ? inForce.map((p) => p?.version ?? null) : undefined;
  // A new customer starts under the program even when its first events predate it (they earn
  // at the base rate in the program's book), so one book holds every point from the start.
  const current =
    catalog && !inForce.some(Boolean) ? catalog.at(new Date().toISOString()) : undefined;
  const startPrograms = [
    ...new Map([...inForce, current].flatMap((p) => (p ? [[p.version, p]] : []))).values(),
  ];
  const send = (programs?: Program[]) =>
    temporal.workflow.executeUpdateWithStart(deliverEventsUpdate, {
      args: [
        events,
        {
          ...options,
          ...(versions ? { versions } : {}),
          ...(programs ? { programs } : {}),
          ...(historyBudgetBytes !== undefined ? { historyBudgetBytes } : {}),
        },
      ],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof customerWorkflow>(
        'customerWorkflow',
        {
          workflowId: customerWorkflowId(customerId),
          taskQueue,
          args: [
            {
              customerId,
              program,
              ...(startPrograms.length > 0 ? { programs: startPrograms } : {}),
            },
          ],
          workflowIdConflictPolicy: 'USE_EXISTING',
        },
      ),
    });
  return withPrograms(catalog, send);
}

/**
 * Calls a customer's workflow; when its validator says it lacks program versions, calls again
 * with them (a workflow that keeps asking is not taking them: the error is thrown).
 */
export async function withPrograms<T>(
  catalog: ProgramCatalog | undefined,
  call: (programs?: Program[]) => Promise<T>,
  attempts = 3,
): Promise<T> {
  let programs: Program[] | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(programs);
    } catch (err) {
      const needed = versionsNeeded(err);
      if (!needed || !catalog || attempt >= attempts) throw err;
      programs = needed.flatMap((v) => catalog.get(v) ?? []);
      if (programs.length !== needed.length) throw new VersionsUnknownError(needed);
    }
  }
}

/** The workflow asked for program versions this process does not know (not published). */
export class VersionsUnknownError extends Error {
  constructor(readonly versions: string[]) {
    super(`the program versions ${versions.join(', ')} are not published`);
    this.name = 'VersionsUnknownError';
  }
}

/** What a failed call to a customer's workflow was, read from Temporal's error. */
export type CustomerFailure =
  /** The workflow's handler or validator refused, with its failure type and details. */
  | { kind: 'refused'; type: string; details: unknown[] }
  /**
   * Anything else, as an error of the table: `unknown_customer` (no workflow yet), `busy` (too
   * many requests in flight for this customer), `invalid_request` (unacceptable to Temporal:
   * asking again cannot help), `no_program` (versions not published), `unavailable` (a server
   * restarting, a timeout: worth asking again).
   */
  | { kind: 'error'; error: ClienteleError };

const failed = (code: ErrorCode, message: string): CustomerFailure => ({
  kind: 'error',
  error: new ClienteleError(code, [], message),
});

/** No workflow for the customer, however Temporal says so. */
const noAccount = (): CustomerFailure =>
  failed('unknown_customer', 'No loyalty account for this customer yet.');

export function customerFailure(err: unknown): CustomerFailure {
  if (err instanceof VersionsUnknownError) return failed('no_program', err.message);
  if (err instanceof WorkflowNotFoundError) return noAccount();
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    return { kind: 'refused', type: err.cause.type ?? '', details: err.cause.details ?? [] };
  }
  const grpc = (err as { cause?: unknown })?.cause ?? err;
  if (isGrpcServiceError(grpc)) {
    switch (grpc.code) {
      case status.NOT_FOUND:
        return noAccount();
      case status.RESOURCE_EXHAUSTED:
        return failed('busy', 'The account is busy with other requests; ask again.');
      case status.INVALID_ARGUMENT:
        return failed('invalid_request', `Temporal refused the request: ${grpc.details}`);
    }
  }
  return failed('unavailable', 'The loyalty engine did not answer; ask again.');
}

/**
 * Calls a customer's workflow from an activity (a merge's or a pool's step): its refusal becomes
 * a non-retryable failure of the same type and details, so the calling workflow stops on it
 * rather than asking again; a missing customer is `UnknownCustomer`.
 */
export async function asked<T>(customerId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw ApplicationFailure.nonRetryable(`no customer ${customerId}`, 'UnknownCustomer', {
        customerId,
      });
    }
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      throw ApplicationFailure.create({
        type: err.cause.type ?? 'Refused',
        message: err.cause.message,
        details: err.cause.details ? [...err.cause.details] : [],
        nonRetryable: true,
      });
    }
    throw err;
  }
}

/** The customer a refusal says this one was merged into, if it is that refusal. */
export function mergedInto(failure: { type: string; details: unknown[] }): string | undefined {
  if (failure.type !== CUSTOMER_MERGED) return undefined;
  return (failure.details[0] as { customerId?: string } | undefined)?.customerId;
}

/** The customer's 360 snapshot (a query: no history written); undefined for no such customer. */
export async function customerSnapshot(
  temporal: Client,
  customerId: string,
): Promise<CustomerSnapshot | undefined> {
  try {
    return await temporal.workflow.getHandle(customerWorkflowId(customerId)).query(snapshotQuery);
  } catch (err) {
    const failure = customerFailure(err);
    if (failure.kind === 'error' && failure.error.code === 'unknown_customer') return undefined;
    throw err;
  }
}
