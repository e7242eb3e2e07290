/**
 * The points ledger's lots: accruals go in as lots (paying any debt first), spending and
 * take-backs come out of the oldest lots first. Every function changes the state in place and
 * says exactly how many points moved, so the caller's ledger line is the change in balance.
 */
import { instantMs } from './arithmetic.ts';
import {
  isSpendable,
  type Lot,
  type LoyaltyState,
  lotPointsOf,
  pendingSpanOf,
  timesOf,
} from './state.ts';

/**
 * Adds an accrual; debt is paid from it first. Returns the points the balance grew by. `join`:
 * under a program where points never expire, a plain lot may join the plain lot before it.
 */
export function addLot(state: LoyaltyState, lot: Lot, join = false): number {
  const points = lot.points;
  if (points <= 0) return 0;
  const paid = Math.min(state.debt, points);
  state.debt -= paid;
  const left = points - paid;
  if (left > 0) {
    // Callers hand over a fresh lot: it is copied only when debt took part of it.
    const added = left === points ? lot : { ...lot, points: left };
    state.lotPoints = lotPointsOf(state) + left;
    const span = instantMs(added.availableAt) - instantMs(added.earnedAt);
    state.pendingSpanMs = Math.max(pendingSpanOf(state), span);
    insertInOrder(state.lots, added, join);
  }
  return points;
}

/**
 * A lot that is spendable at once and never expires (the base earn rate's): under a program
 * without expiry nothing about it depends on when it was earned but the order it is spent in.
 */
const isPlain = (lot: Lot): boolean =>
  lot.expiresAt === undefined && lot.availableAt === lot.earnedAt && lot.warned !== true;

/**
 * Oldest first by when they were earned; ties by id, so the order never depends on arrival. A
 * plain lot right after another plain lot of the same version joins it: spent in the same order,
 * the customer's lots stay few however many sales earned them.
 */
function insertInOrder(lots: Lot[], lot: Lot, join: boolean) {
  const t = instantMs(lot.earnedAt);
  let i = lots.length;
  while (i > 0) {
    const before = lots[i - 1] as Lot;
    const tb = instantMs(before.earnedAt);
    if (tb < t || (tb === t && before.id <= lot.id)) break;
    i -= 1;
  }
  const before = lots[i - 1];
  if (join && before && isPlain(before) && isPlain(lot) && before.version === lot.version) {
    before.points += lot.points;
    return;
  }
  // Nearly every lot is the newest: pushed, not spliced (a splice allocates what it removes).
  if (i === lots.length) lots.push(lot);
  else lots.splice(i, 0, lot);
}

/** Takes the lots `gone` accepts out of the state (expired), oldest first; returns them. */
export function removeLots(state: LoyaltyState, gone: (lot: Lot) => boolean): Lot[] {
  const removed: Lot[] = [];
  const kept: Lot[] = [];
  for (const lot of state.lots) (gone(lot) ? removed : kept).push(lot);
  if (removed.length > 0) {
    let points = 0;
    for (const lot of removed) points += lot.points;
    state.lots = kept;
    state.lotPoints = lotPointsOf(state) - points;
  }
  return removed;
}

export interface Taken {
  lotId: string;
  earnedAt: string;
  availableAt: string;
  expiresAt?: string;
  points: number;
}

/**
 * Takes up to `points` from the lots `eligible` accepts, oldest first (and from `firstLotId`
 * before any other, when given). Emptied lots are removed. Returns what came from which lot.
 */
export function takeFromLots(
  state: LoyaltyState,
  points: number,
  eligible: (lot: Lot) => boolean,
  firstLotId?: string,
): Taken[] {
  const taken: Taken[] = [];
  let wanted = points;
  const takeFrom = (lot: Lot) => {
    const n = Math.min(lot.points, wanted);
    if (n <= 0) return;
    lot.points -= n;
    wanted -= n;
    taken.push({
      lotId: lot.id,
      earnedAt: lot.earnedAt,
      availableAt: lot.availableAt,
      expiresAt: lot.expiresAt,
      points: n,
    });
  };
  if (firstLotId !== undefined) {
    const first = state.lots.find((lot) => lot.id === firstLotId);
    if (first && eligible(first)) takeFrom(first);
  }
  for (const lot of state.lots) {
    if (wanted <= 0) break;
    if (eligible(lot)) takeFrom(lot);
  }
  if (taken.length > 0) {
    state.lots = state.lots.filter((lot) => lot.points > 0);
    state.lotPoints = lotPointsOf(state) - (points - wanted);
  }
  return taken;
}

export const isSpendableAt = (now: string) => {
  const t = instantMs(now);
  return (lot: Lot): boolean => isSpendable(lot, t);
};

export const isPendingAt = (now: string) => {
  const t = instantMs(now);
  return (lot: Lot): boolean => timesOf(lot).available > t;
};

export const anyLot = (): boolean => true;

export const sumTaken = (taken: readonly Taken[]): number =>
  taken.reduce((sum, t) => sum + t.points, 0);
