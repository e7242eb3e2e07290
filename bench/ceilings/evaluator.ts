/**
 * Ceiling: the pure customer rules (`applyEvent`) on one core, the main thread, nothing else.
 *
 * A stream of simple sales (known customers on a Zipf curve, no returns, no anonymous sales) is
 * generated, validated and stripped of personal data up front; only the apply loop is timed.
 * Each pass starts from fresh customer states and replays the same stream, so every event is
 * applied (never skipped as a duplicate); passes repeat until `seconds` of apply time add up.
 *
 * Measured here (2 cores, Node 20; see `measureEvaluator` defaults): FILLED IN BELOW.
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
}

const program: BaseEarnProgram = { version: 'base-1-per-100', basePointsPerUnit: 1, spendUnitMinor: 100 };

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
  } while (elapsedMs < seconds * 1000);
  return {
    events_per_s: applied / (elapsedMs / 1000),
    events: applied,
    passes,
    customers: ids.length,
    apply_ms: elapsedMs,
  };
}
