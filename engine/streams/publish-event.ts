/**
 * The one way an event enters the engine: validated, then stored in JetStream under its own id,
 * so a retried publish (a till resending after a lost ack) is one event, not two.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { ClienteleError, type ErrorAnswer } from '../domain/error-codes.ts';
import { checkEventTime, type EventTimeLimits } from '../domain/event-time.ts';
import { type FieldIssue, parseRetailEvent, type RetailEvent } from '../domain/events.ts';
import { eventSubject } from './topology.ts';

export interface Accepted {
  ok: true;
  eventId: string;
  /** Position in the EVENTS stream. */
  seq: number;
  /** True when this event id was already stored: nothing new happened. */
  duplicate: boolean;
}

/** `invalid_event`, `wrong_store` or `unavailable`, with the issues per field. */
export type Refused = ErrorAnswer;

export type PublishOutcome = Accepted | Refused;

export interface Origin {
  /** The store the caller authenticated as; the event must belong to it. */
  storeId: string;
  /** The till the caller authenticated as, if it is a till. */
  tillId?: string;
}

/** The limits on `occurredAt` and the clock they are checked against (a fake one in tests). */
export interface EventTime {
  limits: EventTimeLimits;
  now: () => Date;
}

/** Checks what the caller may send: an event of its own store and, for a till, its own till. */
export function checkOrigin(event: RetailEvent, origin: Origin): Refused | undefined {
  const issues: FieldIssue[] = [];
  if (event.storeId !== origin.storeId) {
    issues.push({
      field: 'storeId',
      message: `must be ${origin.storeId}, the store this token belongs to`,
    });
  }
  if (origin.tillId !== undefined && event.tillId !== origin.tillId) {
    issues.push({
      field: 'tillId',
      message: `must be ${origin.tillId}, the till that is connected`,
    });
  }
  return issues.length > 0 ? new ClienteleError('wrong_store', issues).toAnswer() : undefined;
}

export async function publishEvent(
  js: JetStreamClient,
  input: unknown,
  origin: Origin,
  time: EventTime,
): Promise<PublishOutcome> {
  const parsed = parseRetailEvent(input);
  if (!parsed.ok) {
    // Every reason at once: the time too, when the event names a readable one.
    const occurredAt = (input as { occurredAt?: unknown } | null)?.occurredAt;
    const readable = typeof occurredAt === 'string' && !Number.isNaN(Date.parse(occurredAt));
    const mistimed = readable
      ? checkEventTime({ occurredAt }, time.now().toISOString(), time.limits)
      : [];
    return new ClienteleError('invalid_event', [...mistimed, ...parsed.issues]).toAnswer();
  }
  const mistimed = checkEventTime(parsed.event, time.now().toISOString(), time.limits);
  if (mistimed.length > 0) return new ClienteleError('invalid_event', mistimed).toAnswer();
  const refused = checkOrigin(parsed.event, origin);
  if (refused) return refused;
  const event = parsed.event;
  try {
    const ack = await js.publish(eventSubject(event.storeId), JSON.stringify(event), {
      msgID: event.eventId,
    });
    return { ok: true, eventId: event.eventId, seq: ack.seq, duplicate: ack.duplicate };
  } catch (err) {
    return new ClienteleError(
      'unavailable',
      [],
      `the event store did not confirm the event, send it again: ${(err as Error).message}`,
    ).toAnswer();
  }
}
