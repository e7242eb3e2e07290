/**
 * The saved groups' daily point: a few minutes after each UTC midnight, every saved group is
 * measured as of the end of the day just closed, the same moment its history was measured at when
 * it was saved, so the series is one point per day end. Runs in the process that holds the
 * analytics store (with chDB, the only one that can read it).
 */
import type { Logger } from 'pino';
import type { AnalyticsStore } from '../analytics/store.ts';
import { refreshGroups } from './groups.ts';

const DAY_MS = 86_400_000;
/** After midnight, so a till's last sales of the day have reached the store. */
const DELAY_MS = 5 * 60_000;

export function startGroupRefresh(deps: {
  store: Pick<AnalyticsStore, 'database' | 'query' | 'command'>;
  logger: Logger;
  now?: () => Date;
}): { stop(): void } {
  const now = deps.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    const t = now().getTime();
    const next = Math.floor(t / DAY_MS) * DAY_MS + DAY_MS + DELAY_MS;
    timer = setTimeout(run, next - t);
    timer.unref();
  };
  const run = async () => {
    const dayEnd = new Date(Math.floor(now().getTime() / DAY_MS) * DAY_MS - 1);
    try {
      const done = await refreshGroups(deps.store, dayEnd);
      deps.logger.info({ groups: done.length, at: dayEnd.toISOString() }, 'saved groups measured');
    } catch (err) {
      deps.logger.error({ err, at: dayEnd.toISOString() }, 'saved groups not measured');
    }
    schedule();
  };
  schedule();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
