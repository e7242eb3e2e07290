/**
 * The profile store, in the NATS KV bucket `PROFILES`: each customer's profile (names, contact
 * details, addresses, family, notes, classification) as the registration and the profile changes
 * since made it, with the history of which fields changed when, through which channel, by whom.
 * One key per customer (`<customerId>`), so erasing a customer's profile is one purge.
 *
 * Personal data lives here and in the event stream only: the router writes each change here, in
 * stream order, before it hands the customer's workflow the event without its personal fields.
 */
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { profileChangeRecord } from '../domain/customer/view.ts';
import {
  type CustomerRegisteredEvent,
  customerId,
  type ProfileChangedEvent,
  profile,
} from '../domain/events.ts';
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
  /** Removes the customer's profile and every earlier revision of it. */
  erase(customerId: string): Promise<void>;
}

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
  options: { replicas?: number } = {},
): Promise<ProfileStore> {
  const kv: KV = await new Kvm(nc).create(PROFILES_BUCKET, {
    history: 1,
    replicas: options.replicas ?? 1,
    description: 'Clientele customer profiles (personal data): <customerId> → profile and history',
  });

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
        if (current && current.value.appliedSeq >= streamSeq) return;
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
        try {
          if (current) await kv.update(event.customerId, JSON.stringify(next), current.revision);
          else await kv.create(event.customerId, JSON.stringify(next));
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
    async erase(id) {
      await kv.purge(id);
    },
  };
}
