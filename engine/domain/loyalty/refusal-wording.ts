/**
 * The words a till shows for a refused redemption ("Only 525 points can be spent now."), made
 * from the facts the redemption check found. Pure and without Intl, so every machine that replays
 * the workflow words it the same; one place to change the wording or, later, the language.
 */
import type { RefusalReason } from './contract.ts';

/** What the check found, per reason: all the wording needs. */
export type RefusalFacts =
  | { reason: 'not_positive' }
  | { reason: 'channel_not_allowed'; channel: string; programName: string }
  | { reason: 'unknown_partner'; partnerId: string }
  | { reason: 'currency_not_redeemable'; currency: string }
  | { reason: 'below_minimum'; minimum: number }
  | { reason: 'insufficient_balance'; spendable: number; pending: number }
  | { reason: 'over_basket_share'; sharePercent: number; maxValue: number; valueMinor: number };

/** 12345 → "12,345". */
export const formatPoints = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export function describeRefusal(facts: RefusalFacts): string {
  switch (facts.reason) {
    case 'not_positive':
      return 'Ask for a whole number of points above 0.';
    case 'channel_not_allowed':
      return `Points cannot be spent on the ${facts.channel} channel in ${facts.programName}.`;
    case 'unknown_partner':
      return `Points cannot be spent at partner "${facts.partnerId}".`;
    case 'currency_not_redeemable':
      return `Points cannot be spent in ${facts.currency}.`;
    case 'below_minimum':
      return `At least ${formatPoints(facts.minimum)} points must be spent at once.`;
    case 'insufficient_balance': {
      const { spendable, pending } = facts;
      const also = pending > 0 ? ` (${formatPoints(pending)} more are pending or expiring)` : '';
      return `Only ${formatPoints(spendable)} points can be spent now${also}.`;
    }
    case 'over_basket_share':
      return `Points may pay at most ${facts.sharePercent}% of the basket (${facts.maxValue} minor units); these points are worth ${facts.valueMinor}.`;
  }
}

/** The field of the request each reason is about. */
export const refusalField: Record<RefusalReason, string> = {
  not_positive: 'points',
  channel_not_allowed: 'channel',
  unknown_partner: 'partnerId',
  currency_not_redeemable: 'currency',
  below_minimum: 'points',
  insufficient_balance: 'points',
  over_basket_share: 'points',
};
