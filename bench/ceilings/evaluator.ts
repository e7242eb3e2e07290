/**
 * Ceiling: the pure customer rules (`applyEvent`) on one core, the main thread, nothing else.
 *
 * A stream of simple sales (known customers on a Zipf curve, no returns, no anonymous sales) is
 * generated, validated and stripped of personal data up front; only the apply loop is timed.
 * Each pass starts from fresh customer states and replays the same stream, so every event is
 * applied (never skipped as a duplicate); passes repeat until `seconds` of apply time add up.
 *
 * Measured 2026-11-25 on the 2-core machine (Node 20.20, a shared and noisy VM), 3,000 customers:
 * a 20,000-sale stream (the busiest customer reaches ~3,400 events per pass) runs at about
 * 10,000-15,000 events/s; a 2,000-sale stream (busiest ~400) at ~75,000/s; 50,000 sales at
 * ~5,000/s. Far below the 1,000,000/s target, and the cost grows with a customer's history:
 * - `applySale` rebuilds `transactions` (up to `limits.transactions` = 2,000 keys) on every
 *   sale: O(history) allocation and hashing. Alone it takes a customer at the 2,000 cap from
 *   ~26,000 to ~2,700 events/s.
 * - then, each O(history) too: `pushBounded` copies `seenEventIds` and `transactionOrder`
 *   (`[...list, item]`, then `slice`), `seenEventIds.includes` scans up to 2,000 ids, and every
 *   sale rest-destructures `pendingReturns` with a computed key, even with no return pending.
 * - what is left for a fresh customer (~100,000 events/s) is allocation: two `{ ...state }`
 *   spreads per event, the cue's message and ids (template strings), the ledger entry, GC.
 * A prototype applying the same sale rules in place (state owned by the workflow, a Set of seen
 * ids beside it) ran at ~160,000-280,000 events/s with effects (the rules are unchanged here).
 */
import { performance } from 'node:perf_hooks';
import { applyEvent } from '../../engine/domain/customer/apply-event.ts';
import { type CustomerState, initialState } from '../../engine/domain/customer/state.ts';
import {
  type CustomerEvent,
  parseRetailEvent,
  withoutPersonalData,
} from '../../engine/domain/events.ts';
import type { BaseEarnProgram } from '../../engine/domain/loyalty/base-earn.ts';
import { createTrafficGenerator } from '../../engine/simulator/traffic.ts';

export interface EvaluatorOptions {
  /** Events in the generated stream (one pass). */
  events: number;
  /** Apply time to accumulate; at least one pass runs whatever this is. */
  seconds: number;
  /** Distinct customers the stream is drawn from (Zipf-like). */
  customers?: number;
  seed?: number;
}

export interface EvaluatorResult {
  events_per_s: number;
  /** Events applied in all passes together (each one applied, none ignored). */
  events: number;
  passes: number;
  customers: number;
  /** Apply time only, summed over the passes. */
  apply_ms: number;
  /** Events of the busiest customer in one pass: how deep the state a call copies gets. */
  max_customer_events: number;
}

const program: BaseEarnProgram = {
  version: 'base-1-per-100',
  basePointsPerUnit: 1,
  spendUnitMinor: 100,
};

/** `count` validated, customer-bound sales over `customers` customers, in stream order. */
export function simpleSales(count: number, customers: number, seed = 7): CustomerEvent[] {
  const traffic = createTrafficGenerator({
    seed,
    runId: `bench-${seed}`,
    stores: ['S001', 'S002', 'S003'],
    tillsPerStore: 4,
    customers,
    anonymousShare: 0,
    returnShare: 0,
  });
  const events: CustomerEvent[] = [];
  let at = Date.UTC(2026, 10, 1, 8);
  while (events.length < count) {
    at += 250;
    const parsed = parseRetailEvent(traffic.next(new Date(at)));
    if (!parsed.ok) throw new Error('the traffic generator made an invalid event');
    // Registrations (one per customer, on first sight) are left out: simple sales only.
    if (parsed.event.type !== 'sale' || parsed.event.customerId === undefined) continue;
    events.push(withoutPersonalData(parsed.event));
  }
  return events;
}

export function measureEvaluator({
  events,
  seconds,
  customers = 3000,
  seed = 7,
}: EvaluatorOptions): EvaluatorResult {
  if (!(events > 0)) throw new Error('events must be positive');
  const stream = simpleSales(events, customers, seed);
  const ids = [...new Set(stream.map((e) => e.customerId as string))];
  let applied = 0;
  let passes = 0;
  let elapsedMs = 0;
  let deepest = 0;
  do {
    const states = new Map<string, CustomerState>();
    for (const id of ids) states.set(id, initialState(id, program));
    let ignored = 0;
    const started = performance.now();
    for (const event of stream) {
      const id = event.customerId as string;
      const result = applyEvent(states.get(id) as CustomerState, event);
      states.set(id, result.state);
      if (result.ignored) ignored += 1;
    }
    elapsedMs += performance.now() - started;
    if (ignored > 0) throw new Error(`${ignored} events were ignored: the stream is not simple`);
    applied += stream.length;
    passes += 1;
    for (const state of states.values()) deepest = Math.max(deepest, state.eventsApplied);
  } while (elapsedMs < seconds * 1000);
  return {
    events_per_s: applied / (elapsedMs / 1000),
    events: applied,
    passes,
    customers: ids.length,
    apply_ms: elapsedMs,
    max_customer_events: deepest,
  };
}
