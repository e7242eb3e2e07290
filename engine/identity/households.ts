/**
 * Households in the identity index (`IDENTITY`): `household.<id>` holds the members, and
 * `member.<customerId>` names the customer's household. A customer joins by creating their
 * member key (only if new: one household each), then is added to the household's list on the
 * revision read; leaving is the reverse. A member key whose household does not list the customer
 * (a crash between the two writes) is mended by asking again.
 */
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { ClienteleError } from '../domain/error-codes.ts';
import { HOUSEHOLD_MEMBERS_MAX, type Household, household } from '../domain/identity/households.ts';
import { isWrongLastSequence, liveEntry } from '../streams/kv.ts';
import { IDENTITY_BUCKET } from '../streams/topology.ts';

const memberEntry = z.strictObject({ householdId: z.string() });
const ATTEMPTS = 50;

export interface Households {
  /** The customer's household, if they are in one. */
  of(customerId: string): Promise<Household | undefined>;
  /** A new household with these members (asked again: the same household). */
  create(householdId: string, members: string[], at: string): Promise<Household>;
  join(householdId: string, customerId: string): Promise<Household>;
  /** The household after the member left (null when nobody is left). */
  leave(householdId: string, customerId: string): Promise<Household | null>;
}

export async function openHouseholds(
  nc: NatsConnection,
  options: { replicas?: number } = {},
): Promise<Households> {
  // The identity index's bucket (made with the same settings if it is not there yet).
  const kv: KV = await new Kvm(nc).create(IDENTITY_BUCKET, {
    history: 5,
    replicas: options.replicas ?? 1,
  });

  async function read(householdId: string) {
    const entry = await liveEntry(kv, `household.${householdId}`);
    return entry && { value: household.parse(entry.json()), revision: entry.revision };
  }

  /** Changes the household's member list on the revision read, again if another came between. */
  async function change(
    householdId: string,
    edit: (members: string[]) => string[],
  ): Promise<Household | null> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = await read(householdId);
      if (!current) {
        throw new ClienteleError('invalid_request', [
          { field: 'householdId', message: 'is no household' },
        ]);
      }
      const members = edit(current.value.members);
      if (members.join() === current.value.members.join()) return current.value;
      try {
        if (members.length === 0) {
          await kv.delete(`household.${householdId}`, { previousSeq: current.revision });
          return null;
        }
        const next = { ...current.value, members };
        await kv.update(`household.${householdId}`, JSON.stringify(next), current.revision);
        return next;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
      }
    }
    throw new ClienteleError('busy', [], 'the household changed too often at once: ask again');
  }

  /** Makes `customerId` a member of `householdId`; refused if they are in another one. */
  async function claim(householdId: string, customerId: string, field: string) {
    try {
      await kv.create(`member.${customerId}`, JSON.stringify({ householdId }));
      return;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
    const entry = await liveEntry(kv, `member.${customerId}`);
    const held = entry && memberEntry.parse(entry.json()).householdId;
    if (held === householdId) return;
    if (held === undefined) return claim(householdId, customerId, field);
    throw new ClienteleError('invalid_request', [
      { field, message: `is in household ${held} already: take them out of it first` },
    ]);
  }

  const add = (customerId: string) => (members: string[]) => {
    if (members.includes(customerId)) return members;
    if (members.length >= HOUSEHOLD_MEMBERS_MAX) {
      throw new ClienteleError('invalid_request', [
        { field: 'customerIds', message: `the household has ${HOUSEHOLD_MEMBERS_MAX} members` },
      ]);
    }
    return [...members, customerId];
  };

  return {
    async of(customerId) {
      const entry = await liveEntry(kv, `member.${customerId}`);
      if (!entry) return undefined;
      const found = await read(memberEntry.parse(entry.json()).householdId);
      return found?.value.members.includes(customerId) ? found.value : undefined;
    },
    async create(householdId, members, at) {
      // Every member must be free (or this household's) before anything is written.
      for (const [i, customerId] of members.entries()) {
        const entry = await liveEntry(kv, `member.${customerId}`);
        const held = entry && memberEntry.parse(entry.json()).householdId;
        if (held !== undefined && held !== householdId) {
          throw new ClienteleError('invalid_request', [
            {
              field: `customerIds[${i}]`,
              message: `is in household ${held} already: take them out of it first`,
            },
          ]);
        }
      }
      const wanted: Household = { householdId, members, createdAt: at };
      try {
        await kv.create(`household.${householdId}`, JSON.stringify({ ...wanted, members: [] }));
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
      }
      let result = (await read(householdId))?.value ?? wanted;
      for (const [i, customerId] of members.entries()) {
        await claim(householdId, customerId, `customerIds[${i}]`);
        result = (await change(householdId, add(customerId))) as Household;
      }
      return result;
    },
    async join(householdId, customerId) {
      if (!(await read(householdId))) {
        throw new ClienteleError('invalid_request', [
          { field: 'householdId', message: 'is no household' },
        ]);
      }
      await claim(householdId, customerId, 'customerIds[0]');
      return (await change(householdId, add(customerId))) as Household;
    },
    async leave(householdId, customerId) {
      const result = await change(householdId, (members) =>
        members.filter((m) => m !== customerId),
      );
      const entry = await liveEntry(kv, `member.${customerId}`);
      if (entry && memberEntry.parse(entry.json()).householdId === householdId) {
        await kv.delete(`member.${customerId}`, { previousSeq: entry.revision });
      }
      return result;
    },
  };
}
