/**
 * docker-compose.yml is for machines with Docker, which this test does not need: it asks
 * `docker-compose config` (Debian's docker-compose 1.29, installed by
 * `node bin/install-tools.js --for-tests`) to validate and resolve the file, then checks the
 * resolved services and the CLIENTELE_* wiring against the settings schema.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadSettings } from '../../config/settings.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, { condition?: string }> | string[];
  ports?: (string | { published?: number | string; target?: number | string })[];
  volumes?: (string | { source?: string; target?: string })[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
}

interface ComposeConfig {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** Variables docker-compose.yml substitutes; unset so the defaults in the file are what is checked. */
const substituted = [
  'CLIENTELE_LOG_LEVEL',
  'CLIENTELE_STORES',
  'CLICKHOUSE_USER',
  'CLICKHOUSE_PASSWORD',
  'CLICKHOUSE_VERSION',
  'TEMPORAL_DB_PASSWORD',
  'TEMPORAL_VERSION',
  'TEMPORAL_UI_VERSION',
  'NATS_VERSION',
  'COMPOSE_FILE',
  'COMPOSE_PROJECT_NAME',
];

function dockerCompose(args: string[], cwd: string) {
  const env = { ...process.env };
  for (const name of substituted) delete env[name];
  const result = spawnSync('docker-compose', args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(
      'docker-compose is not on PATH. Run `node bin/install-tools.js --for-tests` ' +
        "(it installs Debian's docker-compose package), then run the tests again.",
    );
  }
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const appServices: Record<string, string> = {
  worker: 'worker',
  router: 'router',
  redemptions: 'redemptions',
  identity: 'identity',
  sink: 'sink',
  'till-gateway': 'gateway till',
  'web-gateway': 'gateway web',
  dashboard: 'gateway dashboard',
};
const infraServices = ['postgresql', 'temporal', 'temporal-ui', 'nats', 'clickhouse'];

const requiredEnv = {
  CLIENTELE_TEMPORAL_ADDRESS: 'temporal:7233',
  CLIENTELE_NATS_SERVERS: 'nats://nats:4222',
  CLIENTELE_CLICKHOUSE_BACKEND: 'http',
  CLIENTELE_CLICKHOUSE_URL: 'http://clickhouse:8123',
  CLIENTELE_GATEWAYS_HOST: '0.0.0.0',
  CLIENTELE_SIMULATOR_ENABLED: 'false',
};

/** Published ports as `published->target`, from either the short or the long syntax. */
function publishedPorts(service: Service): string[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'string') {
      const [mapping = ''] = port.split('/');
      const parts = mapping.split(':');
      return `${parts.at(-2)}->${parts.at(-1)}`;
    }
    return `${port.published}->${port.target}`;
  });
}

function dependsOn(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, dep]) => [name, dep.condition]));
}

/** The environment a process of the service would see (null means unset). */
function envOf(service: Service): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {})
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([name, value]) => [name, String(value)]),
  );
}

let scratch: string | undefined;

function scratchDir(prefix: string): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'clientele-compose-'));
  return mkdtempSync(join(scratch, prefix));
}

let resolved:
  | { result: ReturnType<typeof dockerCompose>; config: ComposeConfig }
  | Error
  | undefined;

/**
 * `docker-compose config` of the project's file, run once. Called inside each test (not in a
 * hook) so that a missing docker-compose fails every test with the message instead of skipping.
 */
function composeConfig() {
  if (resolved === undefined) {
    try {
      const result = dockerCompose(['-f', 'docker-compose.yml', 'config'], root);
      const config = (
        result.status === 0 ? parseYaml(result.stdout) : { services: {} }
      ) as ComposeConfig;
      resolved = { result, config };
    } catch (error) {
      resolved = error instanceof Error ? error : new Error(String(error));
    }
  }
  if (resolved instanceof Error) throw resolved;
  return resolved;
}

describe('docker-compose.yml', () => {
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('is accepted by `docker-compose config` without warnings', () => {
    const { result } = composeConfig();
    expect(result.status, `docker-compose config failed:\n${result.stderr}`).toBe(0);
    expect(result.stderr).not.toMatch(/WARNING|variable is not set/i);
  });

  it('names every expected service', () => {
    const { config } = composeConfig();
    expect(Object.keys(config.services).sort()).toEqual(
      [...infraServices, ...Object.keys(appServices)].sort(),
    );
  });

  it.each(Object.entries(appServices))(
    '%s runs `clientele %s` from the root Dockerfile',
    (name, command) => {
      const { config } = composeConfig();
      const service = config.services[name];
      expect(service, `service ${name}`).toBeDefined();
      expect(service?.build?.context && resolve(root, service.build.context)).toBe(root);
      expect(service?.build?.dockerfile).toBe('Dockerfile');
      expect(service?.command).toEqual(command.split(' '));
    },
  );

  it.each(Object.keys(appServices))(
    '%s is wired to the servers through CLIENTELE_* variables',
    (name) => {
      const { config } = composeConfig();
      const service = config.services[name] as Service;
      const env = envOf(service);
      expect(env).toMatchObject(requiredEnv);

      // ClickHouse credentials match what the clickhouse service is set up with.
      const clickhouse = envOf(config.services.clickhouse as Service);
      expect(env.CLIENTELE_CLICKHOUSE_USERNAME).toBe(clickhouse.CLICKHOUSE_USER);
      expect(env.CLIENTELE_CLICKHOUSE_PASSWORD).toBe(clickhouse.CLICKHOUSE_PASSWORD);

      // Every variable is a setting the process accepts, and they resolve to the intended settings.
      const noConfigFile = scratchDir('root-');
      const settings = loadSettings({ env, root: noConfigFile });
      expect(settings.temporal.address).toBe('temporal:7233');
      expect(settings.nats.servers).toBe('nats://nats:4222');
      expect(settings.clickhouse.backend).toBe('http');
      expect(settings.clickhouse.url).toBe('http://clickhouse:8123');
      expect(settings.gateways.host).toBe('0.0.0.0');
      expect(settings.simulator.enabled).toBe(false);

      // It starts once the servers it talks to are healthy.
      expect(dependsOn(service)).toMatchObject({
        temporal: 'service_healthy',
        nats: 'service_healthy',
        clickhouse: 'service_healthy',
      });
    },
  );

  it('publishes the till gateway on 3030, the web gateway on 3031, the dashboard on 3032 and the Temporal UI on 8080', () => {
    const { config } = composeConfig();
    expect(publishedPorts(config.services['till-gateway'] as Service)).toContain('3030->3030');
    expect(publishedPorts(config.services['web-gateway'] as Service)).toContain('3031->3031');
    expect(publishedPorts(config.services.dashboard as Service)).toContain('3032->3032');
    expect(publishedPorts(config.services['temporal-ui'] as Service)).toContain('8080->8080');
    const settings = loadSettings({ env: {}, root: scratchDir('root-') });
    expect(settings.gateways.tillPort).toBe(3030);
    expect(settings.gateways.webPort).toBe(3031);
    expect(settings.gateways.dashboardPort).toBe(3032);
  });

  it('runs Temporal 1.29 on PostgreSQL, with the UI pointed at it', () => {
    const { config } = composeConfig();
    const temporal = config.services.temporal as Service;
    expect(temporal.image).toMatch(/^temporalio\/auto-setup:1\.29(\.|$)/);
    expect(envOf(temporal)).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    expect(envOf(temporal).POSTGRES_PWD).toBe(
      envOf(config.services.postgresql as Service).POSTGRES_PASSWORD,
    );
    expect(dependsOn(temporal)).toMatchObject({ postgresql: 'service_healthy' });
    expect(config.services.postgresql?.image).toMatch(/^postgres:/);

    const ui = config.services['temporal-ui'] as Service;
    expect(ui.image).toMatch(/^temporalio\/ui:/);
    expect(envOf(ui).TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('runs NATS 2.12 with JetStream on file storage in a volume', () => {
    const { config } = composeConfig();
    const nats = config.services.nats as Service;
    expect(nats.image).toMatch(/^nats:2\.12/);
    const command = Array.isArray(nats.command) ? nats.command : (nats.command ?? '').split(/\s+/);
    expect(command.some((arg) => arg === '-js' || arg === '--jetstream')).toBe(true);
    const flag = command.findIndex((arg) => arg === '-sd' || arg === '--store_dir');
    expect(flag, 'a JetStream store directory').toBeGreaterThanOrEqual(0);
    const storeDir = command[flag + 1];
    const mounts = (nats.volumes ?? []).map((v) =>
      typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v,
    );
    const mount = mounts.find((m) => m.target === storeDir);
    expect(mount, `a volume mounted at ${storeDir}`).toBeDefined();
    expect(Object.keys(config.volumes ?? {})).toContain(mount?.source);
  });

  it('runs a ClickHouse server', () => {
    const { config } = composeConfig();
    expect(config.services.clickhouse?.image).toMatch(/^clickhouse\/clickhouse-server:/);
  });

  it('has a healthcheck on every server the processes wait for', () => {
    const { config } = composeConfig();
    for (const name of ['postgresql', 'temporal', 'nats', 'clickhouse']) {
      const check = config.services[name]?.healthcheck;
      expect(check?.test, `healthcheck of ${name}`).toBeDefined();
      expect(check?.disable).not.toBe(true);
    }
  });

  it('builds from a node:20-slim Dockerfile that runs `npx clientele <command>`', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-slim\b/m);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["npx", (?:"--no", )?"clientele"\]/m);
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', '.tools', '.data']) expect(ignored).toContain(entry);
    expect(existsSync(join(root, 'package-lock.json'))).toBe(true);
  });

  it('would notice a broken file: docker-compose config rejects one', () => {
    const dir = scratchDir('broken-');
    writeFileSync(
      join(dir, 'docker-compose.yml'),
      'services:\n  a:\n    image: alpine\n    depends_on:\n      b:\n        condition: service_healthy\n',
    );
    const broken = dockerCompose(['-f', 'docker-compose.yml', 'config'], dir);
    expect(broken.status).not.toBe(0);
  });
});
