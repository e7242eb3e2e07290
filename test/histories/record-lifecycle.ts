/**
 * Records a customer workflow history under a program with lifecycle rules (patch
 * `lifecycle-triggers`), which test/integration/replay.test.ts replays against the current code:
 * a registration giving today's birthday, three sales (the second fires the `visits` milestone in
 * its delivery's effects), then the workflow's clock waking for the birthday on its timer and
 * publishing it from the local activity. Run it only when this history is wanted anew (a released
 * history is never re-recorded: it stands for workflows already running):
 *
 *   npx tsx test/histories/record-lifecycle.ts
 *
 * writes lifecycle-first-run.binpb. Its name does not start with `customer-` or `across-`, so the
 * assertions about those recordings do not see it.
 */
import { writeFileSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import proto from '@temporalio/proto';
import { type LifecycleTriggerMessage, lifecycleTrigger } from '../../engine/domain/effects.ts';
import { parseRetailEvent, type RetailEvent } from '../../engine/domain/events.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import { eventSubject, lifecycleSubject, TRIGGERS_STREAM } from '../../engine/streams/topology.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { registrationInput, saleInput } from '../support/events.ts';
import { programOf } from '../support/loyalty.ts';
import { eventually, startTestStack, testSettings } from '../support/stack.ts';

const customerId = 'c-rec-life';
const fileName = 'lifecycle-first-run.binpb';
const started = Date.now();
// The birthday's instant: the next whole minute after now, plus one (60 to 120 seconds away).
const birthdayMs = Math.ceil(started / 60_000) * 60_000 + 60_000;
const birthday = new Date(birthdayMs);
const at = birthday.toISOString().slice(11, 16);
// The member's birth date falls on the birthday's UTC day (the router keeps its month-day).
const birthDate = `1990-${birthday.toISOString().slice(5, 10)}`;
const birthdayCue = 'Happy birthday: offer the birthday coffee';

const catalog = createProgramCatalog([
  {
    ...programOf(
      {
        lifecycle: {
          timeZone: 'UTC',
          rules: [
            {
              id: 'second-visit',
              on: 'visits',
              count: 2,
              cue: { message: 'Second visit: ask about the newsletter', validDays: 7 },
            },
            { id: 'lapsed', on: 'lapsed', afterDays: 30 },
            {
              id: 'birthday',
              on: 'birthday',
              at,
              leadDays: 0,
              cue: { message: birthdayCue, validDays: 1 },
            },
          ],
        },
      },
      'rec-life@1',
    ),
    effectiveFrom: '2020-01-01T00:00:00Z',
  },
]);
process.stdout.write(`birthday ${birthDate} at ${at} UTC (${birthday.toISOString()})\n`);
const stack = await startTestStack(['worker', 'router'], testSettings(), undefined, {
  programs: catalog,
});

const parsed = (input: unknown): RetailEvent => {
  const result = parseRetailEvent(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.event;
};
/** An instant `minutes` before now: the router refuses events dated too far from its clock. */
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

try {
  if (Date.now() > birthdayMs - 20_000) {
    throw new Error('the stack took too long to start: the birthday would be too near; run again');
  }
  const registration = parsed(
    registrationInput({
      customerId,
      eventId: 'ev-rec-life-reg',
      occurredAt: ago(5),
      profile: {
        givenName: 'Ada',
        familyName: 'Lovelace',
        email: 'ada@example.org',
        birthDate,
      },
    }),
  );
  const publish = async (event: RetailEvent) => {
    await stack.js.publish(eventSubject(event.storeId), JSON.stringify(event), {
      msgID: event.eventId,
    });
  };
  await publish(registration);
  // Three sales a few seconds apart, dated 3, 2 and 1 minutes ago: the second is the 2nd visit.
  const sales = [1, 2, 3].map((n) => ({ n, minutes: 4 - n }));
  for (const { n, minutes } of sales) {
    await new Promise((r) => setTimeout(r, 3_000));
    await publish(
      parsed(
        saleInput({
          customerId,
          transactionId: `tx-rec-life-${n}`,
          eventId: `ev-rec-life-sale-${n}`,
          occurredAt: ago(minutes),
        }),
      ),
    );
  }
  const handle = stack.temporal.workflow.getHandle(customerWorkflowId(customerId));
  const applied = await eventually(
    async () => {
      const s = await handle.query(snapshotQuery);
      return s.eventsApplied === 1 + sales.length ? s : undefined;
    },
    30_000,
    'the events applied',
  );
  process.stdout.write(
    `applied ${applied.eventsApplied} events; waiting cues: ${JSON.stringify(applied.waitingCues)}\n`,
  );

  // The triggers published for the customer: the milestone (by the router, from the delivery's
  // effects) and the birthday (by the workflow's local activity, when its timer fired).
  const consumer = await jetstream(stack.nc).consumers.get(TRIGGERS_STREAM, {
    filter_subjects: [lifecycleSubject(customerId)],
  });
  const triggers: LifecycleTriggerMessage[] = [];
  await eventually(
    async () => {
      const got = await consumer.fetch({ max_messages: 10, expires: 1_000 });
      for await (const msg of got) triggers.push(lifecycleTrigger.parse(msg.json()));
      return Date.now() > birthdayMs && triggers.some((t) => t.ruleId === 'birthday')
        ? true
        : undefined;
    },
    Math.max(0, birthdayMs - Date.now()) + 60_000,
    'the birthday on TRIGGERS',
  );
  for (const t of triggers) {
    process.stdout.write(`trigger: ${t.ruleId}@${t.occasion} due ${t.dueAt} fired ${t.firedAt}\n`);
  }
  if (!triggers.some((t) => t.ruleId === 'second-visit')) {
    throw new Error('the second visit fired no trigger');
  }
  const after = await handle.query(snapshotQuery);
  process.stdout.write(`waiting cues after: ${JSON.stringify(after.waitingCues)}\n`);
  if (!after.waitingCues?.some((c) => c.message === birthdayCue)) {
    throw new Error('the birthday left no cue');
  }

  const runs: string[] = [];
  for await (const execution of stack.temporal.workflow.list({
    query: `WorkflowId = '${customerWorkflowId(customerId)}'`,
  })) {
    runs.push(execution.runId);
  }
  if (runs.length !== 1) throw new Error(`expected one run, found ${runs.length}; record again`);
  const history = await handle.fetchHistory();
  const fired = history.events?.some((e) => e.timerFiredEventAttributes);
  if (!fired) throw new Error('no timer fired in the history; record again');
  const file = new URL(fileName, import.meta.url);
  // Binary protobuf: the history's canonical encoding, read back with History.decode.
  writeFileSync(file, proto.temporal.api.history.v1.History.encode(history).finish());
  process.stdout.write(
    `wrote ${file.pathname} (${history.events?.length} events: ${history.events
      ?.map((e) =>
        e.markerRecordedEventAttributes?.markerName
          ? `marker(${e.markerRecordedEventAttributes.markerName})`
          : e.timerStartedEventAttributes
            ? `timer(${e.timerStartedEventAttributes.startToFireTimeout?.seconds}s)`
            : String(e.eventType),
      )
      .join(', ')})\n`,
  );
} finally {
  await stack.stop();
}
