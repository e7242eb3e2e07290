/**
 * Ceiling: the real customer workflow, served by the real customer worker, driven straight
 * through Temporal the way the router drives it (update-with-start, one event per call, at most
 * one call per customer in flight), with no NATS, gateway, sink or till in the way; the effects
 * it answers are not published. Set beside the no-op ceiling, it says what the customer rules and
 * their payloads cost in Temporal; set beside the end-to-end figure, what the rest of the path
 * costs on the same cores.
 *
 * `callsPerCustomer` sets how many calls start a workflow: 1 makes every call a customer's first
 * (a workflow start, the expensive kind), 30 makes nearly all of them deliveries to a running
 * workflow, as for a retailer's returning customers.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Settings } from '../../config/settings.ts';
import {
  type CustomerEvent,
  parseRetailEvent,
  type RetailEvent,
  withoutPersonalData,
} from '../../engine/domain/events.ts';
import { createTrafficGenerator } from '../../engine/simulator/traffic.ts';
import {
  baseProgram,
  type CustomerDelivery,
  deliverToCustomer,
} from '../../workflows/customer/client.ts';
import { percentiles } from '../checker.ts';

export interface CustomerCeilingOptions {
  temporal: Client;
  settings: Settings;
  customers: number;
  callsPerCustomer: number;
  inFlight: number;
  /** The loyalty program versions the router follows: the ceiling delivers as it does. */
  programs?: CustomerDelivery['programs'];
}

export interface CustomerCeilingResult {
  calls_per_s: number;
  calls: number;
  customers: number;
  /** Calls that started a customer's workflow (its first event). */
  workflow_start_share: number;
  in_flight: number;
  duration_ms: number;
  call_latency_ms: ReturnType<typeof percentiles>;
}

/**
 * `perCustomer` validated sales for each of `customers` customers (`<runId>-000000`, …, or
 * `customerId(c)`), over `stores` × `tillsPerStore` tills; a customer's n-th sale is dated
 * `from` + n seconds.
 */
export function customerSales(
  runId: string,
  customers: number,
  perCustomer: number,
  {
    from = Date.parse('2026-11-02T08:00:00Z'),
    stores = ['S001'],
    tillsPerStore = 1,
    customerId = (c: number) => `${runId}-${String(c).padStart(6, '0')}`,
  } = {},
): RetailEvent[][] {
  const generator = createTrafficGenerator({
    seed: 11,
    runId,
    customerPrefix: `${runId}-`,
    stores,
    tillsPerStore,
    customers: 1,
    anonymousShare: 0,
    returnShare: 0,
  });
  return Array.from({ length: customers }, (_, c) => {
    const events: RetailEvent[] = [];
    while (events.length < perCustomer) {
      const at = new Date(from + events.length * 1000);
      const input = { ...generator.next(at), customerId: customerId(c) };
      const parsed = parseRetailEvent(input);
      if (parsed.ok && parsed.event.type === 'sale') events.push(parsed.event);
    }
    return events;
  });
}

/** The same, as the router hands them to a customer's workflow. */
const salesFor = (runId: string, customers: number, perCustomer: number): CustomerEvent[][] =>
  customerSales(runId, customers, perCustomer).map((events) => events.map(withoutPersonalData));

export async function measureCustomerWorkflow(
  options: CustomerCeilingOptions,
): Promise<CustomerCeilingResult> {
  const { temporal, settings, customers, callsPerCustomer } = options;
  const inFlight = Math.max(1, Math.min(options.inFlight, customers));
  const runId = `cwf${randomUUID().slice(0, 6)}`;
  const queues = salesFor(runId, customers, callsPerCustomer);
  const delivery: CustomerDelivery = {
    temporal,
    taskQueue: settings.temporal.taskQueue,
    program: baseProgram(settings.loyalty),
    programs: options.programs,
  };

  // Each customer is in the ready list only while it has no call in flight.
  const ready = queues.map((_, i) => i);
  let head = 0;
  let calls = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (head < ready.length) {
        const c = ready[head++] as number;
        const queue = queues[c] as CustomerEvent[];
        const event = queue.shift() as CustomerEvent;
        const t = performance.now();
        const receipt = await deliverToCustomer(delivery, event.customerId as string, [event]);
        if (receipt.applied !== 1) throw new Error(`the workflow applied ${receipt.applied} of 1`);
        latencies.push(performance.now() - t);
        calls += 1;
        if (queue.length > 0) ready.push(c);
      }
    }),
  );
  const elapsed = performance.now() - started;
  return {
    calls_per_s: calls / (elapsed / 1000),
    calls,
    customers,
    workflow_start_share: customers / calls,
    in_flight: inFlight,
    duration_ms: Math.round(elapsed),
    call_latency_ms: percentiles(latencies),
  };
}
