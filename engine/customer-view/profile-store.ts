/**
 * The profile store, in the NATS KV bucket `PROFILES`: each customer's profile (names, contact
 * details, addresses, family, notes, classification) as the registration and the profile changes
 * since made it, with the history of which fields changed when, through which channel, by whom.
 * One key per customer (`<customerId>`), so erasing a customer's profile is one purge.
 *
 * Names are found through keys `name.<hash>.<customerId>`, one per form of the name
 * (name-search.ts), the hash keyed with the deployment's contact key like phones and e-mails:
 * the bucket holds no name in a key, and a search lists one hash's keys. A key is written before
 * the profile that needs it and removed after the profile that no longer does, and a search reads
 * each profile found, so a key left by a crash in between never finds the wrong customer.
 *
 * Personal data lives here and in the event stream only: the router writes each change here, in
 * stream order, before it hands the customer's workflow the event without its personal fields.
 */
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { nameForms, normalName, SHORTEST_NAME } from '../domain/customer/name-search.ts';
import { profileChangeRecord } from '../domain/customer/view.ts';
import { ClienteleError } from '../domain/error-codes.ts';
import {
  type CustomerRegisteredEvent,
  customerId,
  type ProfileChangedEvent,
  profile,
} from '../domain/events.ts';
import type { KeyedHash } from '../domain/identity/identifiers.ts';
import { isWrongLastSequence, liveEntry } from '../streams/kv.ts';
import { PROFILES_BUCKET } from '../streams/topology.ts';

/** How many changes a profile's history keeps (the event stream keeps every one). */
export const PROFILE_HISTORY_KEPT = 50;

export const storedProfile = z.strictObject({
  customerId,
  profile,
  /** Changes, oldest first: which fields, not their values. */
  history: z.array(profileChangeRecord),
  /** The event stream's sequence of the last change applied: a redelivered one is skipped. */
  appliedSeq: z.number().int().min(0),
});
export type StoredProfile = z.infer<typeof storedProfile>;
export type Profile = StoredProfile['profile'];

export interface ProfileStore {
  /**
   * Applies a registration's profile or a profile change, the event stream's message `streamSeq`
   * (a message applied before is skipped, so redelivery changes nothing).
   */
  apply(event: CustomerRegisteredEvent | ProfileChangedEvent, streamSeq: number): Promise<void>;
  read(customerId: string): Promise<StoredProfile | undefined>;
  /**
   * The customers whose family name, or given and family names, are `name` (name-search.ts), at
   * most `limit` of them, with `more` when others are left out.
   */
  findByName(name: string, limit: number): Promise<{ found: NameMatch[]; more: boolean }>;
  /**
   * Indexes the names of profiles stored before names were indexed, once per bucket (again, it
   * does nothing), reporting progress every `every` profiles; stopped by `signal`, the next run
   * starts over. Resolves with how many profiles it read.
   */
  indexNames(options?: {
    progress?: (done: number) => void;
    every?: number;
    signal?: AbortSignal;
  }): Promise<number>;
  /** Removes the customer's profile, every earlier revision of it, and its name keys. */
  erase(customerId: string): Promise<void>;
}

export interface NameMatch {
  customerId: string;
  givenName?: string;
  familyName?: string;
}

/** Set once every stored profile's names are indexed (two words: no customer id has a dot). */
const NAMES_INDEXED_KEY = 'index.names';

/** The event's changes as set (a value) or cleared (`null`). */
function changesOf(event: CustomerRegisteredEvent | ProfileChangedEvent): Record<string, unknown> {
  if (event.type === 'profile.changed') return event.changes;
  return { ...(event.profile ?? {}), ...(event.tags ? { tags: event.tags } : {}) };
}

/** The profile after `changes`: `null` clears a field, lists are replaced whole. */
export function changedProfile(before: Profile, changes: Record<string, unknown>): Profile {
  const after: Record<string, unknown> = { ...before };
  for (const [field, value] of Object.entries(changes)) {
    if (value === null) delete after[field];
    else if (value !== undefined) after[field] = value;
  }
  return after as Profile;
}

export async function openProfileStore(
  nc: NatsConnection,
  options: { hash: KeyedHash; replicas?: number },
): Promise<ProfileStore> {
  const kv: KV = await new Kvm(nc).create(PROFILES_BUCKET, {
    history: 1,
    replicas: options.replicas ?? 1,
    description:
      'Clientele customer profiles (personal data): <customerId> → profile and history; name.<hash>.<customerId> → name index',
  });
  const nameHash = (form: string) => options.hash(`name ${form}`);
  const nameKeys = (id: string, held: Profile | undefined) =>
    held ? nameForms(held).map((form) => `name.${nameHash(form)}.${id}`) : [];
  const addKeys = (keys: string[]) => Promise.all(keys.map((key) => kv.put(key, '')));
  const removeKeys = (keys: string[]) => Promise.all(keys.map((key) => kv.purge(key)));

  async function keysOf(filter: string, limit = Number.POSITIVE_INFINITY): Promise<string[]> {
    const keys: string[] = [];
    const listed = await kv.keys(filter);
    for await (const key of listed) {
      keys.push(key);
      if (keys.length >= limit) {
        listed.stop();
        break;
      }
    }
    return keys;
  }

  async function read(id: string) {
    const entry = await liveEntry(kv, id);
    if (!entry) return undefined;
    return { value: storedProfile.parse(entry.json()), revision: entry.revision };
  }

  return {
    async apply(event, streamSeq) {
      const changes = changesOf(event);
      const fields = Object.keys(changes).sort();
      if (fields.length === 0) return;
      for (let attempt = 1; ; attempt++) {
        const current = await read(event.customerId);
        if (current && current.value.appliedSeq >= streamSeq) {
          // Applied before; its name keys may not all be written if the last try crashed.
          await addKeys(nameKeys(event.customerId, current.value.profile));
          return;
        }
        const before = current?.value;
        const next: StoredProfile = {
          customerId: event.customerId,
          profile: changedProfile(before?.profile ?? {}, changes),
          history: [
            ...(before?.history ?? []),
            {
              eventId: event.eventId,
              occurredAt: event.occurredAt,
              channel: event.channel,
              storeId: event.storeId,
              ...(event.type === 'profile.changed' && event.operatorId
                ? { operatorId: event.operatorId }
                : {}),
              fields,
            },
          ].slice(-PROFILE_HISTORY_KEPT),
          appliedSeq: streamSeq,
        };
        const kept = nameKeys(event.customerId, next.profile);
        await addKeys(kept);
        try {
          if (current) await kv.update(event.customerId, JSON.stringify(next), current.revision);
          else await kv.create(event.customerId, JSON.stringify(next));
          await removeKeys(
            nameKeys(event.customerId, before?.profile).filter((key) => !kept.includes(key)),
          );
          return;
        } catch (err) {
          // Another writer came first (a second router process): read again and re-apply.
          if (!isWrongLastSequence(err) || attempt >= 20) throw err;
        }
      }
    },
    async read(id) {
      return (await read(id))?.value;
    },
    async findByName(name, limit) {
      const form = normalName(name);
      if (form.length < SHORTEST_NAME) {
        throw new ClienteleError('invalid_request', [
          { field: 'value', message: `must be a name of at least ${SHORTEST_NAME} letters` },
        ]);
      }
      const prefix = `name.${nameHash(form)}.`;
      const keys = await keysOf(`${prefix}*`, limit + 1);
      const profiles = await Promise.all(
        keys.slice(0, limit).map(async (key) => {
          const id = key.slice(prefix.length);
          return { id, held: (await read(id))?.value.profile };
        }),
      );
      const found = profiles
        .filter(({ held }) => held && nameForms(held).includes(form))
        .map(({ id, held }) => ({
          customerId: id,
          ...(held?.givenName ? { givenName: held.givenName } : {}),
          ...(held?.familyName ? { familyName: held.familyName } : {}),
        }));
      return { found, more: keys.length > limit };
    },
    async indexNames({ progress, every = 10_000, signal } = {}) {
      if (await liveEntry(kv, NAMES_INDEXED_KEY)) return 0;
      let done = 0;
      // One word: customers' profiles (the index's keys and the marker have dots).
      for (const id of await keysOf('*')) {
        if (signal?.aborted) return done;
        await addKeys(nameKeys(id, (await read(id))?.value.profile));
        done += 1;
        if (done % every === 0) progress?.(done);
      }
      await kv.put(NAMES_INDEXED_KEY, String(done));
      return done;
    },
    async erase(id) {
      // Every name key of the customer's, not only those of the profile as it stands now.
      await removeKeys(await keysOf(`name.*.${id}`));
      await kv.purge(id);
    },
  };
}
