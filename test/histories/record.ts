/**
 * Records the customer workflow histories that test/integration/replay.test.ts replays against
 * the current code. Run it only when a history for new behaviour is wanted (a released history
 * is never re-recorded: it stands for workflows already running):
 *
 *   npx tsx test/histories/record.ts <name>
 *
 * writes <name>-first-run.binpb and <name>-continued-run.binpb. Recorded so far: `customer`
 * (effects published from a local activity) and `customer-effects-in-result` (after the
 * `effects-in-update-result` patch).
 */
import { writeFileSync } from 'node:fs';
import proto from '@temporalio/proto';
import { parseRetailEvent, type RetailEvent } from '../../engine/domain/events.ts';
import { eventSubject } from '../../engine/streams/topology.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { registrationInput, returnInput, saleInput } from '../support/events.ts';
import { eventually, startTestStack, testSettings } from '../support/stack.ts';

const name = process.argv[2];
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  throw new Error('usage: npx tsx test/histories/record.ts <name> (lower-case letters, digits, -)');
}
const customerId = 'c-recorded-1';
const stack = await startTestStack(['worker', 'router'], testSettings(), {
  'limit.historyCount.suggestContinueAsNew': 30,
});
try {
  const parsed = (input: unknown): RetailEvent => {
    const result = parseRetailEvent(input);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    return result.event;
  };
  const sale = parsed(saleInput({ customerId, transactionId: 'tx-rec-1', eventId: 'ev-rec-1' }));
  const events: RetailEvent[] = [
    parsed(registrationInput({ customerId, eventId: 'ev-rec-0' })),
    // A return that overtakes its sale, then the sale, then a repeat of the sale.
    parsed(returnInput({ transactionId: 'tx-rec-1', customerId }, { eventId: 'ev-rec-2' })),
    sale,
    ...Array.from({ length: 12 }, (_, i) =>
      parsed(
        saleInput({ customerId, transactionId: `tx-rec-${10 + i}`, eventId: `ev-rec-${10 + i}` }),
      ),
    ),
  ];
  for (const event of events) {
    await stack.js.publish(eventSubject(event.storeId), JSON.stringify(event), {
      msgID: event.eventId,
    });
    await new Promise((r) => setTimeout(r, 150));
  }
  await stack.js.publish(eventSubject(sale.storeId), JSON.stringify(sale), {
    msgID: 'ev-rec-1:again',
  });
  const handle = stack.temporal.workflow.getHandle(customerWorkflowId(customerId));
  await eventually(async () =>
    (await handle.query(snapshotQuery)).eventsApplied === events.length ? true : undefined,
  );

  const runs: string[] = [];
  for await (const execution of stack.temporal.workflow.list({
    query: `WorkflowId = '${customerWorkflowId(customerId)}'`,
  })) {
    runs.push(execution.runId);
  }
  // Oldest run first: the first run (started fresh) and the last one (started by continue-as-new).
  runs.reverse();
  const names = [`${name}-first-run.binpb`, `${name}-continued-run.binpb`];
  for (const [i, runId] of [runs[0], runs[runs.length - 1]].entries()) {
    const history = await stack.temporal.workflow
      .getHandle(customerWorkflowId(customerId), runId)
      .fetchHistory();
    const file = new URL(names[i] as string, import.meta.url);
    // Binary protobuf: the history's canonical encoding, read back with History.decode.
    writeFileSync(file, proto.temporal.api.history.v1.History.encode(history).finish());
    process.stdout.write(
      `wrote ${file.pathname} (${history.events?.length} events, ${runs.length} runs in all)\n`,
    );
  }
} finally {
  await stack.stop();
}
