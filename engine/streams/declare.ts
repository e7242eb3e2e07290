/**
 * Declares the JetStream streams and durable consumers (an admin step, done at start-up by every
 * process that needs them; repeating it is harmless).
 */
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamManager,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Settings } from '../../config/settings.ts';
import {
  CUES_STREAM,
  DEAD_LETTER_STREAM,
  EVENTS_STREAM,
  LEDGER_STREAM,
  LOYALTY_STREAM,
  ROUTER_CONSUMER,
} from './topology.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export function streamConfigs(settings: Settings): Array<Partial<StreamConfig> & { name: string }> {
  const common = {
    storage: StorageType.File,
    num_replicas: settings.nats.replicas,
    duplicate_window: nanos(settings.nats.duplicateWindowSeconds * 1000),
  };
  return [
    { ...common, name: EVENTS_STREAM, subjects: ['events.>'], max_age: nanos(365 * DAY_MS) },
    { ...common, name: LEDGER_STREAM, subjects: ['ledger.>'], max_age: nanos(365 * DAY_MS) },
    { ...common, name: LOYALTY_STREAM, subjects: ['loyalty.>'], max_age: nanos(365 * DAY_MS) },
    // Cues matter for a day: long enough for a till that was offline to catch up.
    { ...common, name: CUES_STREAM, subjects: ['cues.>'], max_age: nanos(DAY_MS) },
    {
      ...common,
      name: DEAD_LETTER_STREAM,
      subjects: ['deadletter.>'],
      max_age: nanos(90 * DAY_MS),
    },
  ];
}

export async function declareStreams(jsm: JetStreamManager, settings: Settings): Promise<void> {
  for (const config of streamConfigs(settings)) {
    const { name } = config;
    try {
      await jsm.streams.info(name);
      await jsm.streams.update(name, config);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await jsm.streams.add(config);
    }
  }
}

export function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; message?: string; api_error?: { err_code?: number } };
  return (
    e?.api_error?.err_code === 10059 || // stream not found
    e?.api_error?.err_code === 10014 || // consumer not found
    /not found/i.test(e?.message ?? '')
  );
}

/** The router's durable consumer on EVENTS: explicit acks, redelivery after the ack wait. */
export async function declareRouterConsumer(
  jsm: JetStreamManager,
  settings: Settings,
): Promise<void> {
  const config = {
    durable_name: ROUTER_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(settings.router.ackWaitSeconds * 1000),
    max_ack_pending: Math.max(1000, settings.router.maxInFlight * settings.router.maxBatch),
  };
  try {
    await jsm.consumers.info(EVENTS_STREAM, ROUTER_CONSUMER);
    await jsm.consumers.update(EVENTS_STREAM, ROUTER_CONSUMER, config);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(EVENTS_STREAM, config);
  }
}
