// The segments page: a condition in the segment language counted while it is typed (from the
// stored events, as of now), saved as a group that is measured every day; the saved groups and
// the program's live segments with their sizes over time; and the export of who is in one (for
// those allowed to export, written to the audit log by the server).

import { grouped } from '/shared/money.js';
import { ApiError, ask, deleteJson, postJson } from './api.js';
import { chartPanel } from './chart-panel.js';
import { h, startShell } from './shell.js';

const $ = (id) => document.getElementById(id);
const session = await startShell();
const mayExport = session.permissions.includes('segments.export');
const TYPING_PAUSE_MS = 350;

/** The latest count asked wins: an older answer arriving late is dropped. */
let asked = 0;
async function count() {
  const when = $('when').value.trim();
  const mine = ++asked;
  if (when === '') {
    $('count').textContent = 'Type a condition to count who meets it now.';
    $('count').dataset.state = 'idle';
    return;
  }
  $('count').dataset.state = 'counting';
  try {
    const answer = await ask('segment', { when, limit: 0 });
    if (mine !== asked) return;
    $('count').textContent = `${grouped(answer.summary.customers)} customers meet it now.`;
    $('count').dataset.state = 'counted';
  } catch (err) {
    if (mine !== asked) return;
    const issues = err instanceof ApiError ? err.issues.map((i) => i.message) : [err.message];
    $('count').textContent = issues.join('; ');
    $('count').dataset.state = 'refused';
  }
}

let typing;
$('when').addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(() => void count(), TYPING_PAUSE_MS);
});

$('define').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('problem').hidden = true;
  try {
    const name = $('group-name').value.trim();
    const saved = await postJson('/api/groups', {
      id: $('group-id').value.trim(),
      when: $('when').value.trim(),
      ...(name ? { name } : {}),
    });
    await loadGroups();
    await showGroup(saved.group.id);
  } catch (err) {
    $('problem').textContent = `Not saved: ${err.message}`;
    $('problem').hidden = false;
  }
});

/** A link that downloads a question's answer as CSV (the server checks the export right). */
const csvLink = (question, params, label) =>
  h(
    'a',
    {
      className: 'button',
      href: `/api/analytics/${question}?${new URLSearchParams({ ...params, format: 'csv' })}`,
      download: `${params.group ?? params.segment}.csv`,
    },
    label,
  );

async function loadGroups() {
  const answer = await ask('groups');
  const body = $('groups').tBodies[0];
  if (answer.rows.length === 0) {
    body.replaceChildren(
      h('tr', { className: 'empty' }, h('td', { colSpan: 5 }, 'No saved group yet')),
    );
    return;
  }
  body.replaceChildren(
    ...answer.rows.map((g) => {
      const open = h('button', { type: 'button', className: 'link' }, g.name);
      open.addEventListener('click', () => void showGroup(g.group));
      return h(
        'tr',
        { dataset: { group: g.group } },
        h('td', {}, open),
        h('td', {}, h('code', {}, g.when)),
        h('td', { className: 'num' }, grouped(g.members_when_saved)),
        h('td', { className: 'num' }, g.latest_size === null ? '–' : grouped(g.latest_size)),
        h('td', {}, g.saved_by),
      );
    }),
  );
}

async function loadLive() {
  const body = $('live').tBodies[0];
  if (session.segments.length === 0) {
    body.replaceChildren(
      h('tr', { className: 'empty' }, h('td', { colSpan: 4 }, 'The program has no live segment')),
    );
    return;
  }
  const sizes = await Promise.all(
    session.segments.map((s) => ask('segment-sizes', { segment: s.id, days: 30 })),
  );
  body.replaceChildren(
    ...session.segments.map((s, i) => {
      const rows = sizes[i].rows;
      const sum = (key) => rows.reduce((n, r) => n + r[key], 0);
      return h(
        'tr',
        { dataset: { segment: s.id } },
        h(
          'td',
          {},
          s.name,
          ...(mayExport
            ? [' ', csvLink('segment-members', { segment: s.id, limit: 100000 }, 'Export')]
            : []),
        ),
        h('td', { className: 'num' }, grouped(rows.at(-1)?.size ?? 0)),
        h('td', { className: 'num' }, grouped(sum('entered'))),
        h('td', { className: 'num' }, grouped(sum('exited'))),
      );
    }),
  );
}

let sizeChart;
async function showGroup(id) {
  const [sizes, groups] = await Promise.all([
    ask('group-sizes', { group: id, days: 90 }),
    ask('groups'),
  ]);
  const group = groups.rows.find((g) => g.group === id);
  sizeChart ??= chartPanel({
    name: 'group-sizes',
    title: 'Size over time',
    type: 'line',
    axis: 'day',
    series: [{ key: 'members', label: 'Members', kind: 'count' }],
  });
  sizeChart.update({
    x: sizes.rows.map((r) => r.at.slice(0, 10)),
    rows: sizes.rows,
    currency: session.currency,
    caption: `${group?.name ?? id}: members at the end of each day before it was saved, when saved, and at each daily measure since`,
  });
  const tools = h(
    'div',
    { className: 'tools', id: 'group-tools' },
    h('strong', {}, group?.name ?? id),
  );
  if (mayExport)
    tools.append(csvLink('group-members', { group: id, limit: 100000 }, 'Export members (CSV)'));
  const remove = h('button', { type: 'button' }, 'Remove group');
  remove.addEventListener('click', async () => {
    await deleteJson(`/api/groups/${encodeURIComponent(id)}`);
    $('group-detail').replaceChildren();
    await loadGroups();
  });
  tools.append(remove);
  $('group-detail').replaceChildren(tools, sizeChart.element);
  sizeChart.element.dataset.group = id;
}

try {
  await Promise.all([loadGroups(), loadLive()]);
  document.body.dataset.loaded = 'true';
} catch (err) {
  $('problem').textContent = `The segments could not be loaded: ${err.message}`;
  $('problem').hidden = false;
}
