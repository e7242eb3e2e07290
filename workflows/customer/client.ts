/**
 * The client side of the customer workflow: how the router (and the benchmark, and tests) deliver
 * events to a customer, starting the customer's workflow on its first event.
 */
import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Settings } from '../../config/settings.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import type { BaseEarnProgram } from '../../engine/domain/loyalty/base-earn.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import {
  customerWorkflowId,
  type DeliveryOptions,
  type DeliveryReceipt,
  deliverEventsUpdate,
  PROGRAMS_NEEDED,
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
  programs?: {
    at(instant: string): Program | undefined;
    get(version: string): Program | undefined;
  };
}

/** The versions a workflow asked for, if this is its `ProgramsNeeded` refusal. */
export function versionsNeeded(err: unknown): string[] | undefined {
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
  { temporal, taskQueue, program, programs: catalog }: CustomerDelivery,
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
        { ...options, ...(versions ? { versions } : {}), ...(programs ? { programs } : {}) },
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
  try {
    return await send();
  } catch (err) {
    const needed = versionsNeeded(err);
    if (!needed || !catalog) throw err;
    return send(needed.flatMap((v) => catalog.get(v) ?? []));
  }
}
