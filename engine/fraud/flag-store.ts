/**
 * The anti-fraud flags, in the NATS KV bucket `FRAUD`:
 *
 * - `flag.<flagId>` → the flag, with its evidence and, once resolved, who resolved it and why
 * - `card.<cardNumber>`, `customer.<customerId>`, `store.<storeId>` → the ids of the flags on a
 *   card, a customer, a store's tills (a store's latest 500)
 *
 * An identification reads two keys (the customer's, the card's) and nothing more when there is no
 * flag: no key listing on the till's path. A flag is written once (`create`): the watch reading
 * the same activity again, in this process or another, finds it there and does nothing more.
 */
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { ClienteleError } from '../domain/error-codes.ts';
import { type FraudFlag, flagPlace, fraudFlag } from '../domain/fraud/messages.ts';
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
/** Flag ids kept under a store's key; a card's and a customer's are few. */
const POINTERS_KEPT = 500;
const flagIds = z.array(z.string());

export async function openFlagStore(
  nc: NatsConnection,
  options: { replicas?: number } = {},
): Promise<FlagStore> {
  const kv: KV = await new Kvm(nc).create(FRAUD_BUCKET, {
    history: 1,
    replicas: options.replicas ?? 1,
    description: 'Clientele anti-fraud flags: flag.<id>; card/customer/store.<…> → flag ids',
  });

  async function read(flagId: string) {
    const entry = await liveEntry(kv, `flag.${flagId}`);
    return entry && fraudFlag.parse(entry.json());
  }

  async function idsOf(key: string): Promise<{ ids: string[]; revision?: number }> {
    const entry = await liveEntry(kv, key);
    return entry ? { ids: flagIds.parse(entry.json()), revision: entry.revision } : { ids: [] };
  }

  /** Adds `flagId` to the list under `key`, on the revision read (again if another came between). */
  async function point(key: string, flagId: string) {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { ids, revision } = await idsOf(key);
      if (ids.includes(flagId)) return;
      const next = JSON.stringify([...ids, flagId].slice(-POINTERS_KEPT));
      try {
        if (revision === undefined) await kv.create(key, next);
        else await kv.update(key, next, revision);
        return;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
      }
    }
    throw new ClienteleError('busy', [], `${key} changed by too many at once`);
  }

  return {
    async raise(flag) {
      // Pointers first: a crash before the flag itself leaves pointers to nothing, which readers
      // pass over, and the watch writes it all again.
      const keys = [
        flag.cardNumber && `card.${flag.cardNumber}`,
        flag.customerId && `customer.${flag.customerId}`,
        `store.${flagPlace(flag).storeId}`,
      ].filter((k): k is string => typeof k === 'string');
      await Promise.all(keys.map((key) => point(key, flag.flagId)));
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
      const keys = [
        ...(customerId ? [`customer.${customerId}`] : []),
        ...cardNumbers.map((n) => `card.${n}`),
        ...(storeId ? [`store.${storeId}`] : []),
      ];
      const ids = new Set((await Promise.all(keys.map(idsOf))).flatMap((k) => k.ids));
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
