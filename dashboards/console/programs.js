// The program calendar: the published versions and their earn rules on a timeline (ECharts,
// a bar per rule per version from its first to its last day), promotions that overlap listed
// with their shared days, the rules in force today, bonuses and lifecycle rules.
import { getJson } from './api.js';
import { addDays, inForce, overlaps, ruleSpans, versionSpans } from './calendar.js';
import { h, startShell } from './shell.js';
import { programWhatIf } from './what-if.js';

const $ = (id) => document.getElementById(id);
const session = await startShell();
const today = new Date().toISOString().slice(0, 10);

function timeline(rows, view) {
  const heading = h('h2', { id: 'calendar-title' }, 'Timeline');
  const canvas = h('div', {
    className: 'chart tall',
    role: 'img',
    'aria-label': 'Program versions and earn rules over time',
  });
  const png = h('button', { type: 'button' }, 'PNG');
  const panel = h(
    'section',
    { className: 'panel wide', id: 'chart-calendar', 'aria-labelledby': heading.id },
    h('div', { className: 'panel-head' }, heading, h('div', { className: 'tools' }, png)),
    canvas,
    h(
      'p',
      { className: 'muted' },
      'Bars: each version, then each earn rule in the versions that hold it; promotions (rules with dates) in amber; the dashed line is today. An open end runs to the right edge.',
    ),
  );
  $('calendar-row').append(panel);
  const chart = window.echarts.init(canvas, null, { renderer: 'canvas' });
  new ResizeObserver(() => chart.resize()).observe(canvas);
  png.addEventListener('click', () => {
    const link = h('a', {
      href: chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' }),
      download: 'calendar.png',
      hidden: true,
    });
    document.body.append(link);
    link.click();
    link.remove();
  });
  const ms = (day) => Date.parse(`${day}T00:00:00Z`);
  chart.setOption({
    animation: false,
    grid: { left: 220, right: 24, top: 16, bottom: 32 },
    tooltip: {
      formatter: (p) => `${rows[p.value[0]].label}<br>${p.value[3]} – ${p.value[4] ?? 'open'}`,
    },
    xAxis: { type: 'time', min: ms(view.from), max: ms(view.until) },
    yAxis: {
      type: 'category',
      data: rows.map((r) => r.label),
      inverse: true,
      axisLabel: { width: 200, overflow: 'truncate' },
    },
    series: [
      {
        type: 'custom',
        renderItem: (_params, api) => {
          const row = api.value(0);
          const start = api.coord([api.value(1), row]);
          const end = api.coord([api.value(2), row]);
          const height = api.size([0, 1])[1] * 0.6;
          const kind = rows[row].kind;
          return {
            type: 'rect',
            shape: {
              x: start[0],
              y: start[1] - height / 2,
              width: Math.max(3, end[0] - start[0]),
              height,
            },
            style: {
              fill: kind === 'version' ? '#1d4ed8' : kind === 'promotion' ? '#d97706' : '#93a9e8',
            },
          };
        },
        encode: { x: [1, 2], y: 0 },
        data: rows.map((r, i) => [
          i,
          ms(r.from),
          ms(r.until ?? view.until) + 86_400_000 - 1,
          r.from,
          r.until,
        ]),
        markLine: {
          symbol: 'none',
          silent: true,
          lineStyle: { color: '#b91c1c', type: 'dashed' },
          data: [{ xAxis: ms(today) }],
          label: { formatter: 'today', position: 'start' },
        },
      },
    ],
  });
  panel.dataset.rows = String(rows.length);
}

function describeRule(rule) {
  const when = [];
  if (rule.dated) when.push(`${rule.window.from ?? 'before'} – ${rule.window.until ?? 'open'}`);
  if (rule.days) when.push(rule.days.join(', '));
  return when.join(' · ') || 'always';
}

function describeLifecycle(rule) {
  const words = {
    lapsed: () => `no visit for ${rule.afterDays} days`,
    returned: () => `back after ${rule.afterDays} days away`,
    replenishment: () =>
      `${(rule.skus ?? rule.categories).join(', ')} due (cycle ${rule.cycleDays} days)`,
    visits: () => `the ${rule.count}th visit`,
    'lifetime-spend': () => `lifetime spend reaches ${rule.thresholdMinor} minor units`,
  };
  return (words[rule.on] ?? (() => rule.on))();
}

try {
  const { versions } = await getJson('/api/programs');
  if (versions.length === 0) {
    $('problem').textContent = 'No program is published: customers earn at the base rate.';
    $('problem').hidden = false;
  } else {
    const spans = versionSpans(versions);
    const rules = ruleSpans(spans);
    const latest = spans.at(-1).program;
    $('program-name').textContent =
      `${latest.name} · ${versions.length} version${versions.length === 1 ? '' : 's'}`;
    const ends = rules
      .map((r) => r.until)
      .filter(Boolean)
      .sort();
    // The last three months, and nine ahead (or to a fortnight past the last promotion's end).
    const view = {
      from: addDays(today, -90),
      until: [addDays(today, 270), ...ends.map((end) => addDays(end, 14))].sort().at(-1),
    };
    const rows = [
      ...spans.map((s) => ({
        label: `version ${s.version}`,
        kind: 'version',
        from: s.from,
        until: s.until,
      })),
      ...rules.map((r) => ({
        label: `${r.name} (${r.version})`,
        kind: r.dated ? 'promotion' : 'rule',
        from: r.from,
        until: r.until,
      })),
    ];
    timeline(rows, view);
    const pairs = overlaps(rules);
    $('overlaps').replaceChildren(
      ...(pairs.length === 0
        ? [h('li', { className: 'muted' }, 'No promotions overlap.')]
        : pairs.map((p) =>
            h(
              'li',
              { dataset: { overlap: `${p.a.id}|${p.b.id}` } },
              `${p.a.name} and ${p.b.name}: ${p.from} – ${p.until ?? 'open'}`,
            ),
          )),
    );
    const now = inForce(rules, today);
    const current =
      spans.find((s) => s.from <= today && (s.until === undefined || s.until >= today))?.program ??
      latest;
    $('rules').tBodies[0].replaceChildren(
      ...now.map((r) =>
        h(
          'tr',
          { dataset: { rule: r.id } },
          h('td', {}, r.name),
          h('td', {}, r.dated ? 'promotion' : 'earn rule'),
          h('td', {}, describeRule(r)),
        ),
      ),
      ...current.earn.bonuses.map((b) =>
        h(
          'tr',
          { dataset: { rule: b.id } },
          h('td', {}, b.id),
          h('td', {}, 'bonus'),
          h('td', {}, `${b.points} points on ${b.on}`),
        ),
      ),
      ...(current.lifecycle?.rules ?? []).map((l) =>
        h(
          'tr',
          { dataset: { rule: l.id } },
          h('td', {}, l.id),
          h('td', {}, `lifecycle: ${l.on}`),
          h('td', {}, describeLifecycle(l)),
        ),
      ),
    );
    $('versions').tBodies[0].replaceChildren(
      ...spans.map((s) =>
        h(
          'tr',
          { dataset: { version: s.version } },
          h('td', {}, s.version),
          h('td', {}, s.from),
          h('td', { className: 'num' }, String(s.program.earn.rules.length)),
          h('td', { className: 'num' }, String(s.program.earn.bonuses.length)),
          h('td', { className: 'num' }, String(s.program.lifecycle?.rules?.length ?? 0)),
          h('td', { className: 'num' }, String(s.program.segments?.length ?? 0)),
        ),
      ),
    );
  }
  programWhatIf($('program-what-if'), session);
  document.body.dataset.loaded = 'true';
} catch (err) {
  $('problem').textContent = `The programs could not be loaded: ${err.message}`;
  $('problem').hidden = false;
}
