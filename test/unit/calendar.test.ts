/**
 * The program calendar's arithmetic (dashboards/console/calendar.js): version spans, each earn
 * rule's window within the versions that hold it, the promotions that overlap, what is in force.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a browser module of the console, plain JavaScript without types.
import { inForce, overlaps, ruleSpans, versionSpans } from '../../dashboards/console/calendar.js';

type When = { from?: string; until?: string; daysOfWeek?: string[] };
const version = (v: string, effectiveFrom: string, rules: { id: string; when: When }[]) => ({
  version: v,
  effectiveFrom,
  earn: { rules: rules.map((r) => ({ ...r, name: r.id })), bonuses: [] },
});

const v1 = version('p@1', '2026-01-01T00:00:00.000Z', [
  { id: 'base-double', when: {} },
  { id: 'spring', when: { from: '2026-03-01', until: '2026-05-31' } },
]);
const v2 = version('p@2', '2026-04-15T08:00:00.000Z', [
  { id: 'spring', when: { from: '2026-03-01', until: '2026-05-31' } },
  { id: 'easter', when: { from: '2026-04-01', until: '2026-04-20', daysOfWeek: ['sat'] } },
  { id: 'summer', when: { from: '2026-06-01' } },
  { id: 'gone', when: { until: '2026-02-01' } },
]);

describe('the program calendar', () => {
  const spans = versionSpans([v2, v1]);
  const rules = ruleSpans(spans);

  it('spans each version to the day before the next, the last open', () => {
    expect(
      spans.map((s: { version: string; from: string; until?: string }) => [
        s.version,
        s.from,
        s.until,
      ]),
    ).toEqual([
      ['p@1', '2026-01-01', '2026-04-14'],
      ['p@2', '2026-04-15', undefined],
    ]);
  });

  it("clips each rule's window to its version, and drops a window that ended before it", () => {
    expect(
      rules.map(
        (r: { id: string; version: string; from: string; until?: string; dated: boolean }) => [
          r.id,
          r.version,
          r.from,
          r.until,
          r.dated,
        ],
      ),
    ).toEqual([
      ['base-double', 'p@1', '2026-01-01', '2026-04-14', false],
      ['spring', 'p@1', '2026-03-01', '2026-04-14', true],
      ['spring', 'p@2', '2026-04-15', '2026-05-31', true],
      ['easter', 'p@2', '2026-04-15', '2026-04-20', true],
      ['summer', 'p@2', '2026-06-01', undefined, true],
    ]);
  });

  it("keeps each rule's own dates beside the clipped window", () => {
    expect(rules[1]?.window).toEqual({ from: '2026-03-01', until: '2026-05-31' });
    expect(rules[0]?.window).toEqual({ from: undefined, until: undefined });
  });

  it('lists the promotions that share days, with the days shared', () => {
    expect(
      overlaps(rules).map(
        (p: { a: { id: string }; b: { id: string }; from: string; until?: string }) => [
          p.a.id,
          p.b.id,
          p.from,
          p.until,
        ],
      ),
    ).toEqual([['spring', 'easter', '2026-04-15', '2026-04-20']]);
  });

  it('says what is in force on a day', () => {
    expect(
      inForce(rules, '2026-04-16').map(
        (r: { id: string; version: string }) => `${r.id}@${r.version}`,
      ),
    ).toEqual(['spring@p@2', 'easter@p@2']);
    expect(inForce(rules, '2027-01-01').map((r: { id: string }) => r.id)).toEqual(['summer']);
  });
});
