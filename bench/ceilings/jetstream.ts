/**
 * Ceiling: JetStream publish and consume throughput as the engine uses it. A throw-away stream
 * with file storage (like EVENTS) takes `messages` publishes, each with its own message id and
 * its PubAck awaited, `concurrency` of them in flight; then a durable pull consumer with explicit
 * acks reads them all back, acking each. Each phase is timed on its own; the stream is deleted.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  StorageType,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

export interface JetStreamCeilingOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  messages: number;
  payloadBytes: number;
  /** Publishes awaiting their PubAck at once (e.g. 256). */
  concurrency: number;
}

export interface JetStreamCeilingResult {
  publish_msgs_per_s: number;
  consume_msgs_per_s: number;
  messages: number;
  payload_bytes: number;
  publish_ms: number;
  consume_ms: number;
  /** PubAcks that said "duplicate": must be 0, every message id is new. */
  duplicates: number;
}

export async function measureJetStream({
  nc,
  js,
  jsm,
  messages,
  payloadBytes,
  concurrency,
}: JetStreamCeilingOptions): Promise<JetStreamCeilingResult> {
  const count = Math.max(1, Math.floor(messages));
  const token = randomUUID().replaceAll('-', '').slice(0, 12);
  const stream = `BENCH_${token}`;
  const subject = `bench.${token}.events`;
  const durable = `bench_${token}`;
  // Printable, incompressible-ish bytes: JetStream does not compress, but keep it honest.
  const payload = new Uint8Array(randomBytes(Math.max(0, payloadBytes)).map((b) => 33 + (b % 94)));

  await jsm.streams.add({
    name: stream,
    subjects: [`bench.${token}.>`],
    storage: StorageType.File,
    num_replicas: 1,
  });
  try {
    let next = 0;
    let duplicates = 0;
    const publishStarted = performance.now();
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, async () => {
        while (next < count) {
          const i = next++;
          const ack = await js.publish(subject, payload, { msgID: `${token}-${i}` });
          if (ack.duplicate) duplicates += 1;
        }
      }),
    );
    const publishMs = performance.now() - publishStarted;

    const stored = (await jsm.streams.info(stream)).state.messages;
    if (stored !== count) throw new Error(`the stream holds ${stored} messages, not ${count}`);

    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: 10_000,
    });
    const consumer = await js.consumers.get(stream, durable);
    let received = 0;
    const consumeStarted = performance.now();
    const iterator = await consumer.consume({ max_messages: 1000 });
    for await (const msg of iterator) {
      msg.ack();
      received += 1;
      if (received >= count) break;
    }
    // The acks are on the wire in order: a round trip after the last one means all arrived.
    await nc.flush();
    const consumeMs = performance.now() - consumeStarted;
    await iterator.close();

    // Not timed: the server takes the acks in asynchronously; all must land.
    let info = await jsm.consumers.info(stream, durable);
    for (
      let i = 0;
      i < 100 && (info.num_ack_pending !== 0 || info.ack_floor.stream_seq < count);
      i++
    ) {
      await new Promise((r) => setTimeout(r, 50));
      info = await jsm.consumers.info(stream, durable);
    }
    if (info.num_ack_pending !== 0 || info.ack_floor.stream_seq < count) {
      throw new Error(
        `acks missing: ${info.num_ack_pending} pending, ack floor ${info.ack_floor.stream_seq}`,
      );
    }

    return {
      publish_msgs_per_s: count / (publishMs / 1000),
      consume_msgs_per_s: received / (consumeMs / 1000),
      messages: count,
      payload_bytes: payload.length,
      publish_ms: Math.round(publishMs),
      consume_ms: Math.round(consumeMs),
      duplicates,
    };
  } finally {
    await jsm.streams.delete(stream).catch(() => false);
  }
}
