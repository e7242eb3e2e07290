/**
 * `fraud-flags`: the anti-fraud watch's flags raised over the days up to the as-of moment
 * (`fraud_flags`), newest first, in some stores or all: the console's alerts. A card shows by its
 * last four digits.
 */
import { z } from 'zod';
import { toClickHouseTime } from '../rows.ts';
import { qualified } from '../schema.ts';
import { inList, jsonList, names } from './business/common.ts';
import { type Answer, type AnyQuestion, defineQuestion, integer } from './question.ts';

export const FRAUD_QUESTIONS: readonly AnyQuestion[] = [
  defineQuestion({
    name: 'fraud-flags',
    summary: "The anti-fraud watch's flags over the last days, newest first, in some stores or all",
    params: z.object({
      days: integer('days up to the as-of moment (7)', 7, 1, 3660),
      stores: names('store ids, comma-separated'),
      limit: integer('rows at most (100)', 100, 1, 10_000),
    }),
    async run(store, params, asOf): Promise<Answer> {
      const rows = await store.query<Record<string, string>>(
        `SELECT toString(at) AS at_text, store_id, till_id, rule, action, message, customer_id,
           right(card_number, 4) AS card_last4, count() OVER () AS total
        FROM ${qualified(store.database, 'fraud_flags')} FINAL
        WHERE at > {from:DateTime64(3, 'UTC')} AND at <= {to:DateTime64(3, 'UTC')}
          ${params.stores ? `AND ${inList('store_id', 'stores')}` : ''}
        ORDER BY at DESC, flag_id
        LIMIT {limit:UInt32}`,
        {
          from: toClickHouseTime(asOf.getTime() - params.days * 86_400_000),
          to: toClickHouseTime(asOf.getTime()),
          limit: params.limit,
          ...(params.stores ? { stores: jsonList(params.stores) } : {}),
        },
      );
      return {
        columns: [
          { name: 'at', kind: 'text' },
          { name: 'store', kind: 'text' },
          { name: 'till', kind: 'text' },
          { name: 'rule', kind: 'text' },
          { name: 'action', kind: 'text' },
          { name: 'message', kind: 'text' },
          { name: 'customer', kind: 'text' },
          { name: 'card_last4', kind: 'text' },
        ],
        rows: rows.map((r) => ({
          at: `${String(r.at_text).replace(' ', 'T')}Z`,
          store: r.store_id ?? '',
          till: r.till_id ?? '',
          rule: r.rule ?? '',
          action: r.action ?? '',
          message: r.message ?? '',
          customer: r.customer_id ?? '',
          card_last4: r.card_last4 ?? '',
        })),
        summary: {
          columns: [{ name: 'flags', kind: 'count' }],
          values: { flags: Number(rows[0]?.total ?? 0) },
        },
      };
    },
  }),
];
