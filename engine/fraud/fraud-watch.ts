/**
 * The anti-fraud watch: reads every look-up and redemption from the `ACTIVITY` stream, runs them
 * through the rules (`engine/domain/fraud/detect.ts`), and for each flag raised blocks the card
 * when the rule says so, publishes the flag on `FRAUD` (for the console and campaigns' opt-outs)
 * and keeps it in the flag store (for the 360 view and the till's identification).
 *
 * On start it reads the stream from `lookbackHours` ago, so its windows are whole again after a
 * restart; the flags it raises again are the same flags (their ids are the activities' places in
 * the stream), found in the store and passed over. Any number of engine processes may watch at
 * once: each raises the same flags, and the store keeps one.
 */
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { ClienteleError } from '../domain/error-codes.ts';
import { createFraudDetector } from '../domain/fraud/detect.ts';
import { cardActivity, type FraudFlag, flagPlace } from '../domain/fraud/messages.ts';
import type { FraudRules, StoreLocation } from '../domain/fraud/rules.ts';
import type { IdentityIndex } from '../identity/identity-index.ts';
import { ACTIVITY_STREAM, fraudSubject } from '../streams/topology.ts';
import type { FlagStore } from './flag-store.ts';

export interface FraudWatchDeps {
  js: JetStreamClient;
  flags: FlagStore;
  /** Blocks the card for the watch (a card not active any more is left as it is). */
  block(cardNumber: string, reason: string, at: string): Promise<void>;
  rules: FraudRules;
  locations: Readonly<Record<string, StoreLocation>>;
  logger: Logger;
  now?: () => Date;
}

export interface FraudWatch {
  readonly stats: { read: number; malformed: number; raised: number; blocked: number };
  stop(): Promise<void>;
}

const decoder = new TextDecoder();
const HOUR_MS = 3_600_000;

export async function startFraudWatch(deps: FraudWatchDeps): Promise<FraudWatch> {
  const { js, flags, logger } = deps;
  const detector = createFraudDetector(deps.rules, deps.locations);
  const stats = { read: 0, malformed: 0, raised: 0, blocked: 0 };
  const from = (deps.now?.() ?? new Date()).getTime() - deps.rules.lookbackHours * HOUR_MS;
  const consumer = await js.consumers.get(ACTIVITY_STREAM, {
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(from).toISOString(),
  });
  const messages = await consumer.consume();

  async function act(flag: FraudFlag) {
    if (await flags.read(flag.flagId)) return; // raised before this start
    if (flag.action === 'block' && flag.cardNumber !== undefined) {
      await deps.block(flag.cardNumber, flag.message, flag.at);
      stats.blocked += 1;
    }
    const { storeId } = flagPlace(flag);
    await js.publish(fraudSubject(storeId), JSON.stringify(flag), { msgID: flag.flagId });
    if (await flags.raise(flag)) stats.raised += 1;
    logger.info({ flagId: flag.flagId, rule: flag.rule, storeId }, 'fraud flag raised');
  }

  const watching = (async () => {
    for await (const msg of messages) {
      stats.read += 1;
      let parsed: ReturnType<typeof cardActivity.safeParse>;
      try {
        parsed = cardActivity.safeParse(JSON.parse(decoder.decode(msg.data)));
      } catch {
        parsed = cardActivity.safeParse(undefined);
      }
      if (!parsed.success) {
        stats.malformed += 1;
        logger.warn({ seq: msg.seq }, 'skipping a malformed card activity');
        continue;
      }
      for (const flag of detector.observe(parsed.data, msg.seq)) {
        // A flag that cannot be written now is retried until it is: the watch does not read on
        // past it, so nothing it saw is left unflagged.
        for (let attempt = 1; ; attempt++) {
          try {
            await act(flag);
            break;
          } catch (err) {
            logger.error({ err, flagId: flag.flagId, attempt }, 'could not raise a fraud flag');
            await new Promise((r) => setTimeout(r, Math.min(30_000, 250 * 2 ** attempt)));
          }
        }
      }
    }
  })();

  return {
    stats,
    async stop() {
      await messages.close();
      await watching;
    },
  };
}

/** The watch's operator id on the cards it blocks. */
export const WATCH_OPERATOR = 'fraud-watch';

/** Blocks an active card for the watch; a card blocked, lost or replaced meanwhile stays so. */
export async function blockForWatch(
  index: Pick<IdentityIndex, 'lookUp' | 'setCardStatus'>,
  cardNumber: string,
  reason: string,
  at: string,
): Promise<void> {
  const { card } = await index.lookUp({ kind: 'card', value: cardNumber });
  if (card?.status !== 'active') return;
  try {
    await index.setCardStatus(cardNumber, 'blocked', { operatorId: WATCH_OPERATOR, reason, at });
  } catch (err) {
    // Changed by the service desk between the read and the write: theirs stands.
    if (!(err instanceof ClienteleError && err.code === 'invalid_request')) throw err;
  }
}
