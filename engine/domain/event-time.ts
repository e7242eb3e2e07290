/**
 * Limits on when an event may say it happened. A till whose clock was reset (1970) or runs far
 * ahead would otherwise date its sales wrongly for good: points that expire at once or never,
 * tiers reviewed on the wrong year. Pure: the receiving instant is passed in, never read here.
 */
import type { FieldIssue, RetailEvent } from './events.ts';

export interface EventTimeLimits {
  /** How far ahead of the receiving clock `occurredAt` may be, in seconds. */
  maxClockSkewSeconds: number;
  /** The earliest `occurredAt` accepted, an ISO 8601 instant. */
  earliestOccurredAt: string;
}

/** A duration for a person: seconds up to two hours, then hours, days, years. */
function describeDuration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 7200) return `${Math.ceil(seconds)} s`;
  const hours = seconds / 3600;
  if (hours < 72) return `${Math.round(hours)} hours`;
  const days = hours / 24;
  if (days < 730) return `${Math.round(days)} days`;
  return `${Math.round(days / 365.25)} years`;
}

/** The problems with an event's `occurredAt` as received at `receivedAt`; none when it is fine. */
export function checkEventTime(
  event: Pick<RetailEvent, 'occurredAt'>,
  receivedAt: string,
  limits: EventTimeLimits,
): FieldIssue[] {
  const occurred = Date.parse(event.occurredAt);
  const received = Date.parse(receivedAt);
  const earliest = Date.parse(limits.earliestOccurredAt);
  const issues: FieldIssue[] = [];
  const ahead = occurred - received;
  if (ahead > limits.maxClockSkewSeconds * 1000) {
    issues.push({
      field: 'occurredAt',
      message: `is ${describeDuration(ahead)} ahead of the receiving clock (${new Date(received).toISOString()}); at most ${limits.maxClockSkewSeconds} s ahead is accepted`,
    });
  }
  if (occurred < earliest) {
    issues.push({
      field: 'occurredAt',
      message: `is before ${new Date(earliest).toISOString()}, the earliest date accepted (events.earliestOccurredAt)`,
    });
  }
  return issues;
}
