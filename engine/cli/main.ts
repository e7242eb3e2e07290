/**
 * The `clientele` command. Built with commander (the most used Node CLI library: subcommands,
 * help and errors for free). Each command is a composition root: it reads the settings, builds
 * the clients and hands them to the parts it runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { loadSettings, type Settings, SettingsError } from '../../config/settings.ts';
import { eventJsonSchemas } from '../domain/json-schema.ts';
import { type ProgramDefinition, ProgramError } from '../domain/loyalty/program-schema.ts';
import { versionInForce } from '../domain/loyalty/versions.ts';
import { openProgramStore, type ProgramStore } from '../programs/program-store.ts';
import { ServerStartError } from '../runtime/servers.ts';
import { allComponents, type Component, type StackOptions, startStack } from '../runtime/stack.ts';
import { startSimulator } from '../simulator/tills.ts';
import { ensureFirstAdmin } from '../staff/first-admin.ts';
import { addAnalyticsCommands } from './analytics.ts';
import { addBackfillCommand } from './backfill.ts';
import { addCustomerCommands } from './customers.ts';
import { addGenerateCommand } from './generate.ts';
import { addGroupCommands } from './groups.ts';
import { withNats } from './nats.ts';
import { programFileOrExit } from './program-file.ts';
import { startProgress } from './progress.ts';
import { addReplayCommands } from './replay.ts';
import { addSegmentCommands } from './segments.ts';
import { addSimulateCommand } from './simulate.ts';
import { addStaffCommands } from './staff.ts';

const program = new Command()
  .name('clientele')
  .description('Real-time retail CRM and loyalty engine')
  .showHelpAfterError();

function settingsOrExit(): Settings {
  try {
    return loadSettings();
  } catch (err) {
    if (err instanceof SettingsError) {
      process.stderr.write(`clientele: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** The till stores the simulator plays (the web shop's token is not a till's). */
function simulatedStores(settings: Settings): Record<string, string> {
  return Object.fromEntries(
    Object.entries(settings.stores)
      .filter(([id]) => id !== 'WEB')
      .slice(0, settings.simulator.stores),
  );
}

/** Starts the stack; an embedded server that cannot start is reported plainly, exit code 1. */
async function stackOrExit(options: StackOptions) {
  try {
    return await startStack(options);
  } catch (err) {
    if (err instanceof ServerStartError) {
      process.stderr.write(`clientele: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

function loggerFor(settings: Settings) {
  return pino({ level: settings.logLevel, base: undefined }, pino.destination(2));
}

/** Runs until Ctrl-C or SIGTERM, then stops everything it started, in order. */
function stopOnSignal(stop: () => Promise<void>) {
  let stoppingSince = 0;
  const handler = (signal: string) => {
    if (stoppingSince > 0) {
      // npm and the terminal may both pass on one Ctrl-C: only a later one means "hurry".
      if (Date.now() - stoppingSince < 2000) return;
      process.stderr.write(`\n${signal} again: exiting now\n`);
      process.exit(130); // the exit hook still kills the servers we started
    }
    stoppingSince = Date.now();
    process.stderr.write(`\n${signal}: stopping…\n`);
    stop().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

program
  .command('start')
  .description(
    'Start everything locally: Temporal dev server, nats-server, chDB, worker, router, sink, gateways and simulated tills',
  )
  .option('--no-simulator', 'do not start the simulated tills')
  .action(async (opts: { simulator: boolean }) => {
    const settings = settingsOrExit();
    const logger = loggerFor(settings);
    process.stdout.write('Starting Clientele (Temporal, NATS JetStream, chDB)…\n');
    const stack = await stackOrExit({
      settings,
      logger,
      components: allComponents,
      temporalUi: true,
    });
    const firstAdmin =
      stack.staff && (await ensureFirstAdmin(stack.staff, resolve(settings.dataDir), new Date()));
    const simulatorStores = simulatedStores(settings);
    const simulator =
      opts.simulator && settings.simulator.enabled
        ? await startSimulator({
            tillUrl: stack.till?.url as string,
            stores: simulatorStores,
            tillsPerStore: settings.simulator.tillsPerStore,
            customers: settings.simulator.customers,
            eventsPerSecond: settings.simulator.salesPerSecond,
          })
        : undefined;
    process.stdout.write(
      [
        '',
        'Clientele is running:',
        `  till gateway (Socket.io)  ${stack.till?.url}   till screen: open it in a browser`,
        `  web gateway (HTTP)        ${stack.web?.url}   POST /v1/events, POST /v1/redemptions, POST /v1/customers(/identify), GET /v1/customers/:id`,
        `  console (staff)           ${stack.dashboard?.url}/sign-in${firstAdmin ? `   first sign-in: user ${firstAdmin.userId}, password ${firstAdmin.password} (kept in ${firstAdmin.file}; add staff on the Staff page or with \`clientele staff add … --by ${firstAdmin.userId}\`)` : ''}`,
        `  Temporal UI               ${stack.temporalUiUrl ?? '(external Temporal)'}`,
        `  Temporal frontend         ${stack.temporalAddress}`,
        `  NATS                      ${stack.natsUrl}   redeem: request svc.loyalty.redeem · register, identify, merge, household: svc.identity.* · 360 view: svc.customer.view`,
        `  loyalty program           ${stack.programs?.at(new Date().toISOString())?.version ?? 'none (base earn rate)'}`,
        `  ClickHouse                ${settings.clickhouse.backend === 'chdb' ? `chDB in ${resolve(settings.dataDir, 'chdb')}` : settings.clickhouse.url}`,
        simulator
          ? `  simulator                 ${Object.keys(simulatorStores).length} stores × ${settings.simulator.tillsPerStore} tills, ${settings.simulator.salesPerSecond} events/s`
          : '  simulator                 off',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    const progress = startProgress(() => ({
      sent: simulator?.stats.sent ?? 0,
      accepted: (stack.till?.stats.eventsAccepted ?? 0) + (stack.web?.stats.eventsAccepted ?? 0),
      routed: stack.router?.stats.routed ?? 0,
      anonymous: stack.router?.stats.anonymous ?? 0,
      stored: stack.sink?.processed.events ?? 0,
      cues: simulator?.stats.cuesReceived ?? stack.till?.stats.cuesRelayed ?? 0,
      deadLettered: stack.router?.stats.deadLettered ?? 0,
      // Points spent at the simulated tills (granted / refused by the program).
      redeemed: stack.redemptions?.stats.answered ?? 0,
      redeemRefused: stack.redemptions?.stats.refused ?? 0,
    }));
    stopOnSignal(async () => {
      progress.stop();
      await simulator?.stop();
      await stack.stop();
    });
  });

function componentCommand(name: string, component: Component, description: string) {
  return program
    .command(name)
    .description(
      `${description} (connects to CLIENTELE_TEMPORAL_ADDRESS and CLIENTELE_NATS_SERVERS, or starts local servers)`,
    )
    .action(async () => {
      const settings = settingsOrExit();
      const logger = loggerFor(settings);
      const stack = await stackOrExit({ settings, logger, components: [component] });
      logger.info({ component }, 'running');
      stopOnSignal(() => stack.stop());
    });
}

componentCommand('worker', 'worker', 'Run a Temporal worker for customer workflows');
componentCommand('router', 'router', 'Route events from JetStream to customer workflows');
componentCommand(
  'sink',
  'sink',
  'Write events, ledger entries, cues, lifecycle triggers and fraud flags to ClickHouse',
);
componentCommand(
  'redemptions',
  'redemptions',
  'Answer till redemption requests over NATS request-reply (svc.loyalty.redeem, svc.loyalty.cancel)',
);
componentCommand(
  'identity',
  'identity',
  'Register, identify, merge and group customers, answer the 360 view (svc.identity.*, svc.customer.view), and watch cards for fraud (svc.fraud.flags)',
);

program
  .command('gateway')
  .description('Run a gateway')
  .addArgument(
    new Command().createArgument('<kind>', 'which gateway').choices(['till', 'web', 'dashboard']),
  )
  .action(async (kind: 'till' | 'web' | 'dashboard') => {
    const settings = settingsOrExit();
    const logger = loggerFor(settings);
    const stack = await stackOrExit({ settings, logger, components: [kind] });
    stopOnSignal(() => stack.stop());
  });

program
  .command('traffic')
  .description('Send simulated till traffic to a running till gateway')
  .requiredOption('--url <url>', 'till gateway URL, e.g. http://127.0.0.1:3030')
  .addOption(new Option('--rate <n>', 'events per second').argParser(Number).default(5))
  .action(async (opts: { url: string; rate: number }) => {
    const settings = settingsOrExit();
    const stores = simulatedStores(settings);
    const simulator = await startSimulator({
      tillUrl: opts.url,
      stores,
      tillsPerStore: settings.simulator.tillsPerStore,
      customers: settings.simulator.customers,
      eventsPerSecond: opts.rate,
    });
    const progress = startProgress(() => ({
      sent: simulator.stats.sent,
      accepted: simulator.stats.accepted,
      refused: simulator.stats.refused,
      cues: simulator.stats.cuesReceived,
    }));
    stopOnSignal(async () => {
      progress.stop();
      await simulator.stop();
    });
  });

const schemas = program.command('schemas').description('The event contract as JSON Schema');
schemas
  .command('export')
  .description('Write the JSON Schema files for till and web-shop vendors')
  .argument('[dir]', 'output folder', 'config/schemas')
  .action((dir: string) => {
    const out = resolve(dir);
    mkdirSync(out, { recursive: true });
    for (const [file, schema] of Object.entries(eventJsonSchemas())) {
      writeFileSync(join(out, file), `${JSON.stringify(schema, null, 2)}\n`);
      process.stdout.write(`wrote ${join(dir, file)}\n`);
    }
  });

const config = program.command('config').description('The settings');
config
  .command('check')
  .description(
    'Validate the settings (environment and config/clientele.yaml) and print them, tokens hidden',
  )
  .action(() => {
    const settings = settingsOrExit();
    const shown = {
      ...settings,
      stores: Object.fromEntries(Object.keys(settings.stores).map((id) => [id, '***'])),
      backOfficeToken: '***',
      identity: { ...settings.identity, contactHashKey: '***' },
      clickhouse: { ...settings.clickhouse, password: settings.clickhouse.password ? '***' : '' },
    };
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
  });

const programs = program
  .command('program')
  .description(
    'Loyalty programs: check a program file, publish it as a new version, list versions',
  );

/** Reads and checks a program file; on any problem prints it and exits with code 2. */
function programSummary(p: ProgramDefinition): string {
  const plural = (n: number, word: string, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;
  return [
    `${p.id} "${p.name}"`,
    [p.currency, ...p.markets.map((m) => m.currency)].join('+'),
    plural(p.earn.rules.length, 'earn rule'),
    plural(p.earn.bonuses.length, 'bonus', 'bonuses'),
    plural(p.tiers?.levels.length ?? 0, 'tier'),
    plural(p.partners.length, 'partner'),
    ...(p.segments?.length ? [plural(p.segments.length, 'segment')] : []),
  ].join(' · ');
}

/** Opens the program store on the settings' NATS (`withNats`); without JetStream, says so. */
async function withProgramStore(
  settings: Settings,
  use: (store: ProgramStore) => Promise<void>,
): Promise<void> {
  await withNats(settings, async (nc, url) => {
    let store: ProgramStore;
    try {
      store = await openProgramStore(nc, { replicas: settings.nats.replicas });
    } catch (err) {
      process.stderr.write(
        `clientele: cannot open the PROGRAMS bucket on ${url} (${(err as Error).message}); the server needs JetStream enabled.\n`,
      );
      process.exitCode = 1;
      return;
    }
    await use(store);
  });
}

programs
  .command('validate')
  .description('Check a program file (YAML or JSON) against the program schema')
  .argument('<file>', 'the program file, e.g. config/programs/grocer.yaml')
  .action(async (file: string) => {
    const { definition } = await programFileOrExit(file);
    process.stdout.write(`${file}: valid · ${programSummary(definition)}\n`);
  });

programs
  .command('publish')
  .description(
    'Check a program file and store it as the next version in the PROGRAMS bucket (CLIENTELE_NATS_SERVERS)',
  )
  .argument('<file>', 'the program file, e.g. config/programs/grocer.yaml')
  .action(async (file: string) => {
    const { input } = await programFileOrExit(file);
    const settings = settingsOrExit();
    await withProgramStore(settings, async (store) => {
      const now = new Date();
      let published: Awaited<ReturnType<ProgramStore['publish']>>;
      try {
        published = await store.publish(input, now, file);
      } catch (err) {
        if (!(err instanceof ProgramError)) throw err;
        process.stderr.write(`clientele: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      const scheduled = Date.parse(published.effectiveFrom) > now.getTime();
      process.stdout.write(
        `published ${published.version} · ${programSummary(published)}\n${
          scheduled
            ? `  in force from ${published.effectiveFrom} (scheduled: until then the version before stays in force)`
            : `  in force now (from ${published.effectiveFrom})`
        }\n`,
      );
    });
  });

programs
  .command('list')
  .description('List the published versions of a program, or of every program')
  .argument('[programId]', 'the program id, e.g. greenleaf')
  .action(async (programId: string | undefined) => {
    const settings = settingsOrExit();
    await withProgramStore(settings, async (store) => {
      let ids: string[];
      try {
        ids = programId === undefined ? await store.programIds() : [programId];
        const now = new Date().toISOString();
        let listed = 0;
        for (const id of ids) {
          const versions = await store.versions(id);
          const current = versionInForce(versions, now);
          for (const v of versions) {
            const mark = v === current ? '  ← in force now' : '';
            process.stdout.write(`${v.version}\tfrom ${v.effectiveFrom}\t${v.name}${mark}\n`);
            listed += 1;
          }
        }
        if (listed === 0) {
          process.stdout.write(
            programId === undefined
              ? 'no program published yet (clientele program publish FILE)\n'
              : `no version of ${programId} published yet\n`,
          );
        }
      } catch (err) {
        process.stderr.write(`clientele: ${(err as Error).message}\n`);
        process.exitCode = 2;
      }
    });
  });

addCustomerCommands(program, settingsOrExit);
addSegmentCommands(program, settingsOrExit);
addGroupCommands(program, settingsOrExit);
addStaffCommands(program, settingsOrExit);
addReplayCommands(program, settingsOrExit);
addSimulateCommand(program, settingsOrExit);
addBackfillCommand(program, settingsOrExit);
addGenerateCommand(program, settingsOrExit);
addAnalyticsCommands(program, settingsOrExit);

await program.parseAsync(process.argv);
