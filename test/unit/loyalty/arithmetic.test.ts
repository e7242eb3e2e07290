import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  allocate,
  instantMs,
  isoOf,
  mulDiv,
} from '../../../engine/domain/loyalty/arithmetic.ts';

/** What `addMonths` is defined as, by `Date`. */
function addMonthsByDate(instant: string, months: number): string {
  const d = new Date(Date.parse(instant));
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d.toISOString();
}

const outcome = (f: () => unknown): unknown => {
  try {
    return f();
  } catch (error) {
    return `throws ${(error as Error).name}`;
  }
};

// From before 1970 to past 9999, where the integer reading and writing hand over to `Date`.
const ms = fc.integer({ min: -100_000_000_000_000, max: 260_000_000_000_000 });

describe('instants read and written without Date', () => {
  it('write what toISOString writes, and throw where it throws', () => {
    fc.assert(
      fc.property(fc.oneof(ms, fc.constantFrom(Number.NaN, 0.5, -0, 8.64e15 + 1)), (t) => {
        expect(outcome(() => isoOf(t))).toEqual(outcome(() => new Date(t).toISOString()));
      }),
      { numRuns: 5000 },
    );
  });

  it('read what Date.parse reads, canonical, other offsets or malformed', () => {
    const canonical = ms.map((t) => new Date(t).toISOString());
    const mangled = fc
      .tuple(canonical, fc.nat(23), fc.constantFrom(...'0123456789:-TZ.+x '))
      .map(([s, i, c]) => s.slice(0, i) + c + s.slice(i + 1));
    const fixed = fc.constantFrom(
      '2026-02-29T00:00:00.000Z',
      '2024-02-29T00:00:00.000Z',
      '2026-04-31T10:00:00.000Z',
      '2026-11-01T24:00:00.000Z',
      '2026-11-01T08:00:00+01:00',
      '2026-11-01T08:00:00Z',
      '2026-11-01',
      '',
    );
    fc.assert(
      fc.property(fc.oneof(canonical, mangled, fixed), (s) => {
        expect(instantMs(s)).toEqual(Date.parse(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('step days and months as Date does', () => {
    const instant = fc.oneof(
      ms.map((t) => new Date(t).toISOString()),
      fc.constantFrom(
        '2026-01-31T10:00:00.000Z',
        '2024-01-31T23:59:59.999Z',
        '2026-11-01T08:00:00+01:00',
      ),
    );
    fc.assert(
      fc.property(instant, fc.integer({ min: -400, max: 400 }), (s, n) => {
        expect(outcome(() => addMonths(s, n))).toEqual(outcome(() => addMonthsByDate(s, n)));
        expect(outcome(() => addDays(s, n))).toEqual(
          outcome(() => new Date(Date.parse(s) + n * 86_400_000).toISOString()),
        );
      }),
      { numRuns: 5000 },
    );
  });
});

/** Largest remainder by sorting every remainder: what `allocate` is defined as. */
function allocateBySort(total: number, weights: readonly number[]): number[] {
  const n = weights.length;
  if (n === 0) return [];
  const sum = weights.reduce((a, b) => a + b, 0);
  const shares = new Array<number>(n).fill(0);
  if (total === 0) return shares;
  const ws = sum === 0 ? weights.map(() => 1) : weights;
  const denominator = sum === 0 ? n : sum;
  const remainders: { i: number; r: number }[] = [];
  let given = 0;
  ws.forEach((w, i) => {
    shares[i] = mulDiv(total, w, denominator);
    given += shares[i] as number;
    remainders.push({ i, r: Number((BigInt(total) * BigInt(w)) % BigInt(denominator)) });
  });
  remainders.sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; given < total; k++) {
    const next = remainders[k % n] as { i: number };
    shares[next.i] = (shares[next.i] as number) + 1;
    given += 1;
  }
  return shares;
}

describe('allocate', () => {
  it('gives what sorting every remainder gives', () => {
    fc.assert(
      fc.property(
        fc.nat(1_000_000),
        fc.array(fc.oneof(fc.nat(10), fc.nat(1_000_000)), { maxLength: 12 }),
        (total, weights) => {
          expect(allocate(total, weights)).toEqual(allocateBySort(total, weights));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
