/**
 * The merge workflow's input and outcome. One merge workflow per absorbed customer
 * (`merge/<customerId>`): Temporal lets one run at a time, and a completed merge keeps its id,
 * so two merges of the same record can never both happen.
 */
export const mergeWorkflowId = (absorbedCustomerId: string): string =>
  `merge/${absorbedCustomerId}`;

export interface MergeInput {
  mergeId: string;
  absorbedCustomerId: string;
  survivorCustomerId: string;
  operatorId: string;
  at: string;
  /** Where the merge's ledger lines say it happened. */
  storeId: string;
}

export interface MergeOutcome {
  mergeId: string;
  absorbedCustomerId: string;
  survivorCustomerId: string;
  points: number;
}
