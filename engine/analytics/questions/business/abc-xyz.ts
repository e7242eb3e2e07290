/**
 * `abc-xyz`: products classed by what they bring (ABC, by revenue or margin) and by how steadily
 * they sell (XYZ, by the coefficient of variation of units per week or month). The rules and
 * thresholds are in abc-xyz-rules.ts: A = the SKUs making the first 80 % of the value, B = the
 * next 15 %, C = the last 5 %; X: CV < 0.5, Y: CV < 1.0, Z: CV ≥ 1.0.
 *
 * The window is the `periods` whole weeks (Monday first) or months before the as-of day's own,
 * unfinished one. Sales before returns: revenue is the lines' net (quantity × unit price − line
 * discount), margin that less quantity × unit cost, units the quantities sold. SKUs sold in the
 * window are classed; a SKU not sold is not listed.
 *
 * SQL: the daily figures by SKU (`line_days`, filled from every sale line), summed per SKU and
 * period, then per SKU with Σ units and Σ units² for the CV.
 */
import { z } from 'zod';
import { qualified } from '../../schema.ts';
import { type Answer, defineQuestion, flag, param } from '../question.ts';
import { dayOf, onDays, windowParams } from '../window.ts';
import { type Abc, abcClasses, type Xyz, xyzClass } from './abc-xyz-rules.ts';
import { num } from './common.ts';
import { completePeriods, daysIn } from './periods.ts';

export interface SkuFigures {
  sku: string;
  category: string;
  brand: string;
  revenue: number;
  margin: number;
  units: number;
  unitsSquared: number;
}

export const abcXyz = defineQuestion({
  name: 'abc-xyz',
  summary:
    'ABC (80/15/5 % of revenue or margin) × XYZ (CV of units per week or month: < 0.5, < 1.0, ≥ 1.0) of products: the 9-cell matrix, or the list',
  params: z.object({
    measure: param(
      z.enum(['revenue', 'margin']).default('revenue'),
      'what ABC ranks by: net revenue or margin',
    ),
    bucket: param(
      z.enum(['week', 'month']).default('week'),
      'the period units are counted per for XYZ',
    ),
    periods: param(
      z.coerce.number().int().min(2).max(520).optional(),
      'whole periods in the window, before the as-of day’s own (default 52 weeks or 12 months)',
    ),
    list: flag('one row per SKU instead of the matrix'),
  }),
  async run(store, params, asOf): Promise<Answer> {
    const db = store.database;
    const periods = params.periods ?? (params.bucket === 'week' ? 52 : 12);
    const window = completePeriods(params.bucket, dayOf(asOf), periods);
    // Weeks count from Monday 5 January 1970, day 4.
    const bucket = params.bucket === 'week' ? 'intDiv(toUInt16(day) - 4, 7)' : 'toYYYYMM(day)';
    const rows = await store.query<Record<string, string>>(
      `SELECT s.sku AS sku, p.category AS category, p.brand AS brand, s.revenue AS revenue,
        s.margin AS margin, s.units AS units, s.units_squared AS units_squared
      FROM (
        SELECT sku, sum(rev) AS revenue, sum(mar) AS margin, sum(u) AS units,
          sum(u * u) AS units_squared
        FROM (
          SELECT value AS sku, ${bucket} AS period, sum(net_minor) AS rev,
            sum(net_minor - cost_minor) AS mar, sum(units) AS u
          FROM ${qualified(db, 'line_days')}
          WHERE dimension = 'sku' AND ${onDays()}
          GROUP BY sku, period
        )
        GROUP BY sku
      ) AS s
      LEFT JOIN (
        SELECT sku, argMax(category, updated_at) AS category, argMax(brand, updated_at) AS brand
        FROM ${qualified(db, 'products')} GROUP BY sku
      ) AS p ON p.sku = s.sku`,
      windowParams(window),
    );
    const figures: SkuFigures[] = rows.map((row) => ({
      sku: row.sku as string,
      category: row.category ?? '',
      brand: row.brand ?? '',
      revenue: num(row.revenue),
      margin: num(row.margin),
      units: num(row.units),
      unitsSquared: num(row.units_squared),
    }));
    const count = params.bucket === 'week' ? daysIn(window) / 7 : periods;
    return params.list
      ? skuList(figures, params.measure, count)
      : matrix(figures, params.measure, count);
  },
});

interface Classed extends SkuFigures {
  value: number;
  abc: Abc;
  xyz: Xyz;
  cv: number | null;
}

function classify(
  figures: SkuFigures[],
  measure: 'revenue' | 'margin',
  periods: number,
): Classed[] {
  const classes = abcClasses(figures.map((f) => ({ key: f.sku, value: f[measure] })));
  return figures
    .map((f) => ({
      ...f,
      value: f[measure],
      abc: classes.get(f.sku) ?? 'C',
      ...xyzClass(f.units, f.unitsSquared, periods),
    }))
    .sort((a, b) => b.value - a.value || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}

function matrix(figures: SkuFigures[], measure: 'revenue' | 'margin', periods: number): Answer {
  const classed = classify(figures, measure, periods);
  const total = classed.reduce((sum, c) => sum + Math.max(0, c.value), 0);
  return {
    columns: [
      { name: 'abc', kind: 'text' },
      { name: 'X', kind: 'count' },
      { name: 'Y', kind: 'count' },
      { name: 'Z', kind: 'count' },
      { name: 'skus', kind: 'count' },
      { name: measure, kind: 'money' },
      { name: 'share', kind: 'ratio' },
    ],
    rows: (['A', 'B', 'C'] as const).map((abc) => {
      const inClass = classed.filter((c) => c.abc === abc);
      const value = inClass.reduce((sum, c) => sum + c.value, 0);
      return {
        abc,
        X: inClass.filter((c) => c.xyz === 'X').length,
        Y: inClass.filter((c) => c.xyz === 'Y').length,
        Z: inClass.filter((c) => c.xyz === 'Z').length,
        skus: inClass.length,
        [measure]: value,
        share: total === 0 ? null : value / total,
      };
    }),
  };
}

function skuList(figures: SkuFigures[], measure: 'revenue' | 'margin', periods: number): Answer {
  const classed = classify(figures, measure, periods);
  const total = classed.reduce((sum, c) => sum + Math.max(0, c.value), 0);
  let cumulative = 0;
  return {
    columns: [
      { name: 'sku', kind: 'text' },
      { name: 'category', kind: 'text' },
      { name: 'brand', kind: 'text' },
      { name: 'revenue', kind: 'money' },
      { name: 'margin', kind: 'money' },
      { name: 'units', kind: 'count' },
      { name: 'share', kind: 'ratio' },
      { name: 'cumulative', kind: 'ratio' },
      { name: 'abc', kind: 'text' },
      { name: 'cv', kind: 'ratio' },
      { name: 'xyz', kind: 'text' },
      { name: 'class', kind: 'text' },
    ],
    rows: classed.map((c) => {
      cumulative += Math.max(0, c.value);
      return {
        sku: c.sku,
        category: c.category,
        brand: c.brand,
        revenue: c.revenue,
        margin: c.margin,
        units: c.units,
        share: total === 0 ? null : Math.max(0, c.value) / total,
        cumulative: total === 0 ? null : cumulative / total,
        abc: c.abc,
        cv: c.cv,
        xyz: c.xyz,
        class: `${c.abc}${c.xyz}`,
      };
    }),
  };
}
