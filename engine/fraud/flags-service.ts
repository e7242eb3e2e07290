/**
 * The service desk's view of the anti-fraud flags (`svc.fraud.flags`): the flags on a customer,
 * a card or a store's tills, and resolving one with who resolved it and why. Unblocking a card
 * resolves its flags too (`engine/identity/identity-service.ts`).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { type FlagsAnswer, type FlagsRequest, flagsRequest } from '../domain/fraud/messages.ts';
import { type Served, type ServedStats, serveRequests } from '../services/serve-requests.ts';
import { FLAGS_SUBJECT, IDENTITY_QUEUE } from '../streams/topology.ts';
import type { FlagStore } from './flag-store.ts';

export async function answerFlags(
  flags: FlagStore,
  request: FlagsRequest,
  now: () => Date,
): Promise<FlagsAnswer> {
  if (request.action === 'list') {
    const { customerId, cardNumber, storeId } = request;
    return {
      ok: true,
      flags: await flags.of({ customerId, cardNumbers: cardNumber ? [cardNumber] : [], storeId }),
    };
  }
  const { flagId, operatorId, reason } = request;
  const at = request.at ?? now().toISOString();
  return { ok: true, flags: [await flags.resolve(flagId, { operatorId, reason, at })] };
}

export function serveFlags(
  nc: NatsConnection,
  deps: { flags: FlagStore; logger: Logger; now?: () => Date },
): Served & { stats: ServedStats } {
  const stats: ServedStats = { answered: 0, refused: 0, failed: 0 };
  const now = deps.now ?? (() => new Date());
  const served = serveRequests(
    nc,
    FLAGS_SUBJECT,
    IDENTITY_QUEUE,
    flagsRequest,
    (request) => {
      if (request.action === 'resolve') {
        deps.logger.info(
          { flagId: request.flagId, operatorId: request.operatorId },
          'flag resolved',
        );
      }
      return answerFlags(deps.flags, request, now);
    },
    { stats, logger: deps.logger, what: 'fraud flags' },
  );
  return { stats, stop: () => served.stop() };
}
