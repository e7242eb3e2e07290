/**
 * The redemption round trip as a till sees it: a NATS request to `svc.loyalty.redeem`, the
 * redemption service's Temporal update of the customer's workflow (validator, then handler), the
 * ledger line published, the answer back. Customers who earned points in the benchmark's runs
 * spend one point at a time, at a fixed rate, so the figure is latency, not queueing.
 *
 * The service here follows a program version of its own that the customers' workflows have not
 * seen, so each customer's first redemption also carries the program (the service sends it with
 * a customer's first request); `first` and `later` are reported apart.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { parseProgram } from '../engine/domain/loyalty/program-schema.ts';
import type { RedeemAnswer } from '../engine/domain/redemption.ts';
import { createProgramCatalog } from '../engine/services/program-catalog.ts';
import { startRedemptionService } from '../engine/services/redemption-service.ts';
import { REDEEM_SUBJECT } from '../engine/streams/topology.ts';
import { percentiles } from './checker.ts';

export interface RedemptionBenchDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  temporal: Client;
  logger: Logger;
}

/** Each request spends one point. */
const POINTS_EACH = 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number) => Math.round(n * 10) / 10;
const rounded = (sample: readonly number[]) =>
  Object.fromEntries(Object.entries(percentiles(sample)).map(([k, v]) => [k, round(v)]));

/**
 * `spent`, when given, is told the points each customer was granted (a later check of their
 * ledger counts them).
 */
export async function measureRedemptions(
  deps: RedemptionBenchDeps,
  customers: readonly string[],
  { perSecond, rounds }: { perSecond: number; rounds: number },
  spent?: Map<string, number>,
) {
  const definition = parseProgram({
    id: 'bench',
    name: 'Benchmark rewards',
    currency: 'EUR',
    pointValue: { points: 100, minor: 100 },
    earn: { base: { rate: { points: 1, perMinor: 100 } } },
  });
  const catalog = createProgramCatalog([
    { ...definition, version: 'bench@1', effectiveFrom: '2020-01-01T00:00:00.000Z' },
  ]);
  const service = startRedemptionService(deps.nc, { ...deps, catalog });
  const first: number[] = [];
  const later: number[] = [];
  const outcomes: Record<string, number> = {};
  const decoder = new TextDecoder();
  try {
    const gap = 1000 / perSecond;
    const started = performance.now();
    const asked: Promise<void>[] = [];
    let n = 0;
    for (let round = 0; round < rounds; round++) {
      for (const customerId of customers) {
        // Paced from the start, not from the last answer: a slow answer does not slow the rate.
        const due = started + n * gap;
        n += 1;
        await sleep(Math.max(0, due - performance.now()));
        const sentAt = performance.now();
        const isFirst = round === 0;
        asked.push(
          deps.nc
            .request(
              REDEEM_SUBJECT,
              JSON.stringify({
                redemptionId: `bench-${customerId}-${round}`,
                customerId,
                points: POINTS_EACH,
                basketMinor: 10_000,
                currency: 'EUR',
                channel: 'till',
                storeId: 'S001',
                tillId: 'T1',
              }),
              { timeout: 30_000 },
            )
            .then((reply) => {
              const answer = JSON.parse(decoder.decode(reply.data)) as RedeemAnswer;
              (isFirst ? first : later).push(performance.now() - sentAt);
              const outcome = answer.ok ? 'granted' : answer.error.code;
              if (answer.ok) spent?.set(customerId, (spent.get(customerId) ?? 0) + POINTS_EACH);
              outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
            }),
        );
      }
    }
    await Promise.all(asked);
  } finally {
    await service.stop();
  }
  return {
    offered_per_s: perSecond,
    requests: first.length + later.length,
    outcomes,
    all: rounded([...first, ...later]),
    first_per_customer_with_program_sent: rounded(first),
    later: rounded(later),
    path: 'NATS request → redemption service → Temporal update (validator + handler) → ledger line published → reply',
  };
}
