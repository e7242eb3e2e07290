/**
 * Moving points between members of a household that pools them: one pool workflow per transfer
 * (`pool/<transferId>`), so a transfer asked again is the same transfer.
 */
export const poolWorkflowId = (transferId: string): string => `pool/${transferId}`;

export interface PoolInput {
  transferId: string;
  /** The member the points come from, and the one they go to. */
  from: string;
  to: string;
  points: number;
  at: string;
  /** Where the transfer's ledger lines say it happened. */
  storeId: string;
}

export interface PoolOutcome {
  transferId: string;
  /** Points that moved. */
  points: number;
}
