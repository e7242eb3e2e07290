import { describe, expect, it } from 'vitest';
import { RecentMap } from '../../engine/domain/customer/recent.ts';

describe('RecentMap', () => {
  it('forgets the oldest key once more than its capacity were added', () => {
    const map = new RecentMap<number>(3);
    for (const [i, key] of ['a', 'b', 'c', 'd', 'e'].entries()) map.set(key, i);
    expect(map.size).toBe(3);
    expect(map.has('a')).toBe(false);
    expect(map.has('b')).toBe(false);
    expect(map.get('e')).toBe(4);
    expect(map.keysOldestFirst()).toEqual(['c', 'd', 'e']);
  });

  it('updates a present key in place, without taking a new slot', () => {
    const map = new RecentMap<number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 10);
    expect(map.keysOldestFirst()).toEqual(['a', 'b']);
    map.set('c', 3);
    expect(map.has('a')).toBe(false);
    expect(map.get('b')).toBe(2);
  });

  it('a key deleted and added again lives in its new slot; the stale one forgets nothing', () => {
    const map = new RecentMap<number>(3);
    map.set('a', 1);
    map.set('b', 2);
    map.delete('a');
    expect(map.get('a')).toBeUndefined();
    map.set('c', 3);
    map.set('a', 4); // slot 0 (stale 'a') is overwritten by the new 'a'
    expect(map.keysOldestFirst()).toEqual(['b', 'c', 'a']);
    map.set('d', 5); // pushes out 'b'
    expect(map.keysOldestFirst()).toEqual(['c', 'a', 'd']);
    expect(map.get('a')).toBe(4);
  });

  it('a stale slot being overwritten does not remove the key that moved on', () => {
    const map = new RecentMap<number>(3);
    map.set('x', 1);
    map.set('y', 2);
    map.set('z', 3);
    map.delete('x');
    map.set('w', 4); // overwrites slot 0 (stale 'x')
    map.delete('y');
    map.set('y', 5); // 'y' again takes slot 1, the oldest
    expect(map.keysOldestFirst()).toEqual(['z', 'w', 'y']);
    expect(map.size).toBe(3);
  });

  it('takes any string as a key, __proto__ and constructor included', () => {
    const map = new RecentMap<string>(4);
    map.set('__proto__', 'p');
    map.set('constructor', 'c');
    expect(map.get('__proto__')).toBe('p');
    expect(map.get('constructor')).toBe('c');
    expect(map.has('toString')).toBe(false);
  });

  it('rebuilds from keys oldest first, keeping the newest when given too many', () => {
    const values: Record<string, number> = { a: 1, b: 2, c: 3, d: 4 };
    const map = RecentMap.from(3, ['a', 'b', 'c', 'd'], (k) => values[k]);
    expect(map.keysOldestFirst()).toEqual(['b', 'c', 'd']);
    const copy = RecentMap.from(3, map.keysOldestFirst(), (k) => map.get(k));
    copy.set('e', 5);
    expect(copy.keysOldestFirst()).toEqual(['c', 'd', 'e']);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RecentMap(0)).toThrow(/capacity must be a positive integer/);
    expect(() => new RecentMap(1.5)).toThrow(/capacity/);
  });
});
