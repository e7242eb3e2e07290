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
          registeredAt: earliest(seen.registeredAt, event.occurredAt),
          consent: event.consent,
        },
        effects: {
          ledger: [],
          cues: [
            cueFor(
              seen,
              event,
              0,
              seen.pointsBalance,
              seen.monthVisits.count,
              'Welcome to the club',
            ),
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
  line: { transactionId: string; kind: LedgerEntry['kind']; revision: number },
  points: number,
  balanceAfter: number,
): LedgerEntry {
  return {
    entryId: `${state.customerId}/${line.transactionId}/${line.kind}`,
    customerId: state.customerId,
    eventId: event.eventId,
    transactionId: line.transactionId,
    kind: line.kind,
    revision: line.revision,
    points,
    balanceAfter,
    storeId: event.storeId,
    occurredAt: event.occurredAt,
    programVersion: state.program.version,
  };
}

/** The earlier of two instants, either of which may be missing. */
function earliest(a: string | undefined, b: string): string {
  return a !== undefined && a < b ? a : b;
}

/**
 * Brings a sale's reversal in line with its refunded total: the points kept are what the
 * unrefunded spend would have earned, so partial returns add up exactly, a full return takes
 * back every point, and the result depends only on the total refunded, not on the order.
 */
function reverseTo(
  memory: TransactionMemory,
  refundedTotal: number,
  program: CustomerState['program'],
): { memory: TransactionMemory; reversed: number; spendReduction: number } {
  const refundedMinor = Math.min(memory.netMinor, refundedTotal);
  const keptPoints = Math.min(
    memory.pointsEarned,
    pointsFor(memory.netMinor - refundedMinor, program),
  );
  const reversed = Math.max(0, memory.pointsEarned - memory.pointsReversed - keptPoints);
  return {
    memory: { ...memory, refundedMinor, pointsReversed: memory.pointsReversed + reversed },
    reversed,
    spendReduction: refundedMinor - memory.refundedMinor,
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
  const earned: TransactionMemory = {
    netMinor: net,
    refundedMinor: 0,
    pointsEarned: points,
    pointsReversed: 0,
  };
  // Returns of this sale that arrived before it (a redelivery after a crash can overtake) are
  // applied now, so the outcome does not depend on the order events arrive in.
  const early = state.pendingReturns[sale.transactionId];
  const settled = early
    ? reverseTo(earned, early.refundedMinor, state.program)
    : { memory: earned, reversed: 0, spendReduction: 0 };
  const { [sale.transactionId]: _settled, ...pendingReturns } = state.pendingReturns;
  const balanceAfterEarn = state.pointsBalance + points;
  const balance = balanceAfterEarn - settled.reversed;
  const month = sale.occurredAt.slice(0, 7);
  const monthVisits =
    month === state.monthVisits.month
      ? { month, count: state.monthVisits.count + 1 }
      : month > state.monthVisits.month
        ? { month, count: 1 }
        : state.monthVisits; // a late sale from an earlier month does not count for this one
  const order = pushBounded(state.transactionOrder, sale.transactionId, limits.transactions);
  const transactions: Record<string, TransactionMemory> = {};
  for (const id of order) {
    const kept = id === sale.transactionId ? settled.memory : state.transactions[id];
    if (kept) transactions[id] = kept;
  }
  const latest =
    !state.lastPurchaseAt || sale.occurredAt > state.lastPurchaseAt
      ? sale.occurredAt
      : state.lastPurchaseAt;
  const next: CustomerState = {
    ...state,
    visits: state.visits + 1,
    spendMinor: state.spendMinor + net - settled.spendReduction,
    firstPurchaseAt: earliest(state.firstPurchaseAt, sale.occurredAt),
    lastPurchaseAt: latest,
    pointsBalance: balance,
    monthVisits,
    transactions,
    transactionOrder: order,
    pendingReturns,
  };
  const visitText =
    state.visits === 0
      ? 'First purchase, welcome'
      : `Welcome back, ${ordinal(monthVisits.count)} visit this month`;
  const ledger: LedgerEntry[] = [];
  const tx = sale.transactionId;
  if (points > 0) {
    const line = { transactionId: tx, kind: 'earn' as const, revision: 0 };
    ledger.push(ledgerFor(state, sale, line, points, balanceAfterEarn));
  }
  if (settled.reversed > 0) {
    const line = {
      transactionId: tx,
      kind: 'reverse' as const,
      revision: settled.memory.refundedMinor,
    };
    ledger.push(ledgerFor(state, sale, line, -settled.memory.pointsReversed, balance));
  }
  return {
    state: next,
    effects: {
      ledger,
      cues: [
        cueFor(
          state,
          sale,
          points - settled.reversed,
          balance,
          monthVisits.count,
          `${visitText} · +${points - settled.reversed} points · balance ${balance}`,
        ),
      ],
    },
  };
}

function applyReturn(state: CustomerState, ret: ReturnEvent): Applied {
  const refund = ret.lines.reduce((sum, line) => sum + line.refundAmount, 0);
  const original = state.transactions[ret.originalTransactionId];
  if (!original) {
    // The sale is not (yet) known: remember the refund and settle it if the sale arrives.
    const pending = state.pendingReturns[ret.originalTransactionId];
    const order = pushBounded(
      state.pendingReturnOrder.filter((id) => id !== ret.originalTransactionId),
      ret.originalTransactionId,
      limits.transactions,
    );
    const pendingReturns: CustomerState['pendingReturns'] = {};
    for (const id of order) {
      const kept =
        id === ret.originalTransactionId
          ? { refundedMinor: (pending?.refundedMinor ?? 0) + refund }
          : state.pendingReturns[id];
      if (kept) pendingReturns[id] = kept;
    }
    return {
      state: { ...state, pendingReturns, pendingReturnOrder: order },
      effects: {
        ledger: [],
        cues: [
          cueFor(
            state,
            ret,
            0,
            state.pointsBalance,
            state.monthVisits.count,
            `Return of a sale not on record here · no points reversed yet · balance ${state.pointsBalance}`,
          ),
        ],
      },
    };
  }
  const settled = reverseTo(original, original.refundedMinor + refund, state.program);
  const balance = state.pointsBalance - settled.reversed;
  // The sale's reversal line, at its new cumulative total.
  const line = {
    transactionId: ret.originalTransactionId,
    kind: 'reverse' as const,
    revision: settled.memory.refundedMinor,
  };
  const next: CustomerState = {
    ...state,
    spendMinor: state.spendMinor - settled.spendReduction,
    pointsBalance: balance,
    transactions: { ...state.transactions, [ret.originalTransactionId]: settled.memory },
  };
  const text =
    settled.reversed > 0
      ? `Return · −${settled.reversed} points · balance ${balance}`
      : `Return · no points to reverse · balance ${balance}`;
  return {
    state: next,
    effects: {
      ledger:
        settled.reversed > 0
          ? [ledgerFor(state, ret, line, -settled.memory.pointsReversed, balance)]
          : [],
      cues: [cueFor(state, ret, -settled.reversed, balance, state.monthVisits.count, text)],
    },
  };
}
