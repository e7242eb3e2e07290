/**
 * The identity index against a real nats-server (the project's own, with JetStream): account
 * numbers unique when two processes draw them at once, the same number for the same customer
 * however often asked; cards issued once, found by number, refused at the till once blocked,
 * lost or replaced, a replacement found for the same customer; contact details held by one
 * customer only and stored as keyed hashes; malformed identifiers refused naming the field.
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClienteleError } from '../../engine/domain/error-codes.ts';
import { accountNumberOf } from '../../engine/domain/identity/account-number.ts';
import { cardNumberOf } from '../../engine/domain/identity/card-number.ts';
import { type IdentityIndex, openIdentityIndex } from '../../engine/identity/identity-index.ts';
import { type RunningServer, startNatsServer } from '../../engine/runtime/servers.ts';
import { ACCOUNTS_STREAM, IDENTITY_BUCKET } from '../../engine/streams/topology.ts';

const run = promisify(execFile);
const hash = (text: string) => createHmac('sha256', 'test').update(text).digest('hex');

let dataDir: string;
let nats: RunningServer;
let nc: NatsConnection;
let index: IdentityIndex;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'clientele-identity-'));
  nats = await startNatsServer({ dataDir });
  nc = await connect({ servers: nats.address });
  index = await openIdentityIndex(nc, { hash });
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The error `promise` is refused with, as code, field and message. */
async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof ClienteleError)) throw err;
    return {
      code: err.code,
      field: err.issues[0]?.field,
      message: err.issues[0]?.message ?? err.message,
    };
  }
  throw new Error('expected a refusal');
}

const at = '2026-12-01T10:00:00.000Z';
const later = '2026-12-02T10:00:00.000Z';

describe('account numbers', () => {
  it('are unique when two processes draw them at once, and the same for the same customer', async () => {
    const shared = Array.from({ length: 10 }, (_, i) => `shared-${i}`);
    const own = (p: string) => Array.from({ length: 40 }, (_, i) => `${p}-${i}`);
    const draw = (ids: string[]) =>
      run('npx', ['tsx', 'test/support/draw-accounts.ts', nats.address, ...ids], {
        timeout: 60_000,
      }).then(({ stdout }) => JSON.parse(stdout) as Record<string, string>);
    const [a, b] = await Promise.all([
      draw([...own('a'), ...shared]),
      draw([...shared, ...own('b')]),
    ]);

    // A customer both processes asked for got one number, in both.
    for (const id of shared) expect(a[id], id).toBe(b[id]);
    const all = new Map<string, string>();
    for (const answer of [a, b]) for (const [id, n] of Object.entries(answer)) all.set(id, n);
    expect(all.size).toBe(90);
    const numbers = [...all.values()];
    expect(new Set(numbers).size, 'no number given to two customers').toBe(90);
    for (const n of numbers) expect(n).toMatch(/^[0-9]{8}$/);
    // Drawn in order from 00000001; a number drawn by the loser of a race for the same customer
    // is left unused, never given to another.
    const drawn = numbers.map(Number).sort((x, y) => x - y);
    expect(drawn[0]).toBe(1);
    expect(drawn.at(-1)).toBeLessThanOrEqual(90 + shared.length);

    // Asked again, and looked up by number: the same customer.
    expect(await index.accountOf('a-7')).toBe(a['a-7']);
    expect(await index.lookUp({ kind: 'account', value: a['a-7'] as string })).toEqual({
      customerId: 'a-7',
    });
  }, 120_000);

  it('count on from the highest number held when the stream they are drawn from is made anew', async () => {
    const before = Number(await index.accountOf('before-loss'));
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(ACCOUNTS_STREAM);
    const again = await openIdentityIndex(nc, { hash });
    expect(Number(await again.accountOf('after-loss'))).toBe(before + 1);
    expect(await again.accountOf('before-loss')).toBe(accountNumberOf(before));
  });

  it('refuse a customer id that is no opaque id, naming it', async () => {
    expect(await refusal(index.accountOf('ann@example.com'))).toMatchObject({
      code: 'invalid_request',
      field: 'customerId',
    });
  });
});

/** A service desk's change: who, why, when. */
const desk = (when: string) => ({ operatorId: 'desk-1', reason: 'member asked', at: when });

describe('cards', () => {
  it('are issued once, found by number, and refused at the till once blocked or lost', async () => {
    const card = cardNumberOf('279901', 1);
    await index.issueCard({ cardNumber: card, customerId: 'c-ann', type: 'plastic', at });
    // The same issue sent again is a retry; for anyone else the number is taken.
    await index.issueCard({ cardNumber: card, customerId: 'c-ann', type: 'plastic', at });
    expect(
      await refusal(
        index.issueCard({ cardNumber: card, customerId: 'c-bob', type: 'plastic', at }),
      ),
    ).toMatchObject({ code: 'identifier_taken', field: 'cardNumber' });

    expect(await index.identifyAtTill({ kind: 'card', value: card })).toMatchObject({
      customerId: 'c-ann',
      card: { cardNumber: card, status: 'active', type: 'plastic' },
    });
    await index.setCardStatus(card, 'blocked', desk(later));
    expect(await refusal(index.identifyAtTill({ kind: 'card', value: card }))).toMatchObject({
      code: 'card_refused',
      field: 'card',
      message: expect.stringMatching(/blocked/),
    });
    // The service desk still finds whose it is.
    expect((await index.lookUp({ kind: 'card', value: card })).customerId).toBe('c-ann');
    await index.setCardStatus(card, 'active', desk(later));
    await index.setCardStatus(card, 'lost', desk(later));
    expect(await refusal(index.identifyAtTill({ kind: 'card', value: card }))).toMatchObject({
      code: 'card_refused',
      message: expect.stringMatching(/lost/),
    });
    expect(await refusal(index.setCardStatus(card, 'blocked', desk(later)))).toMatchObject({
      code: 'invalid_request',
      field: 'status',
      message: expect.stringMatching(/cannot go from lost to blocked/),
    });
    // Each change is kept on the card with who made it and why; the refused one is not.
    expect((await index.lookUp({ kind: 'card', value: card })).card?.changes).toEqual(
      ['blocked', 'active', 'lost'].map((status) => ({ status, ...desk(later) })),
    );
  });

  it('replaced keep their holder: the new card finds the same customer, the old is refused', async () => {
    const old = cardNumberOf('279901', 2);
    const replacement = cardNumberOf('279901', 3);
    await index.issueCard({ cardNumber: old, customerId: 'c-cat', type: 'plastic', at });
    await index.setCardStatus(old, 'lost', desk(at));
    const issued = await index.replaceCard(
      old,
      { cardNumber: replacement, type: 'key-fob' },
      desk(later),
    );
    expect(issued).toMatchObject({ customerId: 'c-cat', status: 'active', type: 'key-fob' });
    // Sent again: the same replacement, nothing more.
    await index.replaceCard(old, { cardNumber: replacement, type: 'key-fob' }, desk(later));

    expect((await index.identifyAtTill({ kind: 'card', value: replacement })).customerId).toBe(
      'c-cat',
    );
    expect(await index.lookUp({ kind: 'card', value: old })).toMatchObject({
      customerId: 'c-cat',
      card: { status: 'replaced', replacedBy: replacement },
    });
    expect(await refusal(index.identifyAtTill({ kind: 'card', value: old }))).toMatchObject({
      code: 'card_refused',
      message: expect.stringMatching(/replaced/),
    });
    expect(await refusal(index.setCardStatus(old, 'active', desk(later)))).toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/never comes back/),
    });
  });

  it('are refused when malformed or unknown, naming the field', async () => {
    expect(await refusal(index.lookUp({ kind: 'card', value: '2799010000000011' }))).toMatchObject({
      code: 'invalid_request',
      field: 'card',
      message: expect.stringMatching(/check digit/),
    });
    expect(
      await refusal(index.lookUp({ kind: 'card', value: cardNumberOf('279901', 999) })),
    ).toMatchObject({ code: 'unknown_identifier', field: 'card' });
    expect(
      await refusal(index.setCardStatus(cardNumberOf('279901', 998), 'blocked', desk(at))),
    ).toMatchObject({ code: 'unknown_identifier', field: 'cardNumber' });
  });
});

describe('contact details', () => {
  it('find their one customer however written, and are stored as keyed hashes only', async () => {
    // (An opaque customer id, as the identity service makes them: nothing of the person.)
    const holder = 'c-0d7f3a';
    await index.claimContact({ kind: 'phone', value: '+44 20 7946 0958' }, holder);
    await index.claimContact({ kind: 'email', value: 'Dan@Example.com' }, holder);
    // Claimed again by the same customer: nothing changes.
    await index.claimContact({ kind: 'phone', value: '0044 20 7946 0958' }, holder);
    expect(await index.lookUp({ kind: 'phone', value: '0044 (20) 7946-0958' })).toEqual({
      customerId: holder,
    });
    expect(await index.lookUp({ kind: 'email', value: ' dan@example.COM' })).toEqual({
      customerId: holder,
    });
    expect(
      await refusal(index.claimContact({ kind: 'email', value: 'dan@example.com' }, 'c-eve')),
    ).toMatchObject({ code: 'identifier_taken', field: 'email' });

    const kv = await new Kvm(nc).open(IDENTITY_BUCKET);
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    expect(keys).toContain(`phone.${hash('+442079460958')}`);
    // The customer's pointers to what they hold name the hashes too.
    expect(keys).toContain(`holds.${holder}.phone.${hash('+442079460958')}`);
    const stored = JSON.stringify(keys);
    expect(stored).not.toMatch(/7946|dan|example/i);
  });
});
