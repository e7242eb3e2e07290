import { describe, expect, it } from 'vitest';
import { kMeans, minMaxScale, seededRandom } from '../../engine/analytics/questions/kmeans.ts';

/** Three tight groups far apart: any sane k-means finds them. */
const groups = [
  [0, 0],
  [0.1, 0],
  [0, 0.1],
  [0.1, 0.1],
  [10, 10],
  [10.2, 10],
  [10, 10.2],
  [-10, 10],
  [-10.1, 10],
  [-10, 10.1],
  [-10.2, 10.2],
];

describe('k-means', () => {
  it('finds well-separated groups, with their means as centroids', () => {
    const result = kMeans(groups, { k: 3, seed: 1 });
    const clusterOf = (i: number) => result.assignments[i];
    expect(new Set([0, 1, 2, 3].map(clusterOf)).size).toBe(1);
    expect(new Set([4, 5, 6].map(clusterOf)).size).toBe(1);
    expect(new Set([7, 8, 9, 10].map(clusterOf)).size).toBe(1);
    expect(new Set([clusterOf(0), clusterOf(4), clusterOf(7)]).size).toBe(3);
    const centroid = (i: number) => result.centroids[clusterOf(i) as number] as number[];
    expect(centroid(0)[0]).toBeCloseTo(0.05, 12);
    expect(centroid(0)[1]).toBeCloseTo(0.05, 12);
    expect(centroid(4)[0]).toBeCloseTo(10.2 / 3 + 20 / 3, 12);
    expect(centroid(7)[1]).toBeCloseTo((10 + 10 + 10.1 + 10.2) / 4, 12);
    expect([...result.sizes].sort()).toEqual([3, 4, 4]);
  });

  it('gives the same answer for the same points and seed, whatever else ran', () => {
    const points = Array.from({ length: 300 }, (_, i) => {
      const random = seededRandom(i + 100);
      return [random(), random(), random()];
    });
    const a = kMeans(points, { k: 5, seed: 42 });
    Math.random();
    const b = kMeans(points, { k: 5, seed: 42 });
    expect(b).toEqual(a);
    expect(a.sizes.reduce((x, y) => x + y, 0)).toBe(300);
    const other = kMeans(points, { k: 5, seed: 43 });
    expect(other.sizes.reduce((x, y) => x + y, 0)).toBe(300);
  });

  it('stops at the iteration cap and at convergence', () => {
    expect(kMeans(groups, { k: 3, seed: 1, maxIterations: 1 }).iterations).toBe(1);
    expect(kMeans(groups, { k: 3, seed: 1 }).iterations).toBeLessThan(100);
  });

  it('copes with fewer points than k, identical points and no points', () => {
    expect(kMeans([[1], [2]], { k: 5, seed: 1 }).centroids.length).toBe(2);
    const same = kMeans(
      [
        [1, 1],
        [1, 1],
        [1, 1],
      ],
      { k: 2, seed: 1 },
    );
    expect(same.sizes.reduce((x, y) => x + y, 0)).toBe(3);
    expect(kMeans([], { k: 3, seed: 1 }).centroids).toEqual([]);
    expect(() => kMeans([[1]], { k: 0, seed: 1 })).toThrow(/k/);
  });

  it('one cluster is the mean of everything', () => {
    const result = kMeans(
      [
        [0, 0],
        [2, 0],
        [4, 6],
      ],
      { k: 1, seed: 9 },
    );
    expect(result.centroids[0]?.[0]).toBeCloseTo(2, 12);
    expect(result.centroids[0]?.[1]).toBeCloseTo(2, 12);
  });
});

describe('min–max scaling', () => {
  it('scales the chosen columns to [0, 1], a constant one to 0, the rest untouched', () => {
    expect(
      minMaxScale(
        [
          [10, 5, 0.5],
          [20, 5, 0.25],
          [15, 5, 1],
        ],
        [0, 1],
      ),
    ).toEqual([
      [0, 0, 0.5],
      [1, 0, 0.25],
      [0.5, 0, 1],
    ]);
  });
});

describe('the seeded generator', () => {
  it('repeats for a seed and stays in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    for (let i = 0; i < 1000; i += 1) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });
});
