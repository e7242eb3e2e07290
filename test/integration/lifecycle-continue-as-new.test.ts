/**
 * Lifecycle triggers fire once across continue-as-new, on real servers (Temporal's time-skipping
 * test server never suggests continue-as-new; here the dev server does after 40 history events).
 * A lapse already due when the sale that starts it arrives fires at once; a visits milestone and
 * a lifetime-spend threshold fire with the sales that reach them; then the customer rolls over
 * several times while more sales come (and its worker is replaced once), and the TRIGGERS stream
 * still holds each occasion once.
 * JetStream's duplicate window is one second here, so a trigger published again (a new run that
 * forgot what fired) would not be swallowed by its message id but show as a second message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noEffects } from '../../engine/domain/customer/account.ts';
import type { Lifecycle } from '../../engine/domain/lifecycle/rules-schema.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import { publishEffects } from '../../engine/streams/publish-effects.ts';
import { TRIGGERS_STREAM } from '../../engine/streams/topology.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { programOf } from '../support/loyalty.ts';
import {
  eventually,
  lifecycleTriggersOf,
  sendSale,
  startTestStack,
  testSettings,
} from '../support/stack.ts';

const CUSTOMER = 'c-life-rollover-1';
const CONTROL = 'c-life-rollover-control';
const DAY_MS = 86_400_000;
/** What one `saleInput` spends (2 × 18.99 + 2.29 − 0.29). */
const SALE_MINOR = 3_998;

/** A lapse after 90 days, the second visit, and a lifetime spend the third sale passes. */
const rules: Lifecycle['rules'] = [
  { id: 'lapsed', on: 'lapsed', afterDays: 90 },
  { id: 'second-visit', on: 'visits', count: 2 },
  { id: 'big-spender', on: 'lifetime-spend', thresholdMinor: 2 * SALE_MINOR + 1 },
];
const catalog = createProgramCatalog([
  { ...programOf({ lifecycle: { rules } }, 'life-can@1'), effectiveFrom: '2020-01-01T00:00:00Z' },
]);

let stack: Stack;

beforeAll(async () => {
  stack = await startTestStack(
    ['worker', 'router'],
    testSettings({ CLIENTELE_NATS_DUPLICATE_WINDOW_SECONDS: '1' }),
    { 'limit.historyCount.suggestContinueAsNew': 40 },
    { programs: catalog },
  );
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('lifecycle triggers across continue-as-new', () => {
  it('fire once each, however often the customer rolls over', async () => {
    // The premise: a repeat published as the workflow publishes it, more than a second later,
    // is a second message (JetStream de-duplicates by message id within the window only).
    const triggers = await stack.jsm.streams.info(TRIGGERS_STREAM);
    expect(triggers.config.duplicate_window).toBe(1_000_000_000);
    const at = new Date().toISOString();
    const repeat = noEffects();
    repeat.lifecycle = [
      { customerId: CONTROL, ruleId: 'lapsed', on: 'lapsed', occasion: at, dueAt: at, firedAt: at },
    ];
    await publishEffects(stack.js, repeat);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await publishEffects(stack.js, repeat);
    expect(await lifecycleTriggersOf(stack, CONTROL)).toHaveLength(2);

    const handle = stack.temporal.workflow.getHandle(customerWorkflowId(CUSTOMER));
    const runs = new Set<string>();
    let sent = 0;
    /** The `n`th sale, `100 + n` days ago: only the first moves the last purchase. */
    const saleAt = (n: number) => new Date(Date.now() - (100 + n) * DAY_MS).toISOString();
    const send = async () => {
      const { event } = await sendSale(
        stack,
        { customerId: CUSTOMER, occurredAt: saleAt(sent) },
        sent + 1,
      );
      // One delivery at a time: each costs the run its own history events.
      sent += 1;
      runs.add((await handle.describe()).runId);
      return event;
    };

    // The first sale, 100 days ago: lapsed 10 days ago, so the lapse fires at once. The second
    // is the second visit, the third passes the spend threshold.
    const first = await send();
    await send();
    await send();
    const fired = await eventually(
      async () => {
        const seen = await lifecycleTriggersOf(stack, CUSTOMER);
        return seen.length >= 3 ? seen : undefined;
      },
      30_000,
      'the three triggers',
    );
    expect(fired.map((t) => `${t.ruleId}@${t.occasion}`).sort()).toEqual([
      'big-spender@once',
      `lapsed@${first.occurredAt}`,
      'second-visit@once',
    ]);
    const lapse = fired.find((t) => t.ruleId === 'lapsed');
    expect(lapse?.dueAt).toBe(new Date(Date.parse(first.occurredAt) + 90 * DAY_MS).toISOString());
    runs.add((await handle.describe()).runId);
    expect(runs.size).toBe(1);

    // More sales, each earlier than the first (the lapse's occasion stays the same), until the
    // customer has rolled over twice; then a new worker, which replays the third run from what
    // it carried, and more sales until it has rolled over once more, and a few in the last run.
    const rollOverTo = async (count: number) => {
      while (runs.size < count) {
        await send();
        expect(sent).toBeLessThan(80);
      }
    };
    await rollOverTo(3);
    await stack.stopWorker();
    await stack.startWorker();
    await rollOverTo(4);
    for (let i = 0; i < 3; i++) await send();
    const snapshot = await handle.query(snapshotQuery);
    expect(snapshot).toMatchObject({ visits: sent, eventsApplied: sent });

    // Past the duplicate window: anything published again is there as a message of its own.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = await lifecycleTriggersOf(stack, CUSTOMER);
    expect(after.map((t) => `${t.ruleId}@${t.occasion}`)).toEqual(
      fired.map((t) => `${t.ruleId}@${t.occasion}`),
    );
    expect(after).toHaveLength(3);
  }, 90_000);
});
