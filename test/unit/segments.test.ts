/**
 * The segment language: conditions compiled from what a marketer writes, evaluated on a
 * customer's measures, and every mistake named with its field and line.
 */
import { describe, expect, it } from 'vitest';
import { condition } from '../../engine/domain/segments/condition-schema.ts';
import {
  type Condition,
  type Measure,
  type MeasureValue,
  measuresOf,
  meets,
} from '../../engine/domain/segments/conditions.ts';
import { parseCondition, SegmentExpressionError } from '../../engine/segments/expression.ts';
import { parseSegmentsText } from '../../engine/segments/load-segments.ts';
import { SegmentListError } from '../../engine/segments/segment-schema.ts';

/** A customer's measures; windowed ones by `<measure>(<days>)`. */
const customer =
  (values: Record<string, MeasureValue>) =>
  (m: Measure): MeasureValue =>
    values[m.days === undefined ? m.measure : `${m.measure}(${m.days})`];

const problemsOf = (text: string): string[] => {
  try {
    parseCondition(text);
  } catch (err) {
    if (err instanceof SegmentExpressionError) return err.problems;
    throw err;
  }
  throw new Error(`"${text}" parsed`);
};

describe('the segment language', () => {
  it('compiles the examples to condition data', () => {
    expect(parseCondition('recency_days > 90 and tier in [gold, platinum]')).toEqual({
      all: [
        { of: { measure: 'recency_days' }, compare: '>', value: 90 },
        { of: { measure: 'tier' }, oneOf: ['gold', 'platinum'] },
      ],
    });
    expect(parseCondition('spend_minor(90) >= 50000 and not (coffee in categories(30))')).toEqual({
      all: [
        { of: { measure: 'spend_minor', days: 90 }, compare: '>=', value: 50000 },
        { not: { of: { measure: 'categories', days: 30 }, has: 'coffee' } },
      ],
    });
    expect(parseCondition('visits(365) >= 12 or tags has vip or tier == "gold"')).toEqual({
      any: [
        { of: { measure: 'visits', days: 365 }, compare: '>=', value: 12 },
        { of: { measure: 'tags' }, has: 'vip' },
        { of: { measure: 'tier' }, compare: '==', value: 'gold' },
      ],
    });
    // `and` binds tighter than `or`; brackets say otherwise.
    expect(parseCondition('age < 30 or age > 60 and tier == gold')).toEqual({
      any: [
        { of: { measure: 'age' }, compare: '<', value: 30 },
        {
          all: [
            { of: { measure: 'age' }, compare: '>', value: 60 },
            { of: { measure: 'tier' }, compare: '==', value: 'gold' },
          ],
        },
      ],
    });
    expect(parseCondition('"home & garden" in categories(30)')).toEqual({
      of: { measure: 'categories', days: 30 },
      has: 'home & garden',
    });
  });

  it('decides who is in lapsed-gold: over 90 days, gold or platinum, and a purchase ever', () => {
    const lapsedGold = parseCondition('recency_days > 90 and tier in [gold, platinum]');
    const cases: [Record<string, MeasureValue>, boolean][] = [
      [{ recency_days: 91, tier: 'gold' }, true],
      [{ recency_days: 400, tier: 'platinum' }, true],
      [{ recency_days: 90, tier: 'gold' }, false],
      [{ recency_days: 200, tier: 'silver' }, false],
      // Never bought: no recency, not lapsed.
      [{ tier: 'gold' }, false],
      [{ recency_days: 120 }, false],
    ];
    for (const [values, expected] of cases) {
      expect(meets(lapsedGold, customer(values)), JSON.stringify(values)).toBe(expected);
    }
  });

  it('evaluates windows, sets, negation and every comparison', () => {
    const c = customer({
      'spend_minor(90)': 60_000,
      'spend_minor(30)': 1_000,
      'categories(30)': ['tea', 'bakery'],
      tags: ['vip'],
      points_balance: 250,
      home_store: 'S002',
    });
    const yes = (text: string) => expect(meets(parseCondition(text), c), text).toBe(true);
    const no = (text: string) => expect(meets(parseCondition(text), c), text).toBe(false);
    yes('spend_minor(90) >= 50000');
    no('spend_minor(30) >= 50000');
    yes('not (coffee in categories(30))');
    yes('categories(30) has tea');
    no('tags has staff');
    yes('points_balance == 250 and points_balance != 251 and points_balance <= 250');
    no('points_balance < 250 or points_balance > 250');
    yes('home_store in [S001, S002]');
    no('home_store == S001');
    // An unknown measure (no birth date) meets no comparison; its negation is met.
    no('age >= 18');
    yes('not (age >= 18)');
  });

  it('names each mistake', () => {
    expect(problemsOf('recency > 90')).toEqual([
      expect.stringMatching(/^unknown measure "recency": one of recency_days, visits/),
    ]);
    expect(problemsOf('spend_minor > 100')).toEqual([
      'spend_minor needs its window in days, as spend_minor(90)',
    ]);
    expect(problemsOf('visits(0) > 1')).toEqual([
      'visits(…) takes one whole number of days, 1 to 3650',
    ]);
    expect(problemsOf('tier(30) == gold')).toEqual([
      'tier takes no days: write it without brackets',
    ]);
    expect(problemsOf('tier > gold')).toEqual([
      'tier is a word: compare it with == or != (or use in [...])',
    ]);
    expect(problemsOf('tags == vip')).toEqual([
      'tags is a set of words: ask whether it has one (tags has x)',
    ]);
    expect(problemsOf('recency_days in [soon]')).toEqual([
      'recency_days is a number: "soon" is not a number',
    ]);
    expect(problemsOf('tier has gold')).toEqual(['tier is a word, not a set: use == or in [...]']);
    expect(problemsOf('recency_days >> 90')).toEqual([
      'Expected expression after > (at character 15)',
    ]);
    expect(problemsOf('recency_days')).toEqual([
      expect.stringMatching(/^"recency_days" is not a condition/),
    ]);
    // Every mistake of a condition at once, not only the first.
    expect(problemsOf('recency > 1 and tier > gold')).toHaveLength(2);
  });

  it('compiles to data that survives JSON and the schema, and lists the measures it needs', () => {
    const compiled = parseCondition(
      'recency_days > 90 and (spend_minor(90) > 1 or spend_minor(90) > 2) and vip in tags',
    );
    const trip: Condition = condition.parse(JSON.parse(JSON.stringify(compiled)));
    expect(trip).toEqual(compiled);
    expect(measuresOf(compiled)).toEqual([
      { measure: 'recency_days' },
      { measure: 'spend_minor', days: 90 },
      { measure: 'tags' },
    ]);
  });
});

describe('a segment list file', () => {
  it('parses into segments with their conditions', () => {
    const segments = parseSegmentsText(
      [
        'segments:',
        '  - id: lapsed-gold',
        '    name: Gold members who stopped buying',
        '    when: recency_days > 90 and tier in [gold, platinum]',
        '  - id: coffee-lovers',
        '    when: categories(30) has coffee',
      ].join('\n'),
      'segments.yaml',
    );
    expect(segments.map((s) => s.id)).toEqual(['lapsed-gold', 'coffee-lovers']);
    expect(segments[0]).toMatchObject({
      name: 'Gold members who stopped buying',
      when: 'recency_days > 90 and tier in [gold, platinum]',
    });
    expect(segments[1]?.condition).toEqual({
      of: { measure: 'categories', days: 30 },
      has: 'coffee',
    });
  });

  it('names every bad field with its line', () => {
    const text = [
      'segments:',
      '  - id: lapsed-gold',
      '    when: recency_days > 90',
      '  - id: Big Spenders',
      '    when: spend_minor > 100000',
      '  - id: lapsed-gold',
      '    when: tier == gold',
      '    colour: gold',
    ].join('\n');
    let error: unknown;
    try {
      parseSegmentsText(text, 'segments.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SegmentListError);
    const issues = (error as SegmentListError).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          field: 'segments[1].id',
          message: expect.stringMatching(/lower-case letters.*\(line 4\)$/),
        }),
        expect.objectContaining({
          field: 'segments[1].when',
          message: 'spend_minor needs its window in days, as spend_minor(90) (line 5)',
        }),
        expect.objectContaining({
          field: 'segments[2]',
          message: expect.stringMatching(/colour.*\(line 8\)$/),
        }),
      ]),
    );
    expect((error as Error).message).toMatch(/^segments\.yaml is not a valid segment list/);
  });

  it('names a segment given twice, and a YAML syntax error with its line and column', () => {
    expect(() =>
      parseSegmentsText(
        'segments:\n  - id: a\n    when: age > 1\n  - id: a\n    when: age > 2\n',
        's.yaml',
      ),
    ).toThrow(/segments\[1\]\.id: repeats "a" \(line 4\)/);
    expect(() => parseSegmentsText('segments:\n  - id: a\n   when: [', 's.yaml')).toThrow(
      /\(YAML syntax\): .*\(line \d+, column \d+\)/,
    );
  });
});
