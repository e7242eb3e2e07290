/**
 * The one configuration of a Clientele deployment. Every setting has a default that runs the
 * whole stack locally; environment variables (CLIENTELE_<PATH>) and an optional YAML file
 * (config/clientele.yaml, or the file named by CLIENTELE_CONFIG) override them, in that order of
 * precedence: environment over file over default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { fraudRules, storeLocation } from '../engine/domain/fraud/rules.ts';

const port = z.number().int().min(1).max(65535);
const storeId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, 'a store id is 1-32 letters, digits, - or _');

/** `S001=token1,S002=token2` in an environment variable, or a map in the YAML file. */
const storeTokens = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? Object.fromEntries(
          v
            .split(',')
            .filter((pair) => pair.trim() !== '')
            .map((pair) => {
              const [id = '', token = ''] = pair.split('=').map((s) => s.trim());
              return [id, token];
            }),
        )
      : v,
  z.record(storeId, z.string().min(8, 'a store token has at least 8 characters')),
);

export const settingsSchema = z.object({
  /** Where embedded servers and chDB keep their files. */
  dataDir: z.string().default('.data'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  temporal: z
    .object({
      /** host:port of an external Temporal frontend; when unset, a local dev server is started. */
      address: z.string().optional(),
      namespace: z.string().default('default'),
      taskQueue: z.string().default('clientele-customers'),
      devServerPort: port.default(7233),
      devServerUiPort: port.default(8233),
      /**
       * How the local dev server's SQLite file commits: 'normal' (write-ahead log, synced at
       * checkpoints: a killed server loses nothing, a power loss can lose the last moments) or
       * 'full' (every commit synced; about half the throughput here). Ignored with `address`.
       */
      devServerSync: z.enum(['normal', 'full']).default('normal'),
      /**
       * How far a customer workflow's run may grow (KiB of history beyond its carried state)
       * before it continues as new. A worker that lost the customer from its cache (a restart,
       * or more customers busy than it holds) replays the whole run first: smaller runs make
       * that cheap, at the price of a new run every so many deliveries.
       */
      historyBudgetKib: z.number().int().min(16).max(4096).default(128),
    })
    .prefault({}),
  nats: z
    .object({
      /** Comma-separated NATS URLs of an external cluster; when unset, a local nats-server is started. */
      servers: z.string().optional(),
      port: port.default(4222),
      /** How often JetStream fsyncs file storage: 'default' (every 2 min) or 'always' (every write). */
      syncInterval: z.enum(['default', 'always']).default('default'),
      /** Replicas of each stream: 1 for a single server, 3 for a production cluster. */
      replicas: z.number().int().min(1).max(5).default(1),
      /** JetStream's de-duplication window for Nats-Msg-Id, in seconds. */
      duplicateWindowSeconds: z.number().int().min(1).default(120),
    })
    .prefault({}),
  clickhouse: z
    .object({
      /** 'chdb': embedded engine in this process; 'http': a ClickHouse server. */
      backend: z.enum(['chdb', 'http']).default('chdb'),
      url: z.string().default('http://127.0.0.1:8123'),
      username: z.string().default('default'),
      password: z.string().default(''),
      database: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .default('clientele'),
    })
    .prefault({}),
  gateways: z
    .object({
      host: z.string().default('127.0.0.1'),
      tillPort: port.default(3030),
      webPort: port.default(3031),
      /** The live dashboard for marketers (HTTP page and Socket.io figures). */
      dashboardPort: port.default(3032),
      /** Largest accepted message in bytes, on the till socket and the web API alike. */
      maxMessageBytes: z.number().int().min(1024).max(16_777_216).default(262_144),
    })
    .prefault({}),
  /** Limits on an event's `occurredAt`, checked by the gateways and again by the router. */
  events: z
    .object({
      /** How far ahead of the receiving clock an event may be dated (till clocks drift). */
      maxClockSkewSeconds: z.number().int().min(0).max(86_400).default(300),
      /** Events dated before this are refused: a till whose clock was reset says 1970. */
      earliestOccurredAt: z.iso
        .datetime({ offset: true, message: 'must be an ISO 8601 instant' })
        .default('2000-01-01T00:00:00Z'),
    })
    .prefault({}),
  /** Per-store secret tokens that tills and the web shop present. The defaults are for local demos only. */
  stores: storeTokens.default({
    S001: 'demo-token-S001',
    S002: 'demo-token-S002',
    S003: 'demo-token-S003',
    WEB: 'demo-token-WEB',
  }),
  /**
   * Where each store is (latitude, longitude in degrees), for the anti-fraud travel rule; a store
   * without a location (the web shop) is never compared. The defaults place the demo stores in
   * Berlin, Hamburg and Munich.
   */
  storeLocations: z.record(storeId, storeLocation).default({
    S001: { latitude: 52.52, longitude: 13.405 },
    S002: { latitude: 53.5511, longitude: 9.9937 },
    S003: { latitude: 48.1372, longitude: 11.5756 },
  }),
  /** The card anti-fraud rules (docs/fraud.md). */
  fraud: fraudRules.prefault({}),
  /** The console (marketers, store managers, associates, the service desk, admins). */
  console: z
    .object({
      /** How long a sign-in lasts, in minutes (8 hours; a day at most). */
      sessionMinutes: z.number().int().min(5).max(1440).default(480),
      /** Failed sign-ins for one user id within 15 minutes before it must wait. */
      signInAttempts: z.number().int().min(1).max(1000).default(10),
      /**
       * Mark the session cookie `Secure` (sent over HTTPS only). On for any deployment behind
       * TLS; off by default because the local console is plain http on 127.0.0.1.
       */
      secureCookies: z.boolean().default(false),
    })
    .prefault({}),
  /**
   * The back office's token for the web API (the service desk, until staff sign in): with it,
   * `GET /v1/customers/:id` answers the whole record, the profile included, where a store's
   * token gets the till's view. The default is for local demos only: replace it
   * (CLIENTELE_BACK_OFFICE_TOKEN) for anything else.
   */
  backOfficeToken: z
    .string()
    .min(8, 'the back-office token has at least 8 characters')
    .default('demo-back-office-token'),
  identity: z
    .object({
      /**
       * The secret key of the keyed hashes (HMAC-SHA256) under which the identity index holds
       * phone numbers and e-mail addresses. The default is for local demos only: set your own
       * (CLIENTELE_IDENTITY_CONTACT_HASH_KEY) before the first customer registers, and keep it:
       * with another key, no contact detail indexed before is found again.
       */
      contactHashKey: z
        .string()
        .min(16, 'the contact hash key has at least 16 characters')
        .default('demo-contact-hash-key'),
      /**
       * Look-ups (`customer:identify`) one till, or one web store token, may make in a minute: so
       * card numbers cannot be enumerated. Counted per gateway process.
       */
      lookupsPerMinute: z.number().int().min(1).max(100_000).default(120),
    })
    .prefault({}),
  loyalty: z
    .object({
      /** Points earned per spend unit: with the defaults, 1 point per 1.00 of net spend. */
      basePointsPerUnit: z.number().int().min(0).default(1),
      /** The spend unit in minor units (100 = one euro, pound or dollar). */
      spendUnitMinor: z.number().int().min(1).default(100),
      /**
       * The loyalty program customers are under: a program file (docs/programs.md), relative to
       * the project. At start-up its program's versions are read from the program store, and the
       * file is published as the first version if there is none. Empty: no program, customers
       * earn at the base rate above.
       */
      programFile: z.string().default('config/programs/grocer.yaml'),
    })
    .prefault({}),
  router: z
    .object({
      /** Customers with a Temporal call in flight at once (at most one call per customer). */
      maxInFlight: z.number().int().min(1).max(10_000).default(200),
      /** Events for one customer carried by one signal at most. */
      maxBatch: z.number().int().min(1).max(500).default(50),
      /** Deliveries of one event without success before it goes to the dead-letter stream. */
      // High, because a long Temporal outage also redelivers what the router had prefetched.
      maxDeliver: z.number().int().min(2).max(1000).default(50),
      /** Seconds before JetStream redelivers an event the router took but did not ack (after a crash). */
      ackWaitSeconds: z.number().int().min(1).max(3600).default(30),
    })
    .prefault({}),
  sink: z
    .object({
      batchSize: z.number().int().min(1).max(100_000).default(2000),
      flushMs: z.number().int().min(10).max(60_000).default(250),
      /** A segment change's batch waits this long at most: live segment counts follow it. */
      segmentsFlushMs: z.number().int().min(1).max(60_000).default(25),
    })
    .prefault({}),
  worker: z
    .object({
      maxCachedWorkflows: z.number().int().min(0).default(2000),
      maxConcurrentWorkflowTaskExecutions: z.number().int().min(1).default(100),
      maxConcurrentLocalActivityExecutions: z.number().int().min(1).default(200),
      /** Workflow-task polls kept open at once (sticky and not); at most the executions above. */
      maxConcurrentWorkflowTaskPolls: z.number().int().min(2).default(10),
    })
    .prefault({}),
  simulator: z
    .object({
      enabled: z.boolean().default(true),
      stores: z.number().int().min(1).max(3).default(3),
      tillsPerStore: z.number().int().min(1).max(20).default(2),
      customers: z.number().int().min(1).default(500),
      salesPerSecond: z.number().min(0.1).max(10_000).default(4),
    })
    .prefault({}),
});

export type Settings = z.infer<typeof settingsSchema>;

export class SettingsError extends Error {
  override name = 'SettingsError';
}

type Source = { kind: 'env'; name: string } | { kind: 'file'; path: string };

/** Unwraps optional/default wrappers so the walk below sees the object shapes. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType } };
  while (
    (s.def.type === 'optional' || s.def.type === 'default' || s.def.type === 'prefault') &&
    s.def.innerType
  ) {
    s = s.def.innerType as typeof s;
  }
  return s;
}

/** Every settable path, e.g. ['gateways', 'tillPort'], from the schema itself. */
export function settingPaths(
  schema: z.ZodType = settingsSchema,
  prefix: string[] = [],
): string[][] {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) {
    return Object.entries(s.shape).flatMap(([key, child]) =>
      settingPaths(child as z.ZodType, [...prefix, key]),
    );
  }
  return [prefix];
}

export function envName(path: string[]): string {
  return `CLIENTELE_${path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`;
}

/** The schema at a setting's path, unwrapped: what type its environment variable holds. */
function leafAt(path: string[]): z.ZodType {
  let s = unwrap(settingsSchema);
  for (const key of path) {
    s = unwrap((s as z.ZodObject).shape[key] as z.ZodType);
  }
  return s;
}

/**
 * Environment values are strings; a number or boolean setting converts them, any other keeps
 * the text as it is (a token of digits stays a string). What does not convert is left for the
 * schema to refuse, naming the setting.
 */
function parseEnvValue(raw: string, path: string[]): unknown {
  const leaf = leafAt(path);
  if (leaf instanceof z.ZodNumber) return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  if (leaf instanceof z.ZodBoolean) return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Project root where `config/clientele.yaml` is looked for. */
  root?: string;
}

/**
 * Reads, merges and validates the settings. Throws SettingsError naming every bad setting, where
 * it came from, and what is allowed.
 */
export function loadSettings(options: LoadOptions = {}): Settings {
  const env = options.env ?? process.env;
  const root = options.root ?? process.cwd();
  const raw: Record<string, unknown> = {};
  const sources = new Map<string, Source>();

  const filePath = env.CLIENTELE_CONFIG
    ? resolve(root, env.CLIENTELE_CONFIG)
    : resolve(root, 'config/clientele.yaml');
  if (env.CLIENTELE_CONFIG && !existsSync(filePath)) {
    throw new SettingsError(`CLIENTELE_CONFIG names ${filePath}, which does not exist`);
  }
  if (existsSync(filePath)) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(filePath, 'utf8'));
    } catch (err) {
      throw new SettingsError(`${filePath} is not valid YAML: ${(err as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new SettingsError(`${filePath} must hold a mapping of settings`);
      }
      Object.assign(raw, parsed);
      for (const path of settingPaths())
        sources.set(path.join('.'), { kind: 'file', path: filePath });
    }
  }

  const known = new Map(settingPaths().map((path) => [envName(path), path]));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('CLIENTELE_') || name === 'CLIENTELE_CONFIG' || value === undefined)
      continue;
    if (name.startsWith('CLIENTELE_TOOL_') || name === 'CLIENTELE_TOOLS_DIR') continue; // read by bin/install-tools.js
    const path = known.get(name);
    if (!path) {
      throw new SettingsError(
        `Unknown setting ${name}. Known settings: ${[...known.keys()].sort().join(', ')}`,
      );
    }
    setPath(raw, path, parseEnvValue(value, path));
    sources.set(path.join('.'), { kind: 'env', name });
  }

  const result = settingsSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    const topKey = settingPaths()
      .map((p) => p.join('.'))
      .find((p) => key === p || key.startsWith(`${p}.`));
    const source = topKey ? sources.get(topKey) : undefined;
    const where =
      source?.kind === 'env'
        ? ` (from ${source.name}=${JSON.stringify(env[source.name])})`
        : source?.kind === 'file'
          ? ` (from ${source.path})`
          : '';
    return `- ${key || '(root)'}${where}: ${issue.message}`;
  });
  throw new SettingsError(`Invalid settings:\n${lines.join('\n')}`);
}
