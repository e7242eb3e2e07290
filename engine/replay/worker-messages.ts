/**
 * What the partitioned replays (`partitioned.ts`: `clientele simulate`, `clientele backfill`) and
 * their worker threads send each other, within one process by structured clone: types only.
 */
import type { RowBatch } from '../analytics/rows.ts';
import type { GrantedLine } from '../domain/customer/rebuild.ts';
import type { WhatIfTotals } from '../domain/customer/what-if.ts';
import type { BaseEarnProgram } from '../domain/loyalty/base-earn.ts';
import type { Program } from '../domain/loyalty/program.ts';

/** The what-if: each customer under the versions in force and under a candidate. */
export interface WhatIfJob {
  kind: 'what-if';
  base: BaseEarnProgram;
  /** The versions that were in force. */
  baseline: Program[];
  /** The candidate, in force from `from`. */
  candidate: Program;
  from: string;
  to: string;
}

/** The backfill: each customer's derived rows (ledger, tier changes, segments, lifecycle). */
export interface BackfillJob {
  kind: 'backfill';
  base: BaseEarnProgram;
  /** Every published version. */
  versions: Program[];
  until: string;
}

export type ReplayJob = WhatIfJob | BackfillJob;

/** What a partition gives back, by job. */
export type JobResult<J extends ReplayJob> = J extends WhatIfJob ? WhatIfTotals : DerivedRows;

/** The tables a backfill writes, and their rows. */
export type DerivedRows = Required<
  Pick<RowBatch, 'ledger' | 'tier_changes' | 'segment_changes' | 'lifecycle_triggers'>
>;

/** A granted redemption or cancellation, as the ledger records it, and whose it is. */
export type RequestRow = GrantedLine & { customerId: string };

export type ToWorker =
  | { type: 'setup'; job: ReplayJob }
  /** The partition's events: `customer_id \t payload \t received_ms` rows. */
  | { type: 'events'; chunk: Uint8Array }
  | { type: 'requests'; rows: RequestRow[] }
  /** The partition is whole: replay it and answer with its result. */
  | { type: 'end' };

export type FromWorker =
  | { type: 'progress'; customers: number; inputs: number }
  | { type: 'result'; result: WhatIfTotals | DerivedRows }
  | { type: 'failed'; message: string };
