/**
 * RELIABILITY.md T6 and T8 on a real Temporal dev server and nats-server, through the redemption
 * service's NATS request–reply subject, as tills would ask:
 * - T6: 2 and 50 tills redeem the same full balance at once: exactly one is granted in every
 *   trial, the balance never goes below zero, every loser gets a clear refusal;
 * - T8: a lot's expiry fires while a redemption of it is in flight: the points are either spent
 *   or expired, never both (no double deduction), and expired points are never spent.
 *
 * Trials default to what CI affords (about a minute and a half together: 1,000 for two tills,
 * 20 for fifty, 200 for expiry); set CLIENTELE_T6_TRIALS_50 and CLIENTELE_T8_TRIALS to 1000 for
 * the full figures of RELIABILITY.md (about 15 minutes on a two-core machine).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../engine/domain/effects.ts';
import type { RedeemAnswer } from '../../engine/domain/redemption.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import { LEDGER_STREAM, REDEEM_SUBJECT } from '../../engine/streams/topology.ts';
import { deliverToCustomer } from '../../workflows/customer/client.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { line, programOf, saleOf } from '../support/loyalty.ts';
import { eventually, startTestStack } from '../support/stack.ts';

const trials = (name: string, ci: number) => Number(process.env[name] ?? ci);
const TRIALS_2 = trials('CLIENTELE_T6_TRIALS_2', 1000);
const TRIALS_50 = trials('CLIENTELE_T6_TRIALS_50', 20);
const TRIALS_T8 = trials('CLIENTELE_T8_TRIALS', 200);

const catalog = createProgramCatalog([
  {
    ...programOf({ expiry: { lotMonths: 1 } }, 'race@1'),
    effectiveFrom: '2020-01-01T00:00:00.000Z',
  },
]);
let stack: Stack;
const run = Date.now().toString(36);

beforeAll(async () => {
  stack = await startTestStack(['worker', 'redemptions'], undefined, undefined, {
    programs: catalog,
  });
});

afterAll(async () => {
  await stack?.stop();
});

const decoder = new TextDecoder();

async function redeem(customerId: string, redemptionId: string, tillId: string, points: number) {
  const reply = await stack.nc.request(
    REDEEM_SUBJECT,
    JSON.stringify({
      redemptionId,
      customerId,
      points,
      basketMinor: 1_000_000,
      currency: 'EUR',
      channel: 'till',
      storeId: 'S001',
      tillId,
    }),
    { timeout: 60_000 },
  );
  return JSON.parse(decoder.decode(reply.data)) as RedeemAnswer;
}

/** Gives a customer `points` points from one sale earned at `occurredAt`. */
async function earn(customerId: string, points: number, occurredAt = new Date().toISOString()) {
  const sale = saleOf(`${customerId}-tx`, [line({ lineId: '1', unitPrice: points * 100 })], {
    customerId,
    eventId: `${customerId}-ev`,
    occurredAt,
  });
  const receipt = await deliverToCustomer(
    {
      temporal: stack.temporal,
      taskQueue: stack.settings.temporal.taskQueue,
      program: { version: 'base', basePointsPerUnit: 1, spendUnitMinor: 100 },
      programs: catalog,
    },
    customerId,
    [sale],
  );
  expect(receipt.pointsBalance).toBe(points);
}

/** Runs `trial` for 0..n-1, `parallel` at a time. */
async function inParallel(n: number, parallel: number, trial: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, n) }, async () => {
      while (next < n) await trial(next++);
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ten minutes, or more for many trials. */
const timeoutFor = (trials: number, msPerTrial: number) => Math.max(600_000, trials * msPerTrial);

/** `tills` tills ask for one customer's whole balance at once, `n` times. */
async function race(tills: number, n: number, parallel: number) {
  const refusals: Record<string, number> = {};
  let granted = 0;
  await inParallel(n, parallel, async (i) => {
    const customerId = `c-t6-${tills}-${run}-${i}`;
    await earn(customerId, 500);
    const answers = await Promise.all(
      Array.from({ length: tills }, (_, t) =>
        redeem(customerId, `rd-${customerId}-${t}`, `T${t}`, 500),
      ),
    );
    const winners = answers.filter((a) => a.ok);
    expect(winners, `trial ${i}: ${JSON.stringify(answers)}`).toHaveLength(1);
    granted += winners.length;
    for (const a of answers) {
      if (a.ok) {
        expect(a.balance).toBe(0);
        continue;
      }
      expect(['insufficient_balance', 'busy']).toContain(a.error.code);
      expect(a.error.message.length).toBeGreaterThan(10);
      if (a.balance !== undefined) expect(a.balance).toBeGreaterThanOrEqual(0);
      refusals[a.error.code] = (refusals[a.error.code] ?? 0) + 1;
    }
    const snapshot = await stack.temporal.workflow
      .getHandle(customerWorkflowId(customerId))
      .query(snapshotQuery);
    expect(snapshot.loyalty?.balance).toBe(0);
  });
  expect(granted).toBe(n);
  console.info(
    `T6 ${tills} tills: ${n} trials, ${granted} granted, refusals ${JSON.stringify(refusals)}`,
  );
}

describe('T6: tills redeem the same full balance at once', () => {
  it(
    '2 tills: exactly one is granted in each trial, the other refused with a reason',
    {
      timeout: timeoutFor(TRIALS_2, 200),
    },
    () => race(2, TRIALS_2, 20),
  );

  // About 1.5 s a trial on two cores: fifty updates to one workflow, one at a time.
  it(
    '50 tills: exactly one is granted in each trial, the others refused with a reason',
    {
      timeout: timeoutFor(TRIALS_50, 2_000),
    },
    () => race(50, TRIALS_50, 4),
  );
});

describe('T8: expiry fires during an in-flight redemption', () => {
  it('spends or expires each lot, never both, and never spends expired points', {
    timeout: timeoutFor(TRIALS_T8, 500),
  }, async () => {
    const outcomes = { redeemed: 0, expired: 0 };
    const answers = new Map<string, RedeemAnswer>();
    await inParallel(TRIALS_T8, 25, async (i) => {
      const customerId = `c-t8-${run}-${i}`;
      // The lot expires a little after the sale is in; the redemption is sent around then.
      const expiresAt = Date.now() + 1_500 + (i % 7) * 50;
      const earnedAt = new Date(expiresAt);
      earnedAt.setUTCMonth(earnedAt.getUTCMonth() - 1);
      await earn(customerId, 300, earnedAt.toISOString());
      await sleep(Math.max(0, expiresAt - Date.now() - 60 + (i % 13) * 10));
      answers.set(customerId, await redeem(customerId, `rd-${customerId}`, 'T1', 300));
      await eventually(
        async () => {
          const s = await stack.temporal.workflow
            .getHandle(customerWorkflowId(customerId))
            .query(snapshotQuery);
          return s.loyalty?.balance === 0 ? true : undefined;
        },
        30_000,
        `${customerId}: the lot spent or expired`,
      );
    });

    // What the ledger says happened to each customer's 300 points.
    const taken = new Map<string, { redeemed: number; expired: number }>();
    const consumer = await stack.js.consumers.get(LEDGER_STREAM, { filter_subjects: 'ledger.>' });
    const info = await stack.jsm.streams.info(LEDGER_STREAM);
    let seen = 0;
    while (seen < info.state.messages) {
      const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
      for await (const msg of batch) {
        seen += 1;
        const entry = msg.json<LedgerEntry>();
        if (!entry.customerId.startsWith(`c-t8-${run}-`)) continue;
        const t = taken.get(entry.customerId) ?? { redeemed: 0, expired: 0 };
        if (entry.kind === 'redeem') t.redeemed -= entry.points;
        if (entry.kind === 'expire') t.expired -= entry.points;
        taken.set(entry.customerId, t);
      }
    }
    for (const [customerId, answer] of answers) {
      const t = taken.get(customerId) ?? { redeemed: 0, expired: 0 };
      expect(
        t.redeemed + t.expired,
        `${customerId}: ${JSON.stringify(t)} ${JSON.stringify(answer)}`,
      ).toBe(300);
      if (answer.ok) {
        expect(t).toEqual({ redeemed: 300, expired: 0 });
        outcomes.redeemed += 1;
      } else {
        expect(answer.error.code).toBe('insufficient_balance');
        expect(t).toEqual({ redeemed: 0, expired: 300 });
        outcomes.expired += 1;
      }
    }
    expect(outcomes.redeemed + outcomes.expired).toBe(TRIALS_T8);
    console.info(
      `T8: ${TRIALS_T8} trials: ${outcomes.redeemed} redeemed before expiry, ${outcomes.expired} expired first; 0 double deductions`,
    );
  });
});
