/**
 * The words a till shows for a cue ("Welcome back, 3rd visit this month · +39 points · balance
 * 412"), made from the cue's facts at publication. Pure; one place to change the wording or,
 * later, to choose it by the store's language.
 */
import type { Cue, CueFacts } from './effects.ts';

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
