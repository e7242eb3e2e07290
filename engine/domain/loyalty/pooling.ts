/**
 * Pooling a household's points: any member may spend them. The points MOVE, in two steps on two
 * customers' books, just before the redemption: the donor gives them (they leave its spendable
 * lots, oldest first: `givePoints`), the receiver takes them in as lots with the same earning,
 * availability and expiry dates (`receivePoints`), so they expire exactly when they would have.
 * Each step writes one ledger line (`pool-out`, `pool-in`) and is idempotent by the transfer's id;
 * together they sum to zero. Pure: no I/O, no clock (`at` is given); the state changes in place.
 *
 * Giving points away is not the donor's activity (`lastActivityAt` stays); receiving them is the
 * receiver's, as they come to be spent at once (else a member inactive past the program's
 * inactivity period would see them expire before the redemption they are for).
 */
import type { LoyaltyEffects } from './contract.ts';
import { isSpendableAt, takeFromLots } from './lots.ts';
import { credit, firstTime, ledgerLine, noteActivity, type Run, seenBefore } from './posting.ts';
import type { Program } from './program.ts';
import { spendableUnder } from './redemption.ts';
import type { Lot, LoyaltyState, PooledLot, PoolGift } from './state.ts';

export type { PooledLot, PoolGift } from './state.ts';

/** Gifts a donor remembers (whose lots a repeated transfer is answered with), newest kept. */
export const POOL_GIFTS_KEPT = 200;

/** The donor gives `points` to the member `to`. `at`: when (the receiving clock). */
export interface PoolGive {
  transferId: string;
  to: string;
  points: number;
  storeId: string;
  at: string;
}

export interface GiveResult {
  /**
   * `given`: the points left the lots in `lots`; `duplicate`: this transfer was given before, and
   * `lots` are the ones it gave then; `refused`: nothing changed, `reason` says why.
   */
  outcome: 'given' | 'duplicate' | 'refused';
  lots: PooledLot[];
  points: number;
  reason?: 'not_positive' | 'insufficient_balance';
}

/** The receiver takes in what the donor `from` gave (`GiveResult.lots`). */
export interface PoolReceive {
  transferId: string;
  from: string;
  lots: PooledLot[];
  storeId: string;
  at: string;
}

export interface ReceiveResult {
  outcome: 'received' | 'duplicate';
  points: number;
}

/** The transfer's id on both customers' ledger lines. */
export const poolTransactionId = (transferId: string): string => `pool:${transferId}`;

/** The ids seen: `/` keeps them apart from event ids, as for sales (`posting.ts`). */
const giveKey = (transferId: string): string => `pool-out/${transferId}`;
const receiveKey = (transferId: string): string => `pool-in/${transferId}`;

const copyLots = (lots: readonly PooledLot[]): PooledLot[] => lots.map((lot) => ({ ...lot }));

/**
 * Why the donor cannot give what is asked (nothing changes), or undefined: it can, or it gave
 * this transfer before. The customer workflow's validator asks first, so a refusal is never
 * written to its history.
 */
export function refusalToGive(
  state: LoyaltyState,
  { transferId, points, at }: PoolGive,
  program: Program,
): GiveResult['reason'] {
  if (seenBefore(state, giveKey(transferId))) return undefined;
  if (!Number.isSafeInteger(points) || points <= 0) return 'not_positive';
  if (points > spendableUnder(state, program, at)) return 'insufficient_balance';
  return undefined;
}

/**
 * Gives `points` of the donor's spendable points at `at` (under the program: lots past the
 * inactivity deadline count for nothing, as for a redemption), oldest lots first; pending points
 * are never given. Refused, changing nothing, for points that are not a whole number above 0 or
 * more than the spendable points. A transfer given before is answered with the same lots.
 */
export function givePoints(
  state: LoyaltyState,
  request: PoolGive,
  program: Program,
  out: LoyaltyEffects,
): GiveResult {
  const { transferId, points, at } = request;
  const earlier = state.poolGifts?.find((gift) => gift.transferId === transferId);
  if (earlier) {
    return { outcome: 'duplicate', lots: copyLots(earlier.lots), points: earlier.points };
  }
  // Seen but no longer remembered (more than `POOL_GIFTS_KEPT` gifts since, or a merge): still a
  // duplicate, never given twice, but the lots it gave are not known any more.
  if (seenBefore(state, giveKey(transferId))) return { outcome: 'duplicate', lots: [], points: 0 };
  const reason = refusalToGive(state, request, program);
  if (reason) return { outcome: 'refused', lots: [], points: 0, reason };
  firstTime(state, giveKey(transferId));

  // `takeFromLots` says which lot each part came from by id; the lots it looked at say the rest
  // (their version and store), in the same order.
  const spendable = isSpendableAt(at);
  const looked: Lot[] = [];
  const taken = takeFromLots(state, points, (lot) => {
    if (!spendable(lot)) return false;
    looked.push(lot);
    return true;
  });
  const lots: PooledLot[] = [];
  let given = 0;
  let j = 0;
  for (const part of taken) {
    while (j < looked.length && (looked[j] as Lot).id !== part.lotId) j += 1;
    const from = looked[j] as Lot;
    j += 1;
    const lot: PooledLot = {
      earnedAt: part.earnedAt,
      availableAt: part.availableAt,
      points: part.points,
      version: from.version,
      storeId: from.storeId,
    };
    if (part.expiresAt !== undefined) lot.expiresAt = part.expiresAt;
    lots.push(lot);
    given += part.points;
  }

  const gift: PoolGift = { transferId, to: request.to, at, points: given, lots };
  const gifts = state.poolGifts ?? [];
  gifts.push(gift);
  while (gifts.length > POOL_GIFTS_KEPT) gifts.shift();
  state.poolGifts = gifts;

  const run: Run = { state, program, at, out, segments: [] };
  const transactionId = poolTransactionId(transferId);
  ledgerLine(run, {
    entryId: `${state.customerId}/${transactionId}/pool-out`,
    eventId: transactionId,
    transactionId,
    kind: 'pool-out',
    revision: 0,
    points: -given,
    storeId: request.storeId,
    occurredAt: at,
  });
  return { outcome: 'given', lots: copyLots(lots), points: given };
}

/**
 * Takes in the lots a household member gave, as lots with the same dates, version and store
 * (debt is paid from them first, as from any accrual). The clock's next due instant is brought
 * forward to a pooled lot's expiry (or its warning) when that is sooner than what it knew, so the
 * pooled points expire on time: the caller runs the clock after (`LoyaltyBook.receive`), which
 * expires at once a lot already past its expiry. A transfer received before changes nothing.
 */
export function receivePoints(
  state: LoyaltyState,
  request: PoolReceive,
  program: Program,
  out: LoyaltyEffects,
): ReceiveResult {
  const { transferId, at } = request;
  if (!firstTime(state, receiveKey(transferId))) {
    let points = 0;
    for (const lot of request.lots) if (lot.points > 0) points += lot.points;
    return { outcome: 'duplicate', points };
  }
  const run: Run = { state, program, at, out, segments: [] };
  const transactionId = poolTransactionId(transferId);
  let received = 0;
  request.lots.forEach((lot, i) => {
    // `credit` pays debt first and keeps the due instant (`addLot` alone would not).
    received += credit(run, {
      id: `${transactionId}:${i}`,
      earnedAt: lot.earnedAt,
      availableAt: lot.availableAt,
      expiresAt: lot.expiresAt,
      points: lot.points,
      storeId: lot.storeId,
      version: lot.version,
    });
  });
  if (received > 0) {
    // Points come to a member to be spent now: that is activity (an inactive member's pooled
    // points would otherwise expire for inactivity before the redemption they are for).
    noteActivity(state, at);
    ledgerLine(run, {
      entryId: `${state.customerId}/${transactionId}/pool-in`,
      eventId: transactionId,
      transactionId,
      kind: 'pool-in',
      revision: 0,
      points: received,
      storeId: request.storeId,
      occurredAt: at,
    });
  }
  return { outcome: 'received', points: received };
}
