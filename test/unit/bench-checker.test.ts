import { describe, expect, it } from 'vitest';
import { checkDelivery, compareBalances, percentiles } from '../../bench/checker.ts';

describe('benchmark delivery checker', () => {
  it('counts a dropped and a doubled event', () => {
    const offered = ['e1', 'e2', 'e3', 'e4'];
    const observed = ['e1', 'e2', 'e2', 'e4']; // e3 dropped, e2 doubled
    const check = checkDelivery(offered, observed);
    expect(check).toMatchObject({ offered: 4, observed: 4, lost: 1, duplicated: 1, unexpected: 0 });
    expect(check.examples).toEqual({ lost: ['e3'], duplicated: ['e2'], unexpected: [] });
  });

  it('finds nothing wrong in a clean run, and notices what was never offered', () => {
    expect(checkDelivery(['a', 'b'], ['b', 'a'])).toMatchObject({
      lost: 0,
      duplicated: 0,
      unexpected: 0,
    });
    expect(checkDelivery(['a'], ['a', 'z']).unexpected).toBe(1);
  });

  it('compares balances with the oracle', () => {
    const expected = new Map([
      ['c1', 10],
      ['c2', 20],
    ]);
    expect(
      compareBalances(
        expected,
        new Map([
          ['c1', 10],
          ['c2', 20],
        ]),
      ).mismatched,
    ).toBe(0);
    const off = compareBalances(
      expected,
      new Map([
        ['c1', 10],
        ['c2', 40],
      ]),
    );
    expect(off).toMatchObject({ checked: 2, mismatched: 1, examples: ['c2: expected 20, got 40'] });
  });

  it('computes nearest-rank percentiles', () => {
    const sample = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentiles(sample)).toEqual({ p50: 50, p95: 95, p99: 99, max: 100, count: 100 });
    expect(percentiles([]).count).toBe(0);
  });
});
