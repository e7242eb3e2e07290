/**
 * The customer workflow's messages, shared by the workflow, the router and any client.
 * Workflow ids are `customer/<customerId>`, and a customer id is never personal data.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CustomerSnapshot, CustomerState } from '../../engine/domain/customer/state.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import type { BaseEarnProgram } from '../../engine/domain/loyalty/base-earn.ts';

export const customerWorkflowId = (customerId: string): string => `customer/${customerId}`;

/** What the router learns once a batch of events has been applied (and its effects published). */
export interface DeliveryReceipt {
  /** Events of the batch this run applied (repeats of events already seen are not counted). */
  applied: number;
  pointsBalance: number;
}

/**
 * Delivers a batch of events for one customer, in the order they were received; completes only
 * once they are applied and their ledger entries and cues published. An update rather than a
 * signal, so the router acks an event only when it is applied: a signal that races a
 * continue-as-new can be dropped by the SDK on replay (its handler runs after the run has
 * already completed), whereas an update caught in that race fails and is sent again.
 */
export const deliverEventsUpdate = defineUpdate<DeliveryReceipt, [CustomerEvent[]]>(
  'deliverEvents',
);

export const snapshotQuery = defineQuery<CustomerSnapshot>('snapshot');

export interface CustomerWorkflowInput {
  customerId: string;
  /** The rules a new customer starts with; carried in the state from then on. */
  program: BaseEarnProgram;
  /** Present when the workflow continues as new: the state and the events not yet applied. */
  carried?: {
    state: CustomerState;
    pending: CustomerEvent[];
  };
}
