/**
 * The words a till shows for a cue ("Welcome back, 3rd visit this month · +39 points · balance
 * 412"), made from the cue's facts at publication, and for a customer just identified (from
 * their summary). Pure; one place to change the wording or,
 * later, to choose it by the store's language.
 */
import type { CustomerSummary } from './customer/summary.ts';
import type { Cue, CueFacts } from './effects.ts';
import type { FraudFlag } from './fraud/messages.ts';
import type { IdentificationCue } from './identity/messages.ts';

const suffixes = ['th', 'st', 'nd', 'rd'];

export function ordinal(n: number): string {
  const v = n % 100;
  return `${n}${suffixes[(v - 20) % 10] ?? suffixes[v] ?? 'th'}`;
}

/** What is missing to the next tier, in the metric's own terms. */
function toNextTier(next: NonNullable<CueFacts['nextTier']>): string {
  switch (next.metric) {
    case 'spend':
      return `${(next.missing / 100).toFixed(2)} more spend to ${next.id}`;
    case 'points':
      return `${next.missing} more points to ${next.id}`;
    case 'visits':
      return `${next.missing} more ${next.missing === 1 ? 'visit' : 'visits'} to ${next.id}`;
  }
}

/** The loyalty program's part: points spent, the tier, the way to the next one. */
function loyaltySuffix(facts: CueFacts): string {
  const parts: string[] = [];
  if (facts.tier !== undefined) parts.push(`tier ${facts.tier}`);
  if (facts.nextTier) parts.push(toNextTier(facts.nextTier));
  return parts.length > 0 ? ` · ${parts.join(' · ')}` : '';
}

export function describeCue(facts: CueFacts): string {
  if (facts.kind === 'refused') return describeEvent(facts);
  return describeEvent(facts) + loyaltySuffix(facts);
}

function describeEvent(facts: CueFacts): string {
  const { pointsEarned: points, pointsBalance: balance } = facts;
  const redeemed = facts.pointsRedeemed ? ` · ${facts.pointsRedeemed} points redeemed` : '';
  switch (facts.kind) {
    case 'welcome':
      return 'Welcome to the club';
    case 'first-purchase':
      return `First purchase, welcome · +${points} points${redeemed} · balance ${balance}`;
    case 'repeat-visit':
      return `Welcome back, ${ordinal(facts.visitsThisMonth)} visit this month · +${points} points${redeemed} · balance ${balance}`;
    case 'return':
      return points < 0
        ? `Return · −${-points} points · balance ${balance}`
        : `Return · no points to reverse · balance ${balance}`;
    case 'return-of-unknown-sale':
      return `Return of a sale not on record here · no points reversed yet · balance ${balance}`;
    case 'points-adjusted':
      return `Points adjusted by the service desk · ${points >= 0 ? '+' : '−'}${Math.abs(points)} points · balance ${balance}`;
    case 'refused':
      return `Not applied: ${(facts.issues ?? []).map((i) => `${i.field} ${i.message}`).join('; ')} · balance ${balance}`;
    case undefined:
      return `${points >= 0 ? '+' : '−'}${Math.abs(points)} points · balance ${balance}`;
  }
}

export const withWording = (facts: CueFacts): Cue => ({ ...facts, message: describeCue(facts) });

/** Days from `from` to `to`, rounded down. */
const daysBetween = (from: string, to: string): number =>
  Math.floor((Date.parse(to) - Date.parse(from)) / 86_400_000);

/** How long an escalated or unresolved service contact stays worth mentioning at the till. */
const OPEN_CASE_DAYS = 30;

/**
 * What the till is told about a customer just identified (`now`: the service's clock): who they
 * are to the program, points about to expire, the way to the next tier, an open service case.
 * `summary` is absent for a customer the engine has applied nothing for yet.
 */
export function identificationCues(
  summary: CustomerSummary | undefined,
  now: string,
): IdentificationCue[] {
  if (!summary) return [{ kind: 'new-member', message: 'New member · no purchases yet' }];
  const { loyalty } = summary;
  const cues: IdentificationCue[] = [];
  const standing = [
    loyalty.tier !== undefined ? `tier ${loyalty.tier}` : undefined,
    `${loyalty.balance} points (${loyalty.spendable} to spend)`,
    summary.lastPurchaseAt
      ? `${summary.visits} ${summary.visits === 1 ? 'visit' : 'visits'}, last ${ago(daysBetween(summary.lastPurchaseAt, now))}`
      : 'no purchases yet',
  ].filter((part) => part !== undefined);
  cues.push({ kind: 'welcome-back', message: `Welcome back · ${standing.join(' · ')}` });
  if (loyalty.expiringSoon) {
    cues.push({
      kind: 'points-expiring',
      message: `${loyalty.expiringSoon.points} points expire by ${loyalty.expiringSoon.by.slice(0, 10)}: suggest using them today`,
    });
  }
  if (loyalty.nextTier) cues.push({ kind: 'next-tier', message: toNextTier(loyalty.nextTier) });
  // Left by lifecycle rules (a birthday this week, a return after months away), while fresh.
  for (const waiting of summary.waitingCues ?? []) {
    if (waiting.until > now) cues.push({ kind: 'lifecycle', message: waiting.message });
  }
  const last = summary.service.recent.at(-1);
  if (
    last &&
    (last.outcome === 'escalated' || last.outcome === 'follow-up') &&
    daysBetween(last.occurredAt, now) <= OPEN_CASE_DAYS
  ) {
    cues.push({
      kind: 'open-service-case',
      message: `Open service case: ${last.reason} (${last.outcome}) on ${last.occurredAt.slice(0, 10)}`,
    });
  }
  return cues;
}

function ago(days: number): string {
  if (days <= 0) return 'today';
  if (days === 1) return 'yesterday';
  return `${days} days ago`;
}

/**
 * What the till is told of the open anti-fraud flags on the customer or the card just scanned:
 * one line each, first of all cues, so the cashier checks before points are spent.
 */
export function fraudCues(flags: readonly FraudFlag[]): IdentificationCue[] {
  return flags
    .filter((flag) => flag.status === 'open')
    .map((flag) => ({
      kind: 'fraud-alert' as const,
      message: `Check identification before redeeming: ${flag.message} (${flag.at.slice(0, 16).replace('T', ' ')} UTC)`,
    }));
}
