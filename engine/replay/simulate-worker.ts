/**
 * A worker thread of `clientele simulate` (simulate.ts): it takes one partition of customers at a
 * time (their events as `TabSeparatedRaw` chunks, their granted redemptions as rows), and once
 * the partition is whole runs each customer's what-if (`domain/customer/what-if.ts`), adding
 * them up. Customers never span partitions, so workers share nothing.
 */
import { parentPort } from 'node:worker_threads';
import type { CustomerLog, LoggedInput } from '../domain/customer/rebuild.ts';
import {
  addCustomer,
  noTotals,
  pointsOnly,
  simulateCustomer,
  type WhatIfOptions,
  type WhatIfTotals,
} from '../domain/customer/what-if.ts';
import type { CustomerEvent } from '../domain/events.ts';
import { createProgramCatalog } from '../services/program-catalog.ts';
import type { FromWorker, RequestRow, ToWorker, WorkerSetup } from './simulate-messages.ts';

const port = parentPort;
if (!port) throw new Error('simulate-worker.ts runs as a worker thread');

let options: WhatIfOptions | undefined;
const decoder = new TextDecoder();
let logs = new Map<string, LoggedInput[]>();
/** A row cut by a chunk's end (chunks hold whole rows, but a reader should not rely on it). */
let carry = '';

function setUp(setup: WorkerSetup) {
  const baseline = setup.baseline.map(pointsOnly);
  const past = baseline.filter((p) => Date.parse(p.effectiveFrom) < Date.parse(setup.from));
  options = {
    base: setup.base,
    baseline: createProgramCatalog(baseline),
    candidate: createProgramCatalog([...past, pointsOnly(setup.candidate)]),
    from: setup.from,
    to: setup.to,
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
  for (const row of rows) {
    const granted = { at: row.at, version: row.version };
    inputsOf(row.customerId).push(
      row.kind === 'redeem-cancel'
        ? { kind: 'redemption.cancel', ...granted, redemptionId: row.transactionId }
        : {
            kind: 'redemption',
            ...granted,
            redemptionId: row.transactionId,
            points: -row.points,
            storeId: row.storeId,
          },
    );
  }
}

/** Every customer of the partition, with progress every `PROGRESS_EVERY` customers. */
const PROGRESS_EVERY = 2_000;

function simulatePartition(): WhatIfTotals {
  if (!options) throw new Error('the worker was not set up');
  if (carry !== '') take(new TextEncoder().encode('\n'));
  const totals = noTotals();
  let customers = 0;
  let inputs = 0;
  for (const [customerId, list] of logs) {
    const log: CustomerLog = { customerId, inputs: list };
    addCustomer(totals, simulateCustomer(log, options));
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
  return totals;
}

port.on('message', (message: ToWorker) => {
  try {
    switch (message.type) {
      case 'setup':
        setUp(message.setup);
        break;
      case 'events':
        take(message.chunk);
        break;
      case 'requests':
        requests(message.rows);
        break;
      case 'end':
        port.postMessage({ type: 'totals', totals: simulatePartition() } satisfies FromWorker);
        break;
    }
  } catch (err) {
    port.postMessage({
      type: 'failed',
      message: (err as Error).stack ?? String(err),
    } satisfies FromWorker);
  }
});
