/**
 * The identity index, in the NATS KV bucket `IDENTITY`: how a customer is found from what a till
 * scans or a person types, and the customers' account numbers.
 *
 * - `account.<8 digits>` → the customer the account number belongs to
 * - `card.<16 digits>` → the card: its holder, type, status, when it was issued, its successor
 * - `phone.<hash>`, `email.<hash>` → the customer (keyed hashes: no contact detail is stored)
 * - `customer.<customerId>` → the customer's account number
 * - `registration.<registrationId>` → the customer the registration made
 * - `holds.<customerId>.<identifier's key>` → nothing: what the customer holds (cards, phone,
 *   e-mail), each checked against the identifier's own key when read, so one that moved on
 *   (merged into another customer) is not theirs any more, whatever is left here
 * - `merged.<customerId>` → the customer it was merged into, and the merge
 *
 * Account numbers are drawn from the stream `ACCOUNTS`: each is the sequence number the server
 * gave a message published there (the messages themselves are not kept).
 *
 * Each identifier has one key, and that key says who holds it: a card that moves (replaced,
 * merged into another record) is one write to its own key, so there is no second index to go
 * stale. Every write is made on the revision that was read, or only if the key is new, so two
 * processes racing for the next account number, or for the same card, never both win.
 */
import { createHmac, randomUUID } from 'node:crypto';
import {
  DiscardPolicy,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  StorageType,
} from '@nats-io/jetstream';
import { type KV, type KvEntry, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { ClienteleError } from '../domain/error-codes.ts';
import { customerId as customerIdSchema } from '../domain/events.ts';
import { accountNumberOf } from '../domain/identity/account-number.ts';
import { cardNumber } from '../domain/identity/card-number.ts';
import {
  type CardStatus,
  cardStatus,
  cardType,
  refuseCardChange,
  tillRefusal,
} from '../domain/identity/card-status.ts';
import { type Identifier, indexKey, type KeyedHash } from '../domain/identity/identifiers.ts';
import { type CardChange, cardChange, registration } from '../domain/identity/messages.ts';
import { isNotFound } from '../streams/declare.ts';
import { isWrongLastSequence, liveEntry as live } from '../streams/kv.ts';
import { ACCOUNTS_STREAM, ACCOUNTS_SUBJECT, IDENTITY_BUCKET } from '../streams/topology.ts';

/** Changes kept on a card at most; older ones stay in the service desk's log. */
const CHANGES_KEPT = 20;

export const cardEntry = z.strictObject({
  customerId: customerIdSchema,
  type: cardType,
  status: cardStatus,
  issuedAt: z.iso.datetime({ offset: true }),
  /** When it last changed status. */
  changedAt: z.iso.datetime({ offset: true }),
  /** The card that replaced it (status `replaced`). */
  replacedBy: cardNumber.optional(),
  /** Its latest changes of status, oldest first: who made each, why, when. */
  changes: z.array(cardChange).optional(),
});
export type CardEntry = z.infer<typeof cardEntry>;

const holderEntry = z.strictObject({ customerId: customerIdSchema });

/** A merged record's mark: where it went, by which merge, when. */
export const mergeMark = z.strictObject({
  customerId: customerIdSchema,
  mergeId: z.string(),
  at: z.iso.datetime({ offset: true }),
});
export type MergeMark = z.infer<typeof mergeMark>;

/** The pointer from a customer to an identifier's key they hold. */
const holdsKey = (customerId: string, key: string): string => `holds.${customerId}.${key}`;
const customerEntry = z.strictObject({ accountNumber: z.string() });

/** What a look-up found: the customer, and the card when a card was looked up. */
export type Found = { customerId: string; card?: CardEntry & { cardNumber: string } };

export interface IdentityIndex {
  /**
   * The customer a registration made: a new opaque id the first time, the same id for the same
   * registration id however often (or however many processes) ask. `fresh` when made now.
   */
  customerFor(registrationId: string): Promise<{ customerId: string; fresh: boolean }>;
  /** The customer's account number if one was drawn (never draws one). */
  knownAccount(customerId: string): Promise<string | undefined>;
  /**
   * The customer's account number, drawn the first time it is asked for; asked again (a retry,
   * another process racing), the same number.
   */
  accountOf(customerId: string): Promise<string>;
  /** Who holds the identifier; `unknown_identifier` when nobody does, `invalid_request` when malformed. */
  lookUp(identifier: Identifier): Promise<Found>;
  /**
   * As `lookUp`, for a till about to ring up a sale: a card that is not active is refused
   * (`card_refused`, worded for the cashier).
   */
  identifyAtTill(identifier: Identifier): Promise<Found>;
  /** A new card for the customer; `identifier_taken` if the number was ever issued. */
  issueCard(card: {
    cardNumber: string;
    customerId: string;
    type: CardEntry['type'];
    at: string;
  }): Promise<CardEntry>;
  /**
   * Blocks, unblocks or reports a card lost, kept on the card with who did it and why;
   * `invalid_request` for a change the card cannot make.
   */
  setCardStatus(
    cardNumber: string,
    status: Exclude<CardStatus, 'replaced'>,
    by: Omit<CardChange, 'status'>,
  ): Promise<CardEntry>;
  /**
   * A new card in place of an old one, for the old card's holder: the new card is issued first,
   * then the old one marked replaced, so a crash between the two leaves the customer a card.
   */
  replaceCard(
    old: string,
    replacement: { cardNumber: string; type: CardEntry['type'] },
    by: Omit<CardChange, 'status'>,
  ): Promise<CardEntry>;
  /**
   * Everything `from` holds (cards, phone, e-mail, account number) moves to `into`, and `from`
   * is marked merged into it. Each key is moved on its revision: asked again, nothing changes.
   */
  moveHolder(from: string, into: string, merge: MergeMark): Promise<void>;
  /** The customer `customerId` was merged into, if it was. */
  mergedInto(customerId: string): Promise<MergeMark | undefined>;
  /** The cards the customer holds (any status), oldest first. */
  cardsOf(customerId: string): Promise<(CardEntry & { cardNumber: string })[]>;
  /** Gives the customer a phone number or e-mail address to be found by; `identifier_taken` if another holds it. */
  claimContact(
    identifier: Identifier & { kind: 'phone' | 'email' },
    customerId: string,
  ): Promise<void>;
}

const MAX_ATTEMPTS = 50;

/** The keyed hash the index holds contact details under: HMAC-SHA256 with the deployment's key. */
export const keyedHash =
  (key: string): KeyedHash =>
  (text) =>
    createHmac('sha256', key).update(text).digest('hex');

export async function openIdentityIndex(
  nc: NatsConnection,
  options: { hash: KeyedHash; replicas?: number },
): Promise<IdentityIndex> {
  const kv = await new Kvm(nc).create(IDENTITY_BUCKET, {
    history: 5,
    replicas: options.replicas ?? 1,
    description:
      'Clientele identity index: account.<n>, card.<n>, phone.<hash>, email.<hash> → customer; customer.<id> → account',
  });

  const keyOf = (identifier: Identifier, field: string = identifier.kind): string => {
    const key = indexKey(identifier, options.hash);
    if (!key.ok) throw new ClienteleError('invalid_request', [{ field, message: key.message }]);
    return key.key;
  };

  const js = jetstream(nc);
  await declareAccountsStream(await jetstreamManager(nc), kv, options.replicas ?? 1);

  /**
   * Draws the next account number: the sequence number the stream gives a message, which the
   * server hands out once, in order, however many processes publish at once.
   */
  async function drawAccount(): Promise<string> {
    const ack = await js.publish(ACCOUNTS_SUBJECT, new Uint8Array(0));
    return accountNumberOf(ack.seq);
  }

  async function accountOf(customerId: string): Promise<string> {
    checkCustomerId(customerId);
    const customerKey = `customer.${customerId}`;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      let entry = await live(kv, customerKey);
      if (!entry) {
        const drawn = await drawAccount();
        try {
          await kv.create(customerKey, JSON.stringify({ accountNumber: drawn }));
        } catch (err) {
          if (!isWrongLastSequence(err)) throw err;
          // Another process gave this customer a number first: theirs stands, this one is unused.
        }
        entry = await live(kv, customerKey);
        if (!entry) continue;
      }
      const { accountNumber } = read(customerEntry, entry);
      // The number's own key, written after the customer's: a crash between the two is mended by
      // the next call.
      if (await createOrSame(kv, `account.${accountNumber}`, { customerId })) return accountNumber;
      // The number is another customer's (the stream was made again and counts from 1 anew):
      // this customer gets a new one.
      try {
        await kv.update(
          customerKey,
          JSON.stringify({ accountNumber: await drawAccount() }),
          entry.revision,
        );
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
      }
    }
    throw new ClienteleError(
      'busy',
      [],
      `could not give ${customerId} an account number: ask again`,
    );
  }

  async function customerFor(registrationId: string) {
    const checked = registration.shape.registrationId.safeParse(registrationId);
    if (!checked.success) {
      throw new ClienteleError('invalid_request', [
        { field: 'registrationId', message: checked.error.issues[0]?.message ?? 'is invalid' },
      ]);
    }
    const key = `registration.${registrationId}`;
    const customerId = `c-${randomUUID()}`;
    if (await createOrSame(kv, key, { customerId })) return { customerId, fresh: true };
    const entry = await live(kv, key);
    if (!entry) throw new Error(`${key} vanished while it was read`);
    return { customerId: read(holderEntry, entry).customerId, fresh: false };
  }

  async function knownAccount(customerId: string): Promise<string | undefined> {
    checkCustomerId(customerId);
    const entry = await live(kv, `customer.${customerId}`);
    return entry ? read(customerEntry, entry).accountNumber : undefined;
  }

  async function lookUp(identifier: Identifier): Promise<Found> {
    const key = keyOf(identifier);
    const entry = await live(kv, key);
    if (!entry)
      throw new ClienteleError('unknown_identifier', [
        { field: identifier.kind, message: 'belongs to no customer' },
      ]);
    if (identifier.kind === 'card') {
      const card = read(cardEntry, entry);
      return {
        customerId: card.customerId,
        card: { ...card, cardNumber: key.slice('card.'.length) },
      };
    }
    return { customerId: read(holderEntry, entry).customerId };
  }

  async function identifyAtTill(identifier: Identifier): Promise<Found> {
    const found = await lookUp(identifier);
    const refusal = found.card ? tillRefusal(found.card.status) : undefined;
    if (refusal) throw new ClienteleError('card_refused', [{ field: 'card', message: refusal }]);
    return found;
  }

  async function issueCard(card: {
    cardNumber: string;
    customerId: string;
    type: CardEntry['type'];
    at: string;
  }): Promise<CardEntry> {
    checkCustomerId(card.customerId);
    const key = keyOf({ kind: 'card', value: card.cardNumber }, 'cardNumber');
    const entry: CardEntry = cardEntry.parse({
      customerId: card.customerId,
      type: card.type,
      status: 'active',
      issuedAt: card.at,
      changedAt: card.at,
    });
    // Issued before: to the same customer it is this card (a retry); to anyone else, refused.
    const held = await createOrRead(kv, key, cardEntry, entry);
    if (held?.customerId === card.customerId) {
      // The customer's pointer to it, after the card itself: a retry mends a crash between.
      await kv.put(holdsKey(card.customerId, key), '');
      return held;
    }
    throw new ClienteleError('identifier_taken', [
      { field: 'cardNumber', message: 'was issued before: a card number is never issued twice' },
    ]);
  }

  /** Changes a card on the revision read, again if another writer came between. */
  async function changeCard(
    number: string,
    field: string,
    change: (card: CardEntry) => CardEntry,
  ): Promise<CardEntry> {
    const key = keyOf({ kind: 'card', value: number }, field);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = await live(kv, key);
      if (!entry)
        throw new ClienteleError('unknown_identifier', [{ field, message: 'was never issued' }]);
      const changed = change(read(cardEntry, entry));
      try {
        await kv.update(key, JSON.stringify(changed), entry.revision);
        return changed;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
      }
    }
    throw new ClienteleError('busy', [], `card ${field} changed by too many at once: ask again`);
  }

  const withStatus =
    (status: CardStatus, by: Omit<CardChange, 'status'>, field: string) => (card: CardEntry) => {
      const refused = refuseCardChange(card.status, status);
      if (refused)
        throw new ClienteleError('invalid_request', [{ field, message: `the card ${refused}` }]);
      const changes = [...(card.changes ?? []), { status, ...by }].slice(-CHANGES_KEPT);
      return { ...card, status, changedAt: by.at, changes };
    };

  async function setCardStatus(
    number: string,
    status: Exclude<CardStatus, 'replaced'>,
    by: Omit<CardChange, 'status'>,
  ): Promise<CardEntry> {
    return changeCard(number, 'cardNumber', withStatus(status, by, 'status'));
  }

  async function replaceCard(
    old: string,
    replacement: { cardNumber: string; type: CardEntry['type'] },
    by: Omit<CardChange, 'status'>,
  ): Promise<CardEntry> {
    const { at } = by;
    const current = await lookUp({ kind: 'card', value: old });
    const card = current.card as CardEntry;
    const refused = refuseCardChange(card.status, 'replaced');
    if (refused && card.replacedBy !== replacement.cardNumber) {
      throw new ClienteleError('invalid_request', [
        { field: 'cardNumber', message: `the card ${refused}` },
      ]);
    }
    const issued = await issueCard({ ...replacement, customerId: current.customerId, at });
    if (card.replacedBy === replacement.cardNumber) return issued;
    await changeCard(old, 'cardNumber', (c) => ({
      ...withStatus('replaced', by, 'cardNumber')(c),
      replacedBy: replacement.cardNumber,
    }));
    return issued;
  }

  /** The index keys the customer holds: their pointers, each checked against the key itself. */
  async function heldKeys(customerId: string, kind = '>'): Promise<string[]> {
    const prefix = `holds.${customerId}.`;
    const keys: string[] = [];
    for await (const key of await kv.keys(`${prefix}${kind}`)) keys.push(key.slice(prefix.length));
    return keys;
  }

  async function cardsOf(customerId: string) {
    checkCustomerId(customerId);
    const keys = await heldKeys(customerId, 'card.*');
    const cards = await Promise.all(
      keys.map(async (key) => {
        const entry = await live(kv, key);
        const card = entry && read(cardEntry, entry);
        return card?.customerId === customerId
          ? [{ ...card, cardNumber: key.slice('card.'.length) }]
          : [];
      }),
    );
    return cards
      .flat()
      .sort((a, b) => (a.issuedAt < b.issuedAt ? -1 : a.issuedAt > b.issuedAt ? 1 : 0));
  }

  async function moveHolder(from: string, into: string, merge: MergeMark) {
    checkCustomerId(from);
    checkCustomerId(into);
    // Where the absorbed record went, first: its look-ups answer with it from now on.
    await createOrRead(kv, `merged.${from}`, mergeMark, merge);
    const account = await knownAccount(from);
    const keys = [...(await heldKeys(from)), ...(account ? [`account.${account}`] : [])];
    for (const key of keys) {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const entry = await live(kv, key);
        if (!entry) break;
        const value = entry.json() as { customerId?: string };
        if (value.customerId !== from) break;
        try {
          await kv.update(key, JSON.stringify({ ...value, customerId: into }), entry.revision);
          break;
        } catch (err) {
          if (!isWrongLastSequence(err)) throw err;
        }
      }
      if (!key.startsWith('account.')) await kv.put(holdsKey(into, key), '');
    }
  }

  async function mergedInto(customerId: string): Promise<MergeMark | undefined> {
    checkCustomerId(customerId);
    const entry = await live(kv, `merged.${customerId}`);
    return entry ? read(mergeMark, entry) : undefined;
  }

  async function claimContact(
    identifier: Identifier & { kind: 'phone' | 'email' },
    customerId: string,
  ): Promise<void> {
    checkCustomerId(customerId);
    const key = keyOf(identifier);
    if (await createOrSame(kv, key, { customerId })) {
      await kv.put(holdsKey(customerId, key), '');
      return;
    }
    throw new ClienteleError('identifier_taken', [
      { field: identifier.kind, message: 'is already the contact of another customer' },
    ]);
  }

  return {
    customerFor,
    knownAccount,
    accountOf,
    lookUp,
    identifyAtTill,
    issueCard,
    setCardStatus,
    replaceCard,
    cardsOf,
    claimContact,
    moveHolder,
    mergedInto,
  };
}

function checkCustomerId(customerId: string) {
  const parsed = customerIdSchema.safeParse(customerId);
  if (!parsed.success) {
    throw new ClienteleError('invalid_request', [
      { field: 'customerId', message: parsed.error.issues[0]?.message ?? 'is invalid' },
    ]);
  }
}

/** An entry read back through its schema; one that does not check is an error naming its key. */
function read<T>(schema: z.ZodType<T>, entry: KvEntry): T {
  const parsed = schema.safeParse(entry.json());
  if (!parsed.success) {
    throw new Error(
      `identity index entry ${entry.key} does not read back: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

/**
 * Writes `value` under `key` if nothing is there; what the key holds then (`value`, or what was
 * there before), undefined if it was deleted meanwhile.
 */
async function createOrRead<T>(
  kv: KV,
  key: string,
  schema: z.ZodType<T>,
  value: T,
): Promise<T | undefined> {
  try {
    await kv.create(key, JSON.stringify(value));
    return value;
  } catch (err) {
    if (!isWrongLastSequence(err)) throw err;
  }
  const entry = await live(kv, key);
  return entry ? read(schema, entry) : undefined;
}

/**
 * Writes `{ customerId }` under `key` if nothing is there; true if the key now holds exactly that
 * (written now or before), false if it holds another customer.
 */
async function createOrSame(kv: KV, key: string, value: { customerId: string }): Promise<boolean> {
  return (await createOrRead(kv, key, holderEntry, value))?.customerId === value.customerId;
}

/**
 * The stream account numbers are drawn from: it keeps only its last message, and its count. Made
 * anew (a new deployment, or after the stream was lost), it counts on from the highest number
 * the index holds, so no number is drawn twice.
 */
async function declareAccountsStream(jsm: JetStreamManager, kv: KV, replicas: number) {
  try {
    await jsm.streams.info(ACCOUNTS_STREAM);
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  let highest = 0;
  for await (const key of await kv.keys('account.*')) {
    highest = Math.max(highest, Number(key.slice('account.'.length)) || 0);
  }
  await jsm.streams.add({
    name: ACCOUNTS_STREAM,
    subjects: [ACCOUNTS_SUBJECT],
    storage: StorageType.File,
    num_replicas: replicas,
    max_msgs: 1,
    discard: DiscardPolicy.Old,
    first_seq: highest + 1,
    description: 'Clientele account numbers: each is the sequence number of a message here',
  });
}
