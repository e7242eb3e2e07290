/**
 * `clientele generate`: invents a retailer's year of data (engine/generator) and writes it into
 * the analytics store the settings name (chDB in the data folder by default), on its configured
 * database or the one `--database` names. A database that already holds sales is refused unless
 * `--replace`, which drops and re-creates it.
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
import { writeGenerated } from '../generator/write.ts';
import { startProgress } from './progress.ts';

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
}

function optionsFrom(flags: GenerateFlags): { options: GeneratorOptions; database?: string } {
  const options: GeneratorOptions = {
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
      'Generate a seeded, reproducible data set (stores, SKUs, staff, customers, sales, returns, loyalty) straight into ClickHouse',
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
    .action(async (flags: GenerateFlags) => {
      let parsed: ReturnType<typeof optionsFrom>;
      try {
        parsed = optionsFrom(flags);
      } catch (err) {
        if (err instanceof OptionError) return fail(err.message);
        throw err;
      }
      const settings = settingsOrExit();
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
        const progress = log ? startProgress(() => ({ ...figures })) : undefined;
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
