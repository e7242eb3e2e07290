/**
 * How CLI commands reach NATS: the servers of the settings (CLIENTELE_NATS_SERVERS), or the local
 * server `npm start` runs. Unreachable, the command says how to get one and exits 1.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Settings } from '../../config/settings.ts';

export async function withNats(
  settings: Settings,
  use: (nc: NatsConnection, url: string) => Promise<void>,
): Promise<void> {
  const url = settings.nats.servers ?? `nats://127.0.0.1:${settings.nats.port}`;
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: url.split(','), name: 'clientele-cli', timeout: 5000 });
  } catch (err) {
    process.stderr.write(
      `clientele: NATS is not reachable at ${url} (${(err as Error).message}). Start Clientele with \`npm start\`, or set CLIENTELE_NATS_SERVERS to the NATS servers to use.\n`,
    );
    process.exit(1);
  }
  try {
    await use(nc, url);
  } finally {
    await nc.close();
  }
}
