/**
 * The segment language: a condition written as a marketer would say it, compiled to the
 * condition data of conditions.ts.
 *
 *   recency_days > 90 and tier in [gold, platinum]
 *   spend_minor(90) >= 50000 and not (coffee in categories(30))
 *   visits(365) >= 12 or tags has vip
 *
 * Comparisons `<  <=  >  >=  ==  !=`; `in [a, b]` (one of); `has` (a set of words holds a word; `x
 * in set` says the same); `and`, `or`, `not`, parentheses. A windowed measure names its days in
 * brackets. Words may be bare (`gold`) or quoted (`"home & garden"`). Parsing is jsep's (a small,
 * well-kept expression parser) with JavaScript's operators taken out and these put in; what it
 * parses is then checked against the catalog of measures, every mistake named.
 */
import jsep, { type Expression } from 'jsep';
import {
  COMPARISONS,
  type Comparison,
  type Condition,
  MAX_WINDOW_DAYS,
  MEASURES,
  type Measure,
  type MeasureName,
} from '../domain/segments/conditions.ts';

for (const op of [
  '||',
  '&&',
  '|',
  '^',
  '&',
  '===',
  '!==',
  '<<',
  '>>',
  '>>>',
  '+',
  '-',
  '*',
  '/',
  '%',
]) {
  jsep.removeBinaryOp(op);
}
for (const op of ['-', '!', '~', '+']) jsep.removeUnaryOp(op);
jsep.addBinaryOp('or', 1);
jsep.addBinaryOp('and', 2);
jsep.addBinaryOp('in', 7);
jsep.addBinaryOp('has', 7);
jsep.addUnaryOp('not');

export class SegmentExpressionError extends Error {
  override name = 'SegmentExpressionError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** Compiles a condition; throws `SegmentExpressionError` listing every mistake found. */
export function parseCondition(text: string): Condition {
  let tree: Expression;
  try {
    tree = jsep(text);
  } catch (err) {
    const { message, index } = err as Error & { index?: number };
    const at = index === undefined ? '' : ` (at character ${index + 1})`;
    throw new SegmentExpressionError([`${message.replace(/ at character \d+$/, '')}${at}`]);
  }
  const problems: string[] = [];
  const compiled = compile(tree, problems);
  if (problems.length > 0 || compiled === undefined) throw new SegmentExpressionError(problems);
  return compiled;
}

const known = Object.keys(MEASURES).join(', ');

function compile(node: Expression, problems: string[]): Condition | undefined {
  if (node.type === 'UnaryExpression' && node.operator === 'not') {
    const inner = compile(node.argument as Expression, problems);
    return inner && { not: inner };
  }
  if (node.type !== 'BinaryExpression') {
    problems.push(`"${show(node)}" is not a condition: compare a measure (${known})`);
    return undefined;
  }
  const op = node.operator as string;
  const left = node.left as Expression;
  const right = node.right as Expression;
  if (op === 'and' || op === 'or') {
    const parts = [left, right].map((n) => compile(n, problems));
    if (parts.some((p) => p === undefined)) return undefined;
    const key = op === 'and' ? 'all' : 'any';
    // a and b and c: one list, not nested pairs.
    const flat = (parts as Condition[]).flatMap((p) =>
      key in p ? (p as Record<string, Condition[]>)[key] : [p],
    ) as Condition[];
    return key === 'all' ? { all: flat } : { any: flat };
  }
  if (op === 'has' || (op === 'in' && right.type !== 'ArrayExpression')) {
    // `tags has vip`, or `vip in tags`: a set of words holds a word.
    const [setNode, wordNode] = op === 'has' ? [left, right] : [right, left];
    const of = measureOf(setNode, problems);
    const word = wordOf(wordNode, problems);
    if (!of || word === undefined) return undefined;
    if (MEASURES[of.measure].type !== 'words') {
      problems.push(
        `${of.measure} is a ${MEASURES[of.measure].type}, not a set: use == or in [...]`,
      );
      return undefined;
    }
    return { of, has: String(word) };
  }
  if (op === 'in') {
    const of = measureOf(left, problems);
    const values = (right.elements as Expression[]).map((e) => wordOf(e, problems));
    if (!of || values.some((v) => v === undefined)) return undefined;
    if (values.length === 0) {
      problems.push(`${of.measure} in []: name at least one value`);
      return undefined;
    }
    if (!checkValues(of, values as (number | string)[], problems)) return undefined;
    return { of, oneOf: values as (number | string)[] };
  }
  if ((COMPARISONS as readonly string[]).includes(op)) {
    const of = measureOf(left, problems);
    const value = wordOf(right, problems);
    if (!of || value === undefined) return undefined;
    if (!checkValues(of, [value], problems)) return undefined;
    const type = MEASURES[of.measure].type;
    if (type === 'word' && op !== '==' && op !== '!=') {
      problems.push(`${of.measure} is a word: compare it with == or != (or use in [...])`);
      return undefined;
    }
    return { of, compare: op as Comparison, value };
  }
  problems.push(`"${op}" is not an operator of the segment language`);
  return undefined;
}

/** A measure named on the left: `tier`, or a windowed one with its days, `spend_minor(90)`. */
function measureOf(node: Expression, problems: string[]): Measure | undefined {
  const call = node.type === 'CallExpression';
  const nameNode = (call ? node.callee : node) as Expression;
  if (nameNode.type !== 'Identifier') {
    problems.push(`"${show(node)}" is not a measure: one of ${known}`);
    return undefined;
  }
  const name = nameNode.name as string;
  if (!(name in MEASURES)) {
    problems.push(`unknown measure "${name}": one of ${known}`);
    return undefined;
  }
  const measure = name as MeasureName;
  const { windowed } = MEASURES[measure];
  if (!call) {
    if (windowed) problems.push(`${measure} needs its window in days, as ${measure}(90)`);
    return windowed ? undefined : { measure };
  }
  const args = node.arguments as Expression[];
  if (!windowed) {
    problems.push(`${measure} takes no days: write it without brackets`);
    return undefined;
  }
  const days = args.length === 1 && args[0]?.type === 'Literal' ? args[0].value : undefined;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_WINDOW_DAYS) {
    problems.push(`${measure}(…) takes one whole number of days, 1 to ${MAX_WINDOW_DAYS}`);
    return undefined;
  }
  return { measure, days };
}

/** A value on the right: a number, a quoted word, or a bare one (`gold`). */
function wordOf(node: Expression, problems: string[]): number | string | undefined {
  if (node.type === 'Identifier') return node.name as string;
  if (
    node.type === 'Literal' &&
    (typeof node.value === 'number' || typeof node.value === 'string')
  ) {
    return node.value;
  }
  problems.push(`"${show(node)}" is not a value: a number or a word`);
  return undefined;
}

function checkValues(of: Measure, values: (number | string)[], problems: string[]): boolean {
  const type = MEASURES[of.measure].type;
  if (type === 'words') {
    problems.push(`${of.measure} is a set of words: ask whether it has one (${of.measure} has x)`);
    return false;
  }
  const wanted = type === 'number' ? 'number' : 'string';
  const wrong = values.find((v) => typeof v !== wanted);
  if (wrong !== undefined) {
    problems.push(
      `${of.measure} is a ${type}: ${JSON.stringify(wrong)} is not ${type === 'number' ? 'a number' : 'a word'}`,
    );
    return false;
  }
  return true;
}

/** An expression as written, near enough for a message. */
function show(node: Expression): string {
  switch (node.type) {
    case 'Identifier':
      return String(node.name);
    case 'Literal':
      return String(node.raw ?? node.value);
    case 'CallExpression':
      return `${show(node.callee as Expression)}(${(node.arguments as Expression[]).map(show).join(', ')})`;
    case 'ArrayExpression':
      return `[${(node.elements as Expression[]).map(show).join(', ')}]`;
    case 'BinaryExpression':
      return `${show(node.left as Expression)} ${node.operator} ${show(node.right as Expression)}`;
    case 'UnaryExpression':
      return `${node.operator} ${show(node.argument as Expression)}`;
    default:
      return node.type;
  }
}
