/**
 * The lifecycle section of a program file: a valid one parses with its defaults filled; each
 * mistake is refused naming its field.
 */
import { describe, expect, it } from 'vitest';
import { ProgramError, parseProgram } from '../../../engine/domain/loyalty/program-schema.ts';

const program = (lifecycle: unknown) => ({
  id: 'test',
  name: 'Test',
  currency: 'EUR',
  pointValue: { points: 100, minor: 100 },
  earn: { base: { rate: { points: 1, perMinor: 100 } } },
  lifecycle,
});

function refusal(lifecycle: unknown): { field: string; message: string }[] {
  try {
    parseProgram(program(lifecycle));
  } catch (err) {
    if (err instanceof ProgramError) return err.issues;
    throw err;
  }
  throw new Error('parsed');
}

describe('the lifecycle section', () => {
  it('parses the rules with their defaults', () => {
    const parsed = parseProgram(
      program({
        timeZone: 'Europe/Berlin',
        storeTimeZones: { S002: 'Europe/Lisbon' },
        rules: [
          { id: 'lapsed', on: 'lapsed', afterDays: 90, byTier: { gold: 120 } },
          { id: 'back', on: 'returned', afterDays: 120, cue: { message: 'Welcome back' } },
          { id: 'birthday', on: 'birthday', leadDays: 3 },
          { id: 'beans', on: 'replenishment', categories: ['coffee'], cycleDays: 30 },
          { id: 'tenth', on: 'visits', count: 10 },
          { id: 'big', on: 'lifetime-spend', thresholdMinor: 100_000 },
        ],
      }),
    );
    expect(parsed.lifecycle).toMatchObject({
      timeZone: 'Europe/Berlin',
      leapDay: 'feb-28',
      rules: [
        { id: 'lapsed' },
        { id: 'back', cue: { message: 'Welcome back', validDays: 7 } },
        { id: 'birthday', at: '09:00', leadDays: 3 },
        { id: 'beans', minPurchases: 3, leadDays: 0, at: '09:00' },
        { id: 'tenth', count: 10 },
        { id: 'big', thresholdMinor: 100_000 },
      ],
    });
    expect(parseProgram(program(undefined)).lifecycle).toBeUndefined();
  });

  it('refuses each mistake, naming its field', () => {
    expect(refusal({ timeZone: 'Mars/Olympus' })).toEqual([
      { field: 'lifecycle.timeZone', message: 'must be an IANA time zone such as "Europe/Berlin"' },
    ]);
    expect(refusal({ rules: [{ id: 'b', on: 'birthday', at: '9:00' }] })).toEqual([
      { field: 'lifecycle.rules[0].at', message: 'must be a local time such as "09:00"' },
    ]);
    expect(refusal({ rules: [{ id: 'r', on: 'replenishment', cycleDays: 30 }] })).toEqual([
      { field: 'lifecycle.rules[0].skus', message: 'names skus or categories, one of the two' },
    ]);
    expect(refusal({ rules: [{ id: 'm', on: 'full-moon' }] })[0]?.field).toBe(
      'lifecycle.rules[0].on',
    );
    expect(
      refusal({
        rules: [
          { id: 'x', on: 'visits', count: 10 },
          { id: 'x', on: 'visits', count: 20 },
        ],
      }),
    ).toEqual([{ field: 'lifecycle.rules[1].id', message: 'repeats "x"' }]);
    expect(refusal({ rules: [{ id: 'l', on: 'lapsed', afterDays: 0 }] })).toEqual([
      { field: 'lifecycle.rules[0].afterDays', message: 'must be at least 1 day' },
    ]);
  });
});
