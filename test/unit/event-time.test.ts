import { describe, expect, it } from 'vitest';
import { checkEventTime } from '../../engine/domain/event-time.ts';

const limits = { maxClockSkewSeconds: 300, earliestOccurredAt: '2000-01-01T00:00:00Z' };
const receivedAt = '2026-12-01T16:00:00Z';
const check = (occurredAt: string) => checkEventTime({ occurredAt }, receivedAt, limits);

describe('event time limits', () => {
  it('refuses an event dated further ahead of the receiving clock than the skew', () => {
    expect(check('2099-12-01T16:00:00Z')).toEqual([
      {
        field: 'occurredAt',
        message:
          'is 73 years ahead of the receiving clock (2026-12-01T16:00:00.000Z); at most 300 s ahead is accepted',
      },
    ]);
    expect(check('2026-12-01T16:05:01Z')[0]?.message).toMatch(/^is 301 s ahead/);
    expect(check('2026-12-01T19:00:00Z')[0]?.message).toMatch(/^is 3 hours ahead/);
    expect(check('2026-12-11T16:00:00Z')[0]?.message).toMatch(/^is 10 days ahead/);
  });

  it('accepts a till clock that runs up to the skew ahead, with any offset', () => {
    expect(check('2026-12-01T16:05:00Z')).toEqual([]);
    expect(check('2026-12-01T17:04:59+01:00')).toEqual([]);
    expect(check('2026-12-01T17:05:01+01:00').map((i) => i.field)).toEqual(['occurredAt']);
  });

  it('accepts events from the past: a till that was offline, a sale months ago', () => {
    expect(check('2026-12-01T15:59:59Z')).toEqual([]);
    expect(check('2026-03-14T09:30:00.250+01:00')).toEqual([]);
    expect(check('2000-01-01T00:00:00Z')).toEqual([]);
  });

  it('refuses an event dated before the earliest date accepted', () => {
    expect(check('1970-01-01T00:00:00Z')).toEqual([
      {
        field: 'occurredAt',
        message:
          'is before 2000-01-01T00:00:00.000Z, the earliest date accepted (events.earliestOccurredAt)',
      },
    ]);
    expect(check('2000-01-01T00:59:59+01:00').map((i) => i.field)).toEqual(['occurredAt']);
  });

  it('reads no clock of its own: the same event passes or not by the instant given', () => {
    const event = { occurredAt: '2027-06-01T00:00:00Z' };
    expect(checkEventTime(event, '2026-12-01T00:00:00Z', limits)).toHaveLength(1);
    expect(checkEventTime(event, '2027-06-01T00:00:00Z', limits)).toEqual([]);
  });
});
