/**
 * Ceiling: the customer rules (`CustomerAccount.apply`) on one core, the main thread, nothing
 * else, as the workflow runs them: one account per customer, effects collected per event.
 *
 * A stream of simple sales (known customers on a Zipf curve, no returns, no anonymous sales) is
 * generated, validated and stripped of personal data up front; only the apply loop is timed.
 * Passes repeat until `seconds` of apply time add up, in two regimes:
 * - fresh accounts (`events_per_s`): each pass starts new accounts and applies the stream once,
 *   so accounts hold at most one pass of history (the busiest ~3,400 sales);
 * - long-lived accounts (`steady_state_events_per_s`): the same accounts across passes, as a
 *   workflow's account lives across deliveries, each pass sending the stream again as new sales;
 *   after a few passes most accounts remember thousands of sales (up to the book's limits), and
 *   the figure is bound by memory (lookups over a heap of millions of remembered sales).
 *
 * History (2-core shared VM, Node 20.20, 3,000 customers): the first rules copied the state per
 * event and rebuilt a record of up to 2,000 sales on every sale, so the cost grew with a
 * customer's history: ~75,000 events/s over a 2,000-sale stream, ~10,000-15,000/s over 20,000
 * sales, ~5,000/s over 50,000. Applied in place, with rings and running totals; see
 * bench/README.md for the current figures.
 */
import { performance } from 'node:perf_hooks';
import { CustomerAccount, noEffects } from '../../engine/domain/customer/account.ts';
import {
  type CustomerEvent,
  parseRetailEvent,
  type SaleEvent,
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
  /** Fresh accounts each pass. */
  events_per_s: number;
  /** Long-lived accounts, carried across passes (their history at or near its bound). */
  steady_state_events_per_s: number;
  /** Events applied in all passes together (each one applied, none ignored). */
  events: number;
  passes: number;
  customers: number;
  /** Apply time only, summed over the passes. */
  apply_ms: number;
  /** Events the busiest account applied over all passes: how deep its history got. */
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
    // Steep on purpose: the busiest customer gets ~3,400 events a pass, past the 2,000 sales
    // an account remembers, so the figure covers deep histories, not only fresh accounts.
    zipfExponent: 1.07,
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

/** Applies `sales` to their `owners`, timed; throws if any sale was not applied. */
function applyTimed(owners: readonly CustomerAccount[], sales: readonly CustomerEvent[]): number {
  let ignored = 0;
  let cues = 0;
  const started = performance.now();
  for (let i = 0; i < sales.length; i++) {
    // A fresh collection per event, as a one-event delivery in the workflow makes.
    const effects = noEffects();
    if ((owners[i] as CustomerAccount).apply(sales[i] as CustomerEvent, effects) !== 'applied') {
      ignored += 1;
    }
    cues += effects.cues.length;
  }
  const elapsed = performance.now() - started;
  if (ignored > 0) throw new Error(`${ignored} events were ignored: the stream is not simple`);
  if (cues !== sales.length) throw new Error('an applied sale made no cue');
  return elapsed;
}

function openAccounts(ids: readonly string[]): Map<string, CustomerAccount> {
  return new Map(ids.map((id) => [id, CustomerAccount.open(id, program)]));
}

/** The customer's account for each event: the router's and Temporal's work, not timed. */
const ownersOf = (stream: readonly CustomerEvent[], accounts: Map<string, CustomerAccount>) =>
  stream.map((event) => accounts.get(event.customerId as string) as CustomerAccount);

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
    const accounts = openAccounts(ids);
    elapsedMs += applyTimed(ownersOf(stream, accounts), stream);
    applied += stream.length;
    passes += 1;
    for (const account of accounts.values()) deepest = Math.max(deepest, account.eventsApplied);
  } while (elapsedMs < seconds * 1000);

  // Each pass sends the stream again as new sales, made before the clock starts and passed
  // through JSON as the workflow receives them (Temporal's payload converter).
  const accounts = openAccounts(ids);
  const owners = ownersOf(stream, accounts);
  let steadyApplied = 0;
  let steadyMs = 0;
  for (let pass = 0; pass <= 3 || steadyMs < seconds * 1000; pass++) {
    const sales = JSON.parse(
      JSON.stringify(
        stream.map((event) => ({
          ...event,
          eventId: `${event.eventId}.${pass}`,
          transactionId: `${(event as SaleEvent).transactionId}.${pass}`,
        })),
      ),
    ) as CustomerEvent[];
    const ms = applyTimed(owners, sales);
    // The first passes fill the accounts; only passes over long-lived accounts count.
    if (pass < 3) continue;
    steadyMs += ms;
    steadyApplied += sales.length;
  }
  return {
    events_per_s: applied / (elapsedMs / 1000),
    steady_state_events_per_s: steadyApplied / (steadyMs / 1000),
    events: applied,
    passes,
    customers: ids.length,
    apply_ms: elapsedMs,
    max_customer_events: deepest,
  };
}
