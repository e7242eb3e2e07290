/**
 * `clientele analytics <question> [options]`: the analytics questions (engine/analytics/questions)
 * as commands, printed as an aligned table, CSV or JSON. The command reads the analytics store
 * itself rather than asking a running Clientele: with chDB only one process may hold its folder,
 * so it is for when the stack is stopped (or any time with the `http` backend); a running stack
 * answers the same questions at the dashboard's `/api/analytics/<question>`.
 *
 * A mistake in an option names the option and exits with code 2; a store that cannot be read
 * exits with code 1.
 */
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { Settings } from '../../config/settings.ts';
import { createAnalyticsStore } from '../analytics/open-store.ts';
import { FORMATS, type Format, formatAnswer } from '../analytics/questions/format.ts';
import type { AnyQuestion } from '../analytics/questions/question.ts';
import {
  AS_OF,
  askQuestion,
  paramsOf,
  QUESTIONS,
  type RawParams,
} from '../analytics/questions/registry.ts';
import type { AnalyticsStore } from '../analytics/store.ts';
import { ClienteleError } from '../domain/error-codes.ts';

const where = (settings: Settings) =>
  settings.clickhouse.backend === 'chdb'
    ? `chDB in ${resolve(settings.dataDir, 'chdb')}`
    : settings.clickhouse.url;

export async function openOrExit(settings: Settings): Promise<AnalyticsStore> {
  try {
    return await createAnalyticsStore(settings);
  } catch (err) {
    const hint =
      settings.clickhouse.backend === 'chdb'
        ? ' (chDB lets one process hold its folder: stop Clientele first, or ask the dashboard at /api/analytics/…)'
        : '';
    process.stderr.write(
      `clientele: cannot open the analytics store (${where(settings)}): ${(err as Error).message}${hint}\n`,
    );
    process.exit(1);
  }
}

/** Tables the questions read that an unmigrated or empty store lacks. */
const missingTables = (message: string) => /UNKNOWN_TABLE|UNKNOWN_DATABASE/.test(message);

/** A read of the store that failed, told so the user can act on it (exit code 1). */
export function storeReadFailed(settings: Settings, what: string, err: unknown): void {
  const message = (err as Error).message;
  process.stderr.write(
    missingTables(message)
      ? `clientele: the analytics tables are missing in ${where(settings)}: start Clientele (or its sink) once to create them\n`
      : `clientele: ${what} failed: ${message}\n`,
  );
  process.exitCode = 1;
}

async function run(
  settings: Settings,
  question: AnyQuestion,
  options: Record<string, unknown>,
): Promise<void> {
  const { format, asOf, ...rest } = options as { format: Format; asOf?: string } & RawParams;
  const store = await openOrExit(settings);
  try {
    const asked = await askQuestion(
      store,
      { question: question.name, params: rest, asOf },
      new Date(),
      [question],
    );
    process.stdout.write(
      formatAnswer(asked.answer, format, {
        question: asked.question,
        asOf: asked.asOf,
        params: asked.params,
      }),
    );
  } catch (err) {
    if (err instanceof ClienteleError && err.code === 'invalid_request') {
      process.stderr.write(
        `clientele: ${err.issues.map((i) => `--${i.field}: ${i.message}`).join('; ')}\n`,
      );
      process.exitCode = 2;
      return;
    }
    storeReadFailed(settings, question.name, err);
  } finally {
    await store.close();
  }
}

export function addAnalyticsCommands(
  program: Command,
  settings: () => Settings,
  questions: readonly AnyQuestion[] = QUESTIONS,
) {
  const analytics = program
    .command('analytics')
    .description(
      'Ask the analytics questions (reads the analytics store directly: with chDB, only while Clientele is stopped; always with the http backend)',
    );

  analytics
    .command('list')
    .description('List the questions and their options')
    .addOption(
      new Option('--format <format>', 'output').choices(['table', 'json']).default('table'),
    )
    .action((opts: { format: 'table' | 'json' }) => {
      if (opts.format === 'json') {
        const list = questions.map((q) => ({
          name: q.name,
          summary: q.summary,
          params: paramsOf(q).map(({ key: _key, ...p }) => p),
        }));
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      const width = Math.max(...questions.map((q) => q.name.length));
      for (const q of questions) {
        process.stdout.write(`${q.name.padEnd(width)}  ${q.summary}\n`);
        const params = paramsOf(q);
        if (params.length > 0) {
          const spelled = params.map((p) => (p.flag ? `--${p.name}` : `--${p.name} <value>`));
          process.stdout.write(`${' '.repeat(width)}  options: ${spelled.join(' ')}\n`);
        }
      }
    });

  for (const question of questions) {
    const command = analytics
      .command(question.name)
      .description(question.summary)
      .addOption(
        new Option('--format <format>', 'output: an aligned table, CSV or JSON')
          .choices(FORMATS)
          .default('table'),
      )
      .addOption(
        new Option(
          `--${AS_OF} <time>`,
          'the moment asked about, an ISO 8601 date or instant (now)',
        ),
      );
    for (const p of paramsOf(question)) {
      const option = p.flag
        ? new Option(`--${p.name}`, p.description)
        : new Option(`--${p.name} <value>`, p.description);
      if (p.choices) option.choices(p.choices);
      command.addOption(option);
    }
    command.action(async (opts: Record<string, unknown>) => {
      await run(settings(), question, opts);
    });
  }
}
