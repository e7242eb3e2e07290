/**
 * The customer rules: `(state, event) → { state, effects }`. Pure and deterministic (no clock, no
 * random, no I/O), so the workflow, replays and tests all get the same answer. The input state is
 * never mutated.
 */
import type { Cue, LedgerEntry } from '../effects.ts';
import type { CustomerEvent, ReturnEvent, SaleEvent } from '../events.ts';
import { eligibleSpend, pointsFor, saleTotal } from '../loyalty/base-earn.ts';
import { type CustomerState, limits, type TransactionMemory } from './state.ts';

export interface Effects {
  ledger: LedgerEntry[];
  cues: Cue[];
}

export interface Applied {
  state: CustomerState;
  effects: Effects;
  /** Why nothing happened, when nothing did. */
  ignored?: 'duplicate-event' | 'duplicate-transaction' | 'other-customer';
}

const noEffects = (): Effects => ({ ledger: [], cues: [] });

function pushBounded(list: readonly string[], item: string, max: number): string[] {
  const next = [...list, item];
  return next.length > max ? next.slice(next.length - max) : next;
}

function ordinal(n: number): string {
  const suffixes = ['th', 'st', 'nd', 'rd'];
  const v = n % 100;
  return `${n}${suffixes[(v - 20) % 10] ?? suffixes[v] ?? 'th'}`;
}

export function applyEvent(state: CustomerState, event: CustomerEvent): Applied {
  if (event.customerId !== state.customerId) {
    return { state, effects: noEffects(), ignored: 'other-customer' };
  }
  if (state.seenEventIds.includes(event.eventId)) {
    return { state, effects: noEffects(), ignored: 'duplicate-event' };
  }
  const seen: CustomerState = {
    ...state,
    seenEventIds: pushBounded(state.seenEventIds, event.eventId, limits.seenEventIds),
    eventsApplied: state.eventsApplied + 1,
  };
  switch (event.type) {
    case 'sale':
      return applySale(seen, event);
    case 'return':
      return applyReturn(seen, event);
    case 'customer.registered':
      return {
        state: {
          ...seen,
          registeredAt: seen.registeredAt ?? event.occurredAt,
          consent: event.consent,
        },
        effects: {
          ledger: [],
          cues: [
            cueFor(seen, event, 0, seen.pointsBalance, seen.monthVisits.count, 'Welcome to the club'),
          ],
        },
      };
  }
}

function cueFor(
  state: CustomerState,
  event: CustomerEvent,
  pointsEarned: number,
  pointsBalance: number,
  visitsThisMonth: number,
  message: string,
): Cue {
  return {
    cueId: `${event.eventId}:cue`,
    customerId: state.customerId,
    eventId: event.eventId,
    storeId: event.storeId,
    tillId: event.tillId,
    channel: event.channel,
    occurredAt: event.occurredAt,
    pointsEarned,
    pointsBalance,
    visitsThisMonth,
    message,
  };
}

function ledgerFor(
  state: CustomerState,
  event: CustomerEvent,
  kind: LedgerEntry['kind'],
  points: number,
  balanceAfter: number,
): LedgerEntry {
  return {
    entryId: `${event.eventId}:${kind}`,
    customerId: state.customerId,
    eventId: event.eventId,
    kind,
    points,
    balanceAfter,
    storeId: event.storeId,
    occurredAt: event.occurredAt,
    programVersion: state.program.version,
  };
}

function applySale(state: CustomerState, sale: SaleEvent): Applied {
  // A second event for a transaction already counted is a till resending under a new event id:
  // it must not earn twice.
  if (state.transactions[sale.transactionId]) {
    return { state, effects: noEffects(), ignored: 'duplicate-transaction' };
  }
  const net = saleTotal(sale);
  const points = pointsFor(eligibleSpend(sale), state.program);
  const balance = state.pointsBalance + points;
  const month = sale.occurredAt.slice(0, 7);
  const monthVisits =
    month === state.monthVisits.month
      ? { month, count: state.monthVisits.count + 1 }
      : month > state.monthVisits.month
        ? { month, count: 1 }
        : state.monthVisits; // a late sale from an earlier month does not count for this one
  const memory: TransactionMemory = {
    eventId: sale.eventId,
    netMinor: net,
    refundedMinor: 0,
    pointsEarned: points,
    pointsReversed: 0,
  };
  const order = pushBounded(state.transactionOrder, sale.transactionId, limits.transactions);
  const transactions: Record<string, TransactionMemory> = {};
  for (const id of order) {
    const kept = id === sale.transactionId ? memory : state.transactions[id];
    if (kept) transactions[id] = kept;
  }
  const latest =
    !state.lastPurchaseAt || sale.occurredAt > state.lastPurchaseAt
      ? sale.occurredAt
      : state.lastPurchaseAt;
  const next: CustomerState = {
    ...state,
    visits: state.visits + 1,
    spendMinor: state.spendMinor + net,
    firstPurchaseAt: state.firstPurchaseAt ?? sale.occurredAt,
    lastPurchaseAt: latest,
    pointsBalance: balance,
    monthVisits,
    transactions,
    transactionOrder: order,
  };
  const visitText =
    state.visits === 0
      ? 'First purchase, welcome'
      : `Welcome back, ${ordinal(monthVisits.count)} visit this month`;
  return {
    state: next,
    effects: {
      ledger: points > 0 ? [ledgerFor(state, sale, 'earn', points, balance)] : [],
      cues: [
        cueFor(
          state,
          sale,
          points,
          balance,
          monthVisits.count,
          `${visitText} · +${points} points · balance ${balance}`,
        ),
      ],
    },
  };
}

function applyReturn(state: CustomerState, ret: ReturnEvent): Applied {
  const refund = ret.lines.reduce((sum, line) => sum + line.refundAmount, 0);
  const original = state.transactions[ret.originalTransactionId];
  let reversed = 0;
  let transactions = state.transactions;
  if (original) {
    // Reverse down to what the sale's remaining (unrefunded) spend would have earned, so that
    // partial returns add up exactly and a full return takes back every point it gave.
    const refundedMinor = Math.min(original.netMinor, original.refundedMinor + refund);
    const keptPoints = pointsFor(original.netMinor - refundedMinor, state.program);
    const stillHeld = original.pointsEarned - original.pointsReversed;
    reversed = Math.max(0, stillHeld - Math.min(keptPoints, original.pointsEarned));
    transactions = {
      ...state.transactions,
      [ret.originalTransactionId]: {
        ...original,
        refundedMinor,
        pointsReversed: original.pointsReversed + reversed,
      },
    };
  }
  const balance = state.pointsBalance - reversed;
  const next: CustomerState = {
    ...state,
    spendMinor: Math.max(0, state.spendMinor - refund),
    pointsBalance: balance,
    transactions,
  };
  const text =
    reversed > 0
      ? `Return · −${reversed} points · balance ${balance}`
      : `Return · no points to reverse · balance ${balance}`;
  return {
    state: next,
    effects: {
      ledger: reversed > 0 ? [ledgerFor(state, ret, 'reverse', -reversed, balance)] : [],
      cues: [cueFor(state, ret, -reversed, balance, state.monthVisits.count, text)],
    },
  };
}
