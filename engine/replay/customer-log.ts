/**
 * A customer's log, read from the analytics store in the form the rebuild takes it
 * (`domain/customer/rebuild.ts`): the events stored for them, and the requests their ledger says
 * were granted (redemptions and partner spends, cancellations, merges in and out). A merge brings
 * the absorbed customer's own log up to the merge, and the events stored under the absorbed
 * customer's id that the engine received after it (the router sends those to the survivor).
 *
 * Household pooling is on the ledger too (`pool-in`, `pool-out`) but not rebuilt: the lots a
 * member receives come from the giver's state. `pooled` counts such lines, so the caller can say
 * the rebuild leaves them out.
 */

import { fromClickHouseTime, toClickHouseTime } from '../analytics/rows.ts';
import { qualified } from '../analytics/schema.ts';
import type { AnalyticsStore } from '../analytics/store.ts';
import { type CustomerLog, grantedRequest, type LoggedInput } from '../domain/customer/rebuild.ts';
import type { CustomerEvent } from '../domain/events.ts';

/** Customers merged into one merged into another…: followed this deep at most. */
const MERGE_DEPTH = 5;

/** The ledger kinds that record a granted request (the rest are what events and the clock did). */
const REQUEST_KINDS = ['redeem', 'partner-burn', 'redeem-cancel', 'merge-in', 'merge-out'];
const POOL_KINDS = ['pool-in', 'pool-out'];

interface EventRow {
  payload: string;
  received: string;
}

interface LineRow {
  kind: string;
  transaction_id: string;
  points: string;
  store_id: string;
  partner_id: string;
  at: string;
  program_version: string;
  /** The other side of a merge: the customer with the matching line. */
  other: string;
}

export interface ReadLog {
  log: CustomerLog;
  /** Events and granted requests in the log (the absorbed customers' included). */
  events: number;
  requests: number;
  /** Household transfers on the ledger, which the rebuild leaves out. */
  pooled: number;
}

const mergeIdOf = (transactionId: string) => transactionId.replace(/^merge:/, '');

/**
 * The customer's log. `receivedBefore` bounds the events by when the engine received them: an
 * absorbed customer's events before the merge are its own, after it the survivor's. `forMerge`
 * reads an absorbed customer up to that merge (without its own line of it).
 */
export async function readCustomerLog(
  store: AnalyticsStore,
  customerId: string,
  bounds: { receivedBefore?: string; depth?: number; forMerge?: string } = {},
): Promise<ReadLog> {
  const t = (table: string) => qualified(store.database, table);
  const depth = bounds.depth ?? 0;
  const lines = await store.query<Omit<LineRow, 'other'>>(
    `SELECT kind, transaction_id, toString(points) AS points, store_id, partner_id,
            toString(occurred_at) AS at, program_version
     FROM ${t('ledger')} FINAL
     WHERE customer_id = {customerId:String} AND kind IN {kinds:Array(String)}
     ORDER BY occurred_at, entry_id`,
    { customerId, kinds: [...REQUEST_KINDS, ...POOL_KINDS] },
  );
  // The other side of each merge: the customer whose line has the same merge.
  const merges = lines.filter((l) => l.kind === 'merge-in' || l.kind === 'merge-out');
  const others = new Map<string, string>();
  if (merges.length > 0) {
    const rows = await store.query<{ transaction_id: string; customer_id: string }>(
      `SELECT DISTINCT transaction_id, customer_id FROM ${t('ledger')}
       WHERE transaction_id IN {txs:Array(String)} AND kind IN ('merge-in', 'merge-out')
         AND customer_id != {customerId:String}`,
      { customerId, txs: merges.map((l) => l.transaction_id) },
    );
    for (const row of rows) others.set(row.transaction_id, row.customer_id);
  }
  const mergedOut = lines.find((line) => line.kind === 'merge-out');
  const until = bounds.receivedBefore ?? (mergedOut ? fromClickHouseTime(mergedOut.at) : undefined);
  const events = await readEvents(store, customerId, { receivedBefore: until });

  const read: ReadLog = {
    log: { customerId, inputs: events.map((e) => ({ kind: 'event', ...e })) },
    events: events.length,
    requests: 0,
    pooled: 0,
  };
  for (const row of lines) {
    const line: LineRow = { ...row, other: others.get(row.transaction_id) ?? '' };
    const at = fromClickHouseTime(line.at);
    const granted = { at, version: line.program_version };
    let input: LoggedInput | undefined;
    switch (line.kind) {
      case 'redeem':
      case 'partner-burn':
      case 'redeem-cancel':
        input = grantedRequest({
          kind: line.kind,
          transactionId: line.transaction_id,
          points: Number(line.points),
          storeId: line.store_id,
          partnerId: line.partner_id,
          at,
          version: line.program_version,
        });
        break;
      case 'merge-out':
        // (a merge whose other side is not stored yet is not in the log yet; read for the
        // merge itself, the absorbed customer's log ends before it)
        if (line.other !== '' && mergeIdOf(line.transaction_id) !== bounds.forMerge) {
          input = {
            kind: 'merge-out',
            ...granted,
            mergeId: mergeIdOf(line.transaction_id),
            storeId: line.store_id,
            survivorId: line.other,
          };
        }
        break;
      case 'merge-in': {
        if (line.other === '' || depth >= MERGE_DEPTH) break;
        const absorbed = await readCustomerLog(store, line.other, {
          receivedBefore: at,
          depth: depth + 1,
          forMerge: mergeIdOf(line.transaction_id),
        });
        input = {
          kind: 'merge-in',
          ...granted,
          mergeId: mergeIdOf(line.transaction_id),
          storeId: line.store_id,
          absorbed: absorbed.log,
        };
        read.events += absorbed.events;
        read.requests += absorbed.requests;
        read.pooled += absorbed.pooled;
        // What reached the absorbed customer's id after the merge went to this one.
        const later = await readEvents(store, line.other, { receivedFrom: at });
        for (const e of later) read.log.inputs.push({ kind: 'event', ...e });
        read.events += later.length;
        break;
      }
      default:
        read.pooled += 1;
    }
    if (input) {
      read.log.inputs.push(input);
      read.requests += 1;
    }
  }
  return read;
}

async function readEvents(
  store: AnalyticsStore,
  customerId: string,
  received: { receivedBefore?: string; receivedFrom?: string },
): Promise<{ event: CustomerEvent; receivedAt: string }[]> {
  const conditions = ['customer_id = {customerId:String}'];
  if (received.receivedBefore !== undefined) {
    conditions.push('received_at < {before:DateTime64(3)}');
  }
  if (received.receivedFrom !== undefined) conditions.push('received_at >= {from:DateTime64(3)}');
  const rows = await store.query<EventRow>(
    `SELECT payload, toString(received_at) AS received
     FROM ${qualified(store.database, 'events')} FINAL
     WHERE ${conditions.join(' AND ')}
     ORDER BY occurred_at, stream_seq`,
    {
      customerId,
      ...(received.receivedBefore !== undefined
        ? { before: toClickHouseTime(received.receivedBefore) }
        : {}),
      ...(received.receivedFrom !== undefined
        ? { from: toClickHouseTime(received.receivedFrom) }
        : {}),
    },
  );
  return rows.map((row) => ({
    // The payload is the validated event without personal data: what the workflow was given.
    event: JSON.parse(row.payload) as CustomerEvent,
    receivedAt: fromClickHouseTime(row.received),
  }));
}
