/**
 * Declares the JetStream streams and durable consumers (an admin step, done at start-up by every
 * process that needs them; repeating it is harmless).
 */
import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  type JetStreamManager,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Settings } from '../../config/settings.ts';
import {
  ACTIVITY_STREAM,
  ACTIVITY_SUBJECTS,
  AUDIT_STREAM,
  AUDIT_SUBJECTS,
  CUE_SUBJECTS,
  CUES_STREAM,
  DEAD_LETTER_STREAM,
  DEAD_LETTER_SUBJECTS,
  EVENT_SUBJECTS,
  EVENTS_STREAM,
  FRAUD_STREAM,
  FRAUD_SUBJECTS,
  LEDGER_STREAM,
  LEDGER_SUBJECTS,
  LOYALTY_STREAM,
  LOYALTY_SUBJECTS,
  ROUTER_CONSUMER,
  SEGMENTS_STREAM,
  SEGMENTS_SUBJECTS,
  SINK_CONSUMER,
  TRIGGERS_STREAM,
  TRIGGERS_SUBJECTS,
} from './topology.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export function streamConfigs(settings: Settings): Array<Partial<StreamConfig> & { name: string }> {
  const common = {
    storage: StorageType.File,
    num_replicas: settings.nats.replicas,
    duplicate_window: nanos(settings.nats.duplicateWindowSeconds * 1000),
  };
  return [
    { ...common, name: EVENTS_STREAM, subjects: [EVENT_SUBJECTS], max_age: nanos(365 * DAY_MS) },
    { ...common, name: LEDGER_STREAM, subjects: [LEDGER_SUBJECTS], max_age: nanos(365 * DAY_MS) },
    { ...common, name: LOYALTY_STREAM, subjects: [LOYALTY_SUBJECTS], max_age: nanos(365 * DAY_MS) },
    {
      ...common,
      name: TRIGGERS_STREAM,
      subjects: [TRIGGERS_SUBJECTS],
      max_age: nanos(365 * DAY_MS),
    },
    {
      ...common,
      name: SEGMENTS_STREAM,
      subjects: [SEGMENTS_SUBJECTS],
      max_age: nanos(365 * DAY_MS),
    },
    // Cues matter for a day: long enough for a till that was offline to catch up.
    { ...common, name: CUES_STREAM, subjects: [CUE_SUBJECTS], max_age: nanos(DAY_MS) },
    // Read by the anti-fraud watch only, as far back as it looks on start-up.
    {
      ...common,
      name: ACTIVITY_STREAM,
      subjects: [ACTIVITY_SUBJECTS],
      max_age: nanos(settings.fraud.lookbackHours * 60 * 60 * 1000),
    },
    { ...common, name: FRAUD_STREAM, subjects: [FRAUD_SUBJECTS], max_age: nanos(365 * DAY_MS) },
    { ...common, name: AUDIT_STREAM, subjects: [AUDIT_SUBJECTS], max_age: nanos(730 * DAY_MS) },
    {
      ...common,
      name: DEAD_LETTER_STREAM,
      subjects: [DEAD_LETTER_SUBJECTS],
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

/** Adds a durable consumer, or brings an existing one's settings up to date. */
async function declareConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
): Promise<void> {
  try {
    await jsm.consumers.info(stream, config.durable_name);
    await jsm.consumers.update(stream, config.durable_name, config);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(stream, config);
  }
}

/** The router's durable consumer on EVENTS: explicit acks, redelivery after the ack wait. */
export async function declareRouterConsumer(
  jsm: JetStreamManager,
  settings: Settings,
): Promise<void> {
  await declareConsumer(jsm, EVENTS_STREAM, {
    durable_name: ROUTER_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(settings.router.ackWaitSeconds * 1000),
    max_ack_pending: Math.max(1000, settings.router.maxInFlight * settings.router.maxBatch),
  });
}

/**
 * The analytics sink's durable consumer on `stream`: explicit acks, never given up on by the
 * server (the sink itself dead-letters what it cannot store), enough in flight to fill a batch
 * from every stream at once.
 */
export async function declareSinkConsumer(
  jsm: JetStreamManager,
  stream: string,
  {
    ackWaitMs,
    batchSize,
    filterSubject,
  }: { ackWaitMs: number; batchSize: number; filterSubject?: string },
): Promise<void> {
  try {
    await jsm.streams.info(stream);
  } catch (err) {
    throw new Error(
      `stream ${stream} does not exist: declare the streams (engine/streams) before starting the sink`,
      { cause: err },
    );
  }
  await declareConsumer(jsm, stream, {
    durable_name: SINK_CONSUMER,
    description: 'Clientele analytics sink (ClickHouse)',
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(ackWaitMs),
    max_ack_pending: Math.max(1_000, batchSize * 2),
    max_deliver: -1,
    ...(filterSubject ? { filter_subject: filterSubject } : {}),
  });
}
