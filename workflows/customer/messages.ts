/**
 * The customer workflow's messages, shared by the workflow, the router and any client.
 * Workflow ids are `customer/<customerId>`, and a customer id is never personal data.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Effects } from '../../engine/domain/customer/account.ts';
import type { CustomerSnapshot, CustomerState } from '../../engine/domain/customer/state.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import type { BaseEarnProgram } from '../../engine/domain/loyalty/base-earn.ts';
import type { Refusal } from '../../engine/domain/loyalty/evaluator.ts';
import type { PooledLot, PoolGive, PoolReceive } from '../../engine/domain/loyalty/pooling.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import type {
  CancelGranted,
  CancelRedemptionRequest,
  PointsAfter,
  RedeemGranted,
  RedeemRequest,
} from '../../engine/domain/redemption.ts';

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
  /** The customer's summary after the batch, when the delivery asked for it. */
  summary?: CustomerSnapshot;
}

export interface DeliveryOptions {
  /**
   * The router has published the effects of every delivery up to this number: the workflow
   * may forget them. A router that does not know (it restarted) leaves it out and is given
   * them again, to publish again (idempotent by message id).
   */
  publishedThrough?: number;
  /**
   * The loyalty program version in force at each event's time, in the order of the events
   * (absent where no program is published). The workflow applies each event under its version.
   */
  versions?: (string | null)[];
  /**
   * Program versions the workflow does not know yet. The router sends them only when the
   * workflow asked (its validator refuses a delivery naming versions it does not know, with a
   * `ProgramsNeeded` failure listing them), so a version travels once per customer.
   */
  programs?: Program[];
  /** Answer the customer's summary after the batch (the router keeps it for identification). */
  summary?: boolean;
  /**
   * The history a run may grow by before it continues as new (bytes; the `temporal` settings'
   * `historyBudgetKib`). A worker that lost the customer from its cache replays the run's whole
   * history before it can answer, so a smaller history is a cheaper cache miss.
   */
  historyBudgetBytes?: number;
}

/** The failure type a validator refuses with when it lacks program versions (details: the versions). */
export const PROGRAMS_NEEDED = 'ProgramsNeeded';
/**
 * The failure type a redemption is refused with (details: the `Refusal`). These type names are
 * in recorded histories and in answers of running workers: they never change.
 */
export const REDEMPTION_REFUSED = 'RedemptionRefused';
/** A cancel of a redemption the customer does not have (or another store's). */
export const UNKNOWN_REDEMPTION = 'UnknownRedemption';
/** A cancel of a redemption a sale has already been paid with: its return gives the points back. */
export const REDEMPTION_USED = 'RedemptionUsed';

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

/**
 * The customer's whole state, as it would be carried across continue-as-new (lots, lifecycle and
 * segment memories): for `clientele replay state`, which compares it with the state rebuilt
 * from the log. A query writes nothing to the history.
 */
export const stateQuery = defineQuery<CustomerState>('state');

/** A till's redemption as the workflow receives it: the version in force, and versions it lacks. */
export type RedeemPointsRequest = RedeemRequest & {
  programVersion: string;
  programs?: Program[];
};

export type { PointsAfter };

/**
 * Granted, with the redemption's ledger line for the caller to publish (it is in the outbox too);
 * or refused by the program, with its reasons (the service answers them as an error).
 */
export type RedeemPointsAnswer =
  | (RedeemGranted & { effects: Effects; summary?: CustomerSnapshot })
  | ({ ok: false } & Refusal & PointsAfter);

/**
 * Spends points at a till or the web shop. The validator refuses an impossible redemption
 * (insufficient balance, below the minimum, over the basket share) before it is written to the
 * history; the handler checks again, so of two tills racing for the same points exactly one is
 * granted and the other is refused with the reason.
 */
export const redeemPointsUpdate = defineUpdate<RedeemPointsAnswer, [RedeemPointsRequest]>(
  'redeemPoints',
);

export type CancelRedemptionAnswer = CancelGranted & {
  effects: Effects;
  summary?: CustomerSnapshot;
};

/** The asking store: only the store that was granted a redemption may give it back. */
export type CancelRedemptionArgs = Pick<CancelRedemptionRequest, 'redemptionId' | 'storeId'>;

/** Gives back a redemption the till did not use (the customer paid otherwise). */
export const cancelRedemptionUpdate = defineUpdate<CancelRedemptionAnswer, [CancelRedemptionArgs]>(
  'cancelRedemption',
);

/**
 * The failure type every update of a customer merged into another refuses with (details: `{
 * customerId }`, where it went): the caller sends it there. Nothing is written to the history.
 */
export const CUSTOMER_MERGED = 'CustomerMerged';
/** A merge step refused (details: `{ code, field, message }`, a code of the error table). */
export const MERGE_REFUSED = 'MergeRefused';

export interface MergeStep {
  mergeId: string;
  /** The other customer: the one being absorbed (to the survivor), the survivor (to the absorbed). */
  customerId: string;
  at: string;
}

/** A merge into this customer begins: it must not be merged elsewhere meanwhile. */
export const reserveMergeUpdate = defineUpdate<void, [MergeStep]>('reserveMerge');
/** The merge will not happen: the reservation goes. */
export const releaseMergeUpdate = defineUpdate<void, [{ mergeId: string }]>('releaseMerge');
/**
 * The absorbed customer stops applying anything (events queued before are applied first) and
 * answers its state for the survivor; asked again with the same merge, the same state.
 */
export const handOverUpdate = defineUpdate<CustomerState, [MergeStep]>('handOver');

export interface AbsorbArgs extends MergeStep {
  state: CustomerState;
  /** Where the merge's ledger lines say it happened. */
  storeId: string;
}
export interface AbsorbAnswer {
  /** Points that moved (the absorbed customer's balance). */
  points: number;
  /** Done before: the same answer, nothing applied twice. */
  repeated: boolean;
  effects: Effects;
  summary: CustomerSnapshot;
}
/** The survivor takes the absorbed customer's state in (once per merge id). */
export const absorbUpdate = defineUpdate<AbsorbAnswer, [AbsorbArgs]>('absorb');
/** The absorbed customer gives up its points, after the survivor took them (once). */
export const settleMergeUpdate = defineUpdate<
  { effects: Effects; summary: CustomerSnapshot },
  [{ mergeId: string; storeId: string; at: string }]
>('settleMerge');

/** A refusal to give pooled points (details: `{ reason, spendable }`). */
export const POOL_REFUSED = 'PoolRefused';

/** Household pooling, the giving member's step: its oldest spendable points leave as lots. */
export const givePointsUpdate = defineUpdate<
  { points: number; lots: PooledLot[]; effects: Effects; summary: CustomerSnapshot },
  [PoolGive]
>('givePoints');
/** Household pooling, the receiving member's step: the given lots come in with their dates. */
export const receivePointsUpdate = defineUpdate<
  { points: number; effects: Effects; summary: CustomerSnapshot },
  [PoolReceive]
>('receivePoints');

/** Effects of one delivery not yet confirmed as published by the router. */
export interface OutboxEntry {
  delivery: number;
  effects: Effects;
}

export interface CustomerWorkflowInput {
  customerId: string;
  /** The rules a new customer starts with; carried in the state from then on. */
  program: BaseEarnProgram;
  /** The loyalty program versions in force for the first events, when a program is published. */
  programs?: Program[];
  /** Present when the workflow continues as new: the state and the events not yet applied. */
  carried?: {
    state: CustomerState;
    pending: CustomerEvent[];
    /** The program version of each pending event (see `DeliveryOptions.versions`). */
    pendingVersions?: (string | null)[];
    /** Effects not yet confirmed as published, and the last delivery's number. */
    outbox?: OutboxEntry[];
    deliveries?: number;
    /** The latest `DeliveryOptions.historyBudgetBytes`, for a run no delivery has reached yet. */
    historyBudgetBytes?: number;
  };
}
