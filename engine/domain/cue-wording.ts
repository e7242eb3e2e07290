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

export function describeCue(facts: CueFacts): string {
  const { pointsEarned: points, pointsBalance: balance } = facts;
  switch (facts.kind) {
    case 'welcome':
      return 'Welcome to the club';
    case 'first-purchase':
      return `First purchase, welcome · +${points} points · balance ${balance}`;
    case 'repeat-visit':
      return `Welcome back, ${ordinal(facts.visitsThisMonth)} visit this month · +${points} points · balance ${balance}`;
    case 'return':
      return points < 0
        ? `Return · −${-points} points · balance ${balance}`
        : `Return · no points to reverse · balance ${balance}`;
    case 'return-of-unknown-sale':
      return `Return of a sale not on record here · no points reversed yet · balance ${balance}`;
  }
}

export const withWording = (facts: CueFacts): Cue => ({ ...facts, message: describeCue(facts) });
