/**
 * The engine router: a durable JetStream consumer that delivers each event to its customer's
 * workflow with update-with-start, publishes what the workflow answers the events caused (ledger
 * lines, cues) and keeps the customer's summary it answers, and acks the events only then.
 * Personal data (a registration's or a profile change's) goes to the profile store, never to
 * the workflow.
 *
 * Many customers are in flight at once, but at most one call per customer, so each customer's
 * events arrive in stream order; events that queue up for a customer meanwhile travel together
 * in one update. Poison messages go to the dead-letter stream and never block the stream.
 */
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Settings } from '../../config/settings.ts';
import {
  baseProgram,
  type CustomerDelivery,
  customerFailure,
  deliverToCustomer,
  mergedInto,
} from '../../workflows/customer/client.ts';
import type { DeliveryReceipt } from '../../workflows/customer/messages.ts';
import type { ProfileStore } from '../customer-view/profile-store.ts';
import type { SummaryStore } from '../customer-view/summary-store.ts';
import { checkEventTime } from '../domain/event-time.ts';
import {
  type CustomerEvent,
  type CustomerRegisteredEvent,
  describeIssues,
  type ProfileChangedEvent,
  parseRetailEvent,
  withoutPersonalData,
} from '../domain/events.ts';
import { deadLetter } from './dead-letter.ts';
import { publishEffects } from './publish-effects.ts';
import { EVENTS_STREAM, ROUTER_CONSUMER } from './topology.ts';

export interface RouterDeps {
  js: JetStreamClient;
  temporal: Client;
  settings: Settings;
  logger: Logger;
  /** The published loyalty program versions (absent: customers earn at the base rate). */
  programs?: CustomerDelivery['programs'];
  /** Told of every delivery the workflow applied, with its timings (the benchmark's hops). */
  observe?: (delivery: DeliveryObservation) => void;
  /** The router's clock, for the limits on `occurredAt` (default: the system clock). */
  now?: () => Date;
  /** Where registrations' and profile changes' personal data goes (absent: it is not kept). */
  profiles?: ProfileStore;
  /** Where each customer's latest summary goes, for identification (absent: not kept). */
  summaries?: SummaryStore;
}

/** One delivery to a customer workflow, timed in wall-clock milliseconds. */
export interface DeliveryObservation {
  customerId: string;
  events: {
    eventId: string;
    /** When JetStream stored the event. */
    storedAtMs: number;
    /** When the router took it from the consumer. */
    takenAtMs: number;
  }[];
  /** When the update that delivered the batch was sent (its last attempt). */
  sentAtMs: number;
  /** When the workflow answered that the batch was applied and its effects published. */
  appliedAtMs: number;
}

export interface RouterStats {
  /** Events their workflow applied (a redelivered event counts again; the workflow ignores it). */
  routed: number;
  /** Temporal calls that delivered a batch. */
  deliveries: number;
  anonymous: number;
  deadLettered: number;
  retries: number;
}

export interface Router {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly stats: RouterStats;
}

interface Item {
  msg: JsMsg;
  /** The event without personal data: what the workflow is given. */
  event: CustomerEvent;
  /** The whole event, when it carries a profile for the profile store. */
  withProfile?: CustomerRegisteredEvent | ProfileChangedEvent;
  takenAtMs: number;
}

const decoder = new TextDecoder();

/** Errors that retrying cannot fix: the request itself is unacceptable to Temporal. */
const isPermanent = (err: unknown): boolean => {
  const failure = customerFailure(err);
  return failure.kind === 'error' && failure.error.code === 'invalid_request';
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A record merged into one merged into another…: followed this far at most. */
const MERGE_HOPS = 5;

/** Per-customer memories the router keeps at most: past that the oldest goes. */
const REMEMBERED = 100_000;

function remember<V>(memory: Map<string, V>, customerId: string, value: V) {
  memory.delete(customerId);
  memory.set(customerId, value);
  if (memory.size > REMEMBERED) {
    const oldest = memory.keys().next().value;
    if (oldest !== undefined) memory.delete(oldest);
  }
}

/** The event as the customer it now belongs to receives it (the same when not merged). */
function addressedTo<E extends { customerId?: string }>(event: E, customerId: string): E {
  return event.customerId === customerId ? event : { ...event, customerId };
}

export function createRouter({
  js,
  temporal,
  settings,
  logger,
  observe,
  programs,
  now = () => new Date(),
  profiles,
  summaries,
}: RouterDeps): Router {
  const { maxInFlight, maxBatch } = settings.router;
  const customers: CustomerDelivery = {
    temporal,
    taskQueue: settings.temporal.taskQueue,
    program: baseProgram(settings.loyalty),
    programs,
    historyBudgetBytes: settings.temporal.historyBudgetKib * 1024,
  };
  /** Bounded so we never hold more than can be delivered within the ack wait. */
  const maxBuffered = maxInFlight * maxBatch;

  const stats: RouterStats = {
    routed: 0,
    deliveries: 0,
    anonymous: 0,
    deadLettered: 0,
    retries: 0,
  };
  const queues = new Map<string, Item[]>();
  const ready: string[] = [];
  const inFlight = new Map<string, Promise<void>>();
  /** Every message taken and not yet acked: kept alive with `working()` while it waits. */
  const held = new Set<JsMsg>();
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let buffered = 0;
  let wakeReader: (() => void) | undefined;
  let stopping = false;
  let messages:
    | Awaited<ReturnType<Awaited<ReturnType<JetStreamClient['consumers']['get']>>['consume']>>
    | undefined;
  let reading: Promise<void> | undefined;

  function enqueue(item: Item) {
    const customerId = item.event.customerId as string;
    const queue = queues.get(customerId);
    if (queue) queue.push(item);
    else {
      queues.set(customerId, [item]);
      if (!inFlight.has(customerId)) ready.push(customerId);
    }
    held.add(item.msg);
    buffered += 1;
    pump();
  }

  function pump() {
    while (!stopping && inFlight.size < maxInFlight && ready.length > 0) {
      const customerId = ready.shift() as string;
      const queue = queues.get(customerId);
      if (!queue || queue.length === 0) continue;
      const batch = queue.splice(0, maxBatch);
      if (queue.length === 0) queues.delete(customerId);
      const sending = send(customerId, batch).finally(() => {
        for (const item of batch) held.delete(item.msg);
        inFlight.delete(customerId);
        buffered -= batch.length;
        if (queues.has(customerId)) ready.push(customerId);
        if (wakeReader && buffered < maxBuffered) {
          wakeReader();
          wakeReader = undefined;
        }
        pump();
      });
      inFlight.set(customerId, sending);
    }
  }

  /**
   * The newest delivery, per customer, whose effects this router published; told to the
   * workflow on the next delivery so it can forget them. Bounded: a customer forgotten here is
   * only given its last effects again, to publish again.
   */
  const publishedThrough = new Map<string, number>();

  /**
   * Customers merged into another, as deliveries found them: their events go to the survivor.
   * Bounded like `publishedThrough`; a customer forgotten here is found again by a refusal.
   */
  const mergedTargets = new Map<string, string>();

  /**
   * Starts the customer's workflow if needed (or follows a merged customer to where it went);
   * resolves once the events are applied, their personal data kept, what they caused published
   * and the customer's summary kept.
   */
  async function deliver(customerId: string, batch: Item[]) {
    let target = mergedTargets.get(customerId) ?? customerId;
    let receipt: DeliveryReceipt;
    for (let hops = 0; ; hops++) {
      const through = publishedThrough.get(target);
      const events = batch.map((item) => addressedTo(item.event, target));
      try {
        receipt = await deliverToCustomer(customers, target, events, {
          ...(through === undefined ? {} : { publishedThrough: through }),
          ...(summaries ? { summary: true } : {}),
        });
        break;
      } catch (err) {
        const failure = customerFailure(err);
        const into = failure.kind === 'refused' ? mergedInto(failure) : undefined;
        if (!into || hops >= MERGE_HOPS) throw err;
        remember(mergedTargets, customerId, into);
        target = into;
      }
    }
    // Personal data goes to the profile store, in stream order; the workflow never sees it.
    for (const item of batch) {
      const event = item.withProfile;
      if (event) await profiles?.apply(addressedTo(event, target), item.msg.info.streamSequence);
    }
    const summary = receipt.summary;
    await Promise.all([
      receipt.effects ? publishEffects(js, receipt.effects) : undefined,
      summary ? summaries?.write(summary) : undefined,
    ]);
    if (receipt.delivery !== undefined) remember(publishedThrough, target, receipt.delivery);
  }

  async function send(customerId: string, batch: Item[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const sentAtMs = Date.now();
        await deliver(customerId, batch);
        for (const item of batch) item.msg.ack();
        stats.routed += batch.length;
        stats.deliveries += 1;
        observe?.({
          customerId,
          events: batch.map((item) => ({
            eventId: item.event.eventId,
            storedAtMs: item.msg.info.timestampNanos / 1e6,
            takenAtMs: item.takenAtMs,
          })),
          sentAtMs,
          appliedAtMs: Date.now(),
        });
        return;
      } catch (err) {
        if (stopping) {
          for (const item of batch) item.msg.nak();
          return;
        }
        if (isPermanent(err)) {
          if (batch.length > 1) {
            // One bad event must not take its neighbours down: retry them one by one.
            for (const item of batch) await send(customerId, [item]);
          } else if (batch[0]) {
            stats.deadLettered += 1;
            await deadLetter(
              js,
              batch[0].msg,
              `Temporal refused the event: ${(err as Error).message}`,
            );
          }
          return;
        }
        stats.retries += 1;
        logger.warn(
          { customerId, attempt, err: (err as Error).message },
          'the customer workflow did not take the events; retrying',
        );
        await sleep(Math.min(10_000, 25 * 2 ** Math.min(attempt, 9)));
      }
    }
  }

  async function handle(msg: JsMsg) {
    const takenAtMs = Date.now();
    if (msg.info.deliveryCount > settings.router.maxDeliver) {
      // Delivered again and again without an ack: something about it keeps failing (or keeps
      // crashing the router). Set it aside rather than let it come back forever.
      stats.deadLettered += 1;
      await deadLetter(js, msg, `delivered ${msg.info.deliveryCount} times without success`);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(msg.data));
    } catch (err) {
      stats.deadLettered += 1;
      await deadLetter(js, msg, `not JSON: ${(err as Error).message}`);
      return;
    }
    const parsed = parseRetailEvent(json);
    if (!parsed.ok) {
      stats.deadLettered += 1;
      await deadLetter(js, msg, `not a valid event: ${describeIssues(parsed.issues)}`);
      return;
    }
    // The gateways check this too, but a client may publish to NATS directly.
    const mistimed = checkEventTime(parsed.event, now().toISOString(), settings.events);
    if (mistimed.length > 0) {
      stats.deadLettered += 1;
      await deadLetter(js, msg, `not a valid event: ${describeIssues(mistimed)}`);
      return;
    }
    if (parsed.event.customerId === undefined) {
      // Anonymous sales feed analytics only; a walk-in customer must not become a hot workflow.
      stats.anonymous += 1;
      msg.ack();
      return;
    }
    const event = parsed.event;
    const withProfile =
      event.type === 'profile.changed' || (event.type === 'customer.registered' && event.profile)
        ? event
        : undefined;
    enqueue({ msg, event: withoutPersonalData(event), withProfile, takenAtMs });
    if (buffered >= maxBuffered) {
      await new Promise<void>((resolve) => {
        wakeReader = resolve;
      });
    }
  }

  return {
    stats,
    async start() {
      const consumer = await js.consumers.get(EVENTS_STREAM, ROUTER_CONSUMER);
      // A delivery can wait a while (a worker restarting, a customer's earlier batch): tell
      // JetStream the held messages are in progress, or it redelivers them after the ack wait.
      keepAlive = setInterval(
        () => {
          for (const msg of held) msg.working();
        },
        Math.max(200, (settings.router.ackWaitSeconds * 1000) / 3),
      );
      messages = await consumer.consume({ max_messages: Math.min(1000, maxBuffered) });
      const iterator = messages;
      reading = (async () => {
        for await (const msg of iterator) {
          try {
            await handle(msg);
          } catch (err) {
            // Never let one message kill the consumer: leave it for redelivery.
            logger.error({ err, seq: msg.info.streamSequence }, 'router failed on a message');
            msg.nak(1000);
          }
        }
      })();
    },
    async stop() {
      stopping = true;
      clearInterval(keepAlive);
      await messages?.close();
      wakeReader?.();
      await reading;
      await Promise.allSettled([...inFlight.values()]);
      // Whatever was queued and not sent goes back for redelivery.
      for (const queue of queues.values()) for (const item of queue) item.msg.nak();
      queues.clear();
      held.clear();
    },
  };
}
