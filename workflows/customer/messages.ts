/**
 * The customer workflow's messages, shared by the workflow, the router and any client.
 * Workflow ids are `customer/<customerId>`, and a customer id is never personal data.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CustomerSnapshot, CustomerState } from '../../engine/domain/customer/state.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import type { BaseEarnProgram } from '../../engine/domain/loyalty/base-earn.ts';

export const customerWorkflowId = (customerId: string): string => `customer/${customerId}`;

/** A batch of events for one customer, in the order they were received. */
export const eventsSignal = defineSignal<[CustomerEvent[]]>('events');

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
