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

/**
 * Points and centroids are kept in flat Float64Arrays, `dimensions` numbers per row: the same
 * arithmetic in the same order as on nested arrays (so the same clusters), without an array
 * look-up per coordinate.
 */
function squaredDistance(
  a: Float64Array,
  aAt: number,
  b: Float64Array,
  bAt: number,
  dimensions: number,
): number {
  let sum = 0;
  for (let i = 0; i < dimensions; i += 1) {
    const d = (a[aAt + i] as number) - (b[bAt + i] as number);
    sum += d * d;
  }
  return sum;
}

/**
 * The nearest centroid (the first of equals). A centroid's sum stops once it reaches the best so
 * far: the terms are never negative, so it could not win, and the answer is the same.
 */
function nearest(
  points: Float64Array,
  at: number,
  centroids: Float64Array,
  k: number,
  dimensions: number,
): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let c = 0; c < k; c += 1) {
    const from = c * dimensions;
    let sum = 0;
    for (let i = 0; i < dimensions && sum < bestDistance; i += 1) {
      const d = (points[at + i] as number) - (centroids[from + i] as number);
      sum += d * d;
    }
    if (sum < bestDistance) {
      bestDistance = sum;
      best = c;
    }
  }
  return best;
}

/**
 * k-means++: the first centroid a point drawn uniformly, each next one a point drawn with
 * probability proportional to its squared distance to the nearest centroid chosen so far.
 */
function initialCentroids(
  points: Float64Array,
  n: number,
  k: number,
  dimensions: number,
  random: () => number,
): Float64Array {
  const centroids = new Float64Array(k * dimensions);
  const first = Math.floor(random() * n);
  centroids.set(points.subarray(first * dimensions, (first + 1) * dimensions), 0);
  const distances = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    distances[i] = squaredDistance(points, i * dimensions, centroids, 0, dimensions);
  }
  for (let c = 1; c < k; c += 1) {
    let total = 0;
    for (let i = 0; i < n; i += 1) total += distances[i] as number;
    let chosen = 0;
    if (total > 0) {
      let target = random() * total;
      chosen = n - 1;
      for (let i = 0; i < n; i += 1) {
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
    const at = c * dimensions;
    centroids.set(points.subarray(chosen * dimensions, (chosen + 1) * dimensions), at);
    for (let i = 0; i < n; i += 1) {
      const d = squaredDistance(points, i * dimensions, centroids, at, dimensions);
      if (d < (distances[i] as number)) distances[i] = d;
    }
  }
  return centroids;
}

/**
 * Lloyd's algorithm with Hamerly's bounds: each point keeps an upper bound on its distance to its
 * own centroid and a lower bound on its distance to every other, moved by how far the centroids
 * move. While the first stays below both the second and half the distance from its centroid to
 * the nearest other, the point's centroid cannot have changed, and its k distances are not
 * computed. A point is only kept where it is by a margin (BOUND_MARGIN) far above rounding, so a
 * point its bounds cannot place is placed by the same search as Lloyd's (the first nearest), and
 * the clusters, centroids and iterations are exactly Lloyd's.
 */
/**
 * How far inside its bounds a point must be to stay without its distances computed: rounding in
 * the bounds is some 1e-15 of distances of order 1 (scaled features), so a point kept is nearer
 * its centroid than any other by far more than rounding could reverse.
 */
const BOUND_MARGIN = 1e-9;

export function kMeans(points: readonly number[][], options: KMeansOptions): KMeansResult {
  if (points.length === 0) return { centroids: [], assignments: [], sizes: [], iterations: 0 };
  if (!Number.isInteger(options.k) || options.k < 1) {
    throw new Error(`k: ${options.k} is not a whole number of at least 1`);
  }
  const dimensions = (points[0] as number[]).length;
  if (points.some((p) => p.length !== dimensions)) {
    throw new Error('points: not all points have the same number of dimensions');
  }
  const n = points.length;
  const k = Math.min(options.k, n);
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-6;
  const random = seededRandom(options.seed);
  const flat = new Float64Array(n * dimensions);
  for (let i = 0; i < n; i += 1) flat.set(points[i] as number[], i * dimensions);

  let centroids = initialCentroids(flat, n, k, dimensions, random);
  const assignments = new Array<number>(n).fill(0);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  /** Places point i by its k distances, as `nearest` would, and sets its bounds. */
  const place = (i: number) => {
    let best = 0;
    let bestDistance = Number.POSITIVE_INFINITY;
    let second = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c += 1) {
      const d = squaredDistance(flat, i * dimensions, centroids, c * dimensions, dimensions);
      if (d < bestDistance) {
        second = bestDistance;
        bestDistance = d;
        best = c;
      } else if (d < second) {
        second = d;
      }
    }
    assignments[i] = best;
    upper[i] = Math.sqrt(bestDistance);
    lower[i] = Math.sqrt(second);
  };
  for (let i = 0; i < n; i += 1) place(i);
  const halfGap = new Float64Array(k);
  const moves = new Float64Array(k);
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations += 1;
    if (iterations > 1) {
      // Half the distance from each centroid to its nearest other one.
      halfGap.fill(Number.POSITIVE_INFINITY);
      for (let a = 0; a < k; a += 1) {
        for (let b = a + 1; b < k; b += 1) {
          const half =
            Math.sqrt(
              squaredDistance(centroids, a * dimensions, centroids, b * dimensions, dimensions),
            ) / 2;
          if (half < (halfGap[a] as number)) halfGap[a] = half;
          if (half < (halfGap[b] as number)) halfGap[b] = half;
        }
      }
      for (let i = 0; i < n; i += 1) {
        const own = assignments[i] as number;
        const bound = Math.max(lower[i] as number, halfGap[own] as number);
        if ((upper[i] as number) + BOUND_MARGIN < bound) continue;
        upper[i] = Math.sqrt(
          squaredDistance(flat, i * dimensions, centroids, own * dimensions, dimensions),
        );
        if ((upper[i] as number) + BOUND_MARGIN < bound) continue;
        place(i);
      }
    }
    const sums = new Float64Array(k * dimensions);
    const counts = new Array<number>(k).fill(0);
    for (let i = 0; i < n; i += 1) {
      const c = assignments[i] as number;
      counts[c] = (counts[c] as number) + 1;
      const at = c * dimensions;
      const from = i * dimensions;
      for (let d = 0; d < dimensions; d += 1) {
        sums[at + d] = (sums[at + d] as number) + (flat[from + d] as number);
      }
    }
    // An empty cluster keeps its centroid (it may win points back next round).
    const next = new Float64Array(k * dimensions);
    let moved = 0;
    for (let c = 0; c < k; c += 1) {
      const at = c * dimensions;
      const count = counts[c] as number;
      for (let d = 0; d < dimensions; d += 1) {
        next[at + d] =
          count === 0 ? (centroids[at + d] as number) : (sums[at + d] as number) / count;
      }
      moves[c] = Math.sqrt(squaredDistance(next, at, centroids, at, dimensions));
      moved = Math.max(moved, moves[c] as number);
    }
    centroids = next;
    if (moved <= tolerance) break;
    // The bounds follow the centroids: the own one may be farther by its move, any other
    // nearer by the largest move of the others.
    let farthest = 0;
    for (let c = 1; c < k; c += 1)
      if ((moves[c] as number) > (moves[farthest] as number)) farthest = c;
    let otherwise = 0;
    for (let c = 0; c < k; c += 1) {
      if (c !== farthest && (moves[c] as number) > otherwise) otherwise = moves[c] as number;
    }
    for (let i = 0; i < n; i += 1) {
      const own = assignments[i] as number;
      upper[i] = (upper[i] as number) + (moves[own] as number);
      lower[i] = (lower[i] as number) - (own === farthest ? otherwise : moved);
    }
  }
  for (let i = 0; i < n; i += 1) {
    assignments[i] = nearest(flat, i * dimensions, centroids, k, dimensions);
  }
  const sizes = new Array<number>(k).fill(0);
  for (const c of assignments) sizes[c] = (sizes[c] as number) + 1;
  const rows = Array.from({ length: k }, (_, c) =>
    Array.from(centroids.subarray(c * dimensions, (c + 1) * dimensions)),
  );
  return { centroids: rows, assignments, sizes, iterations };
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
