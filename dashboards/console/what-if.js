// The what-if of a candidate program, written as YAML: for one customer (their page) and, before
// publishing, for every customer (the program calendar). The server replays the stored events of
// the period under the candidate and under the versions in force; nothing is changed. A program
// with mistakes comes back with each mistake and its line.

import { grouped, money } from '/shared/money.js';
import { getJson, postJson } from './api.js';
import { h } from './shell.js';

const DAY = 86_400_000;
const POLL_MS = 1000;
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const signed = (n) => (n > 0 ? `+${grouped(n)}` : grouped(n));
const tierName = (tier) => (tier === '-' ? 'none' : tier);
const counted = (n, one, many) => `${grouped(n)} ${n === 1 ? one : many}`;

/** `… (line 7)` or `… (line 3, column 5)` at the end of a message: the line, and the rest. */
function located(issue) {
  const match = /\s*\(line (\d+)(?:, column (\d+))?\)$/.exec(issue.message);
  const field = issue.field.replace(/^program\.?/, '');
  return {
    line: match ? Number(match[1]) : undefined,
    what: [field, match ? issue.message.slice(0, match.index) : issue.message]
      .filter(Boolean)
      .join(': '),
  };
}

/**
 * Each issue of a refusal (an ApiError, or a failed job's error), a program's mistakes in the
 * order of their lines; else its message.
 */
function showProblem(box, error) {
  const issues = error?.issues ?? [];
  const items =
    issues.length > 0
      ? issues
          .map(located)
          .sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
          .map((i) =>
            h(
              'li',
              { dataset: { line: i.line ?? '' } },
              i.line === undefined ? '' : h('strong', {}, `Line ${i.line}: `),
              i.what,
            ),
          )
      : [h('li', {}, error?.message ?? 'The what-if could not be run.')];
  box.firstElementChild.replaceChildren(...items);
  box.hidden = false;
}

/** The form both panels share: the candidate's YAML, the period (the last 90 days), Run. */
function candidateForm(container, prefix, { title, hint }) {
  const id = (name) => `${prefix}-${name}`;
  const today = Date.now();
  const program = h('textarea', {
    id: id('program'),
    rows: 12,
    spellcheck: false,
    'aria-describedby': id('hint'),
  });
  const from = h('input', {
    id: id('from'),
    type: 'date',
    required: true,
    value: isoDay(today - 89 * DAY),
  });
  const to = h('input', { id: id('to'), type: 'date', required: true, value: isoDay(today) });
  const run = h('button', { type: 'submit', className: 'primary' }, 'Run');
  const form = h(
    'form',
    { className: 'what-if-form', novalidate: true },
    h(
      'div',
      { className: 'what-if-text' },
      h('label', { htmlFor: id('program') }, 'Candidate program (YAML)'),
      program,
    ),
    h(
      'div',
      { className: 'what-if-period' },
      h('div', {}, h('label', { htmlFor: id('from') }, 'From'), from),
      h('div', {}, h('label', { htmlFor: id('to') }, 'To (included)'), to),
      run,
    ),
  );
  const status = h('p', { id: id('status'), className: 'what-if-status', role: 'status' });
  const issueList = h('ul', { id: id('issues'), className: 'what-if-issue-list' });
  const issues = h('div', { className: 'what-if-issues', role: 'alert', hidden: true }, issueList);
  const result = h('div', { id: id('result'), className: 'what-if-result' });
  container.setAttribute('aria-labelledby', id('title'));
  container.hidden = false;
  container.replaceChildren(
    h('h2', { id: id('title') }, title),
    h('p', { id: id('hint'), className: 'muted' }, hint),
    form,
    status,
    issues,
    result,
  );
  return { form, program, from, to, run, status, issues, result };
}

function table(caption, head, body) {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...head.map((name, i) => h('th', { scope: 'col', className: i > 0 ? 'num' : '' }, name)),
      ),
    ),
    h('tbody', {}, ...body),
  );
}

/** A row: its name as a row header, then its cells (numbers right-aligned). */
const row = (name, cells, dataset = {}) =>
  h(
    'tr',
    { dataset },
    h('th', { scope: 'row' }, name),
    ...cells.map((cell) => h('td', { className: 'num' }, cell)),
  );

const figureOf = (report, metric) => report.figures.find((f) => f.metric === metric);

/** Points a rule gave on each side (0 where it gave none). */
function rulesBySide(report) {
  const names = [...new Set(report.rules.map((r) => r.rule))].sort();
  const of = (rule, side) => report.rules.find((r) => r.rule === rule && r.side === side);
  return names.map((rule) => ({
    rule,
    baseline: of(rule, 'baseline') ?? { points: 0, costMinor: 0 },
    candidate: of(rule, 'candidate') ?? { points: 0, costMinor: 0 },
  }));
}

const CUSTOMER_FIGURES = [
  ['points issued', 'Points earned'],
  ['points redeemed', 'Points redeemed'],
  ['points expired', 'Points expired'],
  ['points outstanding at the end', 'Balance at the end'],
];

function customerResult(report, currency) {
  const rows = CUSTOMER_FIGURES.map(([metric, label]) => {
    const f = figureOf(report, metric);
    return row(label, [grouped(f.baseline), grouped(f.candidate), signed(f.difference)], {
      metric,
    });
  });
  const worth = figureOf(report, 'liability at the end');
  rows.push(
    row(
      'What the balance is worth',
      [
        money(worth.baseline, currency),
        money(worth.candidate, currency),
        `${worth.difference > 0 ? '+' : ''}${money(worth.difference, currency)}`,
      ],
      { metric: worth.metric },
    ),
  );
  const { tier } = report;
  rows.push(
    row(
      'Tier at the end',
      [
        tierName(tier.baseline),
        tierName(tier.candidate),
        tier.baseline === tier.candidate ? 'same' : 'changes',
      ],
      { metric: 'tier' },
    ),
  );
  for (const r of rulesBySide(report)) {
    rows.push(
      row(
        `Earn rule ${r.rule}`,
        [
          grouped(r.baseline.points),
          grouped(r.candidate.points),
          signed(r.candidate.points - r.baseline.points),
        ],
        { rule: r.rule },
      ),
    );
  }
  return [
    table(
      `${report.period.from.slice(0, 10)} to ${report.period.to.slice(0, 10)}: ${counted(report.visits, 'visit', 'visits')}, next to ${report.baseline.join(', ')}`,
      ['', 'In force', 'Candidate', 'Difference'],
      rows,
    ),
    report.leftOut ? h('p', { className: 'muted' }, `Left out: ${report.leftOut}.`) : undefined,
  ];
}

/** Disables the form while `work` runs; shows what it refuses. */
async function running(ui, work) {
  ui.run.disabled = true;
  ui.issues.hidden = true;
  ui.result.replaceChildren();
  try {
    await work();
  } catch (err) {
    ui.status.textContent = '';
    showProblem(ui.issues, err);
  } finally {
    ui.run.disabled = false;
  }
}

/** The customer page's panel: this customer's period under the candidate. */
export function customerWhatIf(container, customerId, session) {
  const ui = candidateForm(container, 'customer-what-if', {
    title: 'What if…',
    hint: "Paste a candidate program (YAML, as for clientele simulate): this customer's events in the period are replayed under it and under the versions in force. Nothing is changed.",
  });
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    void running(ui, async () => {
      ui.status.textContent = 'Replaying…';
      const report = await postJson(`/api/customers/${encodeURIComponent(customerId)}/what-if`, {
        program: ui.program.value,
        from: ui.from.value,
        to: ui.to.value,
      });
      ui.result.replaceChildren(...customerResult(report, session.currency).filter(Boolean));
      ui.status.textContent = `Replayed ${grouped(report.inputs)} events and requests in the period.`;
    });
  });
}

const PROGRAM_FIGURES = [
  ['points issued', 'Points issued'],
  ['points redeemed', 'Points redeemed'],
  ['points expired', 'Points expired'],
  ['points outstanding at the end', 'Points outstanding at the end'],
  ['liability at the end', 'Liability at the end'],
  ['reward cost (points issued)', 'Reward cost of the points issued'],
];

function tierMatrix(report, side, caption) {
  const { tiers } = report.tierMigration;
  const counts = report.tierMigration[side];
  return table(
    caption,
    ['Start \\ end', ...tiers.map(tierName)],
    tiers.map((from, i) =>
      row(
        tierName(from),
        tiers.map((_, j) => grouped(counts[i]?.[j] ?? 0)),
        { tier: from },
      ),
    ),
  );
}

function programResult(report, currency) {
  const value = (n, kind) => (kind === 'money' ? money(n, currency) : grouped(n));
  const change = (n, kind) =>
    kind === 'money' ? `${n > 0 ? '+' : ''}${money(n, currency)}` : signed(n);
  const figures = PROGRAM_FIGURES.map(([metric, label]) => {
    const f = figureOf(report, metric);
    return row(
      label,
      [value(f.baseline, f.kind), value(f.candidate, f.kind), change(f.difference, f.kind)],
      { metric },
    );
  });
  figures.push(
    row('Customers affected', ['', '', grouped(report.customersAffected)], {
      metric: 'customers affected',
    }),
  );
  const rules = rulesBySide(report).map((r) =>
    row(
      r.rule,
      [
        grouped(r.baseline.points),
        grouped(r.candidate.points),
        money(r.baseline.costMinor, currency),
        money(r.candidate.costMinor, currency),
        `${r.candidate.costMinor - r.baseline.costMinor > 0 ? '+' : ''}${money(r.candidate.costMinor - r.baseline.costMinor, currency)}`,
      ],
      { rule: r.rule },
    ),
  );
  const { run } = report;
  return [
    table(
      `${report.period.from.slice(0, 10)} to ${report.period.to.slice(0, 10)}: ${counted(run.customers, 'customer', 'customers')}, ${counted(run.periodEvents, 'event', 'events')} in the period, next to ${report.baseline.join(', ')}`,
      ['', 'In force', 'Candidate', 'Difference'],
      figures,
    ),
    h(
      'div',
      { className: 'what-if-tiers' },
      tierMatrix(report, 'inForce', 'Tier at the start (rows) and at the end (columns), in force'),
      tierMatrix(
        report,
        'candidate',
        'Tier at the start (rows) and at the end (columns), under the candidate',
      ),
    ),
    table(
      'Earn rules: points given and what they cost',
      [
        'Rule',
        'Points in force',
        'Points, candidate',
        'Cost in force',
        'Cost, candidate',
        'Difference',
      ],
      rules.length > 0
        ? rules
        : [h('tr', { className: 'empty' }, h('td', { colSpan: 6 }, 'No earn rule gave points'))],
    ),
  ];
}

/** The program calendar's panel: a draft program over every customer, as a job polled each second. */
export function programWhatIf(container, session) {
  const ui = candidateForm(container, 'program-what-if', {
    title: 'What if… every customer',
    hint: 'Paste the draft program (YAML): every customer’s events in the period are replayed under it and under the versions in force, before anything is published. One run at a time.',
  });
  const bar = h('progress', { id: 'program-what-if-progress', max: 1, value: 0 });
  const count = h('span', { id: 'program-what-if-count' }, '');
  const progress = h(
    'div',
    { className: 'what-if-progress', hidden: true },
    h('label', { htmlFor: bar.id }, 'Customers replayed'),
    bar,
    count,
  );
  ui.status.before(progress);

  const show = (job) => {
    const { done, total } = job.progress;
    bar.max = Math.max(total, 1);
    bar.value = Math.min(done, bar.max);
    count.textContent = total > 0 ? `${grouped(done)} of ${grouped(total)}` : 'counting…';
  };

  async function follow(jobId) {
    for (;;) {
      const job = await getJson(`/api/programs/what-if/${encodeURIComponent(jobId)}`);
      show(job);
      if (job.state === 'done') return job.report;
      if (job.state === 'failed') throw job.error ?? new Error('The what-if failed.');
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    void running(ui, async () => {
      progress.hidden = true;
      ui.status.textContent = 'Starting…';
      const started = await postJson('/api/programs/what-if', {
        program: ui.program.value,
        from: ui.from.value,
        to: ui.to.value,
      });
      show({ progress: { done: 0, total: 0 } });
      progress.hidden = false;
      ui.status.textContent = 'Replaying every customer…';
      try {
        const report = await follow(started.jobId);
        ui.result.replaceChildren(...programResult(report, session.currency));
        ui.status.textContent = `Done in ${report.run.seconds} s.`;
      } catch (err) {
        progress.hidden = true;
        throw err;
      }
    });
  });
}
