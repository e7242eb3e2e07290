/**
 * A segment's condition compiled to ClickHouse SQL: who meets it as of any moment, from the stored
 * events, so a segment can be counted over history and its live membership checked against it
 * (reconcile.ts). Each measure is computed as membership.ts defines it for the live side:
 * windows are (asOf − N days, asOf] to the millisecond, `recency_days` counts whole days since
 * the last sale, `spend_minor` nets returns, `margin_minor` is sales' net less their goods' cost,
 * `home_store` and `channel` are those of most sales (a tie: the first alphabetically), tags follow
 * registrations (added) and profile changes (replaced), tier is the latest tier change (else the
 * program's first tier). A comparison with an unknown value is false, so its `not` is true, as
 * live. The customers considered are those with any stored event by then (each has a workflow).
 *
 * Every value of the condition is a bound parameter; only measure names and windows (integers the
 * schema bounds) are part of the SQL text.
 */
import { membersAsOfSql } from '../analytics/profile-changes.ts';
import { qualified } from '../analytics/schema.ts';
import type { QueryParams } from '../analytics/store.ts';
import {
  type Condition,
  MEASURES,
  type Measure,
  measuresOf,
} from '../domain/segments/conditions.ts';

export interface SegmentSqlOptions {
  /** The analytics database. */
  database: string;
  /** The tier of a member with no tier change stored (the program's first level), if any. */
  baseTier?: string;
}

/** A SELECT of `customer_id`s meeting the condition at `{asOf:DateTime64(3, 'UTC')}`. */
export interface CompiledSegment {
  sql: string;
  /** The condition's values; add `asOf` (a `YYYY-MM-DD hh:mm:ss.sss` UTC instant). */
  params: QueryParams;
}

const AS_OF = "{asOf:DateTime64(3, 'UTC')}";

/** The column a measure is computed into. */
function columnOf(m: Measure): string {
  return m.days === undefined ? m.measure : `${m.measure}_${m.days}`;
}

function windowStart(days: number): string {
  return `subtractDays(${AS_OF}, ${Math.trunc(days)})`;
}

export function compileSegment(cond: Condition, options: SegmentSqlOptions): CompiledSegment {
  const params: QueryParams = {};
  const where = predicate(cond, params);
  const measures = measuresOf(cond);
  const t = (table: string) => qualified(options.database, table);
  const needs = (name: Measure['measure']) => measures.some((m) => m.measure === name);

  const eventColumns: string[] = [];
  const lineColumns: string[] = [];
  for (const m of measures) {
    const col = columnOf(m);
    const since = m.days !== undefined ? `occurred_at > ${windowStart(m.days)}` : '';
    switch (m.measure) {
      case 'recency_days':
        eventColumns.push(
          `if(countIf(type = 'sale') = 0, NULL, intDiv(toUnixTimestamp64Milli(${AS_OF}) - toUnixTimestamp64Milli(maxIf(occurred_at, type = 'sale')), 86400000)) AS ${col}`,
        );
        break;
      case 'visits':
        eventColumns.push(`countIf(type = 'sale' AND ${since}) AS ${col}`);
        break;
      case 'spend_minor':
        eventColumns.push(`sumIf(total_minor, type IN ('sale', 'return') AND ${since}) AS ${col}`);
        break;
      case 'margin_minor':
        eventColumns.push(`sumIf(total_minor - cost_minor, type = 'sale' AND ${since}) AS ${col}`);
        break;
      case 'categories':
        lineColumns.push(`groupUniqArrayIf(category, ${since}) AS ${col}`);
        break;
      default:
        break;
    }
  }

  const upTo = `occurred_at <= ${AS_OF}`;
  // The stores and channels of each customer's sales, for the most frequent of each: grouping
  // the sales by customer and store (and by channel) and joining both back cost more.
  const modes = (['home_store', 'channel'] as const).filter(needs);
  const modeColumn = { home_store: 'store_id', channel: 'channel' } as const;
  if (modes.length > 0) {
    eventColumns.push(
      `groupArrayIf(tuple(${modes.map((m) => modeColumn[m]).join(', ')}), type = 'sale') AS sold_at`,
    );
  }
  const joins: string[] = [];
  const selected: string[] = ['c.customer_id AS customer_id'];
  // A set of categories is only ever asked whether it holds a word (predicate), so only the lines
  // of those words, in the longest window, are read: a customer's set holds the words they bought.
  const asked = [...new Set(categoryWords(cond))];
  if (lineColumns.length > 0 && asked.length > 0) {
    params.categories = asked;
    const longest = Math.max(
      ...measures.filter((m) => m.measure === 'categories').map((m) => m.days ?? Infinity),
    );
    const since = Number.isFinite(longest) ? ` AND occurred_at > ${windowStart(longest)}` : '';
    joins.push(`LEFT JOIN (
    SELECT customer_id, ${lineColumns.join(', ')}
    FROM ${t('sale_lines')}
    WHERE category IN {categories:Array(String)} AND customer_id != '' AND ${upTo}${since}
    GROUP BY customer_id
  ) AS l ON l.customer_id = c.customer_id`);
  }
  if (needs('points_balance')) {
    joins.push(`LEFT JOIN (
    SELECT customer_id, sum(points) AS points_balance FROM ${t('ledger')} FINAL
    WHERE ${upTo} GROUP BY customer_id
  ) AS p ON p.customer_id = c.customer_id`);
  }
  if (needs('tier')) {
    joins.push(`LEFT JOIN (
    SELECT customer_id, argMax(to_tier, at) AS tier FROM ${t('tier_changes')}
    WHERE at <= ${AS_OF} GROUP BY customer_id
  ) AS tr ON tr.customer_id = c.customer_id`);
  }
  if (needs('tags')) {
    // Registrations add their tags, a profile change that names tags replaces them: in order.
    joins.push(`LEFT JOIN (
    SELECT customer_id, arraySort(arrayFold(
      (acc, x) -> if(x.1 = 1, arrayDistinct(x.2), arrayDistinct(arrayConcat(acc, x.2))),
      arraySort((x) -> (x.3, x.4), groupArray((replaces, tags, at, event_id))),
      CAST([], 'Array(String)'))) AS tags
    FROM ${t('customer_tags')}
    WHERE at <= ${AS_OF}
    GROUP BY customer_id
  ) AS tg ON tg.customer_id = c.customer_id`);
  }
  if (needs('age')) {
    // The birth year as of the moment: a profile change's, else the registration's.
    joins.push(`LEFT JOIN (
    SELECT customer_id, birth_year FROM (${membersAsOfSql(options.database)})
  ) AS dm ON dm.customer_id = c.customer_id`);
  }

  for (const m of measures) {
    const col = columnOf(m);
    switch (m.measure) {
      case 'visits':
      case 'spend_minor':
      case 'margin_minor':
      case 'recency_days':
        selected.push(`c.${col} AS ${col}`);
        break;
      case 'categories':
        selected.push(
          asked.length > 0
            ? `ifNull(l.${col}, CAST([], 'Array(String)')) AS ${col}`
            : `CAST([], 'Array(String)') AS ${col}`,
        );
        break;
      case 'home_store':
      case 'channel': {
        // Sorted, a value's k-th sale has rank k: the first to reach the highest rank is the
        // most frequent value, a tie going to the first alphabetically.
        const sorted = `arraySort(c.sold_at.${modes.indexOf(m.measure) + 1}) AS ${col}_sorted`;
        const ranks = `arrayEnumerateUniq(${col}_sorted) AS ${col}_ranks`;
        selected.push(
          `nullIf(arrayElement(${sorted}, indexOf(${ranks}, arrayMax(${col}_ranks))), '') AS ${col}`,
        );
        break;
      }
      case 'points_balance':
        selected.push(`ifNull(p.points_balance, 0) AS ${col}`);
        break;
      case 'tier':
        params.baseTier = options.baseTier ?? null;
        selected.push(
          `if(tr.tier = '' OR tr.tier IS NULL, {baseTier:Nullable(String)}, tr.tier) AS ${col}`,
        );
        break;
      case 'tags':
        selected.push(`ifNull(tg.tags, CAST([], 'Array(String)')) AS ${col}`);
        break;
      case 'age':
        selected.push(
          `if(dm.birth_year IS NULL OR dm.birth_year = 0, NULL, toYear(${AS_OF}) - dm.birth_year) AS ${col}`,
        );
        break;
    }
  }

  // Every customer with an event by then and the measures of their sales and returns in one
  // GROUP BY: a separate pass for the customers and one for their measures cost twice as much.
  const sql = `SELECT customer_id FROM (
  SELECT ${selected.join(',\n    ')}
  FROM (
    SELECT customer_id${eventColumns.map((column) => `, ${column}`).join('')}
    FROM ${t('events')}
    WHERE customer_id != '' AND ${upTo}
    GROUP BY customer_id
  ) AS c
  ${joins.join('\n  ')}
)
WHERE ${where}
SETTINGS join_use_nulls = 1`;
  return { sql, params };
}

/** The words a condition asks a set of categories for (`has`). */
function categoryWords(cond: Condition): string[] {
  if ('all' in cond) return cond.all.flatMap(categoryWords);
  if ('any' in cond) return cond.any.flatMap(categoryWords);
  if ('not' in cond) return categoryWords(cond.not);
  return 'has' in cond && cond.of.measure === 'categories' ? [cond.has] : [];
}

/** The condition as a SQL boolean over the measure columns; values bound into `params`. */
function predicate(cond: Condition, params: QueryParams): string {
  if ('all' in cond) return `(${cond.all.map((c) => predicate(c, params)).join(' AND ')})`;
  if ('any' in cond) return `(${cond.any.map((c) => predicate(c, params)).join(' OR ')})`;
  if ('not' in cond) return `(NOT ${predicate(cond.not, params)})`;
  const col = columnOf(cond.of);
  const type = MEASURES[cond.of.measure].type;
  const bind = (value: string | number): string => {
    const name = `v${Object.keys(params).length}`;
    params[name] = value;
    return typeof value === 'number' ? `{${name}:Float64}` : `{${name}:String}`;
  };
  // An unknown value meets nothing (as live): NULL becomes false before any NOT.
  const known = (expr: string) => `ifNull(${expr}, 0)`;
  if ('has' in cond) return type === 'words' ? known(`has(${col}, ${bind(cond.has)})`) : '0';
  if (type === 'words') return '0';
  const matching = (v: string | number) => (type === 'number') === (typeof v === 'number');
  if ('oneOf' in cond) {
    const values = cond.oneOf.filter(matching);
    if (values.length === 0) return '0';
    return known(`(${values.map((v) => `${col} = ${bind(v)}`).join(' OR ')})`);
  }
  if (!matching(cond.value)) return '0';
  return known(`${col} ${cond.compare === '==' ? '=' : cond.compare} ${bind(cond.value)}`);
}
