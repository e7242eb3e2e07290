/**
 * The anti-fraud rules at work: given the card activities in the order the stream holds them,
 * the flags they raise. Pure and deterministic (time is each activity's own `at`), so the watch
 * that reads the stream again after a restart raises the same flags with the same ids.
 *
 * - redemption velocity: more than `maxRedemptions` granted with one card (or by one customer,
 *   when the till names no card) within `withinMinutes`;
 * - impossible travel: one card used at two located stores farther apart than `minDistanceKm`,
 *   faster than `maxSpeedKmh` between the two uses;
 * - till misses: more than `maxMisses` failed look-ups or refused redemptions at one till within
 *   `withinMinutes`;
 * - lost card use: a card reported lost, scanned.
 *
 * Once raised, a rule stays quiet on the same card, customer or till for its window (an hour for
 * the travel and lost-card rules): one flag per episode, not one per redemption.
 */
import type { CardActivity, FraudFlag, FraudRuleId } from './messages.ts';
import { distanceKm, type FraudRules, type StoreLocation } from './rules.ts';

const MINUTE_MS = 60_000;
/** How long the travel and lost-card rules stay quiet on a card after raising a flag. */
const QUIET_MS = 60 * MINUTE_MS;
/** Observations between sweeps of cards and tills not seen within the look-back. */
const SWEEP_EVERY = 1000;

export interface FraudDetector {
  /**
   * The flags `activity` raises; `seq` is its place in the activity stream (the flags' ids).
   * An activity at or before one observed already raises nothing.
   */
  observe(activity: CardActivity, seq: number): FraudFlag[];
  /** Cards, customers and tills with something remembered (for the watch's figures). */
  readonly remembered: number;
}

const ms = (at: string) => Date.parse(at);
const tillOf = (a: CardActivity) => ({
  storeId: a.storeId,
  ...(a.tillId !== undefined && { tillId: a.tillId }),
  channel: a.channel,
});
/** A time between two uses, in words. */
function between(minutes: number): string {
  if (minutes < 1) return 'under a minute';
  const whole = Math.round(minutes);
  return whole === 1 ? '1 minute' : `${whole} minutes`;
}
const tillName = (a: CardActivity) => `${a.storeId}/${a.tillId ?? a.channel}`;

/** Keeps the entries of `list` within `windowMs` before `now`, then `next`. */
function slide(list: CardActivity[] | undefined, next: CardActivity, windowMs: number) {
  const now = ms(next.at);
  const kept = (list ?? []).filter((a) => now - ms(a.at) < windowMs);
  kept.push(next);
  return kept.sort((a, b) => ms(a.at) - ms(b.at));
}

export function createFraudDetector(
  rules: FraudRules,
  locations: Readonly<Record<string, StoreLocation>>,
): FraudDetector {
  const redemptions = new Map<string, CardActivity[]>();
  const misses = new Map<string, CardActivity[]>();
  const lastUse = new Map<string, CardActivity>();
  /** `<rule> <subject>` → until when the rule is quiet on it. */
  const quiet = new Map<string, number>();
  let observed = 0;
  let lastSeq = Number.NEGATIVE_INFINITY;

  /** True (and quiet from now for `quietMs`) unless the rule was raised on `subject` lately. */
  function mayRaise(rule: FraudRuleId, subject: string, at: string, quietMs: number): boolean {
    const key = `${rule} ${subject}`;
    const now = ms(at);
    if ((quiet.get(key) ?? Number.NEGATIVE_INFINITY) > now) return false;
    quiet.set(key, now + quietMs);
    return true;
  }

  function flag(
    rule: FraudRuleId,
    seq: number,
    activity: CardActivity,
    fields: Pick<FraudFlag, 'message' | 'evidence' | 'action'> & Partial<FraudFlag>,
  ): FraudFlag {
    return {
      flagId: `${rule}-${seq}`,
      rule,
      at: activity.at,
      ...(activity.cardNumber !== undefined && { cardNumber: activity.cardNumber }),
      ...(activity.customerId !== undefined && { customerId: activity.customerId }),
      ...fields,
      status: 'open',
    };
  }

  function velocity(activity: CardActivity, seq: number): FraudFlag[] {
    const rule = rules.redemptionVelocity;
    if (!rule.enabled || activity.kind !== 'redemption' || activity.outcome !== 'granted')
      return [];
    const subject = activity.cardNumber ?? activity.customerId;
    const windowMs = rule.withinMinutes * MINUTE_MS;
    const kept = slide(redemptions.get(subject), activity, windowMs);
    redemptions.set(subject, kept);
    if (kept.length <= rule.maxRedemptions) return [];
    if (!mayRaise('redemption-velocity', subject, activity.at, windowMs)) return [];
    const first = kept[0] as CardActivity;
    const span = Math.max(1, Math.round((ms(activity.at) - ms(first.at)) / MINUTE_MS));
    const whose = activity.cardNumber !== undefined ? 'with this card' : 'by this customer';
    return [
      flag('redemption-velocity', seq, activity, {
        message: `${kept.length} redemptions ${whose} in ${span} minutes (more than ${rule.maxRedemptions} in ${rule.withinMinutes})`,
        evidence: kept,
        action: rule.action,
      }),
    ];
  }

  function travel(activity: CardActivity, seq: number): FraudFlag[] {
    const rule = rules.impossibleTravel;
    const card = activity.cardNumber;
    const used =
      activity.kind === 'look-up' ? activity.outcome === 'found' : activity.outcome === 'granted';
    if (!rule.enabled || card === undefined || !used || activity.channel !== 'till') return [];
    const here = locations[activity.storeId];
    if (!here) return [];
    const before = lastUse.get(card);
    if (before && ms(before.at) > ms(activity.at)) return []; // read out of order: the later stays
    lastUse.set(card, activity);
    const there = before && locations[before.storeId];
    if (!before || !there || before.storeId === activity.storeId) return [];
    const km = distanceKm(there, here);
    if (km < rule.minDistanceKm) return [];
    const minutes = (ms(activity.at) - ms(before.at)) / MINUTE_MS;
    // Two scans within a minute count as a minute apart: till clocks are not that exact.
    const speedKmh = km / (Math.max(1, minutes) / 60);
    if (speedKmh <= rule.maxSpeedKmh) return [];
    if (!mayRaise('impossible-travel', card, activity.at, QUIET_MS)) return [];
    return [
      flag('impossible-travel', seq, activity, {
        message: `Used at ${before.storeId} and ${activity.storeId}, ${Math.round(km)} km apart, ${between(minutes)} between (${Math.round(speedKmh)} km/h)`,
        evidence: [before, activity],
        travel: {
          distanceKm: Math.round(km * 10) / 10,
          minutes: Math.round(minutes * 10) / 10,
          speedKmh: Math.round(speedKmh),
        },
        action: rule.action,
      }),
    ];
  }

  function tillMisses(activity: CardActivity, seq: number): FraudFlag[] {
    const rule = rules.tillMisses;
    const missed =
      activity.kind === 'look-up' ? activity.outcome !== 'found' : activity.outcome === 'refused';
    if (!rule.enabled || !missed) return [];
    const till = tillName(activity);
    const windowMs = rule.withinMinutes * MINUTE_MS;
    const kept = slide(misses.get(till), activity, windowMs);
    misses.set(till, kept);
    if (kept.length <= rule.maxMisses) return [];
    if (!mayRaise('till-misses', till, activity.at, windowMs)) return [];
    return [
      {
        flagId: `till-misses-${seq}`,
        rule: 'till-misses',
        at: activity.at,
        till: tillOf(activity),
        message: `${kept.length} failed look-ups or refused redemptions at till ${till} within ${rule.withinMinutes} minutes`,
        evidence: kept,
        action: 'flag',
        status: 'open',
      },
    ];
  }

  function lostCardUse(activity: CardActivity, seq: number): FraudFlag[] {
    const rule = rules.lostCardUse;
    if (
      !rule.enabled ||
      activity.kind !== 'look-up' ||
      activity.cardStatus !== 'lost' ||
      activity.cardNumber === undefined
    ) {
      return [];
    }
    if (!mayRaise('lost-card-use', activity.cardNumber, activity.at, QUIET_MS)) return [];
    return [
      flag('lost-card-use', seq, activity, {
        message: `A card reported lost was scanned at till ${tillName(activity)}`,
        evidence: [activity],
        till: tillOf(activity),
        action: rule.action,
      }),
    ];
  }

  /** Forgets cards, customers and tills not seen within the look-back. */
  function sweep(now: number) {
    const horizon = now - rules.lookbackHours * 60 * MINUTE_MS;
    for (const map of [redemptions, misses]) {
      for (const [key, list] of map) {
        if (ms((list[list.length - 1] as CardActivity).at) < horizon) map.delete(key);
      }
    }
    for (const [key, use] of lastUse) if (ms(use.at) < horizon) lastUse.delete(key);
    for (const [key, until] of quiet) if (until < now) quiet.delete(key);
  }

  return {
    observe(activity, seq) {
      // Read again (a consumer that starts over): counted once.
      if (seq <= lastSeq) return [];
      lastSeq = seq;
      observed += 1;
      if (observed % SWEEP_EVERY === 0) sweep(ms(activity.at));
      return [
        ...lostCardUse(activity, seq),
        ...velocity(activity, seq),
        ...travel(activity, seq),
        ...tillMisses(activity, seq),
      ];
    },
    get remembered() {
      return redemptions.size + misses.size + lastUse.size;
    },
  };
}
