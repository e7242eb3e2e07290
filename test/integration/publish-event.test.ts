/**
 * The gateways' one door into the engine, `publishEvent`, against a real nats-server with
 * JetStream: the time limits are checked against the clock it is given (fixed here), and a
 * refused event never reaches the EVENTS stream.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startNatsServer } from '../../engine/runtime/servers.ts';
import { declareStreams } from '../../engine/streams/declare.ts';
import { publishEvent } from '../../engine/streams/publish-event.ts';
import { EVENTS_STREAM } from '../../engine/streams/topology.ts';
import { saleInput } from '../support/events.ts';
import { testSettings } from '../support/stack.ts';

const time = {
  limits: { maxClockSkewSeconds: 300, earliestOccurredAt: '2000-01-01T00:00:00Z' },
  now: () => new Date('2026-12-01T16:00:00Z'),
};
const origin = { storeId: 'S001', tillId: 'T1' };

let dataDir: string;
let nats: RunningServer;
let nc: NatsConnection;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'clientele-publish-'));
  nats = await startNatsServer({ dataDir });
  nc = await connect({ servers: nats.address });
  await declareStreams(await jetstreamManager(nc), testSettings());
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const stored = async () => (await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM)).state;

describe('publishEvent and the time limits', () => {
  it('refuses an event from a till clock far ahead, or dated before the earliest date, storing nothing', async () => {
    const js = jetstream(nc);
    const before = (await stored()).messages;
    const ahead = await publishEvent(
      js,
      saleInput({ occurredAt: '2099-12-01T16:00:00Z' }),
      origin,
      time,
    );
    expect(ahead).toEqual({
      ok: false,
      error: {
        code: 'invalid_event',
        message:
          'occurredAt: is 73 years ahead of the receiving clock (2026-12-01T16:00:00.000Z); at most 300 s ahead is accepted',
        issues: [
          {
            field: 'occurredAt',
            message:
              'is 73 years ahead of the receiving clock (2026-12-01T16:00:00.000Z); at most 300 s ahead is accepted',
          },
        ],
      },
    });
    const old = await publishEvent(
      js,
      saleInput({ occurredAt: '1970-01-01T00:00:00Z' }),
      origin,
      time,
    );
    expect(old.ok || old.error.issues).toEqual([
      {
        field: 'occurredAt',
        message:
          'is before 2000-01-01T00:00:00.000Z, the earliest date accepted (events.earliestOccurredAt)',
      },
    ]);
    expect((await stored()).messages).toBe(before);
  });

  it('names every reason at once: a date far ahead beside a mistake in the contract', async () => {
    const js = jetstream(nc);
    const both = await publishEvent(
      js,
      saleInput({
        occurredAt: '2099-12-01T16:00:00Z',
        lines: [
          {
            lineId: '1',
            sku: 'A',
            category: 'c',
            quantity: 1,
            unitPrice: 100,
            fullPrice: 100,
            unitCost: 1,
          },
          {
            lineId: '1',
            sku: 'B',
            category: 'c',
            quantity: 1,
            unitPrice: 100,
            fullPrice: 100,
            unitCost: 1,
          },
        ],
        tenders: [{ type: 'card', amount: 200 }],
      }),
      origin,
      time,
    );
    expect(both.ok || both.error.issues.map((i) => i.field)).toEqual([
      'occurredAt',
      'lines[1].lineId',
    ]);
  });

  it('stores an event from months ago, and one within the skew ahead', async () => {
    const js = jetstream(nc);
    const before = (await stored()).messages;
    for (const occurredAt of ['2026-03-14T09:30:00Z', '2026-12-01T16:04:59Z']) {
      const outcome = await publishEvent(js, saleInput({ occurredAt }), origin, time);
      expect(outcome).toMatchObject({ ok: true, duplicate: false });
    }
    expect((await stored()).messages).toBe(before + 2);
  });
});
