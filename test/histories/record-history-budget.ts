/**
 * Records a customer workflow run that continued as new because of its history budget (patch
 * `history-budget`), which test/integration/replay.test.ts replays against the current code: the
 * budget at its least (16 KiB), sales one at a time under a program until the first run has
 * grown past it. Run it only when this history is wanted anew (a released history is never
 * re-recorded: it stands for workflows already running):
 *
 *   npx tsx test/histories/record-history-budget.ts
 *
 * writes customer-history-budget-run.binpb.
 */
import { writeFileSync } from 'node:fs';
import proto from '@temporalio/proto';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import { customerWorkflowId } from '../../workflows/customer/messages.ts';
import { HISTORY_BUDGET_PATCH } from '../../workflows/customer/workflow.ts';
import { patchesOf } from '../support/histories.ts';
import { programOf } from '../support/loyalty.ts';
import { sendSale, startTestStack, testSettings } from '../support/stack.ts';

const customerId = 'c-rec-budget';
const fileName = 'customer-history-budget-run.binpb';
/** Many times the sales 16 KiB of history takes: reaching it means the budget did nothing. */
const MAX_SALES = 100;

const catalog = createProgramCatalog([
  { ...programOf({}, 'rec-budget@1'), effectiveFrom: '2020-01-01T00:00:00Z' },
]);
const stack = await startTestStack(
  ['worker', 'router'],
  testSettings({ CLIENTELE_TEMPORAL_HISTORY_BUDGET_KIB: '16' }),
  undefined,
  { programs: catalog },
);

try {
  const handle = stack.temporal.workflow.getHandle(customerWorkflowId(customerId));
  let firstRun: string | undefined;
  let sent = 0;
  for (;;) {
    if (sent >= MAX_SALES) throw new Error(`no rollover after ${sent} sales`);
    // One delivery at a time: the run rolls over after the delivery that takes it past 16 KiB.
    await sendSale(
      stack,
      {
        customerId,
        transactionId: `tx-rec-budget-${sent + 1}`,
        eventId: `ev-rec-budget-sale-${sent + 1}`,
        occurredAt: new Date(Date.now() - 60_000).toISOString(),
      },
      sent + 1,
    );
    sent += 1;
    const runId = (await handle.describe()).runId;
    firstRun ??= runId;
    if (runId !== firstRun) break;
  }

  const history = await stack.temporal.workflow
    .getHandle(customerWorkflowId(customerId), firstRun)
    .fetchHistory();
  const events = history.events ?? [];
  if (!events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes) {
    throw new Error('the first run did not end in continue-as-new; record again');
  }
  const patches = patchesOf(history);
  if (!patches.includes(HISTORY_BUDGET_PATCH)) {
    throw new Error(`no ${HISTORY_BUDGET_PATCH} marker in the first run; record again`);
  }
  const file = new URL(fileName, import.meta.url);
  // Binary protobuf: the history's canonical encoding, read back with History.decode.
  const encoded = proto.temporal.api.history.v1.History.encode(history).finish();
  writeFileSync(file, encoded);
  const sizes = events.flatMap((e) => {
    const size = e.workflowTaskStartedEventAttributes?.historySizeBytes;
    return size ? [Number(size)] : [];
  });
  process.stdout.write(
    `wrote ${file.pathname} (${encoded.length} bytes, ${events.length} events, ${sent} sales ` +
      `in the run, grown ${(sizes.at(-1) ?? 0) - (sizes[0] ?? 0)} B; patches ${patches.join(', ')})\n`,
  );
} finally {
  await stack.stop();
}
