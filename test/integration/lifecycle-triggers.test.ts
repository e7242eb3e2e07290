/**
 * A lifecycle trigger on real servers: a member's second visit, under a program whose lifecycle
 * rules celebrate it, reaches the TRIGGERS stream (for campaigns), ClickHouse, and the next
 * identification at the till as a cue for the cashier.
 */
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSummaryStore } from '../../engine/customer-view/summary-store.ts';
import { lifecycleTrigger } from '../../engine/domain/effects.ts';
import { cardNumberOf } from '../../engine/domain/identity/card-number.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import { lifecycleSubject, TRIGGERS_STREAM } from '../../engine/streams/topology.ts';
import { saleInput, uniqueId } from '../support/events.ts';
import { programOf } from '../support/loyalty.ts';
import { eventually, startTestStack } from '../support/stack.ts';
import { connectTill, type TestTill } from '../support/till-client.ts';

const message = 'Second visit: ask about the newsletter';
/**
 * A birthday due at a UTC minute more than a minute from now (rules are local times to the
 * minute), for the worker-restart test: today's month and day, `HH:MM` of that minute.
 */
const birthdayDue = Math.ceil((Date.now() + 75_000) / 60_000) * 60_000;
const birthdayAt = new Date(birthdayDue).toISOString().slice(11, 16);
const catalog = createProgramCatalog([
  {
    ...programOf(
      {
        lifecycle: {
          timeZone: 'UTC',
          rules: [
            { id: 'second-visit', on: 'visits', count: 2, cue: { message, validDays: 7 } },
            { id: 'birthday', on: 'birthday', at: birthdayAt },
          ],
        },
      },
      'life-it@1',
    ),
    effectiveFrom: '2020-01-01T00:00:00Z',
  },
]);
let stack: Stack;
let till: TestTill;

beforeAll(async () => {
  stack = await startTestStack(
    ['worker', 'router', 'identity', 'sink', 'till'],
    undefined,
    undefined,
    { programs: catalog },
  );
  till = await connectTill(stack.till?.url as string, 'S001', 'T1', 'demo-token-S001');
}, 120_000);

afterAll(async () => {
  till?.close();
  await stack?.stop();
});

describe('a lifecycle trigger', () => {
  it('reaches the TRIGGERS stream, ClickHouse and the next identification at the till', async () => {
    const card = cardNumberOf('279901', 7001);
    const registered = (await till.socket.timeout(15_000).emitWithAck('customer:register', {
      registrationId: uniqueId('reg'),
      card: { cardNumber: card },
    })) as { customerId: string };
    const customerId = registered.customerId;
    for (const hours of [5, 1]) {
      const sale = saleInput({
        customerId,
        occurredAt: new Date(Date.now() - hours * 3_600_000).toISOString(),
      });
      expect(await till.send(sale)).toMatchObject({ ok: true });
    }

    // For campaigns: one message on the customer's subject, the occasion once.
    const consumer = await jetstream(stack.nc).consumers.get(TRIGGERS_STREAM, {
      filter_subjects: [lifecycleSubject(customerId)],
    });
    const published = await eventually(
      async () => {
        const got = await consumer.fetch({ max_messages: 10, expires: 1_000 });
        for await (const msg of got) return lifecycleTrigger.parse(msg.json());
        return undefined;
      },
      30_000,
      'the trigger on TRIGGERS',
    );
    expect(published).toMatchObject({
      customerId,
      ruleId: 'second-visit',
      on: 'visits',
      occasion: 'once',
      cue: { message },
    });
    expect(Date.parse(published.cue?.until ?? '') - Date.parse(published.firedAt)).toBe(
      7 * 86_400_000,
    );

    // For analytics: one row.
    const rows = await eventually(
      async () => {
        const found = await stack.store?.query<{ trigger_id: string; kind: string }>(
          `SELECT trigger_id, kind FROM ${stack.store.database}.lifecycle_triggers FINAL
           WHERE customer_id = {customerId:String}`,
          { customerId },
        );
        return found && found.length > 0 ? found : undefined;
      },
      30_000,
      'the row in ClickHouse',
    );
    expect(rows).toEqual([{ trigger_id: `${customerId}/second-visit@once`, kind: 'visits' }]);

    // For the cashier: the cue at the next identification.
    const identified = (await till.socket
      .timeout(15_000)
      .emitWithAck('customer:identify', { card: { payload: card, source: 'barcode' } })) as {
      ok: boolean;
      cues: { kind: string; message: string }[];
    };
    expect(identified.ok).toBe(true);
    expect(identified.cues).toContainEqual({ kind: 'lifecycle', message });
  }, 90_000);

  it('missed while no worker ran, fires once when the worker is back', async () => {
    const registered = (await till.socket.timeout(15_000).emitWithAck('customer:register', {
      registrationId: uniqueId('reg'),
      profile: { birthDate: `1990-${new Date(birthdayDue).toISOString().slice(5, 10)}` },
    })) as { customerId: string };
    const customerId = registered.customerId;
    const summaries = await openSummaryStore(stack.nc);
    // The registration is in the workflow (its timer set for the birthday) before the worker stops.
    await eventually(
      async () => ((await summaries.read(customerId))?.registeredAt ? true : undefined),
      30_000,
      'the registration applied',
    );
    await stack.stopWorker();
    await new Promise((r) => setTimeout(r, Math.max(0, birthdayDue - Date.now()) + 3_000));
    const consumer = await jetstream(stack.nc).consumers.get(TRIGGERS_STREAM, {
      filter_subjects: [lifecycleSubject(customerId)],
    });
    const triggers = async () => {
      const seen = [];
      const got = await consumer.fetch({ max_messages: 10, expires: 1_000 });
      for await (const msg of got) seen.push(lifecycleTrigger.parse(msg.json()));
      return seen;
    };
    expect(await triggers()).toEqual([]);
    await stack.startWorker();
    const fired = await eventually(
      async () => {
        const seen = await triggers();
        return seen.length > 0 ? seen : undefined;
      },
      30_000,
      'the late birthday',
    );
    expect(fired).toMatchObject([
      {
        customerId,
        ruleId: 'birthday',
        occasion: new Date(birthdayDue).toISOString().slice(0, 10),
        dueAt: new Date(birthdayDue).toISOString(),
      },
    ]);
    expect(Date.parse(fired[0]?.firedAt ?? '')).toBeGreaterThan(birthdayDue);
    // And never again.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await triggers()).toEqual([]);
  }, 240_000);
});
