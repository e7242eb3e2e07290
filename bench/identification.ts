/**
 * Identifying a customer as a till does before a sale: a NATS request to
 * `svc.identity.identify` with the card's barcode digits, the identity service's check of the
 * check digit and its reads of the identity index (NATS KV), the answer back. The service runs
 * in a process of its own (`clientele identity`), as in production. Members are first registered
 * through it (each with a card), which is measured too; the look-ups then run at a fixed rate,
 * paced from the start, so the figure is latency, not queueing. The caller runs them alone and
 * beside sales (at half the stack's measured capacity) to see what the engine's load costs them.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { cardNumberOf } from '../engine/domain/identity/card-number.ts';
import type { IdentifyAnswer, RegisterAnswer } from '../engine/domain/identity/messages.ts';
import { IDENTIFY_SUBJECT, REGISTER_SUBJECT, VIEW_SUBJECT } from '../engine/streams/topology.ts';
import { percentiles } from './checker.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number) => Math.round(n * 10) / 10;
const rounded = (sample: readonly number[]) =>
  Object.fromEntries(Object.entries(percentiles(sample)).map(([k, v]) => [k, round(v)]));
const decoder = new TextDecoder();

export interface Registered {
  cards: string[];
  customerIds: string[];
  registration: {
    members: number;
    seconds: number;
    per_s: number;
    outcomes: Record<string, number>;
  };
}

/** Waits until the identity service answers (its process has started). */
async function serviceUp(nc: NatsConnection) {
  for (let attempt = 0; ; attempt++) {
    try {
      await nc.request(IDENTIFY_SUBJECT, '{}', { timeout: 2_000 });
      return;
    } catch (err) {
      if (attempt > 150) throw err;
      await sleep(200);
    }
  }
}

/** Registers `members` members with cards, `concurrency` at once. */
export async function registerMembers(
  nc: NatsConnection,
  { members, concurrency, runId }: { members: number; concurrency: number; runId: string },
): Promise<Registered> {
  await serviceUp(nc);
  const cards = Array.from({ length: members }, (_, i) => cardNumberOf('279901', i + 1));
  const outcomes: Record<string, number> = {};
  const customerIds: string[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < members) {
        const i = next++;
        const reply = await nc.request(
          REGISTER_SUBJECT,
          JSON.stringify({
            registrationId: `${runId}-${i}`,
            channel: 'till',
            storeId: 'S001',
            tillId: 'T1',
            consent: { email: true },
            card: { cardNumber: cards[i] },
          }),
          { timeout: 30_000 },
        );
        const answer = JSON.parse(decoder.decode(reply.data)) as RegisterAnswer;
        const outcome = answer.ok ? 'registered' : answer.error.code;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (answer.ok) customerIds.push(answer.customerId);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    cards,
    customerIds,
    registration: { members, seconds: round(seconds), per_s: round(members / seconds), outcomes },
  };
}

/**
 * Asks `subject` at `perSecond` for `seconds`, the n-th request made by `request(n)`; the round
 * trip of each, as the till waits, and what the answers were (`outcome(answer)`).
 */
async function askAtRate(
  nc: NatsConnection,
  subject: string,
  request: (n: number) => unknown,
  outcome: (answer: { ok: boolean; error?: { code: string } }) => string,
  { perSecond, seconds }: { perSecond: number; seconds: number },
) {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const gap = 1000 / perSecond;
  const total = Math.round(perSecond * seconds);
  const started = performance.now();
  const asked: Promise<void>[] = [];
  for (let n = 0; n < total; n++) {
    await sleep(Math.max(0, started + n * gap - performance.now()));
    const sentAt = performance.now();
    asked.push(
      nc.request(subject, JSON.stringify(request(n)), { timeout: 30_000 }).then((reply) => {
        latencies.push(performance.now() - sentAt);
        const answer = JSON.parse(decoder.decode(reply.data));
        const seen = outcome(answer);
        outcomes[seen] = (outcomes[seen] ?? 0) + 1;
      }),
    );
  }
  await Promise.all(asked);
  return {
    offered_per_s: perSecond,
    requests: latencies.length,
    outcomes,
    round_trip_ms: rounded(latencies),
  };
}

/** Looks the cards up at `perSecond` for `seconds`; the round trip of each, as the till waits. */
export async function identifyAtRate(
  nc: NatsConnection,
  cards: readonly string[],
  rate: { perSecond: number; seconds: number },
) {
  const measured = await askAtRate(
    nc,
    IDENTIFY_SUBJECT,
    (n) => ({
      card: { payload: cards[n % cards.length], source: 'barcode' },
      channel: 'till',
      storeId: 'S002',
      tillId: `T${n % 4}`,
    }),
    (answer) => {
      const identified = answer as IdentifyAnswer;
      if (!identified.ok) return identified.error.code;
      return identified.summary ? 'identified_with_summary' : 'identified';
    },
    rate,
  );
  return {
    ...measured,
    path: 'NATS request → identity service, its own process (check digit; NATS KV: the card, then the account number and the summary) → reply',
  };
}

/**
 * The customer 360 view as a till asks it (`customer:view`'s request): the identity index, the
 * summary and the household from NATS KV, the history from ClickHouse in the sink's process.
 */
export async function viewAtRate(
  nc: NatsConnection,
  customerIds: readonly string[],
  rate: { perSecond: number; seconds: number },
) {
  const measured = await askAtRate(
    nc,
    VIEW_SUBJECT,
    (n) => ({
      customerId: customerIds[n % customerIds.length],
      scope: 'till',
      channel: 'till',
      storeId: 'S002',
      tillId: `T${n % 4}`,
    }),
    (answer) => {
      if (!answer.ok) return answer.error?.code ?? 'refused';
      return (answer as { missing?: string[] }).missing ? 'without_history' : 'whole';
    },
    rate,
  );
  return {
    ...measured,
    path: "NATS request → customer view, in the identity service's process (NATS KV: account, cards, summary, household) → history request to the sink's process (ClickHouse: 2 queries) → reply",
  };
}
