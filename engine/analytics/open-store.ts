/**
 * Opens the analytics store the settings ask for (`store.ts` has the interface both backends
 * implement).
 */
import type { Settings } from '../../config/settings.ts';
import type { AnalyticsStore } from './store.ts';

/**
 * The store the settings ask for. The backend's module is loaded only when chosen, so an HTTP
 * deployment never loads chDB's native library.
 */
export async function createAnalyticsStore(
  settings: Pick<Settings, 'clickhouse' | 'dataDir'>,
  options: { requestTimeoutMs?: number } = {},
): Promise<AnalyticsStore> {
  const { clickhouse } = settings;
  if (clickhouse.backend === 'chdb') {
    const { ChdbStore, chdbPath } = await import('./chdb-store.ts');
    return ChdbStore.open(chdbPath(settings.dataDir), {
      database: clickhouse.database,
      ...options,
    });
  }
  const { ClickHouseHttpStore } = await import('./clickhouse-http-store.ts');
  return new ClickHouseHttpStore({
    url: clickhouse.url,
    username: clickhouse.username,
    password: clickhouse.password,
    database: clickhouse.database,
    ...options,
  });
}
