/**
 * `sales`: receipts and lines under any mix of filters, grouped by a dimension.
 *
 * What counts: sale receipts (returns are their own facts, not subtracted here) in the days
 * `from`–`to` (default the 30 days to the as-of day). Receipt filters: the receipt's total,
 * hours of the day and weekdays (UTC, as stored), stores, channels, associates, members or
 * anonymous, a customer, and the points earned on it (its `earn` ledger line) and spent on it
 * (the ledger's redeem lines of the redemptions its points tenders name). Line filters:
 * category, brand, SKU, unit price. With a line filter, a receipt counts if one of its lines
 * matches, and lines, net and margin are those of the matching lines only.
 *
 * Figures per group: receipts, lines, net (Σ quantity × unit price − line discount),
 * margin (net − Σ quantity × unit cost), average receipt (net / receipts, to the minor unit).
 *
 * SQL: `events` alone when no line filter or line grouping is asked (a receipt's total, cost and
 * line count are on it); the daily figures by value (`line_days`) when grouping by category,
 * brand or SKU with no filter but the days and that dimension's own list; else `sale_lines`,
 * joined to the receipts (`events`) only when a receipt filter or grouping needs a column the
 * lines lack (channel, associate, total, points).
 * The points filters read the ledger lines of the receipts in the window.
 */
import { z } from 'zod';
import { qualified } from '../../schema.ts';
import type { QueryParams } from '../../store.ts';
import { type Answer, type ColumnKind, defineQuestion, param } from '../question.ts';
import { addDays, dayOf, onDays, windowParams } from '../window.ts';
import { average, bound, day, inList, invalid, jsonList, names, num } from './common.ts';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export const SALES_GROUPINGS = [
  'all',
  'day',
  'week',
  'month',
  'store',
  'channel',
  'associate',
  'hour',
  'weekday',
  'category',
  'brand',
  'sku',
] as const;
type Grouping = (typeof SALES_GROUPINGS)[number];

const hour = (description: string) =>
  param(z.coerce.number().int().min(0).max(23).optional(), description);

const salesParams = z
  .object({
    from: day('first day (default: 29 days before `to`)'),
    to: day('last day, included (default: the as-of day)'),
    by: param(z.enum(SALES_GROUPINGS).default('day'), 'what the rows are'),
    minTotal: bound('receipts totalling at least this (minor units)'),
    maxTotal: bound('receipts totalling at most this (minor units)'),
    minPrice: bound('lines with a unit price of at least this (minor units)', 0),
    maxPrice: bound('lines with a unit price of at most this (minor units)', 0),
    hourFrom: hour('receipts from this hour of the day (0–23, UTC)'),
    hourTo: hour('receipts up to this hour, included (0–23, UTC; before hourFrom: past midnight)'),
    weekdays: param(
      z
        .string()
        .transform((text, ctx) =>
          text.split(',').map((part) => {
            const d = part.trim().toLowerCase();
            const byName = WEEKDAYS.indexOf(d.slice(0, 3) as (typeof WEEKDAYS)[number]) + 1;
            const n = byName > 0 && d.length >= 3 ? byName : /^[1-7]$/.test(d) ? Number(d) : 0;
            if (n === 0) ctx.addIssue({ code: 'custom', message: `"${part}" is not a weekday` });
            return n;
          }),
        )
        .optional(),
      'weekdays, comma-separated: mon … sun or 1 … 7 (Monday 1)',
    ),
    stores: names('store ids, comma-separated'),
    channels: names('channels, comma-separated (till, web, back-office)'),
    associates: names('sales associates (staff ids), comma-separated'),
    categories: names('categories, comma-separated'),
    brands: names('brands, comma-separated'),
    skus: names('SKUs, comma-separated'),
    customers: param(
      z.enum(['all', 'members', 'anonymous']).default('all'),
      'members (a customer on the receipt), anonymous, or all',
    ),
    customer: param(z.string().min(1).optional(), 'one customer (their customer id)'),
    minEarned: bound('receipts earning at least this many points', 0),
    maxEarned: bound('receipts earning at most this many points', 0),
    minSpent: bound('receipts paid with at least this many points', 0),
    maxSpent: bound('receipts paid with at most this many points', 0),
  })
  .superRefine((p, ctx) => {
    const pairs = [
      ['from', 'to'],
      ['minTotal', 'maxTotal'],
      ['minPrice', 'maxPrice'],
      ['minEarned', 'maxEarned'],
      ['minSpent', 'maxSpent'],
    ] as const;
    for (const [low, high] of pairs) {
      const a = p[low];
      const b = p[high];
      if (a !== undefined && b !== undefined && a > b) {
        ctx.addIssue({ code: 'custom', path: [low], message: `is after ${high} (${a} > ${b})` });
      }
    }
    if ((p.hourFrom === undefined) !== (p.hourTo === undefined)) {
      const missing = p.hourFrom === undefined ? 'hourFrom' : 'hourTo';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'is needed with the other hour' });
    }
  });

type SalesParams = z.output<typeof salesParams>;

/** The receipt-level grouping expressions (on events or sale lines, which share these columns). */
const RECEIPT_GROUPS: Partial<Record<Grouping, string>> = {
  all: "'all'",
  day: 'toDate(occurred_at)',
  week: 'toMonday(occurred_at)',
  month: 'toStartOfMonth(occurred_at)',
  store: 'store_id',
  hour: 'toHour(occurred_at)',
  weekday: 'toDayOfWeek(occurred_at)',
};
const EVENT_GROUPS: Partial<Record<Grouping, string>> = {
  channel: 'channel',
  associate: 'associate_id',
};
const LINE_GROUPS: Partial<Record<Grouping, string>> = {
  category: 'category',
  brand: 'brand',
  sku: 'sku',
};

/** The list filter on each line grouping's own dimension, which `line_days` can apply. */
const OWN_LIST = { category: 'categories', brand: 'brands', sku: 'skus' } as const;
/** Filters other than the days: with none but the grouping's own list, `line_days` answers. */
const FILTERS = [
  'minTotal',
  'maxTotal',
  'minPrice',
  'maxPrice',
  'hourFrom',
  'hourTo',
  'weekdays',
  'stores',
  'channels',
  'associates',
  'categories',
  'brands',
  'skus',
  'customer',
  'minEarned',
  'maxEarned',
  'minSpent',
  'maxSpent',
] as const satisfies readonly (keyof SalesParams)[];

const GROUP_KIND: Record<Grouping, ColumnKind> = {
  all: 'text',
  day: 'date',
  week: 'date',
  month: 'date',
  store: 'text',
  channel: 'text',
  associate: 'text',
  hour: 'count',
  weekday: 'count',
  category: 'text',
  brand: 'text',
  sku: 'text',
};

export const sales = defineQuestion({
  name: 'sales',
  summary:
    'Sales by day, week, month, store, channel, associate, hour, weekday, category, brand or SKU, under filters on any receipt or line figure',
  params: salesParams,
  async run(store, params, asOf): Promise<Answer> {
    const to = params.to ?? dayOf(asOf);
    const from = params.from ?? addDays(to, -29);
    if (from > to) throw invalid('from', `is after to (${from} > ${to})`);
    const query = salesQuery(store.database, params, { from, to });
    const rows = await store.query<Record<string, string>>(query.sql, query.params);
    return {
      columns: [
        { name: params.by, kind: GROUP_KIND[params.by] },
        { name: 'receipts', kind: 'count' },
        { name: 'lines', kind: 'count' },
        { name: 'net', kind: 'money' },
        { name: 'margin', kind: 'money' },
        { name: 'average_receipt', kind: 'money' },
      ],
      rows: rows.map((row) => {
        const receipts = num(row.receipts);
        const net = num(row.net);
        const group = GROUP_KIND[params.by] === 'count' ? num(row.grp) : String(row.grp);
        return {
          [params.by]: group,
          receipts,
          lines: num(row.lines),
          net,
          margin: num(row.margin),
          average_receipt: average(net, receipts),
        };
      }),
    };
  },
});

/** The SQL and its parameters (exported for the benchmark and tests of the plan chosen). */
export function salesQuery(
  db: string,
  p: SalesParams,
  window: { from: string; to: string },
): {
  sql: string;
  params: QueryParams;
  reads: 'events' | 'lines' | 'lines+events' | 'line_days';
} {
  const bound: QueryParams = { ...windowParams(window) };
  const byValue = lineDaysQuery(db, p, bound);
  if (byValue) return byValue;
  // Conditions both events and sale lines can answer (they share these columns).
  const common = [
    "occurred_at >= {start:DateTime64(3, 'UTC')}",
    "occurred_at < {end:DateTime64(3, 'UTC')}",
  ];
  if (p.hourFrom !== undefined && p.hourTo !== undefined) {
    Object.assign(bound, { hourFrom: p.hourFrom, hourTo: p.hourTo });
    common.push(
      p.hourFrom <= p.hourTo
        ? 'toHour(occurred_at) BETWEEN {hourFrom:UInt8} AND {hourTo:UInt8}'
        : '(toHour(occurred_at) >= {hourFrom:UInt8} OR toHour(occurred_at) <= {hourTo:UInt8})',
    );
  }
  if (p.weekdays) {
    bound.weekdays = JSON.stringify(p.weekdays);
    common.push("has(JSONExtract({weekdays:String}, 'Array(UInt8)'), toDayOfWeek(occurred_at))");
  }
  const list = (name: string, values: string[] | undefined, column: string, into: string[]) => {
    if (!values) return;
    bound[name] = jsonList(values);
    into.push(inList(column, name));
  };
  list('stores', p.stores, 'store_id', common);
  if (p.customers === 'members') common.push("customer_id != ''");
  if (p.customers === 'anonymous') common.push("customer_id = ''");
  if (p.customer !== undefined) {
    bound.customer = p.customer;
    common.push('customer_id = {customer:String}');
  }

  // Conditions only the receipt (events) knows.
  const receipt: string[] = [];
  list('channels', p.channels, 'channel', receipt);
  list('associates', p.associates, 'associate_id', receipt);
  const range = (column: string, type: string, low: string, high: string, into: string[]) => {
    const a = p[low as keyof SalesParams];
    const b = p[high as keyof SalesParams];
    if (a !== undefined) {
      bound[low] = a as number;
      into.push(`${column} >= {${low}:${type}}`);
    }
    if (b !== undefined) {
      bound[high] = b as number;
      into.push(`${column} <= {${high}:${type}}`);
    }
  };
  range('total_minor', 'Int64', 'minTotal', 'maxTotal', receipt);

  const line: string[] = [];
  list('categories', p.categories, 'category', line);
  list('brands', p.brands, 'brand', line);
  list('skus', p.skus, 'sku', line);
  range('unit_price', 'Int64', 'minPrice', 'maxPrice', line);

  const events = qualified(db, 'events');
  const pointsFilter = [p.minEarned, p.maxEarned, p.minSpent, p.maxSpent].some(
    (v) => v !== undefined,
  );
  if (pointsFilter) {
    const wanted: string[] = [];
    range('earned', 'Int64', 'minEarned', 'maxEarned', wanted);
    range('spent', 'Int64', 'minSpent', 'maxSpent', wanted);
    const which = {
      earned: p.minEarned !== undefined || p.maxEarned !== undefined,
      spent: p.minSpent !== undefined || p.maxSpent !== undefined,
    };
    receipt.push(
      `(store_id, transaction_id) IN (
        SELECT store_id, transaction_id FROM (${receiptPointsSql(db, [...common, ...receipt], which)})
        WHERE ${wanted.join(' AND ')})`,
    );
  }

  const lineGroup = LINE_GROUPS[p.by];
  const eventGroup = EVENT_GROUPS[p.by];
  const receiptGroup = RECEIPT_GROUPS[p.by];
  if (line.length === 0 && lineGroup === undefined) {
    const where = ["type = 'sale'", ...common, ...receipt].join(' AND ');
    return {
      reads: 'events',
      params: bound,
      sql: `SELECT ${receiptGroup ?? eventGroup} AS grp, count() AS receipts,
          sum(line_count) AS lines, sum(total_minor) AS net, sum(total_minor - cost_minor) AS margin
        FROM ${events} WHERE ${where}
        GROUP BY grp ORDER BY grp`,
    };
  }
  const needsReceipt = receipt.length > 0 || eventGroup !== undefined;
  const lines = qualified(db, 'sale_lines');
  const where = [...common, ...line].join(' AND ');
  const group = lineGroup ?? receiptGroup ?? `r.${eventGroup}`;
  const join = needsReceipt
    ? `INNER JOIN (
        SELECT store_id, transaction_id, channel, associate_id FROM ${events}
        WHERE ${["type = 'sale'", ...common, ...receipt].join(' AND ')}
      ) AS r ON r.store_id = l.store_id AND r.transaction_id = l.transaction_id`
    : '';
  return {
    reads: needsReceipt ? 'lines+events' : 'lines',
    params: bound,
    // Receipts counted by a 64-bit hash of (store, transaction): exact but for a collision
    // (about 1 in 10^6 at 5 million receipts), and several times cheaper than the two strings.
    sql: `SELECT ${group} AS grp, uniqExact(cityHash64(l.store_id, l.transaction_id)) AS receipts,
        count() AS lines, sum(quantity * unit_price - discount) AS net,
        sum(quantity * (unit_price - unit_cost) - discount) AS margin
      FROM (SELECT * FROM ${lines} WHERE ${where}) AS l ${join}
      GROUP BY grp ORDER BY grp`,
  };
}

/**
 * `sales` by category, brand or SKU from the daily figures by value, when nothing but the days
 * and the grouping's own list filters: the same figures as the lines (a receipt counts once per
 * value it holds, and lies in one day), read from one row per day and value.
 */
function lineDaysQuery(
  db: string,
  p: SalesParams,
  bound: QueryParams,
): { sql: string; params: QueryParams; reads: 'line_days' } | undefined {
  if (p.by !== 'category' && p.by !== 'brand' && p.by !== 'sku') return undefined;
  const own = OWN_LIST[p.by];
  if (p.customers !== 'all' || FILTERS.some((f) => f !== own && p[f] !== undefined)) {
    return undefined;
  }
  const where = ['dimension = {dimension:String}', onDays()];
  const params: QueryParams = { ...bound, dimension: p.by };
  const values = p[own];
  if (values) {
    params[own] = jsonList(values);
    where.push(inList('value', own));
  }
  return {
    reads: 'line_days',
    params,
    sql: `SELECT value AS grp, sum(receipts) AS receipts, sum(lines) AS lines,
        sum(net_minor) AS net, sum(net_minor - cost_minor) AS margin
      FROM ${qualified(db, 'line_days')} WHERE ${where.join(' AND ')}
      GROUP BY grp ORDER BY grp`,
  };
}

/**
 * The points of each receipt matching `where` (conditions on `events`): `earned` (its `earn`
 * ledger line) and `spent` (the redeem lines of the redemptions its points tenders name), 0 when
 * there are none (an anonymous receipt). A ledger line's value is its highest revision; every
 * revision of a line has its kind and transaction, so filtering on them first keeps them all.
 * The kind is a PREWHERE: left to the engine, the transaction lookup ran first, on every line.
 * Only the figures asked for are looked up: `spent` reads the receipts' payloads.
 */
function receiptPointsSql(
  db: string,
  where: string[],
  which: { earned: boolean; spent: boolean },
): string {
  const ledger = qualified(db, 'ledger');
  const receipts = `SELECT store_id, transaction_id, customer_id, payload
    FROM ${qualified(db, 'events')} WHERE ${["type = 'sale'", ...where].join(' AND ')}`;
  const earned = `SELECT customer_id, transaction_id, sum(points) AS points FROM (
      SELECT customer_id, transaction_id, argMax(points, revision) AS points
      FROM ${ledger}
      PREWHERE kind = 'earn'
      WHERE transaction_id IN (SELECT transaction_id FROM (${receipts}) WHERE customer_id != '')
      GROUP BY customer_id, entry_id, transaction_id
    ) GROUP BY customer_id, transaction_id`;
  const spent = `SELECT t.store_id AS store_id, t.transaction_id AS transaction_id,
      -sum(l.points) AS points
    FROM (
      SELECT store_id, transaction_id, customer_id, arrayJoin(arrayFilter(id -> id != '',
        JSONExtract(payload, 'tenders', 'Array(Tuple(redemptionId String))').redemptionId)) AS redemption_id
      FROM (${receipts}) WHERE customer_id != ''
    ) AS t
    INNER JOIN (
      SELECT customer_id, transaction_id, argMax(points, revision) AS points
      FROM ${ledger}
      PREWHERE kind IN ('redeem', 'partner-burn')
      WHERE transaction_id IN (
        SELECT arrayJoin(JSONExtract(payload, 'tenders', 'Array(Tuple(redemptionId String))').redemptionId)
        FROM (${receipts}) WHERE customer_id != '')
      GROUP BY customer_id, entry_id, transaction_id
    ) AS l ON l.customer_id = t.customer_id AND l.transaction_id = t.redemption_id
    GROUP BY store_id, transaction_id`;
  return `SELECT r.store_id AS store_id, r.transaction_id AS transaction_id,
      ${which.earned ? 'e.points' : '0'} AS earned, ${which.spent ? 's.points' : '0'} AS spent
    FROM (SELECT store_id, transaction_id, customer_id FROM (${receipts})) AS r
    ${which.earned ? `LEFT JOIN (${earned}) AS e ON e.customer_id = r.customer_id AND e.transaction_id = r.transaction_id` : ''}
    ${which.spent ? `LEFT JOIN (${spent}) AS s ON s.store_id = r.store_id AND s.transaction_id = r.transaction_id` : ''}`;
}
