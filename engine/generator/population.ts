/**
 * The members: how each came (acquisition source, registration date), who they are (birth year,
 * gender, customer type, household), and how they shop (visit rate, whether and when they lapse,
 * web share, home store, favourite categories, basket size, whether they spend points). A
 * customer's profile is the first draws of their own random stream, so it can be drawn again
 * cheaply (the sizing pass does) and never depends on other customers.
 */
import type { CustomerRegisteredEvent } from '../domain/events.ts';
import type { Calendar } from './calendar.ts';
import { DAY_MS } from './calendar.ts';
import { CATEGORIES, type Catalog } from './catalog.ts';
import { Rng, streamSeed, WeightedPicker } from './random.ts';

export const CUSTOMER_STREAM = 2;
const HOUSEHOLD_STREAM = 3;

/** `c0000001`: a letter, then digits, as the contract's customer ids are. */
export const customerIdOf = (index: number): string => `c${String(index + 1).padStart(7, '0')}`;

/** Shopping habits: visits a year at the median, and each persona's share of members. */
const PERSONAS = [
  { name: 'loyal', share: 0.06, visitsPerYear: 95 },
  { name: 'regular', share: 0.24, visitsPerYear: 32 },
  { name: 'occasional', share: 0.4, visitsPerYear: 9 },
  { name: 'rare', share: 0.3, visitsPerYear: 2.5 },
] as const;
const personaPicker = new WeightedPicker(PERSONAS.map((p) => p.share));

const SOURCES = [
  'store',
  'web',
  'app',
  'referral',
  'campaign',
  'partner',
  'social',
  'other',
] as const;
const sourcePicker = new WeightedPicker([45, 15, 12, 8, 8, 4, 6, 2]);
const GENDERS = ['female', 'male', 'other', 'undisclosed', undefined] as const;
const genderPicker = new WeightedPicker([50, 43, 1, 3, 3]);

/** Members registered before the period joined within this many days before it. */
const EARLIER_MEMBERS_DAYS = 730;

export interface CustomerProfile {
  index: number;
  id: string;
  /** Registration instant (ms); may be before the period. */
  registeredMs: number;
  source: (typeof SOURCES)[number];
  /** First and last day (period indices) the customer may shop; last < first: never shops. */
  firstDay: number;
  lastDay: number;
  /** Visits per day at a season's average day, before the run's scaling. */
  rate: number;
  webShare: number;
  homeStore: number;
  /** Multiplies the store's mean basket. */
  basketFactor: number;
  /** Three favourite categories (indices), and how often a line comes from them. */
  favourites: [number, number, number];
  favouriteShare: number;
  /** Chance of spending points at a visit when the balance allows. */
  redeemRate: number;
  birthYear: number | undefined;
  gender: (typeof GENDERS)[number];
  customerType: 'individual' | 'business' | 'staff';
  householdId: string;
}

const HOUSEHOLD_CUTS = [[1, 1, 1, 1], [2, 1, 1], [1, 2, 1], [2, 2], [3, 1], [1, 3], [4]];
const householdCutPicker = new WeightedPicker([52, 12, 10, 10, 7, 5, 4]);

interface Household {
  id: string;
  homeStore: number;
}

/**
 * Households: customers are grouped in blocks of four consecutive ids, and each block is cut into
 * households of 1–4 members (most people alone) by the block's own draw. Members share a home
 * store. A household of one has no household id, as in the identity service.
 */
function householdOf(seed: number, index: number, catalog: Catalog): Household | undefined {
  const block = Math.floor(index / 4);
  const rng = new Rng(streamSeed(seed, HOUSEHOLD_STREAM, block));
  const cuts = HOUSEHOLD_CUTS[householdCutPicker.pick(rng)] as number[];
  let start = block * 4;
  for (const size of cuts) {
    const homeStore = catalog.physical[catalog.physicalPicker.pick(rng)] as number;
    if (index < start + size) {
      return size > 1 ? { id: `h${String(start + 1).padStart(7, '0')}`, homeStore } : undefined;
    }
    start += size;
  }
  return undefined;
}

/** The customer's profile, drawn from the start of their stream; `rng` continues after it. */
export function drawProfile(
  seed: number,
  index: number,
  calendar: Calendar,
  catalog: Catalog,
): { profile: CustomerProfile; rng: Rng } {
  const rng = new Rng(streamSeed(seed, CUSTOMER_STREAM, index));
  const persona = PERSONAS[personaPicker.pick(rng)] as (typeof PERSONAS)[number];
  const source = SOURCES[sourcePicker.pick(rng)] as (typeof SOURCES)[number];
  // Nearly half joined during the period, more of them in busy weeks.
  let registeredMs: number;
  let firstDay: number;
  if (rng.chance(0.45)) {
    firstDay = calendar.till.pick(rng);
    registeredMs =
      calendar.startMs + firstDay * DAY_MS + (8 + rng.int(12)) * 3_600_000 + rng.int(3_600_000);
  } else {
    firstDay = 0;
    registeredMs =
      calendar.startMs - (1 + rng.int(EARLIER_MEMBERS_DAYS)) * DAY_MS + rng.int(DAY_MS);
  }
  // A fifth lapse: they stop shopping at some point of the period.
  let lastDay = calendar.days - 1;
  if (rng.chance(0.2) && lastDay - firstDay > 14) lastDay = rng.between(firstDay + 14, lastDay);
  const rate = (persona.visitsPerYear / 365) * rng.logNormal(0.45);

  const webRoll = rng.next();
  const online = source === 'web' || source === 'app' || source === 'social';
  const webShare =
    webRoll < (online ? 0.3 : 0.08)
      ? 0.75 + rng.next() * 0.2
      : webRoll < (online ? 0.6 : 0.25)
        ? 0.2 + rng.next() * 0.3
        : rng.next() * 0.06;

  const favouritePicker = rng.chance(webShare) ? catalog.webCategories : catalog.tillCategories;
  const favourites: [number, number, number] = [
    favouritePicker.pick(rng),
    favouritePicker.pick(rng),
    rng.int(CATEGORIES.length),
  ];
  const favouriteShare = 0.3 + rng.next() * 0.4;
  const basketFactor = rng.logNormal(0.3);
  const redeemRate = rng.chance(0.4) ? 0.2 + rng.next() * 0.6 : 0;

  const birthYear = rng.chance(0.12)
    ? undefined
    : Math.round(Math.min(2008, Math.max(1938, 1979 + 15 * rng.normal())));
  const gender = GENDERS[genderPicker.pick(rng)];
  const typeRoll = rng.next();
  const customerType = typeRoll < 0.03 ? 'business' : typeRoll < 0.05 ? 'staff' : 'individual';
  const ownHome = catalog.physical[catalog.physicalPicker.pick(rng)] as number;
  const household = householdOf(seed, index, catalog);

  return {
    profile: {
      index,
      id: customerIdOf(index),
      registeredMs,
      source,
      firstDay,
      lastDay,
      rate,
      webShare,
      homeStore: household?.homeStore ?? ownHome,
      basketFactor,
      favourites,
      favouriteShare,
      redeemRate,
      birthYear,
      gender,
      customerType,
      householdId: household?.id ?? '',
    },
    rng,
  };
}

/** The registration as the identity service publishes it (parsed form: consent filled in). */
export function registrationEvent(
  profile: CustomerProfile,
  rng: Rng,
  catalog: Catalog,
): CustomerRegisteredEvent {
  const online = profile.source !== 'store' && profile.source !== 'referral' && rng.chance(0.8);
  const store = catalog.stores[online ? catalog.webStore : profile.homeStore];
  const birthDate =
    profile.birthYear === undefined
      ? undefined
      : `${profile.birthYear}-${String(rng.between(1, 12)).padStart(2, '0')}-${String(rng.between(1, 28)).padStart(2, '0')}`;
  const event: CustomerRegisteredEvent = {
    eventId: `e-${profile.id}-reg`,
    occurredAt: new Date(profile.registeredMs).toISOString(),
    storeId: store?.id ?? '',
    channel: online ? 'web' : 'till',
    type: 'customer.registered',
    customerId: profile.id,
    consent: {
      email: rng.chance(0.6),
      sms: rng.chance(0.25),
      post: rng.chance(0.15),
      profiling: rng.chance(0.5),
    },
    profile: {
      customerType: profile.customerType,
      preferredStoreId: catalog.stores[profile.homeStore]?.id,
      ...(birthDate ? { birthDate } : {}),
      ...(profile.gender ? { gender: profile.gender } : {}),
    },
    acquisitionSource: profile.source,
  };
  if (!online) event.tillId = `T${1 + rng.int(store?.tills ?? 1)}`;
  if (profile.customerType === 'staff') event.tags = ['staff'];
  return event;
}
