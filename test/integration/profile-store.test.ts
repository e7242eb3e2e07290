/**
 * The profile store against a real nats-server: a registration's profile and the changes after
 * it make one profile, in stream order (a message delivered again is skipped), `null` clears a
 * field and lists are replaced whole; the history names the fields, never their values; erasing
 * removes the profile and every earlier revision of it.
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
  profiles = await openProfileStore(nc);
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

  it('erases the profile and every earlier revision of it', async () => {
    await profiles.erase(customerId);
    expect(await profiles.read(customerId)).toBeUndefined();
    const kv = await new Kvm(nc).open(PROFILES_BUCKET);
    const revisions: unknown[] = [];
    for await (const entry of await kv.history({ key: customerId })) {
      if (entry.operation === 'PUT') revisions.push(entry.json());
    }
    expect(revisions).toEqual([]);
  });
});
