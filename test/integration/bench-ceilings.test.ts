/**
 * The JetStream and Temporal ceilings at tiny sizes against real servers (no engine parts
 * running): every message and call is counted, the figures are finite and positive, and the
 * throw-away stream is gone afterwards. No timing is asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureJetStream } from '../../bench/ceilings/jetstream.ts';
import { measureTemporal } from '../../bench/ceilings/temporal.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { startTestStack } from '../support/stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startTestStack([]);
});

afterAll(async () => {
  await stack?.stop();
});

const positive = (n: number) => Number.isFinite(n) && n > 0;

describe('JetStream ceiling', () => {
  it('publishes and consumes every message once, then deletes its stream', async () => {
    const before = await stack.jsm.streams.names().next();
    const result = await measureJetStream({
      nc: stack.nc,
      js: stack.js,
      jsm: stack.jsm,
      messages: 500,
      payloadBytes: 200,
      concurrency: 64,
    });
    expect(result.messages).toBe(500);
    expect(result.payload_bytes).toBe(200);
    expect(result.duplicates).toBe(0);
    expect(positive(result.publish_msgs_per_s)).toBe(true);
    expect(positive(result.consume_msgs_per_s)).toBe(true);
    const after = await stack.jsm.streams.names().next();
    expect([...after].sort()).toEqual([...before].sort());
  });
});

describe('Temporal ceiling', () => {
  for (const mode of ['signal-with-start', 'update-with-start'] as const) {
    it(`drives ${mode} calls to a no-op workflow, each handled`, async () => {
      const result = await measureTemporal({
        temporal: stack.temporal,
        temporalAddress: stack.temporalAddress,
        settings: stack.settings,
        workflows: 6,
        inFlight: 3,
        calls: 20,
        mode,
      });
      expect(result).toMatchObject({ mode, workflows: 6, calls: 20, in_flight: 3 });
      expect(positive(result.calls_per_s)).toBe(true);
      expect(positive(result.handled_calls_per_s)).toBe(true);
      expect(result.handled_calls_per_s).toBeLessThanOrEqual(result.calls_per_s);
      expect(result.call_latency_ms.p50).toBeLessThanOrEqual(result.call_latency_ms.max);
    });
  }
});
