/**
 * Answers one customer's long history (`svc.analytics.customer-history`) and timeline
 * (`svc.analytics.customer-timeline`) from the process that holds the analytics store: with chDB
 * only that process can read it.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { historyRequest } from '../domain/customer/history.ts';
import { timelineRequest } from '../domain/customer/timeline.ts';
import { type Served, type ServedStats, serveRequests } from '../services/serve-requests.ts';
import { HISTORY_QUEUE, HISTORY_SUBJECT, TIMELINE_SUBJECT } from '../streams/topology.ts';
import { customerHistory } from './customer-history.ts';
import { customerTimeline } from './customer-timeline.ts';
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
  const timeline = serveRequests(
    nc,
    TIMELINE_SUBJECT,
    HISTORY_QUEUE,
    timelineRequest,
    async (request) => ({
      ok: true,
      customerId: request.customerId,
      ...(await customerTimeline(deps.store, request, now())),
    }),
    { stats, logger: deps.logger, what: 'timeline service' },
  );
  return {
    stats,
    stop: async () => {
      await Promise.all([served.stop(), timeline.stop()]);
    },
  };
}
