/**
 * The summary store, in the NATS KV bucket `SUMMARIES`: each customer's latest summary
 * (`engine/domain/customer/summary.ts`), written with the effects of whatever changed it: the
 * router's deliveries, redemptions and their cancellations, merges and household transfers. A
 * till's identification reads it here, without a round trip to the customer's workflow.
 *
 * Writes for one customer come one at a time nearly always (one router delivers a customer's
 * events one batch at a time; a redemption is answered before the sale it pays for is rung up),
 * so the latest write is the latest summary. Points the clock expires show once something else
 * changes the customer (`asOf` says when the summary was made).
 */
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { type CustomerSummary, customerSummary } from '../domain/customer/summary.ts';
import { liveEntry } from '../streams/kv.ts';
import { SUMMARIES_BUCKET } from '../streams/topology.ts';

export interface SummaryStore {
  write(summary: CustomerSummary): Promise<void>;
  read(customerId: string): Promise<CustomerSummary | undefined>;
}

export async function openSummaryStore(
  nc: NatsConnection,
  options: { replicas?: number } = {},
): Promise<SummaryStore> {
  const kv: KV = await new Kvm(nc).create(SUMMARIES_BUCKET, {
    history: 1,
    replicas: options.replicas ?? 1,
    description: 'Clientele customer summaries: <customerId> → the live part of the 360 view',
  });
  return {
    async write(summary) {
      await kv.put(summary.customerId, JSON.stringify(summary));
    },
    async read(id) {
      const entry = await liveEntry(kv, id);
      return entry && customerSummary.parse(entry.json());
    },
  };
}
