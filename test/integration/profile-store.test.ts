/**
 * The profile store against a real nats-server: a registration's profile and the changes after
 * it make one profile, in stream order (a message delivered again is skipped), `null` clears a
 * field and lists are replaced whole; the history names the fields, never their values; erasing
 * removes the profile and every earlier revision of it. Names are found through keyed hashes,
 * kept with every change and erased with the profile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProfileStore, type ProfileStore } from '../../engine/customer-view/profile-store.ts';
import {
  type CustomerRegisteredEvent,
  type ProfileChangedEvent,
  parseRetailEvent,
} from '../../engine/domain/events.ts';
import { keyedHash } from '../../engine/identity/identity-index.ts';
import { type RunningServer, startNatsServer } from '../../engine/runtime/servers.ts';
import { PROFILES_BUCKET } from '../../engine/streams/topology.ts';

let dataDir: string;
let nats: RunningServer;
let nc: NatsConnection;
let profiles: ProfileStore;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'clientele-profiles-'));
  nats = await startNatsServer({ dataDir });
  nc = await connect({ servers: nats.address });
  profiles = await openProfileStore(nc, { hash: keyedHash('test-key') });
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function parsed<T>(input: Record<string, unknown>): T {
  const result = parseRetailEvent(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.event as T;
}

const customerId = 'c-4f1e9a';
const envelope = (eventId: string, occurredAt: string) => ({
  eventId,
  occurredAt,
  storeId: 'S001',
  tillId: 'T1',
  channel: 'till',
  customerId,
});

describe('the profile store', () => {
  it('makes one profile of the registration and the changes, in stream order, once each', async () => {
    await profiles.apply(
      parsed<CustomerRegisteredEvent>({
        ...envelope('ev-reg', '2026-11-01T10:00:00Z'),
        type: 'customer.registered',
        profile: { givenName: 'Lea', phone: '+49 30 5550 1234', notes: 'likes rye bread' },
        tags: ['staff'],
      }),
      10,
    );
    const change = parsed<ProfileChangedEvent>({
      ...envelope('ev-change', '2026-11-02T10:00:00Z'),
      type: 'profile.changed',
      operatorId: 'desk-2',
      changes: {
        familyName: 'Berg',
        notes: null,
        pets: [{ kind: 'cat' }],
        tags: ['staff', 'student'],
      },
    });
    await profiles.apply(change, 11);
    // Delivered again (a router that crashed before its ack): skipped.
    await profiles.apply(change, 11);
    // An older message after a newer one (cannot happen in one stream's order): skipped too.
    await profiles.apply(
      parsed<ProfileChangedEvent>({
        ...envelope('ev-old', '2026-11-01T11:00:00Z'),
        type: 'profile.changed',
        changes: { familyName: 'Old' },
      }),
      9,
    );

    const stored = await profiles.read(customerId);
    expect(stored?.profile).toEqual({
      givenName: 'Lea',
      familyName: 'Berg',
      phone: '+49 30 5550 1234',
      pets: [{ kind: 'cat' }],
      tags: ['staff', 'student'],
    });
    expect(stored?.history).toEqual([
      {
        eventId: 'ev-reg',
        occurredAt: '2026-11-01T10:00:00Z',
        channel: 'till',
        storeId: 'S001',
        fields: ['givenName', 'notes', 'phone', 'tags'],
      },
      {
        eventId: 'ev-change',
        occurredAt: '2026-11-02T10:00:00Z',
        channel: 'till',
        storeId: 'S001',
        operatorId: 'desk-2',
        fields: ['familyName', 'notes', 'pets', 'tags'],
      },
    ]);
    expect(JSON.stringify(stored?.history)).not.toContain('Berg');
  });

  it('finds customers by family name or full name, keeping the index with the changes', async () => {
    const register = (id: string, seq: number, given: string, family: string) =>
      profiles.apply(
        parsed<CustomerRegisteredEvent>({
          ...envelope(`ev-reg-${id}`, '2026-11-03T10:00:00Z'),
          customerId: id,
          type: 'customer.registered',
          profile: { givenName: given, familyName: family },
        }),
        seq,
      );
    await register('c-7d2', 20, 'Jonas', 'Berg');
    await register('c-7d3', 21, 'Léa', 'Bérg');
    await register('c-7d4', 22, 'Żaneta', 'Nowak-Kowalska');

    const ids = async (name: string, limit = 10) =>
      (await profiles.findByName(name, limit)).found.map((m) => m.customerId).sort();
    expect(await ids('berg')).toEqual([customerId, 'c-7d2', 'c-7d3']);
    expect(await ids('Berg, Lea')).toEqual([customerId, 'c-7d3']);
    expect(await ids('kowalska NOWAK')).toEqual(['c-7d4']);
    expect(await ids('zaneta kowalska nowak')).toEqual(['c-7d4']);
    // A given name alone finds nobody; a name too short is refused by field.
    expect(await ids('Lea')).toEqual([]);
    await expect(profiles.findByName(' ', 10)).rejects.toMatchObject({
      code: 'invalid_request',
      issues: [{ field: 'value' }],
    });
    const firstTwo = await profiles.findByName('Berg', 2);
    expect(firstTwo.found).toHaveLength(2);
    expect(firstTwo.more).toBe(true);
    expect((await profiles.findByName('Nowak Kowalska', 10)).found).toEqual([
      { customerId: 'c-7d4', givenName: 'Żaneta', familyName: 'Nowak-Kowalska' },
    ]);

    // A new family name: found by it, no longer by the old one.
    await profiles.apply(
      parsed<ProfileChangedEvent>({
        ...envelope('ev-married', '2026-11-04T10:00:00Z'),
        customerId: 'c-7d2',
        type: 'profile.changed',
        changes: { familyName: 'Lindqvist' },
      }),
      23,
    );
    expect(await ids('Berg')).toEqual([customerId, 'c-7d3']);
    expect(await ids('Jonas Lindqvist')).toEqual(['c-7d2']);

    // The keys hold no name, only keyed hashes.
    const kv = await new Kvm(nc).open(PROFILES_BUCKET);
    const keys: string[] = [];
    for await (const key of await kv.keys('name.>')) keys.push(key);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toMatch(/^name\.[0-9a-f]{64}\.c-[0-9a-f]+$/);
    expect(keys.join(' ')).not.toMatch(/berg|nowak|lindqvist|jonas/i);
  });

  it('indexes the names of profiles kept before names were indexed, once', async () => {
    const kv = await new Kvm(nc).open(PROFILES_BUCKET);
    for await (const key of await kv.keys('name.>')) await kv.purge(key);
    expect((await profiles.findByName('Berg', 10)).found).toEqual([]);
    const reported: number[] = [];
    const read = await profiles.indexNames({ every: 2, progress: (done) => reported.push(done) });
    expect(read).toBe(4);
    expect(reported).toEqual([2, 4]);
    expect((await profiles.findByName('Berg', 10)).found).toHaveLength(2);
    expect(await profiles.indexNames()).toBe(0);
  });

  it('erases the profile and every earlier revision of it', async () => {
    await profiles.erase(customerId);
    expect(await profiles.read(customerId)).toBeUndefined();
    expect((await profiles.findByName('Berg', 10)).found.map((m) => m.customerId)).toEqual([
      'c-7d3',
    ]);
    const kv = await new Kvm(nc).open(PROFILES_BUCKET);
    const nameKeys: string[] = [];
    for await (const key of await kv.keys(`name.*.${customerId}`)) nameKeys.push(key);
    expect(nameKeys).toEqual([]);
    const revisions: unknown[] = [];
    for await (const entry of await kv.history({ key: customerId })) {
      if (entry.operation === 'PUT') revisions.push(entry.json());
    }
    expect(revisions).toEqual([]);
  });
});
