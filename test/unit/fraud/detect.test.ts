/**
 * The anti-fraud rules at work (`createFraudDetector`): each rule flags the case built for it,
 * once per episode, with its id, subject, action, evidence and message; a normal customer's week
 * raises nothing; the same activities raise the same flags again; a disabled rule is silent.
 */
import { describe, expect, it } from 'vitest';
import { createFraudDetector } from '../../../engine/domain/fraud/detect.ts';
import {
  type CardActivity,
  cardActivity,
  type FraudFlag,
  fraudFlag,
} from '../../../engine/domain/fraud/messages.ts';
import {
  distanceKm,
  type FraudRules,
  fraudRules,
  type StoreLocation,
} from '../../../engine/domain/fraud/rules.ts';
import { cardNumberOf } from '../../../engine/domain/identity/card-number.ts';

type LookUp = Extract<CardActivity, { kind: 'look-up' }>;
type Redemption = Extract<CardActivity, { kind: 'redemption' }>;

const BERLIN: StoreLocation = { latitude: 52.52, longitude: 13.405 };
const HAMBURG: StoreLocation = { latitude: 53.5511, longitude: 9.9937 };
const MUNICH: StoreLocation = { latitude: 48.1372, longitude: 11.5756 };
/** About 5 km east of the Berlin store. */
const BERLIN_EAST: StoreLocation = { latitude: 52.52, longitude: 13.4788 };

/** The stores; WEB, the web shop, has no location. */
const LOCATIONS: Record<string, StoreLocation> = {
  S001: BERLIN,
  S002: HAMBURG,
  S003: MUNICH,
  S004: BERLIN_EAST,
};

const DEFAULTS = fraudRules.parse({});

const ANNA = 'c-anna';
const ANNA_CARD = cardNumberOf('279901', 1);
const BERT = 'c-bert';
const BERT_CARD = cardNumberOf('279901', 2);

/** Monday 2 March 2026, 10:00 UTC. */
const START = Date.parse('2026-03-02T10:00:00Z');
const MINUTE = 60_000;
const DAY = 86_400_000;
/** The instant `minutes` after the start. */
const at = (minutes: number) => new Date(START + minutes * MINUTE).toISOString();

function lookUp(minutes: number, fields: Partial<LookUp> = {}): LookUp {
  return {
    kind: 'look-up',
    at: at(minutes),
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    identifier: 'card',
    cardNumber: ANNA_CARD,
    customerId: ANNA,
    outcome: 'found',
    ...fields,
  };
}

function redemption(minutes: number, fields: Partial<Redemption> = {}): Redemption {
  return {
    kind: 'redemption',
    at: at(minutes),
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    redemptionId: `r-${minutes}`,
    customerId: ANNA,
    cardNumber: ANNA_CARD,
    points: 500,
    outcome: 'granted',
    ...fields,
  };
}

/** `activity` without the optional fields `keys` (a till that names no card, no till id, …). */
function without<A extends CardActivity>(
  activity: A,
  ...keys: ('cardNumber' | 'customerId' | 'tillId')[]
): A {
  const copy: Partial<Record<string, unknown>> = { ...activity };
  for (const key of keys) delete copy[key];
  return copy as A;
}

/**
 * The flags `activities` raise in a new detector, read in order with sequence numbers 1, 2, …
 * Every activity and flag is checked against its message schema on the way.
 */
function run(activities: CardActivity[], rules: FraudRules = DEFAULTS): FraudFlag[] {
  const detector = createFraudDetector(rules, LOCATIONS);
  const flags: FraudFlag[] = [];
  activities.forEach((activity, i) => {
    expect(cardActivity.parse(activity)).toEqual(activity);
    for (const raised of detector.observe(activity, i + 1)) {
      expect(fraudFlag.parse(raised)).toEqual(raised);
      flags.push(raised);
    }
  });
  return flags;
}

describe('distanceKm', () => {
  it('measures Berlin to Munich as about 504 km', () => {
    const km = distanceKm(BERLIN, MUNICH);
    expect(km).toBeGreaterThan(502);
    expect(km).toBeLessThan(506);
  });

  it('is zero for the same point and the same both ways', () => {
    expect(distanceKm(BERLIN, BERLIN)).toBe(0);
    expect(distanceKm(MUNICH, { ...MUNICH })).toBe(0);
    expect(distanceKm(MUNICH, BERLIN)).toBeCloseTo(distanceKm(BERLIN, MUNICH), 9);
    expect(distanceKm(HAMBURG, BERLIN)).toBeCloseTo(distanceKm(BERLIN, HAMBURG), 9);
  });

  it('puts the test stores where the tests need them', () => {
    expect(Math.round(distanceKm(BERLIN, HAMBURG))).toBe(255);
    const near = distanceKm(BERLIN, BERLIN_EAST);
    expect(near).toBeGreaterThan(4.9);
    expect(near).toBeLessThan(5.1);
  });
});

describe('the fraud rules', () => {
  it('fills the documented defaults', () => {
    expect(fraudRules.parse({})).toEqual({
      redemptionVelocity: { enabled: true, maxRedemptions: 3, withinMinutes: 60, action: 'flag' },
      impossibleTravel: { enabled: true, maxSpeedKmh: 250, minDistanceKm: 20, action: 'flag' },
      tillMisses: { enabled: true, maxMisses: 10, withinMinutes: 10 },
      lostCardUse: { enabled: true, action: 'flag' },
      lookbackHours: 24,
    });
  });

  it('keeps the values given and fills the rest of the rule', () => {
    expect(
      fraudRules.parse({ redemptionVelocity: { action: 'block' } }).redemptionVelocity,
    ).toEqual({ enabled: true, maxRedemptions: 3, withinMinutes: 60, action: 'block' });
  });

  it('refuses a bad value, naming its path', () => {
    const result = fraudRules.safeParse({ redemptionVelocity: { maxRedemptions: 0 } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map(({ path, code }) => ({ path, code }))).toEqual([
      { path: ['redemptionVelocity', 'maxRedemptions'], code: 'too_small' },
    ]);
  });

  it('refuses a look-back shorter than the longest window', () => {
    const result = fraudRules.safeParse({
      lookbackHours: 1,
      redemptionVelocity: { withinMinutes: 120 },
    });
    expect(result.error?.issues.map(({ path, message }) => ({ path, message }))).toEqual([
      {
        path: ['lookbackHours'],
        message: 'must cover the longest window (120 minutes): at least 2',
      },
    ]);
  });

  it('refuses an unknown rule', () => {
    const result = fraudRules.safeParse({ velocity: {} });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map(({ path, code }) => ({ path, code }))).toEqual([
      { path: [], code: 'unrecognized_keys' },
    ]);
  });
});

describe('redemption velocity', () => {
  it('flags the fourth granted redemption with one card within the hour', () => {
    const activities = [
      redemption(0),
      redemption(12),
      redemption(25, { storeId: 'S004', tillId: 'T9' }),
      redemption(41),
    ];
    expect(run(activities)).toEqual([
      {
        flagId: 'redemption-velocity-4',
        rule: 'redemption-velocity',
        at: at(41),
        cardNumber: ANNA_CARD,
        customerId: ANNA,
        message: '4 redemptions with this card in 41 minutes (more than 3 in 60)',
        evidence: activities,
        action: 'flag',
        status: 'open',
      },
    ]);
  });

  it('does not flag three', () => {
    expect(run([redemption(0), redemption(12), redemption(25)])).toEqual([]);
  });

  it('counts an activity read again (its place in the stream seen before) once', () => {
    const detector = createFraudDetector(DEFAULTS, LOCATIONS);
    const raised = [redemption(0), redemption(10), redemption(20)].flatMap((a, i) =>
      detector.observe(a, i + 1),
    );
    expect([...raised, ...detector.observe(redemption(20), 3)]).toEqual([]);
    expect(detector.observe(redemption(30), 4).map((f) => f.flagId)).toEqual([
      'redemption-velocity-4',
    ]);
  });

  it('does not count refused redemptions', () => {
    const g1 = redemption(0);
    const g2 = redemption(15);
    const g3 = redemption(20);
    const g4 = redemption(30);
    const refused = (m: number) =>
      redemption(m, { outcome: 'refused', code: 'insufficient-points' });
    const before = [g1, refused(5), refused(10), g2, g3];
    expect(run(before)).toEqual([]);
    expect(run([...before, g4])).toEqual([
      {
        flagId: 'redemption-velocity-6',
        rule: 'redemption-velocity',
        at: at(30),
        cardNumber: ANNA_CARD,
        customerId: ANNA,
        message: '4 redemptions with this card in 30 minutes (more than 3 in 60)',
        evidence: [g1, g2, g3, g4],
        action: 'flag',
        status: 'open',
      },
    ]);
  });

  it('keys by customer when the till names no card', () => {
    const activities = [0, 5, 10, 20].map((m) => without(redemption(m), 'cardNumber'));
    expect(run(activities)).toEqual([
      {
        flagId: 'redemption-velocity-4',
        rule: 'redemption-velocity',
        at: at(20),
        customerId: ANNA,
        message: '4 redemptions by this customer in 20 minutes (more than 3 in 60)',
        evidence: activities,
        action: 'flag',
        status: 'open',
      },
    ]);
  });

  it('counts two cards apart', () => {
    const activities = [
      redemption(0),
      redemption(1, { cardNumber: BERT_CARD, customerId: BERT }),
      redemption(2),
      redemption(3, { cardNumber: BERT_CARD, customerId: BERT }),
      redemption(4),
      redemption(5, { cardNumber: BERT_CARD, customerId: BERT }),
    ];
    expect(run(activities)).toEqual([]);
  });

  it('stays quiet on a fifth in the same window, and flags a new episode after it', () => {
    const first = [redemption(0), redemption(12), redemption(25), redemption(41)];
    const fifth = redemption(50);
    const second = [redemption(120), redemption(130), redemption(140), redemption(150)];
    const flags = run([...first, fifth, ...second]);
    expect(flags.map((f) => f.flagId)).toEqual(['redemption-velocity-4', 'redemption-velocity-9']);
    expect(flags[1]).toEqual({
      flagId: 'redemption-velocity-9',
      rule: 'redemption-velocity',
      at: at(150),
      cardNumber: ANNA_CARD,
      customerId: ANNA,
      message: '4 redemptions with this card in 30 minutes (more than 3 in 60)',
      evidence: second,
      action: 'flag',
      status: 'open',
    });
  });

  it('raises a block flag when the rule says block', () => {
    const rules = fraudRules.parse({ redemptionVelocity: { action: 'block' } });
    const activities = [redemption(0), redemption(12), redemption(25), redemption(41)];
    expect(run(activities, rules)).toEqual([
      {
        flagId: 'redemption-velocity-4',
        rule: 'redemption-velocity',
        at: at(41),
        cardNumber: ANNA_CARD,
        customerId: ANNA,
        message: '4 redemptions with this card in 41 minutes (more than 3 in 60)',
        evidence: activities,
        action: 'block',
        status: 'open',
      },
    ]);
  });
});

describe('impossible travel', () => {
  const inBerlin = () => lookUp(0, { storeId: 'S001', tillId: 'T1' });

  it('counts two scans under a minute apart as a minute apart', () => {
    const [flag] = run([inBerlin(), lookUp(0.5, { storeId: 'S003', tillId: 'T2' })]);
    expect(flag?.message).toBe(
      'Used at S001 and S003, 504 km apart, under a minute between (30258 km/h)',
    );
    expect(flag?.travel).toEqual({ distanceKm: 504.3, minutes: 0.5, speedKmh: 30258 });
  });

  it.each([
    ['a granted redemption', () => redemption(40, { storeId: 'S003', tillId: 'T2' })],
    ['a found look-up', () => lookUp(40, { storeId: 'S003', tillId: 'T2' })],
  ])('flags a card found in Berlin, then %s in Munich 40 minutes later', (_, inMunich) => {
    const activities = [inBerlin(), inMunich()];
    expect(run(activities)).toEqual([
      {
        flagId: 'impossible-travel-2',
        rule: 'impossible-travel',
        at: at(40),
        cardNumber: ANNA_CARD,
        customerId: ANNA,
        message: 'Used at S001 and S003, 504 km apart, 40 minutes between (756 km/h)',
        evidence: activities,
        travel: { distanceKm: 504.3, minutes: 40, speedKmh: 756 },
        action: 'flag',
        status: 'open',
      },
    ]);
  });

  it('raises a block flag when the rule says block', () => {
    const rules = fraudRules.parse({ impossibleTravel: { action: 'block' } });
    const flags = run([inBerlin(), lookUp(40, { storeId: 'S003' })], rules);
    expect(flags.map(({ flagId, action }) => ({ flagId, action }))).toEqual([
      { flagId: 'impossible-travel-2', action: 'block' },
    ]);
  });

  it('does not flag the same stores five hours apart', () => {
    expect(run([inBerlin(), redemption(300, { storeId: 'S003' })])).toEqual([]);
  });

  it('does not compare stores nearer than minDistanceKm, however quick', () => {
    expect(run([inBerlin(), lookUp(1, { storeId: 'S004' })])).toEqual([]);
  });

  it('does not flag a different card', () => {
    expect(
      run([inBerlin(), lookUp(40, { storeId: 'S003', cardNumber: BERT_CARD, customerId: BERT })]),
    ).toEqual([]);
  });

  it('ignores web channel uses, which neither flag nor stand for the last use', () => {
    const berlin = inBerlin();
    const web = [
      without(redemption(10, { storeId: 'WEB', channel: 'web' }), 'tillId'),
      without(lookUp(20, { storeId: 'S003', channel: 'web' }), 'tillId'),
    ];
    expect(run([berlin, ...web])).toEqual([]);
    const munich = lookUp(40, { storeId: 'S003', tillId: 'T2' });
    const flags = run([berlin, ...web, munich]);
    expect(flags.map((f) => [f.flagId, f.evidence])).toEqual([
      ['impossible-travel-4', [berlin, munich]],
    ]);
  });

  it('does not flag activities read out of order (the later first)', () => {
    expect(run([lookUp(40, { storeId: 'S003' }), inBerlin()])).toEqual([]);
  });

  it('does not count look-ups that found nothing or refused redemptions as uses', () => {
    expect(
      run([
        inBerlin(),
        redemption(40, { storeId: 'S003', outcome: 'refused', code: 'insufficient-points' }),
        lookUp(45, { storeId: 'S003', outcome: 'refused', cardStatus: 'blocked' }),
      ]),
    ).toEqual([]);
  });
});

describe('till misses', () => {
  /** `count` misses of every kind at one till (S001/T1 unless told), `spacingMinutes` apart. */
  function misses(count: number, spacingMinutes: number, till = { storeId: 'S001', tillId: 'T1' }) {
    const kinds: ((m: number, i: number) => CardActivity)[] = [
      (m, i) =>
        lookUp(m, { ...till, cardNumber: cardNumberOf('279901', 9000 + i), outcome: 'unknown' }),
      (m) => without(lookUp(m, { ...till, outcome: 'invalid' }), 'cardNumber', 'customerId'),
      (m) =>
        lookUp(m, {
          ...till,
          cardNumber: BERT_CARD,
          customerId: BERT,
          outcome: 'refused',
          cardStatus: 'blocked',
        }),
      (m) => redemption(m, { ...till, outcome: 'refused', code: 'insufficient-points' }),
    ];
    return Array.from({ length: count }, (_, i) =>
      (kinds[i % kinds.length] as (m: number, i: number) => CardActivity)(i * spacingMinutes, i),
    );
  }

  it('flags the till on the eleventh miss within ten minutes, once', () => {
    const eleven = misses(11, 0.5);
    const twelfth = lookUp(6, { outcome: 'unknown', cardNumber: cardNumberOf('279901', 9999) });
    expect(run([...eleven, twelfth])).toEqual([
      {
        flagId: 'till-misses-11',
        rule: 'till-misses',
        at: at(5),
        till: { storeId: 'S001', tillId: 'T1', channel: 'till' },
        message: '11 failed look-ups or refused redemptions at till S001/T1 within 10 minutes',
        evidence: eleven,
        action: 'flag',
        status: 'open',
      },
    ]);
  });

  it('does not flag ten', () => {
    expect(run(misses(10, 0.5))).toEqual([]);
  });

  it('does not flag eleven spread over thirty minutes', () => {
    expect(run(misses(11, 3))).toEqual([]);
  });

  it('counts the misses at two tills apart', () => {
    const t1 = misses(10, 0.5, { storeId: 'S001', tillId: 'T1' });
    const t2 = misses(11, 0.5, { storeId: 'S001', tillId: 'T2' });
    const other = misses(10, 0.5, { storeId: 'S002', tillId: 'T1' });
    const interleaved = t2.flatMap((a, i) =>
      [t1[i], other[i], a].filter((x): x is CardActivity => x !== undefined),
    );
    const flags = run(interleaved);
    expect(flags).toEqual([
      {
        flagId: `till-misses-${interleaved.length}`,
        rule: 'till-misses',
        at: at(5),
        till: { storeId: 'S001', tillId: 'T2', channel: 'till' },
        message: '11 failed look-ups or refused redemptions at till S001/T2 within 10 minutes',
        evidence: t2,
        action: 'flag',
        status: 'open',
      },
    ]);
  });
});

describe('lost card use', () => {
  it('flags the card and its holder when a card reported lost is scanned', () => {
    const scanned = lookUp(0, {
      storeId: 'S002',
      tillId: 'T3',
      cardNumber: BERT_CARD,
      customerId: BERT,
      outcome: 'refused',
      cardStatus: 'lost',
    });
    expect(run([scanned])).toEqual([
      {
        flagId: 'lost-card-use-1',
        rule: 'lost-card-use',
        at: at(0),
        cardNumber: BERT_CARD,
        customerId: BERT,
        till: { storeId: 'S002', tillId: 'T3', channel: 'till' },
        message: 'A card reported lost was scanned at till S002/T3',
        evidence: [scanned],
        action: 'flag',
        status: 'open',
      },
    ]);
  });

  it('raises a block flag when the rule says block', () => {
    const rules = fraudRules.parse({ lostCardUse: { action: 'block' } });
    const scanned = lookUp(0, { outcome: 'refused', cardStatus: 'lost' });
    expect(run([scanned], rules).map(({ flagId, action }) => ({ flagId, action }))).toEqual([
      { flagId: 'lost-card-use-1', action: 'block' },
    ]);
  });

  it("does not raise it on a blocked card's refused look-up", () => {
    expect(run([lookUp(0, { outcome: 'refused', cardStatus: 'blocked' })])).toEqual([]);
  });
});

describe('a normal week', () => {
  it("raises no flag on a customer's week of shopping among other customers", () => {
    const day = (d: number, hh: number, mm: number) => (d * DAY) / MINUTE + (hh - 10) * 60 + mm;
    const anna: CardActivity[] = [
      // Monday, Berlin: identified by card, redeems.
      lookUp(day(0, 9, 15), { storeId: 'S001', tillId: 'T1' }),
      redemption(day(0, 9, 20), { storeId: 'S001', tillId: 'T1', points: 500 }),
      // Wednesday, Berlin: mistypes the number once, then found.
      without(
        lookUp(day(2, 17, 40), { storeId: 'S001', tillId: 'T2', outcome: 'invalid' }),
        'cardNumber',
        'customerId',
      ),
      lookUp(day(2, 17, 41), { storeId: 'S001', tillId: 'T2' }),
      // Thursday, Hamburg.
      lookUp(day(3, 12, 5), { storeId: 'S002', tillId: 'T1' }),
      // Saturday, Berlin: found, redeems again.
      lookUp(day(5, 10, 30), { storeId: 'S001', tillId: 'T1' }),
      redemption(day(5, 10, 34), { storeId: 'S001', tillId: 'T1', points: 300 }),
    ];
    const tills = [
      { storeId: 'S001', tillId: 'T1' },
      { storeId: 'S001', tillId: 'T2' },
      { storeId: 'S002', tillId: 'T1' },
    ];
    const others: CardActivity[] = [];
    for (let d = 0; d < 7; d++) {
      for (let i = 0; i < 6; i++) {
        const serial = 100 + d * 6 + i;
        others.push(
          lookUp(day(d, 8, 0) + i * 85, {
            ...(tills[(d + i) % tills.length] as (typeof tills)[number]),
            cardNumber: cardNumberOf('279901', serial),
            customerId: `c-cust-${serial}`,
          }),
        );
      }
    }
    const week = [...anna, ...others].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    expect(others).toHaveLength(42);
    expect(week).toHaveLength(49);
    expect(run(week)).toEqual([]);
  });
});

/** One case of every rule, in time order. */
function everyRule(): CardActivity[] {
  const lost = lookUp(200, {
    cardNumber: BERT_CARD,
    customerId: BERT,
    outcome: 'refused',
    cardStatus: 'lost',
    storeId: 'S002',
    tillId: 'T1',
  });
  const tillMisses = Array.from({ length: 11 }, (_, i) =>
    lookUp(300 + i * 0.5, {
      storeId: 'S002',
      tillId: 'T4',
      cardNumber: cardNumberOf('279901', 5000 + i),
      outcome: 'unknown',
    }),
  );
  return [
    redemption(0),
    redemption(10),
    redemption(20),
    redemption(30),
    lookUp(70, { storeId: 'S003', tillId: 'T2' }),
    lost,
    ...tillMisses,
  ];
}

describe('determinism', () => {
  it('raises the same flags, ids included, when the same activities are read again', () => {
    const activities = everyRule();
    const first = run(activities);
    expect(first.map((f) => f.flagId)).toEqual([
      'redemption-velocity-4',
      'impossible-travel-5',
      'lost-card-use-6',
      'till-misses-17',
    ]);
    expect(run(structuredClone(activities))).toEqual(first);
  });
});

describe('disabled rules', () => {
  it('raise nothing when every rule is off', () => {
    const off = fraudRules.parse({
      redemptionVelocity: { enabled: false },
      impossibleTravel: { enabled: false },
      tillMisses: { enabled: false },
      lostCardUse: { enabled: false },
    });
    expect(run(everyRule(), off)).toEqual([]);
  });

  it.each([
    ['redemptionVelocity', 'redemption-velocity'],
    ['impossibleTravel', 'impossible-travel'],
    ['tillMisses', 'till-misses'],
    ['lostCardUse', 'lost-card-use'],
  ] as const)('with %s off, raise all but its flags', (key, rule) => {
    const rules = fraudRules.parse({ [key]: { enabled: false } });
    const all = run(everyRule());
    expect(run(everyRule(), rules)).toEqual(all.filter((f) => f.rule !== rule));
    expect(all.some((f) => f.rule === rule)).toBe(true);
  });
});
