/**
 * The client side of the customer workflow: how the router (and the benchmark, and tests) deliver
 * events to a customer, starting the customer's workflow on its first event.
 */
import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import type { Settings } from '../../config/settings.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import type { BaseEarnProgram } from '../../engine/domain/loyalty/base-earn.ts';
import {
  customerWorkflowId,
  type DeliveryOptions,
  type DeliveryReceipt,
  deliverEventsUpdate,
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
}

/**
 * Update-with-start: starts the customer's workflow if needed; resolves once the events are
 * applied, with what they caused (to publish) and the delivery's number (to confirm next time).
 */
export function deliverToCustomer(
  { temporal, taskQueue, program }: CustomerDelivery,
  customerId: string,
  events: CustomerEvent[],
  options: DeliveryOptions = {},
): Promise<DeliveryReceipt> {
  return temporal.workflow.executeUpdateWithStart(deliverEventsUpdate, {
    args: [events, options],
    startWorkflowOperation: new WithStartWorkflowOperation<typeof customerWorkflow>(
      'customerWorkflow',
      {
        workflowId: customerWorkflowId(customerId),
        taskQueue,
        args: [{ customerId, program }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      },
    ),
  });
}
