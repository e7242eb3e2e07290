/**
 * `audit`: who did what to which customer, from the audit log (engine/domain/staff/audit.ts),
 * newest first: one customer's record (who looked at it?), or one member of staff's actions,
 * over the days up to the as-of moment. For admins only (the console's `staff` permission).
 */
import { z } from 'zod';
import { customerId } from '../../domain/events.ts';
import { staffId } from '../../domain/identity/messages.ts';
import { toClickHouseTime } from '../rows.ts';
import { qualified } from '../schema.ts';
import { type Answer, type AnyQuestion, defineQuestion, integer, param } from './question.ts';

export const AUDIT_QUESTIONS: readonly AnyQuestion[] = [
  defineQuestion({
    name: 'audit',
    summary:
      "Staff actions on customers, newest first: who read or changed a customer's record, or what one member of staff did",
    params: z.object({
      customer: param(customerId.optional(), 'one customer (their customer id)'),
      user: param(staffId.optional(), 'one member of staff (their user id)'),
      days: integer('days up to the as-of moment (90)', 90, 1, 3660),
      limit: integer('rows at most (500)', 500, 1, 100_000),
    }),
    async run(store, params, asOf): Promise<Answer> {
      const rows = await store.query<Record<string, string>>(
        `SELECT toString(at) AS at_text, user_id, role, action, customer_id, detail
        FROM ${qualified(store.database, 'audit_log')} FINAL
        WHERE at > {from:DateTime64(3, 'UTC')} AND at <= {to:DateTime64(3, 'UTC')}
          AND ({customer:String} = '' OR customer_id = {customer:String})
          AND ({user:String} = '' OR user_id = {user:String})
        ORDER BY at DESC, audit_id
        LIMIT {limit:UInt32}`,
        {
          from: toClickHouseTime(asOf.getTime() - params.days * 86_400_000),
          to: toClickHouseTime(asOf.getTime()),
          customer: params.customer ?? '',
          user: params.user ?? '',
          limit: params.limit,
        },
      );
      return {
        columns: [
          { name: 'at', kind: 'text' },
          { name: 'user', kind: 'text' },
          { name: 'role', kind: 'text' },
          { name: 'action', kind: 'text' },
          { name: 'customer', kind: 'text' },
          { name: 'detail', kind: 'text' },
        ],
        rows: rows.map((r) => ({
          at: `${String(r.at_text).replace(' ', 'T')}Z`,
          user: r.user_id ?? '',
          role: r.role ?? '',
          action: r.action ?? '',
          customer: r.customer_id ?? '',
          detail: r.detail ?? '',
        })),
      };
    },
  }),
];
