/**
 * Records the customer workflow histories that test/integration/replay.test.ts replays against
 * the current code. Run it only when a history for new behaviour is wanted (a released history
 * is never re-recorded: it stands for workflows already running):
 *
 *   npx tsx test/histories/record.ts <name>
 *
 * writes <name>-first-run.binpb and <name>-continued-run.binpb. Recorded so far: `customer`
 * (effects published from a local activity), `customer-effects-in-result` (after the
 * `effects-in-update-result` patch) and `customer-loyalty` (a name with `loyalty` in it: under a
 * loyalty program, after the `loyalty-programs` patch: program versions sent on request, a
 * redemption over NATS, a version published mid-stream, a lot expiring on the workflow timer)
 * and `customer-loyalty-event-time` (the same, after the `loyalty-event-time` patch: the old
 * sale's expiry warning is already due when it is delivered, so the clock waits for the backlog
 * to settle) and `customer-loyalty-one-engine` (after the `one-customer-engine` patch; a name
 * with `one-engine` in it starts with no program published, so the registration is applied at
 * the base earn rate by the customer's one book, and the first version is published after it).
 */
import { writeFileSync } from 'node:fs';
import proto from '@temporalio/proto';
import { parseRetailEvent, type RetailEvent } from '../../engine/domain/events.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import { eventSubject, REDEEM_SUBJECT } from '../../engine/streams/topology.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { registrationInput, returnInput, saleInput } from '../support/events.ts';
import { programOf } from '../support/loyalty.ts';
import { eventually, startTestStack, testSettings } from '../support/stack.ts';

const name = process.argv[2];
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  throw new Error('usage: npx tsx test/histories/record.ts <name> (lower-case letters, digits, -)');
}
const customerId = 'c-recorded-1';
const loyalty = name.includes('loyalty');
const version = (n: number, effectiveFrom: string) => ({
  ...programOf(
    {
      expiry: { lotMonths: 1 },
      earn: {
        base: { rate: { points: n, perMinor: 100 } },
        bonuses: [{ id: 'welcome', on: 'registration', points: 50 }],
      },
      tiers: {
        metric: 'spend',
        levels: [
          { id: 'member', name: 'Member', threshold: 0 },
          { id: 'gold', name: 'Gold', threshold: 20_000, earnMultiplier: 1.5 },
        ],
      },
    },
    `rec@${n}`,
  ),
  effectiveFrom,
});
const bare = name.includes('one-engine');
const first = version(1, '2020-01-01T00:00:00.000Z');
const catalog = loyalty ? createProgramCatalog(bare ? [] : [first]) : undefined;
const stack = await startTestStack(
  loyalty ? ['worker', 'router', 'redemptions'] : ['worker', 'router'],
  testSettings(),
  { 'limit.historyCount.suggestContinueAsNew': 30 },
  { programs: catalog },
);
try {
  const parsed = (input: unknown): RetailEvent => {
    const result = parseRetailEvent(input);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    return result.event;
  };
  const sale = parsed(saleInput({ customerId, transactionId: 'tx-rec-1', eventId: 'ev-rec-1' }));
  // Under a program: a sale from a month ago less a few seconds, whose lot expires on the timer.
  const expiresAt = Date.now() + 20_000;
  const expiring = new Date(expiresAt);
  expiring.setUTCMonth(expiring.getUTCMonth() - 1);
  const events: RetailEvent[] = [
    parsed(registrationInput({ customerId, eventId: 'ev-rec-0' })),
    ...(loyalty
      ? [
          parsed(
            saleInput({
              customerId,
              transactionId: 'tx-rec-old',
              eventId: 'ev-rec-old',
              occurredAt: expiring.toISOString(),
            }),
          ),
        ]
      : []),
    // A return that overtakes its sale, then the sale, then a repeat of the sale.
    parsed(returnInput({ transactionId: 'tx-rec-1', customerId }, { eventId: 'ev-rec-2' })),
    sale,
    ...Array.from({ length: 12 }, (_, i) =>
      parsed(
        saleInput({ customerId, transactionId: `tx-rec-${10 + i}`, eventId: `ev-rec-${10 + i}` }),
      ),
    ),
  ];
  for (const [i, recorded] of events.entries()) {
    // Under a program, the events after the new version happen after it came into force.
    const event =
      loyalty && i > 6 ? { ...recorded, occurredAt: new Date().toISOString() } : recorded;
    await stack.js.publish(eventSubject(event.storeId), JSON.stringify(event), {
      msgID: event.eventId,
    });
    await new Promise((r) => setTimeout(r, 150));
    if (bare && i === 0) catalog?.add(first);
    if (loyalty && i === 6) {
      // A till redeems; then a new version comes into force, which the workflow asks for.
      const reply = await stack.nc.request(
        REDEEM_SUBJECT,
        JSON.stringify({
          redemptionId: 'rd-rec-1',
          customerId,
          points: 10,
          basketMinor: 10_000,
          currency: 'EUR',
          channel: 'till',
          storeId: 'S001',
          tillId: 'T1',
        }),
        { timeout: 20_000 },
      );
      process.stdout.write(`redemption: ${new TextDecoder().decode(reply.data)}\n`);
      catalog?.add(version(2, new Date().toISOString()));
    }
  }
  await stack.js.publish(eventSubject(sale.storeId), JSON.stringify(sale), {
    msgID: 'ev-rec-1:again',
  });
  const handle = stack.temporal.workflow.getHandle(customerWorkflowId(customerId));
  await eventually(async () =>
    (await handle.query(snapshotQuery)).eventsApplied === events.length ? true : undefined,
  );
  if (loyalty) {
    // The old sale's lot expires on the workflow's timer.
    await eventually(
      async () => {
        return Date.now() > expiresAt + 2_000 ? true : undefined;
      },
      30_000,
      'the expiry',
    );
    process.stdout.write(
      `after expiry: ${JSON.stringify((await handle.query(snapshotQuery)).loyalty)}\n`,
    );
  }

  const runs: string[] = [];
  for await (const execution of stack.temporal.workflow.list({
    query: `WorkflowId = '${customerWorkflowId(customerId)}'`,
  })) {
    runs.push(execution.runId);
  }
  // Oldest run first: the first run (started fresh) and the longest one started by
  // continue-as-new (the last run may have only just started).
  runs.reverse();
  const histories = await Promise.all(
    runs.map((runId) =>
      stack.temporal.workflow.getHandle(customerWorkflowId(customerId), runId).fetchHistory(),
    ),
  );
  const continued = histories
    .slice(1)
    .reduce((a, b) => ((b.events?.length ?? 0) > (a?.events?.length ?? 0) ? b : a), histories[1]);
  const recordings: [string, (typeof histories)[number] | undefined][] = [
    [`${name}-first-run.binpb`, histories[0]],
    [`${name}-continued-run.binpb`, continued],
  ];
  if (loyalty) {
    // And a run in which the loyalty clock's timer fired (the expiry published from the local
    // activity), if it is not one of those two.
    const timed = histories.find((h) => h.events?.some((e) => e.timerFiredEventAttributes));
    if (!timed) {
      const seen = histories.map((h) =>
        h.events
          ?.map((e) =>
            e.timerStartedEventAttributes
              ? `timer(${e.timerStartedEventAttributes.startToFireTimeout?.seconds})@${e.eventTime?.seconds}`
              : e.eventType,
          )
          .join(','),
      );
      throw new Error(`no run saw the loyalty timer fire; record again (${seen.join(' | ')})`);
    }
    if (timed !== histories[0] && timed !== continued) {
      recordings.push([`${name}-timer-run.binpb`, timed]);
    }
  }
  for (const [fileName, history] of recordings) {
    if (!history) throw new Error('expected a first and a continued run');
    const file = new URL(fileName, import.meta.url);
    // Binary protobuf: the history's canonical encoding, read back with History.decode.
    writeFileSync(file, proto.temporal.api.history.v1.History.encode(history).finish());
    process.stdout.write(
      `wrote ${file.pathname} (${history.events?.length} events, ${runs.length} runs in all)\n`,
    );
  }
} finally {
  await stack.stop();
}
