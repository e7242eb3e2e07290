/**
 * `store-performance` and `associate-performance`: stores (or sales associates) ranked by net
 * sales over the week, month or year to the as-of day, against the period before (periods.ts:
 * the same stretch of it, or all of it once the current period is complete).
 *
 * Figures: net sales (sales less refunds), margin (net sales less cost of goods sold, plus the
 * cost of goods returned: a returned line costs its sale line's unit cost × quantity), receipts
 * (sales), average receipt (sales before refunds / receipts), members' share (receipts with a
 * customer / receipts), growth (net sales against the previous period's; empty when that was
 * not positive), rank (by net sales, ties by id). A return counts where and when it was taken,
 * for the associate who took it.
 *
 * SQL: the daily aggregate `store_days` (day × store × associate × channel) for everything but
 * returns; the returns of the two periods (facts) for refunds and the cost of returned goods.
 */
import { z } from 'zod';
import { qualified } from '../../schema.ts';
import type { AnalyticsStore } from '../../store.ts';
import { type Answer, type Column, defineQuestion, param } from '../question.ts';
import { dayOf } from '../window.ts';
import { average, inList, jsonList, names, num, ratio, returnedLinesSql } from './common.ts';
import { comparedPeriods, PERIODS, type Period } from './periods.ts';

const periodParam = param(
  z.enum(PERIODS).default('month'),
  'the week (Monday first), month or year to the as-of day',
);

interface Figures {
  id: string;
  name: string;
  net: number;
  cost: number;
  receipts: number;
  memberReceipts: number;
  refunds: number;
  returnedCost: number;
  previousNet: number;
}

type Level = 'store' | 'associate';

async function performance(
  store: AnalyticsStore,
  level: Level,
  period: Period,
  stores: string[] | undefined,
  asOf: Date,
): Promise<Answer> {
  const db = store.database;
  const { current, previous } = comparedPeriods(period, dayOf(asOf));
  const key = level === 'store' ? 'store_id' : 'associate_id';
  const storeFilter = stores ? `AND ${inList('store_id', 'stores')}` : '';
  const params = {
    curFrom: current.from,
    curTo: current.to,
    prevFrom: previous.from,
    prevTo: previous.to,
    ...(stores ? { stores: jsonList(stores) } : {}),
  };
  const returned = returnedLinesSql(
    db,
    `toDate(occurred_at) BETWEEN {curFrom:Date} AND {curTo:Date} ${storeFilter}`,
  );
  // Returns by who took them: the return event's associate.
  const returnedBy =
    level === 'store'
      ? `SELECT store_id AS id, sum(refund_minor) AS refunds, sum(cost_minor) AS returned_cost
        FROM (${returned}) GROUP BY id`
      : `SELECT e.associate_id AS id, sum(x.refund_minor) AS refunds,
          sum(x.cost_minor) AS returned_cost
        FROM (${returned}) AS x
        INNER JOIN (
          SELECT store_id, transaction_id, any(associate_id) AS associate_id
          FROM ${qualified(db, 'events')}
          WHERE type = 'return' AND toDate(occurred_at) BETWEEN {curFrom:Date} AND {curTo:Date} ${storeFilter}
          GROUP BY store_id, transaction_id
        ) AS e ON e.store_id = x.store_id AND e.transaction_id = x.transaction_id
        GROUP BY id`;
  const labels =
    level === 'store'
      ? `SELECT store_id AS id, argMax(name, updated_at) AS name FROM ${qualified(db, 'stores')} GROUP BY id`
      : `SELECT staff_id AS id, argMax(store_id, updated_at) AS name FROM ${qualified(db, 'staff')} GROUP BY id`;
  const rows = await store.query<Record<string, string>>(
    `SELECT d.id AS id, n.name AS name, d.net AS net, d.cost AS cost, d.receipts AS receipts,
      d.member_receipts AS member_receipts, d.previous_net AS previous_net,
      r.refunds AS refunds, r.returned_cost AS returned_cost
    FROM (
      SELECT ${key} AS id,
        sumIf(net_minor, cur) AS net, sumIf(cost_minor, cur) AS cost,
        sumIf(sales, cur) AS receipts, sumIf(member_sales, cur) AS member_receipts,
        sumIf(net_minor, NOT cur) AS previous_net
      FROM (
        SELECT *, day >= {curFrom:Date} AS cur FROM ${qualified(db, 'store_days')}
        WHERE (day BETWEEN {curFrom:Date} AND {curTo:Date} OR day BETWEEN {prevFrom:Date} AND {prevTo:Date})
          ${storeFilter}
      )
      GROUP BY id
    ) AS d
    LEFT JOIN (${returnedBy}) AS r ON r.id = d.id
    LEFT JOIN (${labels}) AS n ON n.id = d.id`,
    params,
  );
  const figures: Figures[] = rows.map((row) => ({
    id: String(row.id),
    name: String(row.name ?? ''),
    net: num(row.net),
    cost: num(row.cost),
    receipts: num(row.receipts),
    memberReceipts: num(row.member_receipts),
    refunds: num(row.refunds),
    returnedCost: num(row.returned_cost),
    previousNet: num(row.previous_net),
  }));
  figures.sort((a, b) => b.net - a.net || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const idColumns: Column[] =
    level === 'store'
      ? [
          { name: 'store', kind: 'text' },
          { name: 'name', kind: 'text' },
        ]
      : [
          { name: 'associate', kind: 'text' },
          { name: 'home_store', kind: 'text' },
        ];
  return {
    columns: [
      { name: 'rank', kind: 'count' },
      ...idColumns,
      { name: 'from', kind: 'date' },
      { name: 'to', kind: 'date' },
      { name: 'net', kind: 'money' },
      { name: 'margin', kind: 'money' },
      { name: 'receipts', kind: 'count' },
      { name: 'average_receipt', kind: 'money' },
      { name: 'members_share', kind: 'ratio' },
      { name: 'previous_net', kind: 'money' },
      { name: 'growth', kind: 'ratio' },
    ],
    rows: figures.map((f, i) => ({
      rank: i + 1,
      [idColumns[0]?.name as string]: level === 'associate' && f.id === '' ? '(none)' : f.id,
      [idColumns[1]?.name as string]: f.name,
      from: current.from,
      to: current.to,
      net: f.net,
      margin: f.net - f.cost + f.returnedCost,
      receipts: f.receipts,
      average_receipt: average(f.net + f.refunds, f.receipts),
      members_share: ratio(f.memberReceipts, f.receipts),
      previous_net: f.previousNet,
      growth: f.previousNet > 0 ? (f.net - f.previousNet) / f.previousNet : null,
    })),
  };
}

export const storePerformance = defineQuestion({
  name: 'store-performance',
  summary:
    'Stores ranked by net sales over the week, month or year to date, in some stores or all: margin, receipts, average receipt, members’ share, growth on the period before',
  params: z.object({
    period: periodParam,
    stores: names('only these stores (store ids, comma-separated); default all'),
  }),
  run: (store, params, asOf) => performance(store, 'store', params.period, params.stores, asOf),
});

export const associatePerformance = defineQuestion({
  name: 'associate-performance',
  summary:
    'Sales associates ranked by net sales over the week, month or year to date, in some stores or all: margin, receipts, average receipt, members’ share, growth',
  params: z.object({
    period: periodParam,
    stores: names('only these stores (store ids, comma-separated); default all'),
  }),
  run: (store, params, asOf) => performance(store, 'associate', params.period, params.stores, asOf),
});
