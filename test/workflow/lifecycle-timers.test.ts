/**
 * Lifecycle triggers fired by the customer workflow's own timers, on Temporal's time-skipping
 * test server: a lapse at exactly N days and not after a purchase on day N − 1, a birthday at
 * 09:00 local (in the repeated daylight-saving hour: once), 29 February in a year without one,
 * replenishment from the customer's own intervals, the Nth visit, each once, also across a
 * worker restart and when it fell due while no worker ran. What the timers fire goes out through
 * the `publishEffects` local activity, here a recorder; what a sale fires comes back in the
 * delivery's effects. (This server never suggests continue-as-new: "once across continue-as-new"
 * is `test/integration/lifecycle-continue-as-new.test.ts`, on a dev server.)
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Effects } from '../../engine/domain/customer/account.ts';
import type { CustomerEvent, SaleEvent } from '../../engine/domain/events.ts';
import { addDaysToDate, instantAt, localDateOf } from '../../engine/domain/lifecycle/local-time.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { line, programOf, saleOf } from '../support/loyalty.ts';
import {
  deliverUnder,
  eventually,
  recordingActivities,
  startCustomerWorker,
  startTimeSkipping,
} from '../support/time-skipping.ts';

const DAY_MS = 86_400_000;
const taskQueue = 'customers-lifecycle';
const EFFECTIVE_FROM = '2020-01-01T00:00:00.000Z';

let env: TestWorkflowEnvironment;
let worker: { stop(): Promise<void> } | undefined;
const recorder = recordingActivities();

beforeAll(async () => {
  env = await startTimeSkipping();
  worker = await startCustomerWorker(env, taskQueue, recorder.activities);
});

afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
});

const program: Program = {
  ...programOf(
    {
      lifecycle: {
        timeZone: 'Europe/Berlin',
        rules: [
          { id: 'lapsed', on: 'lapsed', afterDays: 90 },
          { id: 'tenth', on: 'visits', count: 3 },
          { id: 'beans', on: 'replenishment', categories: ['coffee'], cycleDays: 30 },
          // 02:30 local: inside the hour Berlin repeats when its clocks go back.
          { id: 'birthday', on: 'birthday', at: '02:30' },
        ],
      },
    },
    'life@1',
  ),
  effectiveFrom: EFFECTIVE_FROM,
};

const deliver = (customerId: string, events: CustomerEvent[]) =>
  deliverUnder(env, taskQueue, [program], customerId, events);

/** What the clock fired for this customer, by rule id and occasion. */
function firedFor(customerId: string): string[] {
  return recorder.published
    .flatMap((effects: Effects) => effects.lifecycle ?? [])
    .filter((fired) => fired.customerId === customerId)
    .map((fired) => `${fired.ruleId}@${fired.occasion}`);
}

/** The customer's snapshot, as the workflow answers it. */
const snapshotOf = (customerId: string) =>
  env.client.workflow.getHandle(customerWorkflowId(customerId)).query(snapshotQuery);

async function skip(ms: number) {
  await env.sleep(ms);
}

const now = async () => env.currentTimeMs();

function sale(customerId: string, tx: string, occurredAt: string, category = 'grocery'): SaleEvent {
  return saleOf(tx, [line({ lineId: '1', unitPrice: 1_000, category })], {
    customerId,
    eventId: `ev-${tx}`,
    occurredAt,
  });
}

/** A member registered now, born on `monthDay` (the workflow gets the month and day only). */
function registration(customerId: string, occurredAt: string, monthDay: string): CustomerEvent {
  return {
    type: 'customer.registered',
    eventId: `ev-reg-${customerId}`,
    occurredAt,
    storeId: 'S001',
    tillId: 'T1',
    channel: 'till',
    customerId,
    consent: { email: false, sms: false, post: false, profiling: false },
    birthMonthDay: monthDay,
  };
}

/** Skips the test server's clock to `instant` (it moves only forward). */
async function skipTo(instant: string) {
  const ms = Date.parse(instant) - (await now());
  expect(ms).toBeGreaterThan(0);
  await skip(ms);
}

describe('lifecycle triggers on the workflow timer', () => {
  it('fires a lapse at exactly 90 days, once, and not after a purchase on day 89', async () => {
    const customerId = 'c-life-lapse';
    const first = new Date(await now()).toISOString();
    await deliver(customerId, [sale(customerId, 'tx-l1', first)]);
    // Day 89: a purchase moves the lapse 90 days on from it.
    await skip(89 * DAY_MS);
    const second = new Date(await now()).toISOString();
    await deliver(customerId, [sale(customerId, 'tx-l2', second)]);
    await skip(2 * DAY_MS); // past day 90 of the first purchase
    expect(firedFor(customerId)).toEqual([]);
    // 90 days after the second purchase, to the minute: the lapse fires, once.
    await skip(88 * DAY_MS - 60_000);
    expect(firedFor(customerId)).toEqual([]);
    await skip(2 * 60_000);
    await eventually(
      () => (firedFor(customerId).length > 0 ? true : undefined),
      10_000,
      'the lapse',
    );
    expect(firedFor(customerId)).toEqual([`lapsed@${second}`]);
    const fired = recorder.published
      .flatMap((e) => e.lifecycle ?? [])
      .find((f) => f.customerId === customerId);
    expect(fired?.dueAt).toBe(new Date(Date.parse(second) + 90 * DAY_MS).toISOString());
    await skip(30 * DAY_MS);
    expect(firedFor(customerId)).toEqual([`lapsed@${second}`]);
  }, 60_000);

  it('fires the Nth visit with the sale that makes it, once', async () => {
    const customerId = 'c-life-visits';
    const at = async () => new Date(await now()).toISOString();
    const answers = [];
    for (const tx of ['tx-v1', 'tx-v2', 'tx-v3', 'tx-v4']) {
      answers.push(await deliver(customerId, [sale(customerId, tx, await at())]));
      await skip(DAY_MS);
    }
    const fired = answers.map((r) =>
      (r.effects?.lifecycle ?? []).map((f) => `${f.ruleId}@${f.occasion}`),
    );
    // Nothing before the third visit; the third sale's answer holds it. (Answers carry earlier
    // effects until the router confirms them: the same occasion, published once by its id.)
    expect(fired[0]).toEqual([]);
    expect(fired[1]).toEqual([]);
    expect(fired[2]).toEqual(['tenth@once']);
    expect(new Set(fired.flat())).toEqual(new Set(['tenth@once']));
    expect((await snapshotOf(customerId)).visits).toBe(4);
  }, 60_000);

  it('fires replenishment after the cycle, then from the customer’s own interval', async () => {
    const customerId = 'c-life-beans';
    const at = async () => new Date(await now()).toISOString();
    // Three coffee purchases 10 days apart: the customer's own interval, 10 days.
    for (const tx of ['tx-b1', 'tx-b2', 'tx-b3']) {
      await deliver(customerId, [sale(customerId, tx, await at(), 'coffee')]);
      await skip(10 * DAY_MS);
    }
    // The last purchase was 10 days ago: due at 09:00 Berlin on its tenth day after, by now.
    await skip(DAY_MS);
    await eventually(
      () => (firedFor(customerId).some((f) => f.startsWith('beans@')) ? true : undefined),
      10_000,
      'the replenishment',
    );
    expect(firedFor(customerId).filter((f) => f.startsWith('beans@'))).toHaveLength(1);
  }, 60_000);

  /** Berlin's clocks go back on the last Sunday of October, at 01:00Z. */
  function fallBack(year: number): string {
    const day = new Date(Date.UTC(year, 9, 31));
    day.setUTCDate(31 - day.getUTCDay());
    return day.toISOString().slice(0, 10);
  }

  it('fires a birthday in the repeated daylight-saving hour once, and 29 February on the 28th', async () => {
    const autumn = 'c-life-autumn';
    const leap = 'c-life-leap';
    const start = await now();
    const registered = new Date(start).toISOString();
    // The next autumn change and the next year without a 29 February, from the test server's
    // clock (earlier tests moved it on).
    let year = new Date(start).getUTCFullYear();
    while (Date.parse(`${fallBack(year)}T00:30:00Z`) < start + 2 * DAY_MS) year += 1;
    const autumnDay = fallBack(year);
    let leapYear = new Date(start).getUTCFullYear();
    const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    while (isLeap(leapYear) || Date.parse(`${leapYear}-02-28T01:30:00Z`) < start + 2 * DAY_MS) {
      leapYear += 1;
    }
    await deliver(autumn, [registration(autumn, registered, autumnDay.slice(5))]);
    await deliver(leap, [registration(leap, registered, '02-29')]);
    const steps: [string, () => Promise<void>][] = [
      [
        `${leapYear}-02-28`,
        async () => {
          // No 29 February: under the default rule (feb-28) it is the 28th, 02:30 in Berlin
          // (CET, +1): 01:30Z.
          // (A leap year on the way has its own 29 February first.)
          const before = Array.from(
            { length: leapYear - new Date(start).getUTCFullYear() },
            (_, i) => new Date(start).getUTCFullYear() + i,
          )
            .filter((y) => isLeap(y) && Date.parse(`${y}-02-29T01:30:00Z`) > start)
            .map((y) => `birthday@${y}-02-29`);
          await skipTo(`${leapYear}-02-28T01:29:00Z`);
          await eventually(
            () => (firedFor(leap).length === before.length ? true : undefined),
            10_000,
            'the leap years on the way',
          );
          expect(firedFor(leap)).toEqual(before);
          await skip(2 * 60_000);
          await eventually(
            () => (firedFor(leap).length > before.length ? true : undefined),
            10_000,
            'the 28th',
          );
          expect(firedFor(leap)).toEqual([...before, `birthday@${leapYear}-02-28`]);
        },
      ],
      [
        autumnDay,
        async () => {
          // 02:30 happens twice: at 00:30Z (CEST, +2) and at 01:30Z (CET, +1). The first fires;
          // the second fires nothing.
          await skipTo(`${autumnDay}T00:29:00Z`);
          expect(firedFor(autumn)).toEqual([]);
          await skip(2 * 60_000);
          await eventually(() => (firedFor(autumn).length > 0 ? true : undefined), 10_000, '1st');
          await skipTo(`${autumnDay}T03:00:00Z`);
          expect(firedFor(autumn)).toEqual([`birthday@${autumnDay}`]);
          const fired = recorder.published
            .flatMap((e) => e.lifecycle ?? [])
            .find((f) => f.customerId === autumn);
          expect(fired?.dueAt).toBe(`${autumnDay}T00:30:00.000Z`);
        },
      ],
    ];
    // In the order they come (the clock only moves forward).
    for (const [, step] of steps.sort((a, b) => (a[0] < b[0] ? -1 : 1))) await step();
  }, 60_000);
});

describe('lifecycle triggers across a worker restart', () => {
  // Workers without a cache (no sticky queue) on a queue of their own, so they can be stopped
  // and replaced on the time-skipping server (`startCustomerWorker`): each task replays the
  // history, as the first task of a new worker does.
  const restartQueue = 'customers-lifecycle-restart';
  let restartable: { stop(): Promise<void> } | undefined;
  const startRestartable = async () => {
    restartable = await startCustomerWorker(env, restartQueue, recorder.activities, {
      maxCachedWorkflows: 0,
    });
  };
  const stopRestartable = async () => {
    await restartable?.stop();
    restartable = undefined;
  };
  const deliverHere = (customerId: string, events: CustomerEvent[]) =>
    deliverUnder(env, restartQueue, [program], customerId, events);
  /** Waits until the recorder holds `count` occasions for the customer. */
  const firedCount = (customerId: string, count: number, what: string) =>
    eventually(() => (firedFor(customerId).length >= count ? true : undefined), 10_000, what);

  beforeAll(startRestartable);
  afterAll(stopRestartable);

  it('fires a birthday and a lapse once, and no more after a new worker', async () => {
    const customerId = 'c-life-restart';
    const start = await now();
    const registered = new Date(start).toISOString();
    // A birthday 30 days on (not 29 February: that one moves by the year), 02:30 in Berlin.
    let day = localDateOf('Europe/Berlin', start + 30 * DAY_MS);
    if (day.endsWith('-02-29')) day = addDaysToDate(day, 1);
    await deliverHere(customerId, [
      registration(customerId, registered, day.slice(5)),
      sale(customerId, 'tx-r1', registered),
    ]);
    await skipTo(new Date(instantAt('Europe/Berlin', day, '02:30') + 60_000).toISOString());
    await firedCount(customerId, 1, 'the birthday');
    expect(firedFor(customerId)).toEqual([`birthday@${day}`]);
    await skipTo(new Date(start + 90 * DAY_MS + 60_000).toISOString());
    await firedCount(customerId, 2, 'the lapse');
    expect(firedFor(customerId)).toEqual([`birthday@${day}`, `lapsed@${registered}`]);

    await stopRestartable();
    await startRestartable();
    // The new worker replays the history (the timers that fired, the occasions published)
    // and runs the clock on: next year's birthday is the next occasion, and the only one.
    const nextYear = `${Number(day.slice(0, 4)) + 1}${day.slice(4)}`;
    await skipTo(new Date(instantAt('Europe/Berlin', nextYear, '02:30') + 60_000).toISOString());
    await firedCount(customerId, 3, 'next year’s birthday');
    await skip(120 * DAY_MS);
    expect(firedFor(customerId)).toEqual([
      `birthday@${day}`,
      `lapsed@${registered}`,
      `birthday@${nextYear}`,
    ]);
    // And the new worker answers from the state it rebuilt.
    expect((await snapshotOf(customerId)).visits).toBe(1);
  }, 60_000);

  it('fires a lapse due while no worker ran once, when a new worker comes', async () => {
    const customerId = 'c-life-down';
    const bought = new Date(await now()).toISOString();
    const due = Date.parse(bought) + 90 * DAY_MS;
    await deliverHere(customerId, [sale(customerId, 'tx-d1', bought)]);
    await skipTo(new Date(due - 1_000).toISOString());
    expect(firedFor(customerId)).toEqual([]);
    await stopRestartable();
    // With no worker the server skips to the due instant, then holds its clock while the
    // timer's workflow task waits: the rest of this sleep passes in real time.
    await skip(2_000);
    expect(await now()).toBeGreaterThan(due);
    expect(firedFor(customerId)).toEqual([]);

    await startRestartable();
    await firedCount(customerId, 1, 'the late lapse');
    const fired = recorder.published
      .flatMap((e) => e.lifecycle ?? [])
      .filter((f) => f.customerId === customerId);
    expect(fired.map((f) => `${f.ruleId}@${f.occasion}`)).toEqual([`lapsed@${bought}`]);
    expect(fired[0]?.dueAt).toBe(new Date(due).toISOString());
    expect(Date.parse(fired[0]?.firedAt ?? '')).toBeGreaterThan(due);
    await skip(100 * DAY_MS);
    expect(firedFor(customerId)).toEqual([`lapsed@${bought}`]);
  }, 60_000);
});
