/**
 * `clientele generate`: invents a retailer's year of data (engine/generator) and writes it into
 * the analytics store the settings name (chDB in the data folder by default), on its configured
 * database or the one `--database` names. A database that already holds sales is refused unless
 * `--replace`, which drops and re-creates it.
 *
 * With `--send`, the same history's events go through a running stack's till and web gateways
 * instead, at `--rate` events/s, and the stack stores them (its sink writes ClickHouse).
 */
import type { Command } from 'commander';
import type { Settings } from '../../config/settings.ts';
import { createAnalyticsStore } from '../analytics/open-store.ts';
import {
  checkGeneratorOptions,
  DEFAULT_GENERATOR_OPTIONS,
  type GeneratorOptions,
  GeneratorOptionsError,
} from '../generator/generate.ts';
import { SendError, type SendResult, sendGenerated, shiftToNow } from '../generator/send.ts';
import { writeGenerated } from '../generator/write.ts';
import { startProgress, startProgressBar } from './progress.ts';

/** Large inserts on a busy machine take a while: far above the store's default 30 s. */
const INSERT_TIMEOUT_MS = 30 * 60_000;

class OptionError extends Error {}

const wholeNumber = (name: string, min: number) => (text: string) => {
  if (!/^\d[\d_]*$/.test(text.trim()) || Number(text.replaceAll('_', '')) < min) {
    throw new OptionError(
      `--${name} must be ${min > 0 ? 'a positive' : 'a'} whole number, not ${JSON.stringify(text)}`,
    );
  }
  return Number(text.replaceAll('_', ''));
};

const positiveNumber = (name: string) => (text: string) => {
  const n = Number(text.replaceAll('_', ''));
  if (!/^\d[\d_]*(\.\d+)?$/.test(text.trim()) || !(n > 0)) {
    throw new OptionError(`--${name} must be a number above 0, not ${JSON.stringify(text)}`);
  }
  return n;
};

const httpUrl = (name: string) => (text: string) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OptionError(
      `--${name} must be a URL such as http://127.0.0.1:3030, not ${JSON.stringify(text)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OptionError(
      `--${name} must be an http:// or https:// URL, not ${JSON.stringify(text)}`,
    );
  }
  return text.replace(/\/+$/, '');
};

const date = (name: string) => (text: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) {
    throw new OptionError(
      `--${name} must be a date such as 2026-11-30, not ${JSON.stringify(text)}`,
    );
  }
  return text;
};

interface GenerateFlags {
  customers: string;
  lines: string;
  seed: string;
  stores: string;
  skus: string;
  from: string;
  to: string;
  currency: string;
  database?: string;
  replace?: boolean;
  json?: boolean;
  shiftToNow?: boolean;
  send?: boolean;
  rate: string;
  gateway?: string;
  webGateway?: string;
}

function optionsFrom(flags: GenerateFlags): { options: GeneratorOptions; database?: string } {
  let options: GeneratorOptions = {
    customers: wholeNumber('customers', 1)(flags.customers),
    saleLines: wholeNumber('lines', 0)(flags.lines),
    seed: wholeNumber('seed', 0)(flags.seed),
    stores: wholeNumber('stores', 2)(flags.stores),
    skus: wholeNumber('skus', 1)(flags.skus),
    from: date('from')(flags.from),
    to: date('to')(flags.to),
    currency: flags.currency,
  };
  if (flags.database !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(flags.database)) {
    throw new OptionError(
      `--database must be a plain name (letters, digits, _), not ${JSON.stringify(flags.database)}`,
    );
  }
  try {
    checkGeneratorOptions(options);
  } catch (err) {
    if (err instanceof GeneratorOptionsError)
      throw new OptionError(
        err.message.replace(/^(\w+)/, (m) => `--${m === 'saleLines' ? 'lines' : m}`),
      );
    throw err;
  }
  // Whole days back from today: the seasons and weekdays move with the period.
  if (flags.shiftToNow) options = shiftToNow(options, Date.now());
  if (flags.send && (flags.database !== undefined || flags.replace)) {
    throw new OptionError(
      "--database and --replace are for writing to ClickHouse; with --send the stack's sink stores the events",
    );
  }
  if (!flags.send && (flags.gateway !== undefined || flags.webGateway !== undefined)) {
    throw new OptionError('--gateway and --web-gateway need --send');
  }
  return { options, database: flags.database };
}

const fail = (message: string, code = 2) => {
  process.stderr.write(`clientele generate: ${message}\n`);
  process.exitCode = code;
};

export function addGenerateCommand(program: Command, settingsOrExit: () => Settings) {
  const d = DEFAULT_GENERATOR_OPTIONS;
  program
    .command('generate')
    .description(
      'Generate a seeded, reproducible data set (stores, SKUs, staff, customers, sales, returns, loyalty) straight into ClickHouse, or send its events through a running stack (--send)',
    )
    .option('--customers <n>', 'members', String(d.customers))
    .option('--lines <n>', 'sale lines in all', String(d.saleLines))
    .option('--seed <n>', 'same seed and options give the same rows', String(d.seed))
    .option('--stores <n>', 'stores, one of them the web shop', String(d.stores))
    .option('--skus <n>', 'SKUs in the assortment', String(d.skus))
    .option('--from <YYYY-MM-DD>', 'first day of sales (UTC)', d.from)
    .option('--to <YYYY-MM-DD>', 'last day of sales (inclusive)', d.to)
    .option('--currency <code>', 'ISO 4217 currency', d.currency)
    .option(
      '--database <name>',
      "the ClickHouse database (default: the settings' clickhouse.database)",
    )
    .option('--replace', 'drop and re-create the database if it already holds sales')
    .option('--json', 'print the summary as JSON')
    .option(
      '--shift-to-now',
      'move the period (same length) so it ends yesterday: the gateways refuse events dated ahead of their clock',
    )
    .option(
      '--send',
      "send the events through the running stack's gateways (its sink stores them) instead of writing ClickHouse",
    )
    .option('--rate <n>', 'with --send: events per second', '100')
    .option(
      '--gateway <url>',
      "with --send: the till gateway (default: the settings' host and tillPort)",
    )
    .option(
      '--web-gateway <url>',
      "with --send: the web gateway, for the web shop's events (default: the settings' host and webPort)",
    )
    .action(async (flags: GenerateFlags) => {
      let parsed: ReturnType<typeof optionsFrom>;
      let send: { rate: number; gateway?: string; webGateway?: string } | undefined;
      try {
        parsed = optionsFrom(flags);
        if (flags.send) {
          send = {
            rate: positiveNumber('rate')(flags.rate),
            gateway: flags.gateway === undefined ? undefined : httpUrl('gateway')(flags.gateway),
            webGateway:
              flags.webGateway === undefined ? undefined : httpUrl('web-gateway')(flags.webGateway),
          };
        }
      } catch (err) {
        if (err instanceof OptionError) return fail(err.message);
        throw err;
      }
      const settings = settingsOrExit();
      if (send) return sendCommand(settings, parsed.options, send, flags.json === true);
      const database = parsed.database ?? settings.clickhouse.database;
      const store = await createAnalyticsStore(
        { ...settings, clickhouse: { ...settings.clickhouse, database } },
        { requestTimeoutMs: INSERT_TIMEOUT_MS },
      );
      try {
        if (flags.replace) await store.command(`DROP DATABASE IF EXISTS ${database}`);
        await store.migrate();
        const [held] = await store.query<{ n: string }>(
          `SELECT count() AS n FROM ${database}.sale_lines`,
        );
        if (Number(held?.n ?? 0) > 0) {
          return fail(
            `the database ${database} already holds ${held?.n} sale lines; pass --replace to drop and re-create it, or --database to write elsewhere`,
          );
        }
        const log = flags.json ? undefined : process.stdout;
        let figures = { customers: 0, events: 0, saleLines: 0, rows: 0 };
        const progress = log
          ? startProgressBar(parsed.options.saleLines, 'sale lines', () => ({
              done: figures.saleLines,
              figures: { customers: figures.customers, events: figures.events, rows: figures.rows },
            }))
          : undefined;
        const result = await writeGenerated(store, parsed.options, (p) => {
          figures = p;
        });
        progress?.stop();
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify({ database, options: parsed.options, ...result }, null, 2)}\n`,
          );
          return;
        }
        const width = Math.max(...Object.keys(result.rows).map((t) => t.length));
        process.stdout.write(
          [
            `generated into ${database} (${settings.clickhouse.backend === 'chdb' ? `chDB in ${settings.dataDir}` : settings.clickhouse.url}):`,
            ...Object.entries(result.rows).map(
              ([table, n]) => `  ${table.padEnd(width)}  ${(n ?? 0).toLocaleString('en')}`,
            ),
            `  ${'total'.padEnd(width)}  ${result.totalRows.toLocaleString('en')} rows in ${result.seconds.toFixed(1)} s (${result.rowsPerSecond.toLocaleString('en')} rows/s)`,
            '',
          ].join('\n'),
        );
      } finally {
        await store.close();
      }
    });
}

/** `--send`: the events through the stack's gateways, with a progress line and a summary. */
async function sendCommand(
  settings: Settings,
  options: GeneratorOptions,
  flags: { rate: number; gateway?: string; webGateway?: string },
  json: boolean,
) {
  const { host, tillPort, webPort } = settings.gateways;
  const tillUrl = flags.gateway ?? `http://${host}:${tillPort}`;
  const webUrl = flags.webGateway ?? `http://${host}:${webPort}`;
  let figures = { total: 0, sent: 0, acked: 0, refused: 0, 'events/s': 0 };
  // Started with the first answer: an error found before sending stands alone.
  let progress: ReturnType<typeof startProgress> | undefined;
  // Ctrl-C stops sending; what is in flight is still answered and counted.
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  let result: SendResult;
  try {
    result = await sendGenerated(
      options,
      {
        tillUrl,
        webUrl,
        tokens: settings.stores,
        rate: flags.rate,
        limits: settings.events,
        signal: stop.signal,
      },
      (p) => {
        if (!json) progress ??= startProgress(() => ({ ...figures }));
        figures = {
          total: p.total,
          sent: p.sent,
          acked: p.acked,
          refused: p.refused,
          'events/s': p.eventsPerSecond,
        };
      },
    );
  } catch (err) {
    progress?.stop();
    if (err instanceof SendError) return fail(err.message, 1);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
  }
  progress?.stop();
  if (result.refused > 0 || result.stopped) process.exitCode = 1;
  if (json) {
    process.stdout.write(`${JSON.stringify({ tillUrl, webUrl, options, ...result }, null, 2)}\n`);
    return;
  }
  const lines = [
    `sent ${result.sent.toLocaleString('en')} of ${result.total.toLocaleString('en')} events (${options.from} to ${options.to}, seed ${options.seed}) to ${tillUrl} (tills) and ${webUrl} (web shop)${result.stopped ? ', stopped early' : ''}:`,
    `  acked    ${result.acked.toLocaleString('en')}${result.duplicates > 0 ? ` (${result.duplicates.toLocaleString('en')} already stored)` : ''}`,
    `  refused  ${result.refused.toLocaleString('en')}`,
    ...Object.entries(result.refusals).map(([code, n]) => `    ${code}: ${n.toLocaleString('en')}`),
    ...result.examples.map((e) => `    e.g. ${e}`),
    `  in ${result.seconds.toFixed(1)} s (${result.eventsPerSecond.toLocaleString('en')} events/s)`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
