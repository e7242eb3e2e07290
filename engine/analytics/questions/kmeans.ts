/**
 * k-means (Lloyd's algorithm) with k-means++ seeding, reproducible: the same points in the same
 * order, k and seed give the same clusters on every machine (one seeded generator, no clock, no
 * Math.random). Pure: no I/O.
 */

export interface KMeansOptions {
  k: number;
  seed: number;
  /** Stops after this many assignment rounds (100). */
  maxIterations?: number;
  /** Stops once no centroid moves farther than this (Euclidean, 1e-6). */
  tolerance?: number;
}

export interface KMeansResult {
  centroids: number[][];
  /** Each point's cluster (an index of `centroids`). */
  assignments: number[];
  sizes: number[];
  iterations: number;
}

/** mulberry32: a small, well-distributed 32-bit generator, in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function squaredDistance(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) {
    const d = (a[i] as number) - (b[i] as number);
    sum += d * d;
  }
  return sum;
}

function nearest(point: readonly number[], centroids: readonly number[][]): [number, number] {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let c = 0; c < centroids.length; c += 1) {
    const d = squaredDistance(point, centroids[c] as number[]);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return [best, bestDistance];
}

/**
 * k-means++: the first centroid a point drawn uniformly, each next one a point drawn with
 * probability proportional to its squared distance to the nearest centroid chosen so far.
 */
function initialCentroids(points: readonly number[][], k: number, random: () => number) {
  const first = points[Math.floor(random() * points.length)] as number[];
  const centroids = [first.slice()];
  const distances = points.map((p) => squaredDistance(p, first));
  while (centroids.length < k) {
    const total = distances.reduce((a, b) => a + b, 0);
    let chosen = 0;
    if (total > 0) {
      let target = random() * total;
      chosen = distances.length - 1;
      for (let i = 0; i < distances.length; i += 1) {
        target -= distances[i] as number;
        if (target < 0) {
          chosen = i;
          break;
        }
      }
    } else {
      // Fewer distinct points than k: the remaining centroids repeat one.
      random();
    }
    const centroid = (points[chosen] as number[]).slice();
    centroids.push(centroid);
    for (let i = 0; i < points.length; i += 1) {
      const d = squaredDistance(points[i] as number[], centroid);
      if (d < (distances[i] as number)) distances[i] = d;
    }
  }
  return centroids;
}

export function kMeans(points: readonly number[][], options: KMeansOptions): KMeansResult {
  if (points.length === 0) return { centroids: [], assignments: [], sizes: [], iterations: 0 };
  if (!Number.isInteger(options.k) || options.k < 1) {
    throw new Error(`k: ${options.k} is not a whole number of at least 1`);
  }
  const dimensions = (points[0] as number[]).length;
  if (points.some((p) => p.length !== dimensions)) {
    throw new Error('points: not all points have the same number of dimensions');
  }
  const k = Math.min(options.k, points.length);
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-6;
  const random = seededRandom(options.seed);

  let centroids = initialCentroids(points, k, random);
  const assignments = new Array<number>(points.length).fill(0);
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations += 1;
    for (let i = 0; i < points.length; i += 1) {
      assignments[i] = nearest(points[i] as number[], centroids)[0];
    }
    const sums = centroids.map(() => new Array<number>(dimensions).fill(0));
    const counts = new Array<number>(k).fill(0);
    for (let i = 0; i < points.length; i += 1) {
      const c = assignments[i] as number;
      counts[c] = (counts[c] as number) + 1;
      const sum = sums[c] as number[];
      const point = points[i] as number[];
      for (let d = 0; d < dimensions; d += 1) sum[d] = (sum[d] as number) + (point[d] as number);
    }
    // An empty cluster keeps its centroid (it may win points back next round).
    const next = sums.map((sum, c) =>
      counts[c] === 0 ? (centroids[c] as number[]) : sum.map((s) => s / (counts[c] as number)),
    );
    const moved = Math.max(
      ...next.map((centroid, c) => Math.sqrt(squaredDistance(centroid, centroids[c] as number[]))),
    );
    centroids = next;
    if (moved <= tolerance) break;
  }
  for (let i = 0; i < points.length; i += 1) {
    assignments[i] = nearest(points[i] as number[], centroids)[0];
  }
  const sizes = new Array<number>(k).fill(0);
  for (const c of assignments) sizes[c] = (sizes[c] as number) + 1;
  return { centroids, assignments, sizes, iterations };
}

/**
 * Min–max scaling of the columns `columns` of `rows` to [0, 1] (a constant column becomes 0),
 * so no feature outweighs the others by its unit.
 */
export function minMaxScale(rows: readonly number[][], columns: readonly number[]): number[][] {
  const scaled = rows.map((r) => r.slice());
  for (const c of columns) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const r of rows) {
      const v = r[c] as number;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const range = max - min;
    for (const r of scaled) r[c] = range > 0 ? ((r[c] as number) - min) / range : 0;
  }
  return scaled;
}
