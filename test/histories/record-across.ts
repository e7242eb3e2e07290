/**
 * Records the histories of what spans two customers, which test/integration/replay.test.ts
 * replays against the current code: deliveries that ask for the customer's summary, profile
 * changes, service contacts and campaign responses, a merge (the merge workflow's steps on the
 * survivor and the absorbed customer) and household pooling (the pool workflow's steps on the
 * giving and the receiving member). Run it only when these histories are wanted anew (a released
 * history is never re-recorded: it stands for workflows already running):
 *
 *   npx tsx test/histories/record-across.ts
 *
 * writes across-survivor.binpb, across-absorbed.binpb, across-donor.binpb (customer workflows),
 * across-merge.binpb (the merge workflow) and across-pool.binpb (the pool workflow). Their names
 * do not start with `customer-`, so the assertions about the older customer recordings do not
 * see them.
 */
import { writeFileSync } from 'node:fs';
import proto from '@temporalio/proto';
import { parseRetailEvent, type RetailEvent } from '../../engine/domain/events.ts';
import { createProgramCatalog } from '../../engine/services/program-catalog.ts';
import {
  eventSubject,
  HOUSEHOLD_SUBJECT,
  MERGE_SUBJECT,
  REDEEM_SUBJECT,
} from '../../engine/streams/topology.ts';
import { customerWorkflowId, snapshotQuery } from '../../workflows/customer/messages.ts';
import { mergeWorkflowId } from '../../workflows/merge/messages.ts';
import { poolWorkflowId } from '../../workflows/pool/messages.ts';
import { registrationInput, saleInput } from '../support/events.ts';
import { programOf } from '../support/loyalty.ts';
import { eventually, startTestStack, testSettings } from '../support/stack.ts';

type History = proto.temporal.api.history.v1.IHistory;

const survivor = 'c-rec-survivor';
const absorbed = 'c-rec-absorbed';
const donor = 'c-rec-donor';
const mergeId = 'merge-rec-1';
const redemptionId = 'rd-rec-pool';
const transferId = `${redemptionId}-${donor}`;

const catalog = createProgramCatalog([
  {
    ...programOf({ households: { pooling: true } }, 'rec-across@1'),
    effectiveFrom: '2020-01-01T00:00:00Z',
  },
]);
const stack = await startTestStack(
  ['worker', 'router', 'redemptions', 'identity', 'sink'],
  testSettings(),
  undefined,
  { programs: catalog },
);

const parsed = (input: unknown): RetailEvent => {
  const result = parseRetailEvent(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.event;
};
/** An instant `hours` before now: the router refuses events dated too far from its clock. */
const ago = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
const publish = async (event: RetailEvent) => {
  await stack.js.publish(eventSubject(event.storeId), JSON.stringify(event), {
    msgID: event.eventId,
  });
};
const ask = async (subject: string, request: unknown): Promise<Record<string, unknown>> => {
  const reply = await stack.nc.request(subject, JSON.stringify(request), { timeout: 60_000 });
  return JSON.parse(new TextDecoder().decode(reply.data)) as Record<string, unknown>;
};
const snapshot = (customerId: string) =>
  stack.temporal.workflow.getHandle(customerWorkflowId(customerId)).query(snapshotQuery);
const waitApplied = (customerId: string, count: number) =>
  eventually(
    async () => {
      const s = await snapshot(customerId);
      return s.eventsApplied >= count ? s : undefined;
    },
    30_000,
    `${customerId}'s ${count} events`,
  );
const sale = (customerId: string, n: number, hours: number) =>
  parsed(
    saleInput({
      customerId,
      transactionId: `tx-${customerId}-${n}`,
      eventId: `ev-${customerId}-sale-${n}`,
      occurredAt: ago(hours),
    }),
  );
const desk = { operatorId: 'desk-rec', storeId: 'HQ', channel: 'back-office' };

try {
  const events = new Map<string, RetailEvent[]>();
  for (const customerId of [survivor, absorbed, donor]) {
    events.set(customerId, [
      parsed(
        registrationInput({ customerId, eventId: `ev-${customerId}-reg`, occurredAt: ago(72) }),
      ),
      sale(customerId, 1, 48),
      sale(customerId, 2, 24),
    ]);
  }
  events.get(survivor)?.push(
    parsed({
      type: 'profile.changed',
      eventId: `ev-${survivor}-profile`,
      occurredAt: ago(20),
      storeId: 'HQ',
      channel: 'back-office',
      customerId: survivor,
      changes: { familyName: 'Rec', tags: ['staff'] },
      operatorId: 'desk-rec',
    }),
    parsed({
      type: 'service.interaction',
      eventId: `ev-${survivor}-service`,
      occurredAt: ago(19),
      storeId: 'HQ',
      channel: 'back-office',
      interactionId: 'si-rec-1',
      customerId: survivor,
      reason: 'points',
      outcome: 'resolved',
      operatorId: 'desk-rec',
      note: 'asked how pooling works',
    }),
    parsed({
      type: 'campaign.response',
      eventId: `ev-${survivor}-campaign`,
      occurredAt: ago(18),
      storeId: 'S001',
      channel: 'web',
      responseId: 'cr-rec-1',
      customerId: survivor,
      campaignId: 'rec-winter',
      action: 'click',
    }),
  );
  for (const [, list] of events) {
    for (const event of list) {
      await publish(event);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  for (const [customerId, list] of events) {
    const s = await waitApplied(customerId, list.length);
    process.stdout.write(
      `${customerId}: ${s.eventsApplied} events applied, ${s.loyalty.spendable} spendable\n`,
    );
  }

  // The merge: the absorbed customer's record into the survivor's.
  const merged = await ask(MERGE_SUBJECT, {
    mergeId,
    absorbedCustomerId: absorbed,
    survivorCustomerId: survivor,
    ...desk,
  });
  process.stdout.write(`merge: ${JSON.stringify(merged)}\n`);
  if (merged.ok !== true) throw new Error('the merge was refused');
  const afterMerge = await snapshot(survivor);
  // A sale of the absorbed customer after the merge: the router sends it to the survivor.
  await publish(sale(absorbed, 3, 2));
  const forwarded = await waitApplied(survivor, afterMerge.eventsApplied + 1);
  process.stdout.write(
    `survivor after the merge and the forwarded sale: ${forwarded.eventsApplied} events, ${forwarded.loyalty.spendable} spendable\n`,
  );

  // A household of the survivor and the donor; the survivor spends more than it has alone.
  const household = await ask(HOUSEHOLD_SUBJECT, {
    change: 'create',
    householdId: 'h-rec',
    customerIds: [survivor, donor],
    ...desk,
  });
  process.stdout.write(`household: ${JSON.stringify(household)}\n`);
  if (household.ok !== true) throw new Error('the household was refused');
  const own = forwarded.loyalty.spendable;
  const theirs = (await snapshot(donor)).loyalty.spendable;
  const points = own + Math.max(1, Math.floor(theirs / 2));
  if (points >= own + theirs) throw new Error(`the donor has too few points (${theirs})`);
  const redeemed = await ask(REDEEM_SUBJECT, {
    redemptionId,
    customerId: survivor,
    points,
    basketMinor: 1_000_000,
    currency: 'EUR',
    channel: 'till',
    storeId: 'S001',
    tillId: 'T1',
  });
  process.stdout.write(`redemption of ${points} points: ${JSON.stringify(redeemed)}\n`);
  if (redeemed.ok !== true) throw new Error('the pooled redemption was refused');

  const updatesOf = (history: History) =>
    new Set(
      (history.events ?? []).flatMap((e) => {
        const name = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
        return name ? [name] : [];
      }),
    );
  /**
   * The run of `workflowId` with the most of `wanted` among its accepted updates, the longest of
   * those (a run that continued as new may hold only part of them).
   */
  const historyOf = async (workflowId: string, wanted: string[]) => {
    const runs: string[] = [];
    for await (const execution of stack.temporal.workflow.list({
      query: `WorkflowId = '${workflowId}'`,
    })) {
      runs.push(execution.runId);
    }
    const histories = await Promise.all(
      runs.map((runId) => stack.temporal.workflow.getHandle(workflowId, runId).fetchHistory()),
    );
    const score = (h: History) => {
      const names = updatesOf(h);
      return wanted.filter((n) => names.has(n)).length;
    };
    const best = histories.reduce<History | undefined>((a, b) => {
      if (!a) return b;
      const [sa, sb] = [score(a), score(b)];
      if (sb !== sa) return sb > sa ? b : a;
      return (b.events?.length ?? 0) > (a.events?.length ?? 0) ? b : a;
    }, undefined);
    if (!best) throw new Error(`no run of ${workflowId}`);
    const missing = wanted.filter((n) => !updatesOf(best).has(n));
    if (missing.length > 0) {
      throw new Error(`no run of ${workflowId} holds ${missing.join(', ')}; record again`);
    }
    return { history: best, runs: runs.length };
  };
  // The merge and pool workflows have completed (the answers came from their results).
  const recordings: [string, string, string[]][] = [
    [
      'across-survivor.binpb',
      customerWorkflowId(survivor),
      ['reserveMerge', 'absorb', 'receivePoints', 'redeemPoints'],
    ],
    ['across-absorbed.binpb', customerWorkflowId(absorbed), ['handOver', 'settleMerge']],
    ['across-donor.binpb', customerWorkflowId(donor), ['givePoints']],
    ['across-merge.binpb', mergeWorkflowId(absorbed), []],
    ['across-pool.binpb', poolWorkflowId(transferId), []],
  ];
  for (const [fileName, workflowId, wanted] of recordings) {
    const { history, runs } = await historyOf(workflowId, wanted);
    const file = new URL(fileName, import.meta.url);
    // Binary protobuf: the history's canonical encoding, read back with History.decode.
    writeFileSync(file, proto.temporal.api.history.v1.History.encode(history).finish());
    process.stdout.write(
      `wrote ${file.pathname} (${workflowId}: ${history.events?.length} events, ${runs} runs in all)\n`,
    );
  }
} finally {
  await stack.stop();
}
