/**
 * What `clientele simulate` and its worker threads send each other (within one process, by
 * structured clone: types only, no zod).
 */
import type { WhatIfTotals } from '../domain/customer/what-if.ts';
import type { BaseEarnProgram } from '../domain/loyalty/base-earn.ts';
import type { Program } from '../domain/loyalty/program.ts';

export interface WorkerSetup {
  base: BaseEarnProgram;
  /** The versions that were in force. */
  baseline: Program[];
  /** The candidate, in force from `from`. */
  candidate: Program;
  from: string;
  to: string;
}

/** A granted redemption or cancellation, as the ledger records it. */
export interface RequestRow {
  customerId: string;
  kind: 'redeem' | 'partner-burn' | 'redeem-cancel';
  transactionId: string;
  points: number;
  storeId: string;
  at: string;
  version: string;
}

export type ToWorker =
  | { type: 'setup'; setup: WorkerSetup }
  /** The partition's events: `customer_id \t payload \t received_ms` rows. */
  | { type: 'events'; chunk: Uint8Array }
  | { type: 'requests'; rows: RequestRow[] }
  /** The partition is whole: simulate it and answer with its totals. */
  | { type: 'end' };

export type FromWorker =
  | { type: 'progress'; customers: number; inputs: number }
  | { type: 'totals'; totals: WhatIfTotals }
  | { type: 'failed'; message: string };
