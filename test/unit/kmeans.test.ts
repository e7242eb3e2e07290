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

/**
 * Lloyd's algorithm as written in textbooks, with the same k-means++ start: every point's
 * distance to every centroid in every round, the first nearest on ties.
 */
function plainLloyd(points: number[][], k: number, seed: number, maxIterations = 100) {
  const random = seededRandom(seed);
  const distance = (a: number[], b: number[]) =>
    a.reduce((s, x, i) => s + (x - (b[i] as number)) ** 2, 0);
  const n = points.length;
  let centroids = [(points[Math.floor(random() * n)] as number[]).slice()];
  const nearestDistance = points.map((p) => distance(p, centroids[0] as number[]));
  while (centroids.length < k) {
    const total = nearestDistance.reduce((a, b) => a + b, 0);
    let target = random() * total;
    let chosen = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearestDistance[i] as number;
      if (target < 0) {
        chosen = i;
        break;
      }
    }
    const next = (points[chosen] as number[]).slice();
    centroids.push(next);
    points.forEach((p, i) => {
      nearestDistance[i] = Math.min(nearestDistance[i] as number, distance(p, next));
    });
  }
  const nearest = (p: number[]) => {
    let best = 0;
    centroids.forEach((c, j) => {
      if (distance(p, c) < distance(p, centroids[best] as number[])) best = j;
    });
    return best;
  };
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    const assignments = points.map(nearest);
    const next = centroids.map((c, j) => {
      const members = points.filter((_, i) => assignments[i] === j);
      if (members.length === 0) return c;
      return c.map((_, d) => {
        let sum = 0;
        for (const m of members) sum += m[d] as number;
        return sum / members.length;
      });
    });
    const moved = Math.max(...next.map((c, j) => Math.sqrt(distance(c, centroids[j] as number[]))));
    centroids = next;
    if (moved <= 1e-6) break;
  }
  return { centroids, assignments: points.map(nearest), iterations };
}

describe('k-means', () => {
  it("keeps Lloyd's clusters exactly while its bounds skip distances", () => {
    for (const [n, dimensions, k, seed] of [
      [2000, 6, 5, 1],
      [1500, 3, 12, 2],
      [800, 24, 4, 3],
    ] as const) {
      const random = seededRandom(seed + 1000);
      const centres = Array.from({ length: 6 }, () => Array.from({ length: dimensions }, random));
      const points = Array.from({ length: n }, () => {
        const centre = centres[Math.floor(random() * centres.length)] as number[];
        return centre.map((x) => x + (random() - 0.5) * 0.6);
      });
      // Copies, so that some points are equally far from two centroids.
      for (let i = 0; i < n / 10; i++) {
        points[Math.floor(random() * n)] = (points[Math.floor(random() * n)] as number[]).slice();
      }
      const fast = kMeans(points, { k, seed });
      const plain = plainLloyd(points, k, seed);
      expect(fast.iterations).toBeGreaterThan(2);
      expect(fast.iterations).toBe(plain.iterations);
      expect(fast.assignments).toEqual(plain.assignments);
      expect(fast.centroids).toEqual(plain.centroids);
    }
  });

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
