/**
 * A sink process for the crash test (test/integration/sink-crash.test.ts): a real sink on a real
 * chDB folder whose insert into one table never returns, so the test can kill the process with a
 * batch half written. Settings come from the environment: SINK_NATS, SINK_DATA_DIR, SINK_FREEZE_AT.
 */
import { connect } from '@nats-io/transport-node';
import pino from 'pino';
import { settingsSchema } from '../../config/settings.ts';
import { createAnalyticsStore } from '../../engine/analytics/open-store.ts';
import { createSink } from '../../engine/analytics/sink.ts';
import type { AnalyticsStore } from '../../engine/analytics/store.ts';

const { SINK_NATS, SINK_DATA_DIR, SINK_FREEZE_AT } = process.env;
if (!SINK_NATS || !SINK_DATA_DIR || !SINK_FREEZE_AT) {
  throw new Error('SINK_NATS, SINK_DATA_DIR and SINK_FREEZE_AT are required');
}
const store = await createAnalyticsStore(
  settingsSchema.parse({ dataDir: SINK_DATA_DIR, clickhouse: { backend: 'chdb' } }),
);
await store.migrate();
const frozen: AnalyticsStore = {
  backend: store.backend,
  database: store.database,
  migrate: () => store.migrate(),
  query: (sql, params) => store.query(sql, params),
  stream: (sql, params) => store.stream(sql, params),
  command: (sql, params) => store.command(sql, params),
  close: () => store.close(),
  insert: (table, rows) => {
    if (table !== SINK_FREEZE_AT) return store.insert(table, rows);
    process.stdout.write(`frozen ${table} ${rows.length}\n`);
    return new Promise(() => undefined);
  },
};
const nc = await connect({ servers: SINK_NATS });
const sink = createSink({
  nc,
  store: frozen,
  batchSize: 2_000,
  flushMs: 500,
  flushTimeoutMs: 3_000,
  logger: pino({ level: 'silent' }),
});
await sink.start();
process.stdout.write('started\n');
