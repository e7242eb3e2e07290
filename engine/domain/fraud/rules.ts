/**
 * The card anti-fraud rules as a deployment configures them (`fraud` in the settings), and the
 * stores' locations the travel rule measures with (`storeLocations`). Each rule has defaults a
 * grocer can start with; `action: block` also blocks the card, so the till refuses it until the
 * service desk unblocks it.
 */
import { z } from 'zod';

const action = z
  .enum(['flag', 'block'])
  .describe('flag: raise a flag for staff; block: raise it and block the card');

const minutes = z.number().int().min(1).max(10_080);

export const fraudRules = z
  .strictObject({
    /** Redemptions with one card (or by one customer, when the till names no card) in a window. */
    redemptionVelocity: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** More than this many in the window raises the flag. */
        maxRedemptions: z.number().int().min(1).max(1000).default(3),
        withinMinutes: minutes.default(60),
        action: action.default('flag'),
      })
      .prefault({}),
    /** The same card at two stores farther apart than anyone could travel in the time between. */
    impossibleTravel: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Faster than this between two stores' uses raises the flag (door to door, by any means). */
        maxSpeedKmh: z.number().positive().max(2000).default(250),
        /** Stores nearer than this are never compared (a shopping centre, a city's stores). */
        minDistanceKm: z.number().min(0).max(20_000).default(20),
        action: action.default('flag'),
      })
      .prefault({}),
    /** Failed look-ups and refused redemptions from one till in a window: numbers being tried. */
    tillMisses: z
      .strictObject({
        enabled: z.boolean().default(true),
        maxMisses: z.number().int().min(1).max(10_000).default(10),
        withinMinutes: minutes.default(10),
      })
      .prefault({}),
    /** A card reported lost, scanned again. */
    lostCardUse: z
      .strictObject({ enabled: z.boolean().default(true), action: action.default('flag') })
      .prefault({}),
    /**
     * How far back the watch reads on start-up, in hours, to rebuild its windows: at least the
     * longest window above.
     */
    lookbackHours: z.number().int().min(1).max(168).default(24),
  })
  .superRefine((rules, ctx) => {
    const longest = Math.max(
      rules.redemptionVelocity.withinMinutes,
      rules.tillMisses.withinMinutes,
    );
    if (rules.lookbackHours * 60 < longest) {
      ctx.addIssue({
        code: 'custom',
        path: ['lookbackHours'],
        message: `must cover the longest window (${longest} minutes): at least ${Math.ceil(longest / 60)}`,
      });
    }
  });
export type FraudRules = z.infer<typeof fraudRules>;

export const storeLocation = z.strictObject({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
});
export type StoreLocation = z.infer<typeof storeLocation>;

const EARTH_RADIUS_KM = 6371.0088;

/** The great-circle distance between two places, in kilometres (haversine). */
export function distanceKm(a: StoreLocation, b: StoreLocation): number {
  const rad = (deg: number) => (deg * Math.PI) / 180;
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}
