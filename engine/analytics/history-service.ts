/**
 * Answers one customer's long history (`svc.analytics.customer-history`) from the process that
 * holds the analytics store: with chDB only that process can read it.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { historyRequest } from '../domain/customer/history.ts';
import { type Served, type ServedStats, serveRequests } from '../services/serve-requests.ts';
import { HISTORY_QUEUE, HISTORY_SUBJECT } from '../streams/topology.ts';
import { customerHistory } from './customer-history.ts';
import type { AnalyticsStore } from './store.ts';

export function startHistoryService(
  nc: NatsConnection,
  deps: { store: AnalyticsStore; logger: Logger; now?: () => Date },
): Served & { stats: ServedStats } {
  const stats: ServedStats = { answered: 0, refused: 0, failed: 0 };
  const now = deps.now ?? (() => new Date());
  const served = serveRequests(
    nc,
    HISTORY_SUBJECT,
    HISTORY_QUEUE,
    historyRequest,
    async (request) => ({
      ok: true,
      history: await customerHistory(
        deps.store,
        request.customerIds,
        request.asOf ?? now().toISOString(),
      ),
    }),
    { stats, logger: deps.logger, what: 'history service' },
  );
  return { stats, stop: () => served.stop() };
}
