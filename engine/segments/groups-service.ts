/**
 * Saving and removing marketers' groups over NATS (`svc.analytics.groups`), answered by the
 * process that holds the analytics store (with chDB only that process can write it): the
 * console saves a group where the command line would open the store itself. Reading the groups
 * is a question like any other (`groups`, `group-sizes`, `group-members`).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AnalyticsStore } from '../analytics/store.ts';
import { staffId } from '../domain/identity/messages.ts';
import { segmentId } from '../domain/segments/definition.ts';
import { type Served, type ServedStats, serveRequests } from '../services/serve-requests.ts';
import { GROUPS_SUBJECT, HISTORY_QUEUE } from '../streams/topology.ts';
import { groupInput, removeGroup, saveGroup } from './groups.ts';

export const groupsRequest = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('save'),
    group: groupInput,
    /** Days before the save measured at their end (30). */
    historyDays: z.number().int().min(0).max(366).default(30),
    /** Save over a group with this id (a new version) instead of refusing. */
    replace: z.boolean().default(false),
  }),
  z.strictObject({ action: z.literal('remove'), id: segmentId, by: staffId }),
]);

export function startGroupsService(
  nc: NatsConnection,
  deps: { store: AnalyticsStore; logger: Logger; now?: () => Date },
): Served & { stats: ServedStats } {
  const now = deps.now ?? (() => new Date());
  const stats: ServedStats = { answered: 0, refused: 0, failed: 0 };
  const served = serveRequests(
    nc,
    GROUPS_SUBJECT,
    HISTORY_QUEUE,
    groupsRequest,
    async (request) => {
      if (request.action === 'remove') {
        await removeGroup(deps.store, request.id, now(), request.by);
        return { ok: true, removed: request.id };
      }
      const saved = await saveGroup(deps.store, request.group, now(), {
        historyDays: request.historyDays,
        replace: request.replace,
      });
      return { ok: true, ...saved };
    },
    { stats, logger: deps.logger, what: 'groups service' },
  );
  return { stats, stop: () => served.stop() };
}
