/**
 * What a loyalty card may be, and how it may change. A card is issued active. It may be blocked
 * (suspected fraud, the member's request) and unblocked; reported lost; or replaced by a new card,
 * which takes over the account (points, history) so a lost card loses nothing. A replaced card
 * stays replaced: the number is never given to anyone else.
 */
import { z } from 'zod';

export const cardStatus = z.enum(['active', 'blocked', 'lost', 'replaced']);
export type CardStatus = z.infer<typeof cardStatus>;

export const cardType = z.enum(['plastic', 'virtual', 'key-fob']);
export type CardType = z.infer<typeof cardType>;

/** The statuses a card may move to from each status. */
const next: Record<CardStatus, readonly CardStatus[]> = {
  active: ['blocked', 'lost', 'replaced'],
  blocked: ['active', 'lost', 'replaced'],
  lost: ['replaced', 'active'],
  replaced: [],
};

/** Why a card may not move from `from` to `to`, or undefined when it may. */
export function refuseCardChange(from: CardStatus, to: CardStatus): string | undefined {
  if (from === to) return `is ${from} already`;
  if (next[from].includes(to)) return undefined;
  if (from === 'replaced') return 'was replaced: a replaced card never comes back';
  return `cannot go from ${from} to ${to}`;
}

/**
 * What the till is told when a card in `status` is scanned: nothing for an active card, else why
 * it is refused (worded for the cashier).
 */
export function tillRefusal(status: CardStatus): string | undefined {
  switch (status) {
    case 'active':
      return undefined;
    case 'blocked':
      return 'is blocked: ask the member to contact the service desk';
    case 'lost':
      return 'was reported lost: ask for identification before anything else';
    case 'replaced':
      return 'was replaced by a newer card: ask for the new card';
  }
}
