/**
 * A customer's state as `clientele replay state` shows it (balance, spendable and pending points,
 * lots, tier, segments, lifecycle occasions fired, the figures), and the differences between the
 * state rebuilt from the log (`rebuild.ts`) and the live workflow's. Zod schemas: the answer
 * crosses NATS from the process holding the analytics store, and goes out over HTTP.
 *
 * Lifecycle occasions are compared by which fired, and segments by which the customer is in: when
 * the workflow stamped them depends on when events reached it (a backlog fires an occasion late).
 */
import { z } from 'zod';
import { customerId, instant } from '../events.ts';
import { CustomerAccount } from './account.ts';
import type { CustomerState } from './state.ts';

const points = z.number().int();

export const lotView = z.strictObject({
  id: z.string(),
  points,
  earnedAt: z.string(),
  availableAt: z.string(),
  expiresAt: z.string().optional(),
  version: z.string(),
});

export const stateView = z.strictObject({
  balance: points,
  spendable: points,
  pending: points,
  tier: z.string().optional(),
  visits: z.number().int(),
  spendMinor: z.number().int(),
  eventsApplied: z.number().int(),
  lastPurchaseAt: z.string().optional(),
  /** Oldest earned first. */
  lots: z.array(lotView),
  /** The segments the customer is in, sorted. */
  segments: z.array(z.string()),
  /** Keys of the lifecycle occasions fired, sorted. */
  lifecycle: z.array(z.string()),
  mergedInto: z.string().optional(),
});
export type StateView = z.infer<typeof stateView>;

/** The state at `at` (the customer's standing then: spendable points, the tier). */
export function viewOf(state: CustomerState, at: string): StateView {
  const account = CustomerAccount.restore(state);
  const outlook = account.loyalty.outlook(at);
  const lots = (state.loyalty?.state.lots ?? [])
    .filter((lot) => lot.points !== 0)
    .map((lot) => ({
      id: lot.id,
      points: lot.points,
      earnedAt: lot.earnedAt,
      availableAt: lot.availableAt,
      ...(lot.expiresAt !== undefined ? { expiresAt: lot.expiresAt } : {}),
      version: lot.version,
    }))
    .sort((a, b) =>
      a.earnedAt < b.earnedAt ? -1 : a.earnedAt > b.earnedAt ? 1 : a.id < b.id ? -1 : 1,
    );
  return {
    balance: state.pointsBalance,
    spendable: outlook.spendable,
    pending: outlook.pending,
    ...(outlook.tier !== undefined ? { tier: outlook.tier } : {}),
    visits: state.visits,
    spendMinor: state.spendMinor,
    eventsApplied: state.eventsApplied,
    ...(state.lastPurchaseAt !== undefined ? { lastPurchaseAt: state.lastPurchaseAt } : {}),
    lots,
    segments: Object.keys(state.segments?.members ?? {}).sort(),
    lifecycle: [...(state.lifecycle?.fired ?? [])].sort(),
    ...(state.mergedInto ? { mergedInto: state.mergedInto.customerId } : {}),
  };
}

export const stateDifference = z.strictObject({
  /** `balance`, `tier`, `lots[<id>]`, `segments`, … */
  field: z.string(),
  rebuilt: z.unknown(),
  live: z.unknown(),
});
export type StateDifference = z.infer<typeof stateDifference>;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Each field where the two states differ; each lot by its id. */
export function differences(rebuilt: StateView, live: StateView): StateDifference[] {
  const found: StateDifference[] = [];
  for (const field of Object.keys(stateView.shape) as (keyof StateView)[]) {
    if (field === 'lots') continue;
    if (!same(rebuilt[field], live[field])) {
      found.push({ field, rebuilt: rebuilt[field] ?? null, live: live[field] ?? null });
    }
  }
  const byId = (lots: StateView['lots']) => new Map(lots.map((lot) => [lot.id, lot]));
  const ours = byId(rebuilt.lots);
  const theirs = byId(live.lots);
  for (const id of new Set([...ours.keys(), ...theirs.keys()])) {
    const a = ours.get(id);
    const b = theirs.get(id);
    if (!same(a, b)) found.push({ field: `lots[${id}]`, rebuilt: a ?? null, live: b ?? null });
  }
  return found;
}

/**
 * The moment a person names: an ISO instant, or a day (`2026-03-03`), which means its end (UTC)
 * unless told its start: "her balance on 3 March" is the balance once that day was over, a
 * period "from 1 May" begins as it does. Undefined when it is neither.
 */
export function momentOf(text: string, edge: 'start' | 'end' = 'end'): string | undefined {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text);
  if (!day && !instant.safeParse(text).success) return undefined;
  const time = edge === 'end' ? 'T23:59:59.999Z' : 'T00:00:00.000Z';
  const ms = Date.parse(day ? `${text}${time}` : text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * `svc.replay.state`: one customer's state rebuilt from the log, at `asOf` (now if absent), on
 * `timeline` (rebuild.ts): `received` (what the engine knew then, the default) or `occurred`
 * (the moment as the whole log tells it, late events included).
 */
export const replayStateRequest = z.strictObject({
  customerId,
  asOf: instant.optional(),
  timeline: z.enum(['received', 'occurred']).default('received'),
});
export type ReplayStateRequest = z.infer<typeof replayStateRequest>;

export const replayStateAnswer = z.strictObject({
  ok: z.literal(true),
  customerId: z.string(),
  asOf: z.string(),
  timeline: z.enum(['received', 'occurred']),
  /** What the log held up to `asOf`: events, and requests granted (redemptions, merges…). */
  inputs: z.strictObject({ events: z.number().int(), requests: z.number().int() }),
  rebuilt: stateView,
  /**
   * The live workflow's state and the differences, when the moment asked is now (a past moment
   * has no live state to compare with). Absent with `liveUnavailable` saying why.
   */
  live: stateView.optional(),
  differences: z.array(stateDifference).optional(),
  liveUnavailable: z.string().optional(),
  /** What the log holds that the rebuild does not apply (household transfers). */
  leftOut: z.string().optional(),
});
export type ReplayStateAnswer = z.infer<typeof replayStateAnswer>;
