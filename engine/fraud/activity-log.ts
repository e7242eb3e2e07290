/**
 * Where the identity and redemption services note each look-up and redemption for the anti-fraud
 * watch: the `ACTIVITY` stream. Noting never holds up the answer to the till (the publication
 * runs beside it) and never fails it: a note that cannot be published is logged and dropped, as
 * the watch is a second line behind the card's own status.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { CardActivity } from '../domain/fraud/messages.ts';
import { activitySubject } from '../streams/topology.ts';

export interface ActivityLog {
  note(activity: CardActivity): void;
  /** Resolves once every note made so far is published (or dropped). */
  settled(): Promise<void>;
}

export function activityLog(js: JetStreamClient, logger: Logger): ActivityLog {
  const inFlight = new Set<Promise<unknown>>();
  return {
    note(activity) {
      const publishing = js
        .publish(activitySubject(activity.storeId), JSON.stringify(activity))
        .catch((err) => logger.warn({ err, kind: activity.kind }, 'card activity not noted'))
        .finally(() => inFlight.delete(publishing));
      inFlight.add(publishing);
    },
    async settled() {
      await Promise.allSettled([...inFlight]);
    },
  };
}
