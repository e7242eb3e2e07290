/**
 * Runs the ceilings on their own, for manual use: `npx tsx bench/ceilings/main.ts [--quick]`.
 * Starts nats-server and the Temporal dev server (free ports, a temporary data folder, thrown
 * away afterwards), measures JetStream, Temporal (signal-with-start and update-with-start to a
 * no-op workflow) and the pure evaluator, and prints one JSON document.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadSettings } from '../../config/settings.ts';
import { startStack } from '../../engine/runtime/stack.ts';
import { measureEvaluator } from './evaluator.ts';
import { measureJetStream } from './jetstream.ts';
import { bundleNoopWorkflow, measureTemporal } from './temporal.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    messages: { type: 'string' },
    'payload-bytes': { type: 'string', default: '600' },
    workflows: { type: 'string', default: '400' },
    'in-flight': { type: 'string', default: '200' },
    calls: { type: 'string' },
    'evaluator-events': { type: 'string', default: '20000' },
    'evaluator-seconds': { type: 'string' },
  },
});
const quick = values.quick ?? false;
const num = (value: string | undefined, fallback: number) =>
  value === undefined ? fallback : Number(value);

const sizes = {
  messages: num(values.messages, quick ? 20_000 : 100_000),
  payloadBytes: num(values['payload-bytes'], 600),
  workflows: num(values.workflows, 400),
  inFlight: num(values['in-flight'], 200),
  calls: num(values.calls, quick ? 1_000 : 4_000),
  evaluatorEvents: num(values['evaluator-events'], 20_000),
  evaluatorSeconds: num(values['evaluator-seconds'], quick ? 2 : 5),
};

async function main() {
  // The evaluator first, while no server competes for the cores.
  const evaluator = measureEvaluator({
    events: sizes.evaluatorEvents,
    seconds: sizes.evaluatorSeconds,
  });

  const dataDir = mkdtempSync(join(tmpdir(), 'clientele-ceilings-'));
  const settings = loadSettings({
    env: { ...process.env, CLIENTELE_DATA_DIR: dataDir, CLIENTELE_LOG_LEVEL: 'warn' },
  });
  const stack = await startStack({
    settings,
    logger: pino({ level: settings.logLevel }),
    components: [],
    ephemeralPorts: true,
  });
  try {
    const jetstream = await measureJetStream({
      nc: stack.nc,
      js: stack.js,
      jsm: stack.jsm,
      messages: sizes.messages,
      payloadBytes: sizes.payloadBytes,
      concurrency: 256,
    });
    const bundle = await bundleNoopWorkflow();
    const temporal = {
      signal_with_start: await measureTemporal({
        temporal: stack.temporal,
        temporalAddress: stack.temporalAddress,
        settings,
        workflows: sizes.workflows,
        inFlight: sizes.inFlight,
        calls: sizes.calls,
        mode: 'signal-with-start',
        bundle,
      }),
      update_with_start: await measureTemporal({
        temporal: stack.temporal,
        temporalAddress: stack.temporalAddress,
        settings,
        workflows: sizes.workflows,
        inFlight: sizes.inFlight,
        calls: sizes.calls,
        mode: 'update-with-start',
        bundle,
      }),
    };
    const result = {
      measured_at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      worker: settings.worker,
      jetstream,
      temporal,
      evaluator,
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
