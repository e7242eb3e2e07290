/**
 * Records a customer workflow history under a program with live segments (patch
 * `live-segments`), which test/integration/replay.test.ts replays against the current code: two
 * sales dated 100 and 95 days ago (the second makes the customer a regular, in its delivery's
 * effects), then the workflow's timer, once the backlog settled, stamping what time alone did
 * since (no longer a regular at day 70, lapsed at day 4) and publishing it from the local
 * activity. Run it only when this history is wanted anew (a released history is never
 * re-recorded: it stands for workflows already running):
 *
 *   npx tsx test/histories/record-segments.ts
 *
 * writes segments-first-run.binpb.
 */
import { writeFileSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import proto from '@temporalio/proto';
import { type SegmentChangeMessage, segmentChange } from '../../engine/domain/effects.ts';
import { parseRetailEvent, type RetailEvent } from '../../engine/domain/events.ts';
import { parseCondition } from '../../engine/segments/expression.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import { eventSubject, SEGMENTS_STREAM, segmentSubject } from '../../engine/streams/topology.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { saleInput } from '../support/events.ts';
import { programOf } from '../support/loyalty.ts';
import { eventually, startTestStack, testSettings } from '../support/stack.ts';

const customerId = 'c-rec-segments';
const fileName = 'segments-first-run.binpb';
const DAY_MS = 86_400_000;
const segment = (id: string, when: string) => ({ id, when, condition: parseCondition(when) });

const catalog = createProgramCatalog([
  {
    ...programOf(
      {
        segments: [segment('regulars', 'visits(30) >= 2'), segment('lapsed', 'recency_days > 90')],
      } as never,
      'rec-seg@1',
    ),
    effectiveFrom: '2020-01-01T00:00:00Z',
  },
]);
const stack = await startTestStack(['worker', 'router'], testSettings(), undefined, {
  programs: catalog,
});

const parsed = (input: unknown): RetailEvent => {
  const result = parseRetailEvent(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.event;
};

try {
  const started = Date.now();
  for (const [n, daysAgo] of [
    [1, 100],
    [2, 95],
  ] as const) {
    const sale = parsed(
      saleInput({
        customerId,
        transactionId: `tx-rec-seg-${n}`,
        eventId: `ev-rec-seg-sale-${n}`,
        occurredAt: new Date(started - daysAgo * DAY_MS).toISOString(),
      }),
    );
    await stack.js.publish(eventSubject(sale.storeId), JSON.stringify(sale), {
      msgID: sale.eventId,
    });
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const handle = stack.temporal.workflow.getHandle(customerWorkflowId(customerId));
  await eventually(
    async () => ((await handle.query(snapshotQuery)).eventsApplied === 2 ? true : undefined),
    30_000,
    'the sales applied',
  );
  const consumer = await jetstream(stack.nc).consumers.get(SEGMENTS_STREAM, {
    filter_subjects: [segmentSubject(customerId)],
  });
  const changes: SegmentChangeMessage[] = [];
  await eventually(
    async () => {
      const got = await consumer.fetch({ max_messages: 10, expires: 1_000 });
      for await (const msg of got) changes.push(segmentChange.parse(msg.json()));
      return changes.some((c) => c.segmentId === 'lapsed') ? true : undefined;
    },
    60_000,
    'the lapse on SEGMENTS',
  );
  for (const c of changes) {
    process.stdout.write(`segment: ${c.segmentId} ${c.change} at ${c.at} (${c.cause})\n`);
  }
  // The local activity's marker is written when its workflow task completes.
  const history = await eventually(
    async () => {
      const h = await handle.fetchHistory();
      const events = h.events ?? [];
      const fired = events.findIndex((e) => e.timerFiredEventAttributes);
      const published = events
        .slice(fired + 1)
        .some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
      return fired > 0 && published ? h : undefined;
    },
    30_000,
    "the timer's changes published in the history",
  );
  const file = new URL(fileName, import.meta.url);
  writeFileSync(file, proto.temporal.api.history.v1.History.encode(history).finish());
  process.stdout.write(`wrote ${file.pathname} (${history.events?.length} events)\n`);
} finally {
  await stack.stop();
}
