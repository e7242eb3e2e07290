/**
 * The customer workflow's messages, shared by the workflow, the router and any client.
 * Workflow ids are `customer/<customerId>`, and a customer id is never personal data.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Effects } from '../../engine/domain/customer/account.ts';
import type { CustomerSnapshot, CustomerState } from '../../engine/domain/customer/state.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import type { BaseEarnProgram } from '../../engine/domain/loyalty/base-earn.ts';

export const customerWorkflowId = (customerId: string): string => `customer/${customerId}`;

/** What the router learns once a batch of events has been applied. */
export interface DeliveryReceipt {
  /** Events of the batch this run applied (repeats of events already seen are not counted). */
  applied: number;
  pointsBalance: number;
  /**
   * The effects the router must publish: this batch's and any earlier ones it has not confirmed
   * (`publishedThrough`), oldest first. Absent from histories before effects moved here.
   */
  effects?: Effects;
  /** The number of the newest delivery whose effects are in `effects`; confirm it next time. */
  delivery?: number;
}

export interface DeliveryOptions {
  /**
   * The router has published the effects of every delivery up to this number: the workflow
   * may forget them. A router that does not know (it restarted) leaves it out and is given
   * them again, to publish again (idempotent by message id).
   */
  publishedThrough?: number;
}

/**
 * Delivers a batch of events for one customer, in the order they were received; completes once
 * they are applied, answering what they caused. An update rather than a signal, so the router
 * acks an event only when it is applied (and its effects published): a signal that races a
 * continue-as-new can be dropped by the SDK on replay (its handler runs after the run has
 * already completed), whereas an update caught in that race fails and is sent again.
 */
export const deliverEventsUpdate = defineUpdate<
  DeliveryReceipt,
  [CustomerEvent[], DeliveryOptions?]
>('deliverEvents');

export const snapshotQuery = defineQuery<CustomerSnapshot>('snapshot');

/** Effects of one delivery not yet confirmed as published by the router. */
export interface OutboxEntry {
  delivery: number;
  effects: Effects;
}

export interface CustomerWorkflowInput {
  customerId: string;
  /** The rules a new customer starts with; carried in the state from then on. */
  program: BaseEarnProgram;
  /** Present when the workflow continues as new: the state and the events not yet applied. */
  carried?: {
    state: CustomerState;
    pending: CustomerEvent[];
    /** Effects not yet confirmed as published, and the last delivery's number. */
    outbox?: OutboxEntry[];
    deliveries?: number;
  };
}
