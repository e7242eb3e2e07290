/**
 * The customer workflow answers what a delivery caused in the update's result, and the router
 * publishes it. A router that dies between the answer and publishing must not lose it: the
 * workflow keeps every answered effect until a later delivery confirms it was published, and
 * gives it again meanwhile. Driven here as such a router would, straight through Temporal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import { parseRetailEvent, withoutPersonalData } from '../../engine/domain/events.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { deliverToCustomer } from '../../workflows/customer/client.ts';
import type { DeliveryOptions } from '../../workflows/customer/messages.ts';
import { saleInput } from '../support/events.ts';
import { startTestStack } from '../support/stack.ts';

const CUSTOMER = 'c-outbox-1';
let stack: Stack;

beforeAll(async () => {
  stack = await startTestStack(['worker']);
});

afterAll(async () => {
  await stack?.stop();
});

function sale(n: number): CustomerEvent {
  const parsed = parseRetailEvent(
    saleInput({ customerId: CUSTOMER, eventId: `ev-outbox-${n}`, transactionId: `tx-outbox-${n}` }),
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return withoutPersonalData(parsed.event);
}

function deliver(events: CustomerEvent[], options: DeliveryOptions = {}) {
  const program = { version: 't', basePointsPerUnit: 1, spendUnitMinor: 100 };
  const customers = {
    temporal: stack.temporal,
    taskQueue: stack.settings.temporal.taskQueue,
    program,
  };
  return deliverToCustomer(customers, CUSTOMER, events, options);
}

describe('effects in the update result', () => {
  it('are given again until confirmed as published, then forgotten', {
    timeout: 60_000,
  }, async () => {
    const first = await deliver([sale(1)]);
    expect(first).toMatchObject({ applied: 1, delivery: 1 });
    expect(first.effects?.cues.map((c) => c.eventId)).toEqual(['ev-outbox-1']);
    expect(first.effects?.ledger).toHaveLength(1);

    // The router died before publishing; its successor re-sends the event, knowing nothing.
    const again = await deliver([sale(1)]);
    expect(again.applied).toBe(0);
    expect(again.effects).toEqual(first.effects);

    // A new event, still unconfirmed: both deliveries' effects, oldest first.
    const second = await deliver([sale(2)]);
    expect(second.delivery).toBe(3);
    expect(second.effects?.cues.map((c) => c.eventId)).toEqual(['ev-outbox-1', 'ev-outbox-2']);

    // Confirmed through delivery 3: only what the next event caused comes back.
    const third = await deliver([sale(3)], { publishedThrough: second.delivery });
    expect(third.effects?.cues.map((c) => c.eventId)).toEqual(['ev-outbox-3']);
    expect(third.pointsBalance).toBe(3 * 39);
  });
});
