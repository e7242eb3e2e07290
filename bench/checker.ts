/**
 * The benchmark's honesty check: what arrived, against what was offered. An event is lost when it
 * was offered and never observed, duplicated for every observation beyond the first; anything
 * observed that was never offered is counted too. Pure, so a test can feed it a bad run.
 */
export interface DeliveryCheck {
  offered: number;
  observed: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  /** A few ids of each kind, to start an investigation from. */
  examples: { lost: string[]; duplicated: string[]; unexpected: string[] };
}

export function checkDelivery(
  offered: Iterable<string>,
  observed: Iterable<string>,
): DeliveryCheck {
  const counts = new Map<string, number>();
  let offeredCount = 0;
  for (const id of offered) {
    if (!counts.has(id)) offeredCount += 1;
    counts.set(id, 0);
  }
  let observedCount = 0;
  let duplicated = 0;
  let unexpected = 0;
  const examples = { lost: [] as string[], duplicated: [] as string[], unexpected: [] as string[] };
  for (const id of observed) {
    observedCount += 1;
    const seen = counts.get(id);
    if (seen === undefined) {
      unexpected += 1;
      if (examples.unexpected.length < 5) examples.unexpected.push(id);
      continue;
    }
    if (seen >= 1) {
      duplicated += 1;
      if (examples.duplicated.length < 5) examples.duplicated.push(id);
    }
    counts.set(id, seen + 1);
  }
  let lost = 0;
  for (const [id, seen] of counts) {
    if (seen === 0) {
      lost += 1;
      if (examples.lost.length < 5) examples.lost.push(id);
    }
  }
  return { offered: offeredCount, observed: observedCount, lost, duplicated, unexpected, examples };
}

/** Compares per-customer figures (points balances) with the oracle's; returns the customers that differ. */
export function compareBalances(
  expected: ReadonlyMap<string, number>,
  actual: ReadonlyMap<string, number>,
): { checked: number; mismatched: number; examples: string[] } {
  let mismatched = 0;
  const examples: string[] = [];
  for (const [id, value] of expected) {
    const got = actual.get(id) ?? 0;
    if (got !== value) {
      mismatched += 1;
      if (examples.length < 5) examples.push(`${id}: expected ${value}, got ${got}`);
    }
  }
  return { checked: expected.size, mismatched, examples };
}

/** Nearest-rank percentiles of a sample, in its own unit. */
export function percentiles(sample: readonly number[]): {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
} {
  if (sample.length === 0)
    return { p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN, count: 0 };
  const sorted = [...sample].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  return {
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted[sorted.length - 1] as number,
    count: sorted.length,
  };
}

/** `percentiles`, each figure rounded to a tenth (for the JSON). */
export function roundedPercentiles(sample: readonly number[]): Record<string, number> {
  return Object.fromEntries(
    Object.entries(percentiles(sample)).map(([k, v]) => [k, Math.round(v * 10) / 10]),
  );
}
