/**
 * The ABC and XYZ classification rules, as pure functions (the `abc-xyz` question applies them to
 * what SQL sums per SKU).
 *
 * ABC, by a value (revenue or margin): SKUs sorted by value, largest first (ties by SKU). A SKU
 * is A while the SKUs before it hold less than 80 % of the total, B while they hold less than
 * 95 %, C otherwise. So the SKU that crosses 80 % is still A (the top SKU always is), and C is
 * the tail of the last 5 %. A SKU whose value is zero or negative (a margin loss) adds nothing
 * to the total and is C. Compared in integers: no rounding decides a class.
 *
 * XYZ, by the coefficient of variation of units sold per period (week or month) over the
 * window's P periods, periods without a sale counted as 0: CV = population standard deviation /
 * mean. X: CV < 0.5 (steady), Y: 0.5 ≤ CV < 1.0, Z: CV ≥ 1.0 (erratic), and Z for a SKU with no
 * units. With S1 = Σ units and S2 = Σ units², CV² = (P·S2 − S1²) / S1², so the thresholds are
 * compared exactly in BigInt.
 */

export type Abc = 'A' | 'B' | 'C';
export type Xyz = 'X' | 'Y' | 'Z';

/** ABC of each key, by `value` (integers). */
export function abcClasses(items: readonly { key: string; value: number }[]): Map<string, Abc> {
  const sorted = [...items].sort((a, b) =>
    b.value !== a.value ? b.value - a.value : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
  let total = 0n;
  for (const item of sorted) if (item.value > 0) total += BigInt(item.value);
  const classes = new Map<string, Abc>();
  let before = 0n;
  for (const item of sorted) {
    if (item.value <= 0 || total === 0n) {
      classes.set(item.key, 'C');
      continue;
    }
    const share = before * 100n;
    classes.set(item.key, share < 80n * total ? 'A' : share < 95n * total ? 'B' : 'C');
    before += BigInt(item.value);
  }
  return classes;
}

/** XYZ from units per period: S1 = Σ units, S2 = Σ units², over `periods` periods. */
export function xyzClass(
  sum: number,
  sumOfSquares: number,
  periods: number,
): { xyz: Xyz; cv: number | null } {
  if (sum <= 0 || periods <= 0) return { xyz: 'Z', cv: null };
  const s1 = BigInt(sum);
  const spread = BigInt(periods) * BigInt(sumOfSquares) - s1 * s1; // P²·variance
  const cv = Math.sqrt(Math.max(0, Number(spread))) / sum;
  const xyz: Xyz = 4n * spread < s1 * s1 ? 'X' : spread < s1 * s1 ? 'Y' : 'Z';
  return { xyz, cv };
}
