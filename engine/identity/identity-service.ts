/**
 * The identity service: registers customers and identifies them, over NATS request–reply
 * (`svc.identity.register`, `svc.identity.identify`), for the till and web gateways and the back
 * office; and changes cards for the service desk (`svc.identity.card`: block, unblock, report
 * lost, replace), merges two records of one person (`svc.identity.merge`) and groups customers
 * in households (`svc.identity.household`).
 *
 * A registration gives the customer an internal id (opaque: it becomes part of a workflow id),
 * an account number, and the card and contact details they will be found by, then stores the
 * `customer.registered` event, which the router takes to the customer's workflow like any other.
 * Every step can be asked again: the registration id names the customer, so a retry (after a
 * timeout, or a crash halfway) finishes the same registration and answers the same.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { mergeCustomer } from '../../workflows/merge/client.ts';
import type { SummaryStore } from '../customer-view/summary-store.ts';
import { fraudCues, identificationCues } from '../domain/cue-wording.ts';
import { ClienteleError, type FieldIssue } from '../domain/error-codes.ts';
import { type LookUpActivity, placeOf } from '../domain/fraud/messages.ts';
import { readCard } from '../domain/identity/card-number.ts';
import {
  type HouseholdAnswer,
  type HouseholdRequest,
  householdRequest,
} from '../domain/identity/households.ts';
import type { Identifier } from '../domain/identity/identifiers.ts';
import {
  type CardChangeAnswer,
  type CardChangeRequest,
  cardChangeRequest,
  type IdentifyAnswer,
  type IdentifyRequest,
  identifyRequest,
  type MergeAnswer,
  type MergeRequest,
  mergeRequest,
  type RegisterAnswer,
  type RegisterRequest,
  registerRequest,
} from '../domain/identity/messages.ts';
import type { ActivityLog } from '../fraud/activity-log.ts';
import type { FlagStore } from '../fraud/flag-store.ts';
import { type ServedStats, serveRequests } from '../services/serve-requests.ts';
import { type EventTime, publishEvent } from '../streams/publish-event.ts';
import {
  CARD_SUBJECT,
  HOUSEHOLD_SUBJECT,
  IDENTIFY_SUBJECT,
  IDENTITY_QUEUE,
  MERGE_SUBJECT,
  REGISTER_SUBJECT,
} from '../streams/topology.ts';
import type { Households } from './households.ts';
import type { CardEntry, Found, IdentityIndex } from './identity-index.ts';

export interface IdentityDeps {
  index: IdentityIndex;
  households?: Households;
  /** For merges (absent: merges are refused as unavailable). */
  temporal?: Client;
  taskQueue?: string;
  /** Customers' summaries, for the identification's answer (absent: answered without). */
  summaries?: SummaryStore;
  /** Where look-ups are noted for the anti-fraud watch (absent: not noted). */
  activity?: ActivityLog;
  /** The anti-fraud flags: cues at identification, resolved by unblocking (absent: none). */
  flags?: FlagStore;
  js: JetStreamClient;
  eventTime: EventTime;
  logger: Logger;
}

export interface IdentityService {
  readonly stats: ServedStats;
  stop(): Promise<void>;
}

/** The contact details of a registration, as identifiers. */
function contactsOf(request: RegisterRequest): (Identifier & { kind: 'phone' | 'email' })[] {
  const contacts: (Identifier & { kind: 'phone' | 'email' })[] = [];
  if (request.phone !== undefined) contacts.push({ kind: 'phone', value: request.phone });
  if (request.email !== undefined) contacts.push({ kind: 'email', value: request.email });
  return contacts;
}

/** Who holds `identifier`, if anyone. */
async function holderOf(index: IdentityIndex, identifier: Identifier): Promise<string | undefined> {
  try {
    return (await index.lookUp(identifier)).customerId;
  } catch (err) {
    if (err instanceof ClienteleError && err.code === 'unknown_identifier') return undefined;
    throw err;
  }
}

export async function register(
  deps: IdentityDeps,
  request: RegisterRequest,
): Promise<RegisterAnswer> {
  const { index } = deps;
  const { customerId, fresh } = await index.customerFor(request.registrationId);

  // Everything the customer is to be found by must be free (or theirs already, on a retry)
  // before anything of theirs is written.
  const wanted: [string, Identifier][] = contactsOf(request).map((c) => [c.kind, c]);
  if (request.card)
    wanted.push(['card.cardNumber', { kind: 'card', value: request.card.cardNumber }]);
  const taken: FieldIssue[] = [];
  for (const [field, identifier] of wanted) {
    const holder = await holderOf(index, identifier);
    if (holder !== undefined && holder !== customerId) {
      taken.push({ field, message: 'belongs to another customer' });
    }
  }
  if (taken.length > 0) return new ClienteleError('identifier_taken', taken).toAnswer();

  const occurredAt = request.occurredAt ?? deps.eventTime.now().toISOString();
  for (const contact of contactsOf(request)) await index.claimContact(contact, customerId);
  const accountNumber = await index.accountOf(customerId);
  if (request.card) {
    await index.issueCard({ ...request.card, customerId, at: occurredAt });
  }
  const profile =
    request.profile || request.phone || request.email
      ? {
          ...request.profile,
          phone: request.phone ?? request.profile?.phone,
          email: request.email ?? request.profile?.email,
        }
      : undefined;
  const stored = await publishEvent(
    deps.js,
    {
      type: 'customer.registered',
      eventId: `registration-${request.registrationId}`,
      occurredAt,
      storeId: request.storeId,
      tillId: request.tillId,
      channel: request.channel,
      customerId,
      accountNumber,
      consent: request.consent,
      profile,
      tags: request.tags,
    },
    { storeId: request.storeId, tillId: request.tillId },
    deps.eventTime,
  );
  if (!stored.ok) return stored;
  return {
    ok: true,
    customerId,
    accountNumber,
    cardNumber: request.card?.cardNumber,
    repeated: !fresh,
  };
}

/** The identifier a request names, or the issue with it. */
function identifierOf(request: IdentifyRequest): Identifier | FieldIssue {
  if (request.card) {
    const read = readCard(request.card.payload, request.card.source);
    return read.ok
      ? { kind: 'card', value: read.cardNumber }
      : { field: 'card.payload', message: read.message };
  }
  if (request.accountNumber !== undefined) return { kind: 'account', value: request.accountNumber };
  if (request.phone !== undefined) return { kind: 'phone', value: request.phone };
  return { kind: 'email', value: request.email as string };
}

export async function identify(
  deps: IdentityDeps,
  request: IdentifyRequest,
): Promise<IdentifyAnswer> {
  const identifier = identifierOf(request);
  if ('field' in identifier) {
    note(deps, request, { outcome: 'invalid' });
    return new ClienteleError('invalid_request', [identifier]).toAnswer();
  }
  // Tills and the web shop sell to the customer: a card they may not use is refused.
  let found: Found;
  try {
    found = await deps.index.identifyAtTill(identifier);
  } catch (err) {
    if (err instanceof ClienteleError && err.code === 'unknown_identifier') {
      note(deps, request, { outcome: 'unknown', identifier });
    } else if (err instanceof ClienteleError && err.code === 'card_refused') {
      // Whose card it is, and why it was refused: the watch flags a lost card used.
      const refused = await deps.index.lookUp(identifier);
      note(deps, request, { outcome: 'refused', identifier, found: refused });
    }
    throw err;
  }
  note(deps, request, { outcome: 'found', identifier, found });
  const [accountNumber, summary, flags] = await Promise.all([
    deps.index.knownAccount(found.customerId),
    deps.summaries?.read(found.customerId),
    // A card's flags are listed under its holder too: one read on the till's path.
    deps.flags?.of({ customerId: found.customerId }),
  ]);
  return {
    ok: true,
    customerId: found.customerId,
    accountNumber,
    card: found.card && {
      cardNumber: found.card.cardNumber,
      status: found.card.status,
      type: found.card.type,
    },
    summary,
    cues: [
      ...fraudCues(flags ?? []),
      ...identificationCues(summary, deps.eventTime.now().toISOString()),
    ],
  };
}

/** A look-up, noted for the anti-fraud watch. */
function note(
  deps: IdentityDeps,
  request: IdentifyRequest,
  what: { outcome: LookUpActivity['outcome']; identifier?: Identifier; found?: Found },
) {
  const { identifier, found } = what;
  deps.activity?.note({
    kind: 'look-up',
    at: deps.eventTime.now().toISOString(),
    ...placeOf(request),
    // Only a card can be misread (no identifier then).
    identifier: identifier?.kind ?? 'card',
    ...(identifier?.kind === 'card' && { cardNumber: identifier.value }),
    ...(found && { customerId: found.customerId }),
    outcome: what.outcome,
    ...(found?.card && { cardStatus: found.card.status }),
  });
}

/**
 * A service desk's change to a card: block, unblock, report lost, replace by a new card, or link
 * a new card to a customer the engine knows.
 */
export async function changeCard(
  deps: IdentityDeps,
  request: CardChangeRequest,
): Promise<CardChangeAnswer> {
  const at = request.at ?? deps.eventTime.now().toISOString();
  const { index } = deps;
  const by = { operatorId: request.operatorId, reason: request.reason, at };
  deps.logger.info({ change: request.change, operatorId: request.operatorId }, 'card change');
  const shown = (cardNumber: string, card: CardEntry) => ({
    cardNumber,
    status: card.status,
    type: card.type,
  });
  if (request.change === 'link') {
    const customerId = request.customerId as string;
    if (deps.summaries && !(await deps.summaries.read(customerId))) {
      throw new ClienteleError('unknown_customer', [
        { field: 'customerId', message: 'is no customer of this engine yet' },
      ]);
    }
    const issued = await index.issueCard({
      cardNumber: request.cardNumber,
      customerId,
      type: request.type ?? 'plastic',
      at,
    });
    return { ok: true, customerId, card: shown(request.cardNumber, issued) };
  }
  if (request.change === 'replace') {
    const replacement = request.replacement as NonNullable<CardChangeRequest['replacement']>;
    const issued = await index.replaceCard(request.cardNumber, replacement, by);
    const old = await index.lookUp({ kind: 'card', value: request.cardNumber });
    return {
      ok: true,
      customerId: issued.customerId,
      card: shown(request.cardNumber, old.card as CardEntry),
      replacement: shown(replacement.cardNumber, issued),
    };
  }
  const status = ({ block: 'blocked', unblock: 'active', 'report-lost': 'lost' } as const)[
    request.change
  ];
  const card = await index.setCardStatus(request.cardNumber, status, by);
  // Unblocked by the service desk: what the watch flagged on the card was looked into.
  const resolvedFlags: string[] = [];
  if (request.change === 'unblock' && deps.flags) {
    for (const flag of await deps.flags.of({ cardNumbers: [request.cardNumber] })) {
      if (flag.status !== 'open') continue;
      await deps.flags.resolve(flag.flagId, by);
      resolvedFlags.push(flag.flagId);
    }
  }
  return {
    ok: true,
    customerId: card.customerId,
    card: shown(request.cardNumber, card),
    ...(resolvedFlags.length > 0 && { resolvedFlags }),
  };
}

/** The service desk's changes to a household. */
export async function changeHousehold(
  deps: IdentityDeps,
  request: HouseholdRequest,
): Promise<HouseholdAnswer> {
  if (!deps.households) throw new ClienteleError('unavailable', [], 'households are not kept here');
  const at = request.at ?? deps.eventTime.now().toISOString();
  deps.logger.info({ change: request.change, operatorId: request.operatorId }, 'household change');
  // Only customers the engine knows may be grouped.
  for (const [i, customerId] of request.customerIds.entries()) {
    if (request.change !== 'leave' && !(await deps.summaries?.read(customerId))) {
      throw new ClienteleError('unknown_customer', [
        { field: `customerIds[${i}]`, message: 'is no customer of this engine yet' },
      ]);
    }
  }
  const [first] = request.customerIds as [string];
  switch (request.change) {
    case 'create':
      return {
        ok: true,
        household: await deps.households.create(request.householdId, request.customerIds, at),
      };
    case 'join':
      return { ok: true, household: await deps.households.join(request.householdId, first) };
    case 'leave':
      return { ok: true, household: await deps.households.leave(request.householdId, first) };
  }
}

/** The service desk's merge of two records of one person (`workflows/merge`). */
export async function merge(deps: IdentityDeps, request: MergeRequest): Promise<MergeAnswer> {
  if (!deps.temporal || !deps.taskQueue) {
    throw new ClienteleError('unavailable', [], 'merges need the Temporal client');
  }
  const at = request.at ?? deps.eventTime.now().toISOString();
  deps.logger.info({ mergeId: request.mergeId, operatorId: request.operatorId }, 'merge');
  const outcome = await mergeCustomer(deps.temporal, deps.taskQueue, {
    mergeId: request.mergeId,
    absorbedCustomerId: request.absorbedCustomerId,
    survivorCustomerId: request.survivorCustomerId,
    operatorId: request.operatorId,
    at,
    storeId: request.storeId,
  });
  return { ok: true, ...outcome };
}

export function startIdentityService(nc: NatsConnection, deps: IdentityDeps): IdentityService {
  const stats: ServedStats = { answered: 0, refused: 0, failed: 0 };
  const serve = <R>(
    subject: string,
    schema: z.ZodType<R>,
    handle: (request: R) => Promise<{ ok: boolean }>,
  ) =>
    serveRequests(nc, subject, IDENTITY_QUEUE, schema, handle, {
      stats,
      logger: deps.logger,
      what: 'identity service',
    });
  const served = [
    serve(REGISTER_SUBJECT, registerRequest, (request) => register(deps, request)),
    serve(IDENTIFY_SUBJECT, identifyRequest, (request) => identify(deps, request)),
    serve(CARD_SUBJECT, cardChangeRequest, (request) => changeCard(deps, request)),
    serve(MERGE_SUBJECT, mergeRequest, (request) => merge(deps, request)),
    serve(HOUSEHOLD_SUBJECT, householdRequest, (request) => changeHousehold(deps, request)),
  ];
  return {
    stats,
    async stop() {
      await Promise.all(served.map((s) => s.stop()));
    },
  };
}
