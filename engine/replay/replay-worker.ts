/**
 * A worker thread of the partitioned replays (partitioned.ts): it takes one partition of
 * customers at a time (their events as `TabSeparatedRaw` chunks, their granted redemptions as
 * rows) and, once the partition is whole, replays each customer for its job: the what-if
 * (`domain/customer/what-if.ts`, added up) or the backfill (the rows the store derives from the
 * events). Customers never span partitions, so workers share nothing.
 */
import { parentPort } from 'node:worker_threads';
import {
  ledgerRow,
  lifecycleTriggerRow,
  segmentChangeRow,
  tierChangeRow,
} from '../analytics/rows.ts';
import {
  type CustomerLog,
  deriveCustomer,
  grantedRequest,
  type LoggedInput,
} from '../domain/customer/rebuild.ts';
import {
  addCustomer,
  noTotals,
  simulateCustomer,
  type WhatIfTotals,
} from '../domain/customer/what-if.ts';
import type { CustomerEvent } from '../domain/events.ts';
import { createProgramCatalog } from '../services/program-catalog.ts';
import { whatIfOptions } from './what-if-options.ts';
import type {
  BackfillJob,
  DerivedRows,
  FromWorker,
  ReplayJob,
  RequestRow,
  ToWorker,
} from './worker-messages.ts';

const port = parentPort;
if (!port) throw new Error('replay-worker.ts runs as a worker thread');

type Replay = (log: CustomerLog) => void;
let job: { replay: Replay; result: () => WhatIfTotals | DerivedRows } | undefined;
const decoder = new TextDecoder();
let logs = new Map<string, LoggedInput[]>();
/** A row cut by a chunk's end (chunks hold whole rows, but a reader should not rely on it). */
let carry = '';

function whatIf(setup: Extract<ReplayJob, { kind: 'what-if' }>) {
  const options = whatIfOptions(setup);
  let totals = noTotals();
  return {
    replay: (log: CustomerLog) => addCustomer(totals, simulateCustomer(log, options)),
    result: () => {
      const done = totals;
      totals = noTotals();
      return done;
    },
  };
}

function backfill(setup: BackfillJob) {
  const options = {
    base: setup.base,
    catalog: createProgramCatalog(setup.versions),
    until: setup.until,
  };
  const empty = (): DerivedRows => ({
    ledger: [],
    tier_changes: [],
    segment_changes: [],
    lifecycle_triggers: [],
  });
  let rows = empty();
  return {
    replay: (log: CustomerLog) => {
      const derived = deriveCustomer(log, options);
      for (const line of derived.ledger) rows.ledger.push(ledgerRow(line));
      for (const change of derived.tierChanges) rows.tier_changes.push(tierChangeRow(change));
      for (const change of derived.segments) rows.segment_changes.push(segmentChangeRow(change));
      for (const fired of derived.lifecycle)
        rows.lifecycle_triggers.push(lifecycleTriggerRow(fired));
    },
    result: () => {
      const done = rows;
      rows = empty();
      return done;
    },
  };
}

function inputsOf(customerId: string): LoggedInput[] {
  let inputs = logs.get(customerId);
  if (!inputs) {
    inputs = [];
    logs.set(customerId, inputs);
  }
  return inputs;
}

/** `customer_id \t payload \t received_ms` rows. */
function take(chunk: Uint8Array) {
  const text = carry + decoder.decode(chunk);
  const end = text.lastIndexOf('\n');
  carry = text.slice(end + 1);
  let start = 0;
  while (start < end) {
    const next = text.indexOf('\n', start);
    const tab = text.indexOf('\t', start);
    const tab2 = text.lastIndexOf('\t', next);
    inputsOf(text.slice(start, tab)).push({
      kind: 'event',
      event: JSON.parse(text.slice(tab + 1, tab2)) as CustomerEvent,
      receivedAt: new Date(Number(text.slice(tab2 + 1, next))).toISOString(),
    });
    start = next + 1;
  }
}

function requests(rows: readonly RequestRow[]) {
  for (const row of rows) inputsOf(row.customerId).push(grantedRequest(row));
}

/** Progress is told every this many customers. */
const PROGRESS_EVERY = 2_000;

function replayPartition(): WhatIfTotals | DerivedRows {
  if (!job) throw new Error('the worker was not set up');
  if (carry !== '') take(new TextEncoder().encode('\n'));
  let customers = 0;
  let inputs = 0;
  for (const [customerId, list] of logs) {
    job.replay({ customerId, inputs: list });
    customers += 1;
    inputs += list.length;
    if (customers % PROGRESS_EVERY === 0) {
      port?.postMessage({ type: 'progress', customers, inputs } satisfies FromWorker);
      customers = 0;
      inputs = 0;
    }
  }
  port?.postMessage({ type: 'progress', customers, inputs } satisfies FromWorker);
  logs = new Map();
  return job.result();
}

port.on('message', (message: ToWorker) => {
  try {
    switch (message.type) {
      case 'setup':
        job = message.job.kind === 'what-if' ? whatIf(message.job) : backfill(message.job);
        break;
      case 'events':
        take(message.chunk);
        break;
      case 'requests':
        requests(message.rows);
        break;
      case 'end':
        port.postMessage({ type: 'result', result: replayPartition() } satisfies FromWorker);
        break;
    }
  } catch (err) {
    port.postMessage({
      type: 'failed',
      message: (err as Error).stack ?? String(err),
    } satisfies FromWorker);
  }
});
