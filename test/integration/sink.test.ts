/**
 * The analytics sink against a real nats-server (JetStream, file storage) and chDB: rows land,
 * poison is dead-lettered without blocking the stream, duplicates count once, a store failure
 * delays but loses nothing, and stop() leaves nothing unacknowledged.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type PubAck,
  StorageType,
} from '@nats-io/jetstream';
import { connect, headers, type NatsConnection, nanos } from '@nats-io/transport-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsSchema } from '../../config/settings.ts';
import { createAnalyticsStore } from '../../engine/analytics/open-store.ts';
import {
  countDistinctEvents,
  countRows,
  cuesForTill,
  eventById,
  ledgerForCustomer,
  pointsBalanceByCustomer,
} from '../../engine/analytics/queries.ts';
import { baselineStatements } from '../../engine/analytics/schema.ts';
import {
  createSink,
  type FlushReport,
  SINK_STREAMS,
  type Sink,
} from '../../engine/analytics/sink.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';
import { type RunningServer, startNatsServer } from '../../engine/runtime/servers.ts';
import { DEAD_LETTER_HEADERS } from '../../engine/streams/dead-letter.ts';
import {
  AUDIT_STREAM,
  CUES_STREAM,
  cueSubject,
  DEAD_LETTER_STREAM,
  deadLetterSubject,
  EVENTS_STREAM,
  eventSubject,
  FRAUD_STREAM,
  fraudSubject,
  LEDGER_STREAM,
  LOYALTY_STREAM,
  ledgerSubject,
  lifecycleSubject,
  SEGMENTS_STREAM,
  SINK_CONSUMER,
  segmentSubject,
  TRIGGERS_STREAM,
  tierSubject,
  triggerSubject,
} from '../../engine/streams/topology.ts';
import {
  cueInput,
  ledgerInput,
  registrationInput,
  returnInput,
  saleInput,
  uniqueId,
} from './analytics-fixtures.ts';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Polls until `check` holds (or fails with its last value). No timing is asserted. */
async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

describe('analytics sink', () => {
  let dataDir: string;
  let nats: RunningServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let store: AnalyticsStore;
  let sink: Sink;

  const db = (table: string) => `clientele.${table}`;

  async function deadLetter(stream: string, seq: number) {
    const rows = await store.query<{ reason: string; subject: string; payload: string }>(
      `SELECT reason, subject, payload FROM ${db('dead_letters')} FINAL
       WHERE stream = {stream:String} AND seq = {seq:UInt64}`,
      { stream, seq },
    );
    return rows[0];
  }

  /** Every sink consumer has acked everything: nothing pending, nothing in flight. */
  async function drained(): Promise<boolean> {
    for (const stream of SINK_STREAMS) {
      const info = await jsm.consumers.info(stream, SINK_CONSUMER);
      if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
    }
    return true;
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'clientele-sink-'));
    nats = await startNatsServer({ dataDir });
    nc = await connect({ servers: nats.address });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    // The streams are declared by engine/streams in the application; here by the test.
    const subjects: Record<string, string> = {
      [EVENTS_STREAM]: 'events.>',
      [LEDGER_STREAM]: 'ledger.>',
      [LOYALTY_STREAM]: 'loyalty.>',
      [SEGMENTS_STREAM]: 'segments.>',
      [CUES_STREAM]: 'cues.>',
      [TRIGGERS_STREAM]: 'triggers.>',
      [FRAUD_STREAM]: 'fraud.>',
      [AUDIT_STREAM]: 'audit.>',
      [DEAD_LETTER_STREAM]: 'deadletter.>',
    };
    for (const [name, subject] of Object.entries(subjects)) {
      await jsm.streams.add({
        name,
        subjects: [subject],
        storage: StorageType.File,
        duplicate_window: nanos(120_000),
      });
    }
    store = await createAnalyticsStore(
      settingsSchema.parse({ dataDir, clickhouse: { backend: 'chdb' } }),
    );
    await store.migrate();
    sink = createSink({ nc, store, batchSize: 50, flushMs: 50, logger });
    await sink.start();
  });

  afterAll(async () => {
    await sink?.stop();
    await nc?.close();
    await nats?.stop();
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start without the streams', async () => {
    const bareDir = mkdtempSync(join(tmpdir(), 'clientele-bare-'));
    const bare = await startNatsServer({ dataDir: bareDir });
    const bareNc = await connect({ servers: bare.address });
    try {
      const other = createSink({ nc: bareNc, store, batchSize: 10, flushMs: 50, logger });
      await expect(other.start()).rejects.toThrow(/stream EVENTS does not exist/);
    } finally {
      await bareNc.close();
      await bare.stop();
      rmSync(bareDir, { recursive: true, force: true });
    }
  });

  it('stores events; a non-JSON message goes to dead_letters and the next event still lands', async () => {
    const first = saleInput();
    const second = saleInput({ customerId: 'C0002' });
    await js.publish(eventSubject('S001'), JSON.stringify(first), { msgID: first.eventId });
    const poison = await js.publish(eventSubject('S001'), '{"type": "sale", oops');
    await js.publish(eventSubject('S001'), JSON.stringify(second), { msgID: second.eventId });

    const stored = await eventually(
      () => eventById(store, second.eventId),
      (e) => e !== undefined,
    );
    expect(stored).toMatchObject({ customerId: 'C0002', totalMinor: 3_397, type: 'sale' });
    expect(await eventById(store, first.eventId)).toBeDefined();
    const dead = await eventually(
      () => deadLetter(EVENTS_STREAM, poison.seq),
      (d) => d !== undefined,
    );
    expect(dead?.reason).toMatch(/^not JSON/);
    expect(dead?.subject).toBe('events.S001');
    expect(dead?.payload).toBe('{"type": "sale", oops');
    const [lines] = await store.query<{ n: string }>(
      `SELECT count() AS n FROM ${db('sale_lines')} FINAL WHERE event_id = {id:String}`,
      { id: second.eventId },
    );
    expect(lines?.n).toBe('2');
  });

  it('dead-letters an event its zod schema refuses, naming the field', async () => {
    const bad = saleInput();
    (bad.lines[0] as { quantity: number }).quantity = 1.5;
    const ack = await js.publish(eventSubject('S001'), JSON.stringify(bad), { msgID: bad.eventId });
    const dead = await eventually(
      () => deadLetter(EVENTS_STREAM, ack.seq),
      (d) => d !== undefined,
    );
    expect(dead?.reason).toContain('lines[0].quantity');
    expect(await eventById(store, bad.eventId)).toBeUndefined();
  });

  it('counts an event once: same Nats-Msg-Id, and re-published with another id after the window', async () => {
    const sale = saleInput();
    const before = await countDistinctEvents(store);
    const one = await js.publish(eventSubject('S001'), JSON.stringify(sale), {
      msgID: sale.eventId,
    });
    const again = await js.publish(eventSubject('S001'), JSON.stringify(sale), {
      msgID: sale.eventId,
    });
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(one.seq);
    // After the duplicate window a retry is a new message: another id, the same event.
    const late = await js.publish(eventSubject('S001'), JSON.stringify(sale), {
      msgID: `${sale.eventId}:retry`,
    });
    expect(late.seq).toBeGreaterThan(one.seq);

    await eventually(drained, (done) => done);
    expect(await countDistinctEvents(store)).toBe(before + 1);
    // The re-published copy reached the sink, which found the sale stored and kept the first.
    expect((await eventById(store, sale.eventId))?.streamSeq).toBe(one.seq);
    // The same till sale re-sent under a new event id is still one sale.
    const resent = { ...sale, eventId: `${sale.eventId}-resent` };
    await js.publish(eventSubject('S001'), JSON.stringify(resent), { msgID: resent.eventId });
    await eventually(drained, (done) => done);
    expect(await countDistinctEvents(store)).toBe(before + 1);
    expect(await eventById(store, resent.eventId)).toBeUndefined();
    const [lines] = await store.query<{ n: string }>(
      `SELECT count() AS n FROM ${db('sale_lines')} FINAL WHERE event_id = {id:String}`,
      { id: sale.eventId },
    );
    expect(lines?.n).toBe('2');
    // One receipt row, read plainly (no FINAL): the re-sent copies were not inserted.
    const receipts = await store.query<{ lines: number }>(
      `SELECT lines FROM ${db('baskets')} WHERE transaction_id = {tx:String}`,
      { tx: sale.transactionId },
    );
    expect(receipts).toEqual([{ lines: 2 }]);
  });

  it('keeps events that share no transaction apart: registrations of two customers, two profile changes', async () => {
    const [a, b] = [uniqueId('C'), uniqueId('C')];
    const events = [
      registrationInput(a),
      registrationInput(b),
      ...[1, 2].map((n) => ({
        type: 'profile.changed',
        eventId: uniqueId('chg'),
        occurredAt: `2026-03-02T10:0${n}:00Z`,
        storeId: 'WEB',
        channel: 'web',
        customerId: a,
        changes: { tags: [`t${n}`] },
      })),
    ];
    for (const event of events) {
      await js.publish(eventSubject(event.storeId), JSON.stringify(event), {
        msgID: event.eventId,
      });
    }
    await eventually(drained, (done) => done);
    for (const event of events) expect(await eventById(store, event.eventId)).toBeDefined();
  });

  it('gives a return line the cost of the sale line it gives back', async () => {
    const sale = saleInput({ customerId: uniqueId('C') });
    const back = returnInput(sale.transactionId, { customerId: sale.customerId });
    await js.publish(eventSubject('S001'), JSON.stringify(sale), { msgID: sale.eventId });
    await js.publish(eventSubject('S001'), JSON.stringify(back), { msgID: back.eventId });
    await eventually(drained, (done) => done);
    const rows = await store.query<{ line_id: string; unit_cost: string }>(
      `SELECT line_id, unit_cost FROM ${db('return_lines')} WHERE event_id = {id:String}`,
      { id: back.eventId },
    );
    // The mug (line l2) cost 300.
    expect(rows).toEqual([{ line_id: 'l2', unit_cost: '300' }]);
  });

  it('stores ledger entries and cues once each, and dead-letters a malformed entry', async () => {
    const customerId = uniqueId('Cledger');
    const earn = ledgerInput({ customerId, points: 33, balanceAfter: 33 });
    const reverse = ledgerInput({
      customerId,
      eventId: uniqueId('ret'),
      kind: 'reverse',
      points: -9,
      balanceAfter: 24,
      occurredAt: '2026-03-15T08:30:00.000Z',
    });
    for (const entry of [earn, reverse, earn]) {
      await js.publish(ledgerSubject('S001'), JSON.stringify(entry));
    }
    const badAck = await js.publish(
      ledgerSubject('S001'),
      JSON.stringify({ ...earn, entryId: 'x', points: 'many' }),
    );
    const tillId = uniqueId('T');
    const shown = cueInput({ customerId, tillId, eventId: earn.eventId });
    await js.publish(cueSubject('S001', tillId), JSON.stringify(shown));
    await js.publish(cueSubject('S001', tillId), JSON.stringify(shown));

    const ledger = await eventually(
      () => ledgerForCustomer(store, customerId),
      (entries) => entries.length >= 2,
    );
    expect(ledger).toEqual([earn, reverse]);
    const balances = await pointsBalanceByCustomer(store);
    expect(balances.find((b) => b.customerId === customerId)?.points).toBe(24);
    const cues = await eventually(
      () => cuesForTill(store, 'S001', tillId),
      (c) => c.length > 0,
    );
    await eventually(drained, (done) => done);
    expect(await cuesForTill(store, 'S001', tillId)).toEqual([shown]);
    expect(cues).toHaveLength(1);
    const dead = await eventually(
      () => deadLetter(LEDGER_STREAM, badAck.seq),
      (d) => d !== undefined,
    );
    expect(dead?.reason).toContain('points');
  });

  it('stores tier changes once each, and leaves the loyalty triggers beside them alone', async () => {
    const customerId = uniqueId('C');
    const change = {
      customerId,
      from: 'base',
      to: 'silver',
      reason: 'upgrade',
      at: '2026-03-14T09:00:00.000Z',
    };
    await js.publish(tierSubject(customerId), JSON.stringify(change));
    await js.publish(tierSubject(customerId), JSON.stringify(change));
    await js.publish(
      triggerSubject(customerId),
      JSON.stringify({ customerId, kind: 'points-expiring', points: 10, expiresAt: change.at }),
    );
    const rows = await eventually(
      () =>
        store.query<Record<string, string>>(
          `SELECT customer_id, from_tier, to_tier, reason, at FROM ${db('tier_changes')} WHERE customer_id = {customerId:String}`,
          { customerId },
        ),
      (r) => r.length > 0,
    );
    await eventually(drained, (done) => done);
    expect(rows).toEqual([
      {
        customer_id: customerId,
        from_tier: 'base',
        to_tier: 'silver',
        reason: 'upgrade',
        at: '2026-03-14 09:00:00.000',
      },
    ]);
    const info = await jsm.consumers.info(LOYALTY_STREAM, SINK_CONSUMER);
    expect(info.config.filter_subject).toBe('loyalty.tier.>');
  });

  it('stores a segment change once, however often it is published', async () => {
    const customerId = uniqueId('C');
    const change = {
      customerId,
      segmentId: 'lapsed-gold',
      change: 'entered',
      at: '2026-06-01T10:00:00.000Z',
      cause: 'time',
      programVersion: 'gold@3',
    };
    for (let i = 0; i < 3; i++) {
      await js.publish(segmentSubject(customerId), JSON.stringify(change), { msgID: `m-${i}` });
    }
    await eventually(drained, (done) => done);
    const rows = await store.query<Record<string, string>>(
      `SELECT segment_id, change, at, cause, event_id, program_version FROM ${db('segment_changes')} WHERE customer_id = {customerId:String}`,
      { customerId },
    );
    expect(rows).toEqual([
      {
        segment_id: 'lapsed-gold',
        change: 'entered',
        at: '2026-06-01 10:00:00.000',
        cause: 'time',
        event_id: '',
        program_version: 'gold@3',
      },
    ]);
  });

  it('stores a lifecycle trigger once per occasion, and dead-letters a malformed one', async () => {
    const customerId = uniqueId('Clife');
    const fired = {
      customerId,
      ruleId: 'birthday',
      on: 'birthday',
      occasion: '2026-04-21',
      dueAt: '2026-04-18T07:00:00.000Z',
      firedAt: '2026-04-18T07:00:00.000Z',
      cue: { message: 'Birthday this week', until: '2026-04-25T07:00:00.000Z' },
    };
    const lapse = {
      customerId,
      ruleId: 'lapsed',
      on: 'lapsed',
      occasion: '2026-01-05T10:00:00.000Z',
      dueAt: '2026-04-05T10:00:00.000Z',
      firedAt: '2026-04-06T09:00:00.000Z',
    };
    // The same occasion twice (a repeated daylight-saving hour's second timer): one row.
    for (const trigger of [fired, lapse, fired]) {
      await js.publish(lifecycleSubject(customerId), JSON.stringify(trigger));
    }
    const bad = await js.publish(
      lifecycleSubject(customerId),
      JSON.stringify({ ...fired, on: 'full-moon' }),
    );
    const rows = await eventually(
      () =>
        store.query<Record<string, string | null>>(
          `SELECT trigger_id, kind, occasion, due_at, fired_at, cue_message, cue_until
           FROM ${db('lifecycle_triggers')} FINAL WHERE customer_id = {customerId:String}
           ORDER BY trigger_id`,
          { customerId },
        ),
      (found) => found.length >= 2,
    );
    await eventually(drained, (done) => done);
    expect(rows).toEqual([
      {
        trigger_id: `${customerId}/birthday@2026-04-21`,
        kind: 'birthday',
        occasion: '2026-04-21',
        due_at: '2026-04-18 07:00:00.000',
        fired_at: '2026-04-18 07:00:00.000',
        cue_message: 'Birthday this week',
        cue_until: '2026-04-25 07:00:00.000',
      },
      {
        trigger_id: `${customerId}/lapsed@2026-01-05T10:00:00.000Z`,
        kind: 'lapsed',
        occasion: '2026-01-05T10:00:00.000Z',
        due_at: '2026-04-05 10:00:00.000',
        fired_at: '2026-04-06 09:00:00.000',
        cue_message: '',
        cue_until: null,
      },
    ]);
    const dead = await eventually(
      () => deadLetter(TRIGGERS_STREAM, bad.seq),
      (d) => d !== undefined,
    );
    expect(dead?.reason).toContain('on');
  });

  it('stores an anti-fraud flag once, with its store, till and travel', async () => {
    const customerId = uniqueId('Cflag');
    const use = (storeId: string, at: string) => ({
      kind: 'look-up',
      at,
      storeId,
      tillId: 'T1',
      channel: 'till',
      identifier: 'card',
      cardNumber: '2799010000047118',
      customerId,
      outcome: 'found',
    });
    const flag = {
      flagId: `impossible-travel-${customerId}`,
      rule: 'impossible-travel',
      at: '2026-12-02T10:40:00.000Z',
      cardNumber: '2799010000047118',
      customerId,
      message: 'Used at S001 and S003, 504 km apart, 40 minutes between (756 km/h)',
      evidence: [use('S001', '2026-12-02T10:00:00.000Z'), use('S003', '2026-12-02T10:40:00.000Z')],
      travel: { distanceKm: 504.3, minutes: 40, speedKmh: 756 },
      action: 'flag',
      status: 'open',
    };
    // Raised again by a second watch: one row.
    await js.publish(fraudSubject('S003'), JSON.stringify(flag));
    await js.publish(fraudSubject('S003'), JSON.stringify(flag));
    const bad = await js.publish(fraudSubject('S003'), JSON.stringify({ ...flag, rule: 'hunch' }));
    const rows = await eventually(
      () =>
        store.query<Record<string, unknown>>(
          `SELECT flag_id, rule, at, store_id, till_id, customer_id, action, evidence, distance_km, speed_kmh
           FROM ${db('fraud_flags')} FINAL WHERE customer_id = {customerId:String}`,
          { customerId },
        ),
      (found) => found.length >= 1,
    );
    await eventually(drained, (done) => done);
    expect(rows).toEqual([
      {
        flag_id: flag.flagId,
        rule: 'impossible-travel',
        at: '2026-12-02 10:40:00.000',
        store_id: 'S003',
        till_id: 'T1',
        customer_id: customerId,
        action: 'flag',
        evidence: 2,
        distance_km: 504.3,
        speed_kmh: 756,
      },
    ]);
    const dead = await eventually(
      () => deadLetter(FRAUD_STREAM, bad.seq),
      (d) => d !== undefined,
    );
    expect(dead?.reason).toContain('rule');
  });

  it('records messages published to the DEADLETTER stream under the message they name', async () => {
    const h = headers();
    h.set(DEAD_LETTER_HEADERS.sourceStream, EVENTS_STREAM);
    h.set(DEAD_LETTER_HEADERS.sourceSeq, '987654');
    h.set(DEAD_LETTER_HEADERS.sourceSubject, 'events.S002');
    h.set(DEAD_LETTER_HEADERS.reason, 'Temporal refused it 10 times');
    await js.publish(deadLetterSubject(EVENTS_STREAM), '{"eventId":"e-1"}', { headers: h });
    const plain = await js.publish(deadLetterSubject('router'), 'no headers at all');

    const named = await eventually(
      () => deadLetter(EVENTS_STREAM, 987654),
      (d) => d !== undefined,
    );
    expect(named).toEqual({
      reason: 'Temporal refused it 10 times',
      subject: 'events.S002',
      payload: '{"eventId":"e-1"}',
    });
    const own = await eventually(
      () => deadLetter(DEAD_LETTER_STREAM, plain.seq),
      (d) => d !== undefined,
    );
    expect(own).toEqual({ reason: '', subject: 'deadletter.router', payload: 'no headers at all' });
  });

  it('keeps running when the store fails, and stores everything once it is back', async () => {
    const failedBefore = sink.processed.failedFlushes;
    await store.command(`DROP TABLE ${db('cues')}`);
    const tillId = uniqueId('T');
    const shown = cueInput({ tillId });
    const sale = saleInput();
    await js.publish(cueSubject('S001', tillId), JSON.stringify(shown));
    await js.publish(eventSubject('S001'), JSON.stringify(sale), { msgID: sale.eventId });
    await eventually(
      async () => sink.processed.failedFlushes,
      (n) => n > failedBefore,
    );
    // A missing table is not bad data: nothing is dead-lettered, everything waits. The table is
    // made again as migration 1 made it (a recorded migration does not run again).
    for (const statement of baselineStatements(store.database)) await store.command(statement);
    await eventually(
      () => cuesForTill(store, 'S001', tillId),
      (c) => c.length === 1,
      30_000,
    );
    await eventually(
      () => eventById(store, sale.eventId),
      (e) => e !== undefined,
    );
    const [dead] = await store.query<{ n: string }>(
      `SELECT count() AS n FROM ${db('dead_letters')} FINAL WHERE payload LIKE {p:String}`,
      { p: `%${shown.cueId}%` },
    );
    expect(dead?.n).toBe('0');
  });

  it('dead-letters a message the database itself refuses; the rest of its batch lands at once', async () => {
    // A real refusal by ClickHouse: a CHECK constraint that one (schema-valid) event violates.
    const refused = saleInput({ eventId: uniqueId('refused') });
    await store.command(
      `ALTER TABLE ${db('events')} ADD CONSTRAINT not_refused CHECK event_id != '${refused.eventId}'`,
    );
    try {
      const good = [saleInput(), saleInput(), saleInput()] as const;
      const acks: PubAck[] = [];
      for (const event of [good[0], refused, good[1], good[2]]) {
        acks.push(
          await js.publish(eventSubject('S001'), JSON.stringify(event), {
            msgID: event.eventId,
          }),
        );
      }
      for (const event of good) {
        await eventually(
          () => eventById(store, event.eventId),
          (e) => e !== undefined,
        );
      }
      const dead = await eventually(
        () => deadLetter(EVENTS_STREAM, acks[1]?.seq ?? 0),
        (d) => d !== undefined,
        30_000,
      );
      expect(dead?.reason).toMatch(/refused its rows.*VIOLATED_CONSTRAINT|Constraint/);
      expect(await eventById(store, refused.eventId)).toBeUndefined();
    } finally {
      await store.command(`ALTER TABLE ${db('events')} DROP CONSTRAINT not_refused`);
    }
  });

  it('stop() acks what it holds; a new sink picks up what arrived meanwhile', async () => {
    await sink.stop();
    await sink.stop(); // idempotent
    expect(await drained()).toBe(true);
    const processed = { ...sink.processed };
    expect(processed.events).toBeGreaterThan(0);
    expect(processed.ledger).toBeGreaterThan(0);
    expect(processed.cues).toBeGreaterThan(0);
    expect(processed.deadLetters).toBeGreaterThan(0);

    const whileStopped = saleInput();
    await js.publish(eventSubject('S002'), JSON.stringify(whileStopped), {
      msgID: whileStopped.eventId,
    });
    sink = createSink({ nc, store, batchSize: 1000, flushMs: 100, logger });
    await sink.start();
    await eventually(
      () => eventById(store, whileStopped.eventId),
      (e) => e !== undefined,
    );
    await sink.stop();
    expect(await drained()).toBe(true);
  });

  it('a burst larger than a batch lands whole', async () => {
    sink = createSink({ nc, store, batchSize: 64, flushMs: 20, logger });
    await sink.start();
    const before = await countDistinctEvents(store);
    const burst = Array.from({ length: 1_000 }, () => saleInput({ storeId: 'S003' }));
    await Promise.all(
      burst.map((event) =>
        js.publish(eventSubject('S003'), JSON.stringify(event), { msgID: event.eventId }),
      ),
    );
    await eventually(
      () => countDistinctEvents(store),
      (n) => n === before + 1_000,
      60_000,
    );
    await eventually(drained, (done) => done);
    expect(await countRows(store, 'events')).toBe(before + 1_000);
    await sink.stop();
  });

  it('a segment change brings its batch forward: it does not wait for flushMs', async () => {
    await sink.stop(); // the only sink on the consumers
    const flushes: FlushReport[] = [];
    // A minute's wait for other messages: only the segment change can end it within the test.
    sink = createSink({
      nc,
      store,
      batchSize: 1000,
      flushMs: 60_000,
      segmentsFlushMs: 10,
      logger,
      onFlush: (f) => flushes.push(f),
    });
    await sink.start();
    const event = saleInput({ storeId: 'S003' });
    await js.publish(eventSubject('S003'), JSON.stringify(event), { msgID: event.eventId });
    const customerId = uniqueId('Cseg');
    await js.publish(
      segmentSubject(customerId),
      JSON.stringify({
        customerId,
        segmentId: 'regulars',
        change: 'entered',
        at: '2026-06-01T10:00:00.000Z',
        cause: 'event',
        eventId: event.eventId,
        programVersion: 'gold@3',
      }),
    );
    // Stored long before the minute is up (the sale may come along, or wait for the stop).
    await eventually(
      () =>
        store.query(
          `SELECT segment_id FROM ${db('segment_changes')} WHERE customer_id = {customerId:String}`,
          { customerId },
        ),
      (rows) => rows.length === 1,
      30_000,
    );
    await sink.stop();
    expect(flushes[0]?.ok).toBe(true);
    expect(flushes[0]?.waitedMs).toBeLessThan(30_000);
    expect(await eventById(store, event.eventId)).toBeDefined();
    expect(flushes.reduce((n, f) => n + f.messages, 0)).toBe(2);
  });
});
