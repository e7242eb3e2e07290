/**
 * The anti-fraud flags, in the NATS KV bucket `FRAUD`:
 *
 * - `flag.<flagId>` → the flag, with its evidence and, once resolved, who resolved it and why
 * - `card.<cardNumber>.<flagId>`, `customer.<customerId>.<flagId>`, `store.<storeId>.<flagId>`
 *   → nothing: which flags are on a card, a customer, a store's tills
 *
 * A flag is written once (`create`): the watch reading the same activity again, in this process
 * or another, finds it there and does nothing more.
 */
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { ClienteleError } from '../domain/error-codes.ts';
import { type FraudFlag, fraudFlag } from '../domain/fraud/messages.ts';
import { isWrongLastSequence, liveEntry } from '../streams/kv.ts';
import { FRAUD_BUCKET } from '../streams/topology.ts';

/** What flags are asked for: those on a customer and their cards, or on a store's tills. */
export type FlagsOf = { customerId?: string; cardNumbers?: readonly string[]; storeId?: string };

export interface FlagStore {
  /** Writes the flag if it is new; false if it was raised before. */
  raise(flag: FraudFlag): Promise<boolean>;
  read(flagId: string): Promise<FraudFlag | undefined>;
  /** The flags on any of the subjects, newest first. */
  of(subjects: FlagsOf): Promise<FraudFlag[]>;
  /** Marks a flag resolved, with who, why and when; `unknown_flag` if there is none. */
  resolve(flagId: string, resolution: NonNullable<FraudFlag['resolution']>): Promise<FraudFlag>;
}

const MAX_ATTEMPTS = 20;

export async function openFlagStore(
  nc: NatsConnection,
  options: { replicas?: number } = {},
): Promise<FlagStore> {
  const kv: KV = await new Kvm(nc).create(FRAUD_BUCKET, {
    history: 1,
    replicas: options.replicas ?? 1,
    description: 'Clientele anti-fraud flags: flag.<id>, and card/customer/store.<…>.<id> pointers',
  });

  async function read(flagId: string) {
    const entry = await liveEntry(kv, `flag.${flagId}`);
    return entry && fraudFlag.parse(entry.json());
  }

  async function idsUnder(prefix: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const key of await kv.keys(`${prefix}.*`)) ids.push(key.slice(prefix.length + 1));
    return ids;
  }

  return {
    async raise(flag) {
      // Pointers first: a crash before the flag itself leaves pointers to nothing, which readers
      // pass over, and the watch writes it all again.
      const pointers = [
        flag.cardNumber && `card.${flag.cardNumber}`,
        flag.customerId && `customer.${flag.customerId}`,
        `store.${flag.till?.storeId ?? flag.evidence[0]?.storeId}`,
      ].filter((p): p is string => typeof p === 'string');
      await Promise.all(pointers.map((p) => kv.put(`${p}.${flag.flagId}`, '')));
      try {
        await kv.create(`flag.${flag.flagId}`, JSON.stringify(fraudFlag.parse(flag)));
        return true;
      } catch (err) {
        if (isWrongLastSequence(err)) return false;
        throw err;
      }
    },
    read,
    async of({ customerId, cardNumbers = [], storeId }) {
      const prefixes = [
        ...(customerId ? [`customer.${customerId}`] : []),
        ...cardNumbers.map((n) => `card.${n}`),
        ...(storeId ? [`store.${storeId}`] : []),
      ];
      const ids = new Set((await Promise.all(prefixes.map(idsUnder))).flat());
      const flags = await Promise.all([...ids].map(read));
      return flags
        .filter((f): f is FraudFlag => f !== undefined)
        .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.flagId < b.flagId ? 1 : -1));
    },
    async resolve(flagId, resolution) {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const entry = await liveEntry(kv, `flag.${flagId}`);
        if (!entry) {
          throw new ClienteleError('unknown_flag', [
            { field: 'flagId', message: 'is no flag raised here' },
          ]);
        }
        const flag = fraudFlag.parse(entry.json());
        if (flag.status === 'resolved') return flag;
        const resolved: FraudFlag = { ...flag, status: 'resolved', resolution };
        try {
          await kv.update(`flag.${flagId}`, JSON.stringify(resolved), entry.revision);
          return resolved;
        } catch (err) {
          if (!isWrongLastSequence(err)) throw err;
        }
      }
      throw new ClienteleError('busy', [], `flag ${flagId} changed by too many at once: ask again`);
    },
  };
}
