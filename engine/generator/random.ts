/**
 * Seeded randomness for the data generator: a small fast PRNG and the draws the generator needs
 * (weighted choice, normal, Poisson). Every stream of numbers is keyed by the run's seed and a
 * purpose (a customer's index, a chunk of anonymous sales), so a customer's data does not depend
 * on how the run is cut into batches, and the same seed always gives the same rows.
 */

/** A 32-bit hash of the seed and up to two keys (murmur3's finaliser over a running mix). */
export function streamSeed(seed: number, purpose: number, index = 0): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  for (const k of [purpose, index]) {
    h = Math.imul(h ^ (k >>> 0), 0xcc9e2d51);
    h = (h << 15) | (h >>> 17);
    h = Math.imul(h, 0x1b873593);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** mulberry32 behind a few helpers: fast, 32 bits of state, plenty for synthetic retail data. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Standard normal (Box–Muller; the second value is dropped to keep the stream simple). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with median 1 and the given spread (sigma of the log). */
  logNormal(sigma: number): number {
    return Math.exp(sigma * this.normal());
  }

  /** Poisson: Knuth's product method for small means, a rounded normal for large ones. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Geometric number of failures before a success of probability p (0, 1, 2, …). */
  geometric(p: number): number {
    return Math.floor(Math.log(1 - this.next()) / Math.log(1 - p));
  }
}

/**
 * Choice by weight in O(log n): the cumulative weights are built once, a draw is a binary
 * search. `pickIn` draws within a range of indices (a customer's active days).
 */
export class WeightedPicker {
  readonly cumulative: Float64Array;
  readonly total: number;

  constructor(weights: ArrayLike<number>) {
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) {
      sum += weights[i] as number;
      this.cumulative[i] = sum;
    }
    this.total = sum;
  }

  get size(): number {
    return this.cumulative.length;
  }

  pick(rng: Rng): number {
    return this.search(rng.next() * this.total, 0, this.cumulative.length - 1);
  }

  /** A draw among indices first..last (inclusive), by their weights. */
  pickIn(rng: Rng, first: number, last: number): number {
    const below = first > 0 ? (this.cumulative[first - 1] as number) : 0;
    const span = (this.cumulative[last] as number) - below;
    return this.search(below + rng.next() * span, first, last);
  }

  /** The summed weight of indices first..last (inclusive). */
  weightIn(first: number, last: number): number {
    if (last < first) return 0;
    const below = first > 0 ? (this.cumulative[first - 1] as number) : 0;
    return (this.cumulative[last] as number) - below;
  }

  private search(target: number, lo: number, hi: number): number {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cumulative[mid] as number) <= target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Zipf-like weights for ranks 0..n-1: rank r weighs 1/(r+1)^s (a few popular, a long tail). */
export function zipfWeights(n: number, s: number): Float64Array {
  const weights = new Float64Array(n);
  for (let r = 0; r < n; r++) weights[r] = 1 / (r + 1) ** s;
  return weights;
}
