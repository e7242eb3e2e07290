import { describe, expect, it } from 'vitest';
import { describeCue, ordinal, withWording } from '../../engine/domain/cue-wording.ts';
import { type CueFacts, cue } from '../../engine/domain/effects.ts';

const facts = (over: Partial<CueFacts>): CueFacts => ({
  cueId: 'e1:cue',
  customerId: 'c-1',
  eventId: 'e1',
  storeId: 'S001',
  tillId: 'T1',
  channel: 'till',
  occurredAt: '2026-11-20T10:00:00Z',
  kind: 'repeat-visit',
  pointsEarned: 39,
  pointsBalance: 412,
  visitsThisMonth: 3,
  ...over,
});

describe('cue wording', () => {
  it.each([
    [{ kind: 'welcome' }, 'Welcome to the club'],
    [
      { kind: 'first-purchase', pointsEarned: 39, pointsBalance: 39 },
      'First purchase, welcome · +39 points · balance 39',
    ],
    [{ kind: 'repeat-visit' }, 'Welcome back, 3rd visit this month · +39 points · balance 412'],
    [
      { kind: 'repeat-visit', visitsThisMonth: 12 },
      'Welcome back, 12th visit this month · +39 points · balance 412',
    ],
    [{ kind: 'return', pointsEarned: -19, pointsBalance: 20 }, 'Return · −19 points · balance 20'],
    [{ kind: 'return', pointsEarned: 0 }, 'Return · no points to reverse · balance 412'],
    [
      { kind: 'return-of-unknown-sale', pointsEarned: 0 },
      'Return of a sale not on record here · no points reversed yet · balance 412',
    ],
    [
      { kind: 'points-adjusted', pointsEarned: -50, pointsBalance: 362 },
      'Points adjusted by the service desk · −50 points · balance 362',
    ],
    [
      {
        kind: 'repeat-visit',
        pointsRedeemed: 500,
        tier: 'silver',
        nextTier: { id: 'gold', missing: 12_050, metric: 'spend' },
      },
      'Welcome back, 3rd visit this month · +39 points · 500 points redeemed · balance 412 · tier silver · 120.50 more spend to gold',
    ],
    [
      {
        kind: 'first-purchase',
        tier: 'member',
        nextTier: { id: 'regular', missing: 1, metric: 'visits' },
      },
      'First purchase, welcome · +39 points · balance 412 · tier member · 1 more visit to regular',
    ],
  ] as const)('%o reads "%s"', (over, text) => {
    expect(describeCue(facts(over))).toBe(text);
  });

  it('ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '101st',
      '111th',
    ]);
  });

  it('a worded cue is a valid published cue', () => {
    expect(cue.safeParse(withWording(facts({}))).success).toBe(true);
  });
});
