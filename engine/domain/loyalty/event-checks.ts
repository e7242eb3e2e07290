/**
 * What cannot be true of a customer, checked before an event is applied (it is then refused
 * whole, each issue naming its field): a return of more than its sale's line sold or was paid, a
 * points tender that no redemption granted to this customer pays.
 */
import type { FieldIssue, SaleEvent } from '../events.ts';
import type { LoyaltyInput } from './contract.ts';
import { saleSeen, seenBefore } from './posting.ts';
import { type EarlyReturn, type LoyaltyState, lineOf, type SaleMemory } from './state.ts';

/**
 * What makes an event impossible for this customer, each naming the field: a return of more
 * units, or more money, than its sale's line (counting earlier returns), of a line the sale did
 * not have; a points tender that no redemption granted to this customer pays (by id and amount),
 * or that another sale used. Empty when the event may be applied. Never changes the state.
 */
export function checkEvent(state: LoyaltyState, input: LoyaltyInput): FieldIssue[] {
  if (input.type === 'sale') return checkPointsTenders(state, input);
  if (input.type === 'return') {
    const sale = state.sales.get(input.originalTransactionId);
    if (!sale || seenBefore(state, input.eventId)) return [];
    return checkReturnLines(sale, input.lines);
  }
  return [];
}

function checkPointsTenders(state: LoyaltyState, sale: SaleEvent): FieldIssue[] {
  const issues: FieldIssue[] = [];
  // Most sales have no points tender: nothing to look up.
  if (!sale.tenders.some(isPointsTender)) return issues;
  // A sale applied before is a duplicate, not refused.
  if (saleSeen(state, sale.transactionId)) return issues;
  sale.tenders.forEach((tender, i) => {
    if (tender.type !== 'points') return;
    const field = `tenders[${i}].redemptionId`;
    const id = tender.redemptionId;
    const redemption = id !== undefined ? state.redemptions.get(id) : undefined;
    if (id === undefined || !redemption) {
      issues.push({
        field,
        message: `names no redemption granted to this customer ("${id ?? ''}"): ask points:redeem first`,
      });
    } else if (redemption.cancelled) {
      issues.push({ field, message: `names redemption "${id}", which was cancelled` });
    } else if (redemption.usedBy !== undefined && redemption.usedBy !== sale.transactionId) {
      issues.push({
        field,
        message: `names redemption "${id}", which already paid for sale ${redemption.usedBy}`,
      });
    } else if (redemption.currency !== sale.currency || redemption.valueMinor !== tender.amount) {
      issues.push({
        field: `tenders[${i}].amount`,
        message: `is ${tender.amount} ${sale.currency}, but redemption "${id}" was granted for ${redemption.valueMinor} ${redemption.currency}`,
      });
    }
  });
  return issues;
}

const isPointsTender = (tender: SaleEvent['tenders'][number]): boolean => tender.type === 'points';

/** A return's lines against its sale: never more units or money back than the line was sold for. */
export function checkReturnLines(sale: SaleMemory, lines: EarlyReturn['lines']): FieldIssue[] {
  const issues: FieldIssue[] = [];
  lines.forEach((returned, i) => {
    const line = lineOf(sale, returned.lineId);
    if (!line) {
      issues.push({
        field: `lines[${i}].lineId`,
        message: `names no line of sale ${sale.transactionId} ("${returned.lineId}")`,
      });
      return;
    }
    const before = line.refundedQuantity > 0 ? ` (${line.refundedQuantity} returned before)` : '';
    if (returned.quantity + line.refundedQuantity > line.quantity) {
      issues.push({
        field: `lines[${i}].quantity`,
        message: `returns ${returned.quantity} of line "${returned.lineId}", but ${line.quantity} were sold${before}`,
      });
    }
    const refundedBefore = line.refundedMinor > 0 ? ` (${line.refundedMinor} refunded before)` : '';
    if (returned.refundAmount + line.refundedMinor > line.netMinor) {
      issues.push({
        field: `lines[${i}].refundAmount`,
        message: `refunds ${returned.refundAmount} for line "${returned.lineId}", but it was paid ${line.netMinor}${refundedBefore}`,
      });
    }
  });
  return issues;
}
