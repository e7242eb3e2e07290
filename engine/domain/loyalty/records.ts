/**
 * Events that move no points but belong to the customer's record: a profile change, a service
 * contact, a campaign response. The book remembers each (a resend is a duplicate) and takes from
 * a profile change what its rules read: the member's tags and the month and day of birth.
 */
import type { RecordEvent } from '../events.ts';
import type { LoyaltyResult } from './contract.ts';
import { applied, duplicate, firstTime, type Run } from './posting.ts';

/** The id a record is known by: its own id where it has one, so a re-sent copy is one record. */
export function recordKey(event: RecordEvent): string {
  switch (event.type) {
    case 'service.interaction':
      return `service/${event.interactionId}`;
    case 'campaign.response':
      return `campaign/${event.responseId}`;
    case 'profile.changed':
      return event.eventId;
  }
}

export function applyRecord(run: Run, event: RecordEvent): LoyaltyResult {
  const { state } = run;
  if (!firstTime(state, recordKey(event))) return duplicate();
  if (event.type === 'profile.changed') {
    // Lists are replaced whole; `null` clears.
    if (event.tags !== undefined) state.tags = [...new Set(event.tags ?? [])].sort();
    if (event.birthMonthDay !== undefined) state.birthMonthDay = event.birthMonthDay ?? undefined;
  }
  return applied();
}
