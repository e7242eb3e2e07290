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
import { IDENTIFY_SUBJECT, REGISTER_SUBJECT } from '../engine/streams/topology.ts';
import { percentiles } from './checker.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number) => Math.round(n * 10) / 10;
const rounded = (sample: readonly number[]) =>
  Object.fromEntries(Object.entries(percentiles(sample)).map(([k, v]) => [k, round(v)]));
const decoder = new TextDecoder();

export interface Registered {
  cards: string[];
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
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    cards,
    registration: { members, seconds: round(seconds), per_s: round(members / seconds), outcomes },
  };
}

/** Looks the cards up at `perSecond` for `seconds`; the round trip of each, as the till waits. */
export async function identifyAtRate(
  nc: NatsConnection,
  cards: readonly string[],
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
    const card = cards[n % cards.length] as string;
    asked.push(
      nc
        .request(
          IDENTIFY_SUBJECT,
          JSON.stringify({
            card: { payload: card, source: 'barcode' },
            channel: 'till',
            storeId: 'S002',
            tillId: `T${n % 4}`,
          }),
          { timeout: 30_000 },
        )
        .then((reply) => {
          latencies.push(performance.now() - sentAt);
          const answer = JSON.parse(decoder.decode(reply.data)) as IdentifyAnswer;
          const outcome = answer.ok ? 'identified' : answer.error.code;
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        }),
    );
  }
  await Promise.all(asked);
  return {
    offered_per_s: perSecond,
    requests: latencies.length,
    outcomes,
    round_trip_ms: rounded(latencies),
    path: 'NATS request → identity service, its own process (check digit, identity index: card, then account number, in NATS KV) → reply',
  };
}
