/** A migrated chDB analytics store in a fresh temporary folder, for one test file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingsSchema } from '../../config/settings.ts';
import { createAnalyticsStore } from '../../engine/analytics/open-store.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';

export interface TestStore {
  store: AnalyticsStore;
  dataDir: string;
  /** Closes the store and deletes its folder. */
  remove(): Promise<void>;
}

/** Opens and migrates a store in a new folder named after `name` (`clientele-<name>-…`). */
export async function openTestStore(name: string): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), `clientele-${name}-`));
  const store = await createAnalyticsStore(
    settingsSchema.parse({ dataDir, clickhouse: { backend: 'chdb' } }),
  );
  await store.migrate();
  return {
    store,
    dataDir,
    async remove() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
