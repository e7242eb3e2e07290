/**
 * The pure rules behind the business questions: calendar periods and their comparison windows,
 * and the ABC / XYZ classes.
 */
import { describe, expect, it } from 'vitest';
import { abcClasses, xyzClass } from '../../engine/analytics/questions/business/abc-xyz-rules.ts';
import {
  comparedPeriods,
  completePeriods,
  daysIn,
  endOf,
  monthsBetween,
  monthsOf,
  shift,
  startOf,
} from '../../engine/analytics/questions/business/periods.ts';

describe('periods', () => {
  it('start weeks on Monday, months on the 1st, years on 1 January', () => {
    expect(startOf('week', '2025-06-15')).toBe('2025-06-09'); // a Sunday
    expect(startOf('week', '2025-06-09')).toBe('2025-06-09');
    expect(startOf('month', '2025-06-15')).toBe('2025-06-01');
    expect(startOf('year', '2025-06-15')).toBe('2025-01-01');
    expect(endOf('week', '2025-06-11')).toBe('2025-06-15');
    expect(endOf('month', '2024-02-10')).toBe('2024-02-29');
    expect(endOf('year', '2024-02-10')).toBe('2024-12-31');
  });

  it('step months and years keeping the day, clamped to the month’s last', () => {
    expect(shift('month', '2025-03-31', -1)).toBe('2025-02-28');
    expect(shift('month', '2025-01-31', 1)).toBe('2025-02-28');
    expect(shift('month', '2025-12-15', 1)).toBe('2026-01-15');
    expect(shift('year', '2024-02-29', -1)).toBe('2023-02-28');
    expect(shift('week', '2025-01-01', -1)).toBe('2024-12-25');
  });

  it('compare a period to date with the same stretch of the one before', () => {
    expect(comparedPeriods('month', '2025-06-15')).toEqual({
      current: { from: '2025-06-01', to: '2025-06-15' },
      previous: { from: '2025-05-01', to: '2025-05-15' },
    });
    expect(comparedPeriods('week', '2025-06-11')).toEqual({
      current: { from: '2025-06-09', to: '2025-06-11' },
      previous: { from: '2025-06-02', to: '2025-06-04' },
    });
    expect(comparedPeriods('year', '2025-03-01')).toEqual({
      current: { from: '2025-01-01', to: '2025-03-01' },
      previous: { from: '2024-01-01', to: '2024-03-01' },
    });
  });

  it('compare a complete period with the whole one before, and never run past it', () => {
    expect(comparedPeriods('month', '2025-06-30').previous).toEqual({
      from: '2025-05-01',
      to: '2025-05-31',
    });
    expect(comparedPeriods('month', '2025-03-30').previous).toEqual({
      from: '2025-02-01',
      to: '2025-02-28',
    });
    expect(comparedPeriods('year', '2024-12-31').previous).toEqual({
      from: '2023-01-01',
      to: '2023-12-31',
    });
  });

  it('count whole periods before the unfinished one', () => {
    const weeks = completePeriods('week', '2025-06-11', 4);
    expect(weeks).toEqual({ from: '2025-05-12', to: '2025-06-08' });
    expect(daysIn(weeks)).toBe(28);
    expect(completePeriods('month', '2025-06-11', 12)).toEqual({
      from: '2024-06-01',
      to: '2025-05-31',
    });
    expect(monthsOf({ from: '2024-11-15', to: '2025-02-01' })).toEqual([
      '2024-11-01',
      '2024-12-01',
      '2025-01-01',
      '2025-02-01',
    ]);
    expect(monthsBetween('2024-11-30', '2025-02-01')).toBe(3);
  });
});

describe('ABC', () => {
  const abc = (values: number[]) =>
    [...abcClasses(values.map((value, i) => ({ key: `k${i}`, value }))).entries()]
      .sort(([a], [b]) => Number(a.slice(1)) - Number(b.slice(1)))
      .map(([, c]) => c)
      .join('');

  it('class by the share held before each item: the item crossing 80 % is still A', () => {
    // 50, 30 (50 % before: A), 10 (80 % before: B), 5 (90 %: B), 3 (95 %: C), 2 (C).
    expect(abc([50, 30, 10, 5, 3, 2])).toBe('AABBCC');
    expect(abc([100])).toBe('A');
    expect(abc([85, 15])).toBe('AB');
  });

  it('put items worth nothing or less in C, and break ties by key', () => {
    expect(abc([0, -5, 10])).toBe('CCA');
    expect(abc([0, 0])).toBe('CC');
    // Equal values: k0 ranks first, so it is A and k1 (50 % before) is A as well.
    expect(abc([40, 40, 20])).toBe('AAB');
  });
});

describe('XYZ', () => {
  it('class by the coefficient of variation of units per period, zeros counted', () => {
    // 10 every week: CV 0.
    expect(xyzClass(40, 400, 4)).toEqual({ xyz: 'X', cv: 0 });
    // 10, 0, 10, 0: mean 5, sd 5, CV 1: Z (the bound belongs to Z).
    expect(xyzClass(20, 200, 4)).toEqual({ xyz: 'Z', cv: 1 });
    // 6, 4, 6, 4: mean 5, sd 1, CV 0.2.
    expect(xyzClass(20, 104, 4).xyz).toBe('X');
    // 8, 2, 8, 2: mean 5, sd 3, CV 0.6.
    expect(xyzClass(20, 136, 4).xyz).toBe('Y');
    // CV exactly 0.5: 7.5, 2.5 scaled ×2 → 15, 5: mean 10, sd 5.
    expect(xyzClass(20, 250, 2)).toEqual({ xyz: 'Y', cv: 0.5 });
  });

  it('make a SKU without units Z, with no CV', () => {
    expect(xyzClass(0, 0, 52)).toEqual({ xyz: 'Z', cv: null });
  });
});
