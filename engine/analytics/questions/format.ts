/**
 * An answer as people and programs read it: an aligned text table, CSV (RFC 4180) or JSON.
 * Money is integer minor units in the answer; here the table and CSV show it in major units
 * with `minorDigits` decimals (2 unless told), computed on the integer so nothing is rounded.
 * JSON keeps minor units (the column kind says `money`).
 */
import type { Answer, Cell, Column } from './question.ts';

export const FORMATS = ['table', 'csv', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export interface FormatOptions {
  /** Decimals of the currency's minor unit (2). */
  minorDigits?: number;
}

/** Minor units as a decimal string: 123456 → "1234.56", -5 → "-0.05". */
export function formatMoney(minor: number, minorDigits = 2): string {
  const negative = minor < 0;
  const digits = String(Math.abs(Math.trunc(minor))).padStart(minorDigits + 1, '0');
  const whole = minorDigits === 0 ? digits : digits.slice(0, -minorDigits);
  const fraction = minorDigits === 0 ? '' : `.${digits.slice(-minorDigits)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

function cellText(value: Cell, column: Column, options: FormatOptions, decimals: number): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  switch (column.kind) {
    case 'money':
      return formatMoney(value, options.minorDigits ?? 2);
    case 'ratio':
      return Number.isInteger(value) ? String(value) : value.toFixed(decimals);
    default:
      return String(value);
  }
}

const numeric = (column: Column) =>
  column.kind === 'count' || column.kind === 'money' || column.kind === 'ratio';

/** Columns padded to their widest value, numbers right-aligned; the summary above it. */
export function formatTable(answer: Answer, options: FormatOptions = {}): string {
  const lines: string[] = [];
  if (answer.summary) {
    for (const column of answer.summary.columns) {
      const value = answer.summary.values[column.name] ?? null;
      lines.push(`${column.name}: ${cellText(value, column, options, 4)}`);
    }
    lines.push('');
  }
  const cells = answer.rows.map((row) =>
    answer.columns.map((column) => cellText(row[column.name] ?? null, column, options, 4)),
  );
  const widths = answer.columns.map((column, i) =>
    Math.max(column.name.length, ...cells.map((row) => (row[i] as string).length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, i) => {
        const width = widths[i] as number;
        return numeric(answer.columns[i] as Column) ? value.padStart(width) : value.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  lines.push(line(answer.columns.map((c) => c.name)));
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) lines.push(line(row));
  if (answer.rows.length === 0) lines.push('(no rows)');
  return `${lines.join('\n')}\n`;
}

/** A field quoted when it holds a comma, a double quote or a line break (quotes doubled). */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The header and the rows, CRLF after each record (RFC 4180); the summary is not included. */
export function formatCsv(answer: Answer, options: FormatOptions = {}): string {
  const records = [
    answer.columns.map((c) => csvField(c.name)),
    ...answer.rows.map((row) =>
      answer.columns.map((column) =>
        csvField(cellText(row[column.name] ?? null, column, options, 6)),
      ),
    ),
  ];
  return records.map((fields) => `${fields.join(',')}\r\n`).join('');
}

/** What a JSON answer holds besides the table. */
export interface AnswerContext {
  question: string;
  asOf: string;
  params: Record<string, unknown>;
}

export function answerJson(answer: Answer, context: AnswerContext) {
  return {
    ...context,
    columns: answer.columns,
    rows: answer.rows,
    ...(answer.summary ? { summary: answer.summary.values } : {}),
  };
}

export function formatAnswer(
  answer: Answer,
  format: Format,
  context: AnswerContext,
  options: FormatOptions = {},
): string {
  switch (format) {
    case 'table':
      return formatTable(answer, options);
    case 'csv':
      return formatCsv(answer, options);
    case 'json':
      return `${JSON.stringify(answerJson(answer, context), null, 2)}\n`;
  }
}
