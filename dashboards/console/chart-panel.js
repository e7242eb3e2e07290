// The console's charts: Apache ECharts, each in a panel with export of the chart as PNG and of
// its figures as CSV (exactly the figures drawn). A series chart (rows over days, months or
// categories) switches between bars and lines and, over time, carries the signed-in person's own
// marks (kept on the server); a heatmap draws a matrix such as cohort retention.

import { decimal, grouped, money, percent } from '/shared/money.js';
import { deleteJson, getJson, postJson } from './api.js';
import { h } from './shell.js';

/** A CSV cell: quoted when it holds a comma, a quote or a line break. */
const cell = (value) => {
  const text = String(value ?? '');
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

function download(name, href) {
  const link = h('a', { href, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
}

function downloadCsv(name, lines) {
  const text = lines.map((line) => line.map(cell).join(',')).join('\r\n');
  const url = URL.createObjectURL(new Blob([`${text}\r\n`], { type: 'text/csv' }));
  download(`${name}.csv`, url);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A value as the chart's tooltip and axis show it. */
function shown(kind, value, currency) {
  if (value === null || value === undefined) return '–';
  if (kind === 'money') return money(value, currency);
  if (kind === 'ratio') return percent(value);
  return grouped(value);
}

/** A value as the CSV holds it: money in decimal, a ratio as a plain number. */
const exported = (kind, value, currency) =>
  kind === 'money' ? decimal(value ?? 0, currency) : (value ?? '');

/** The panel's frame: heading, tools, chart area, caption; PNG export. */
function frame(name, title, tools) {
  const heading = h('h2', { id: `${name}-title` }, title);
  const pngButton = h('button', { type: 'button', dataset: { action: 'png' } }, 'PNG');
  const csvButton = h('button', { type: 'button', dataset: { action: 'csv' } }, 'CSV');
  const canvas = h('div', { className: 'chart', role: 'img', 'aria-label': title });
  const caption = h('p', { className: 'muted', dataset: { role: 'caption' } });
  const panel = h(
    'section',
    { className: 'panel', id: `chart-${name}`, 'aria-labelledby': heading.id },
    h(
      'div',
      { className: 'panel-head' },
      heading,
      h('div', { className: 'tools' }, ...tools, pngButton, csvButton),
    ),
  );
  const chart = window.echarts.init(canvas, null, { renderer: 'canvas' });
  new ResizeObserver(() => chart.resize()).observe(canvas);
  pngButton.addEventListener('click', () => {
    download(
      `${name}.png`,
      chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' }),
    );
  });
  return { panel, canvas, caption, chart, csvButton };
}

/**
 * `spec`: `{ name, title, series: [{ key, label, kind: 'count' | 'money' | 'ratio' }], axis,
 * marks }`: `axis` names the first CSV column ('period' by default); `marks: false` for a chart
 * not over time. `update(table)` draws `{ x: [labels], rows: [{ [series.key]: number }],
 * currency, caption }`.
 */
export function chartPanel(spec) {
  const { name, title, series } = spec;
  const markable = spec.marks !== false;
  let type = spec.type ?? 'bar';
  let table = { x: [], rows: [], currency: 'EUR', caption: '' };
  let marks = [];

  const typeButtons = ['bar', 'line'].map((t) =>
    h(
      'button',
      { type: 'button', dataset: { chartType: t }, 'aria-pressed': String(t === type) },
      t === 'bar' ? 'Bars' : 'Lines',
    ),
  );
  const markButton = h('button', { type: 'button', dataset: { action: 'mark' } }, 'Add mark');
  const tools = [
    h(
      'fieldset',
      { className: 'segmented' },
      h('legend', { className: 'visually-hidden' }, `${title}: chart type`),
      ...typeButtons,
    ),
    ...(markable ? [markButton] : []),
  ];
  const { panel, canvas, caption, chart, csvButton } = frame(name, title, tools);

  const dayInput = h('input', { type: 'date', id: `${name}-mark-day`, required: true });
  const labelInput = h('input', { id: `${name}-mark-label`, maxLength: 80, required: true });
  const markProblem = h('p', { className: 'error', role: 'alert', hidden: true });
  const markForm = h(
    'form',
    { className: 'mark-form', hidden: true, 'aria-label': `Add a mark to ${title}` },
    h('div', {}, h('label', { htmlFor: dayInput.id }, 'Day'), dayInput),
    h('div', {}, h('label', { htmlFor: labelInput.id }, 'Mark'), labelInput),
    h('button', { type: 'submit', className: 'primary' }, 'Save mark'),
    h('button', { type: 'button', dataset: { action: 'cancel' } }, 'Cancel'),
    markProblem,
  );
  const markList = h('ul', { className: 'mark-list', 'aria-label': `Marks on ${title}` });
  panel.append(...(markable ? [markForm] : []), canvas, caption, ...(markable ? [markList] : []));

  function draw() {
    const onAxis = (m) =>
      table.x.includes(m.day)
        ? m.day
        : table.x.includes(m.day.slice(0, 7))
          ? m.day.slice(0, 7)
          : undefined;
    const visible = marks.filter((m) => onAxis(m) !== undefined);
    // Categories (tiers, segments) are all named, slanted when many; days and months thin out.
    const slanted = !markable && table.x.length > 5;
    chart.setOption(
      {
        animation: false,
        grid: { left: 64, right: 24, top: 52, bottom: slanted ? 64 : 28 },
        legend: { top: 0 },
        tooltip: {
          trigger: 'axis',
          formatter: (items) =>
            [
              items[0]?.axisValueLabel ?? '',
              ...items.map(
                (i) =>
                  `${i.marker}${i.seriesName}: ${shown(series[i.seriesIndex].kind, i.value, table.currency)}`,
              ),
            ].join('<br>'),
        },
        xAxis: {
          type: 'category',
          data: table.x,
          axisLabel: slanted ? { interval: 0, rotate: 30 } : {},
        },
        yAxis: {
          type: 'value',
          // Whole units at least, so an empty chart reads 0 … 1, not 0 five times.
          minInterval: series[0].kind === 'money' ? 100 : series[0].kind === 'ratio' ? 0.01 : 1,
          axisLabel: {
            formatter: (v) =>
              series[0].kind === 'money'
                ? grouped(Math.round(v / 100))
                : series[0].kind === 'ratio'
                  ? percent(v)
                  : grouped(v),
          },
        },
        series: series.map((s, i) => ({
          name: s.label,
          type,
          data: table.rows.map((r) => r[s.key] ?? 0),
          ...(i === 0 && markable
            ? {
                markLine: {
                  symbol: 'none',
                  silent: true,
                  lineStyle: { color: '#92400e', type: 'dashed' },
                  label: { formatter: (p) => p.name, position: 'end', color: '#92400e' },
                  // A label right of its line, or left of it in the right half, so it stays inside.
                  data: visible.map((m) => {
                    const at = onAxis(m);
                    const right = table.x.indexOf(at) > table.x.length / 2;
                    return { name: m.label, xAxis: at, label: { align: right ? 'right' : 'left' } };
                  }),
                },
              }
            : {}),
        })),
      },
      { notMerge: true },
    );
    caption.textContent = table.caption;
    markList.replaceChildren(
      ...marks.map((m) => {
        const remove = h('button', { type: 'button', 'aria-label': `Remove mark ${m.label}` }, '×');
        remove.addEventListener('click', async () => {
          await deleteJson(`/api/marks/${encodeURIComponent(m.markId)}`);
          marks = marks.filter((k) => k.markId !== m.markId);
          draw();
        });
        return h(
          'li',
          { dataset: { markId: m.markId } },
          h('span', {}, `${m.day} · ${m.label}`),
          remove,
        );
      }),
    );
    panel.dataset.type = type;
    panel.dataset.points = String(table.rows.length);
  }

  for (const button of typeButtons) {
    button.addEventListener('click', () => {
      type = button.dataset.chartType;
      for (const b of typeButtons) b.setAttribute('aria-pressed', String(b === button));
      draw();
    });
  }
  markButton.addEventListener('click', () => {
    markForm.hidden = false;
    dayInput.value ||= table.x.at(-1)?.length === 10 ? table.x.at(-1) : '';
    labelInput.focus();
  });
  markForm.querySelector('[data-action="cancel"]').addEventListener('click', () => {
    markForm.hidden = true;
  });
  markForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    markProblem.hidden = true;
    try {
      const { mark } = await postJson('/api/marks', {
        chart: name,
        day: dayInput.value,
        label: labelInput.value,
      });
      marks = [...marks, mark];
      markForm.hidden = true;
      labelInput.value = '';
      draw();
    } catch (err) {
      markProblem.textContent = err.message;
      markProblem.hidden = false;
    }
  });
  csvButton.addEventListener('click', () => {
    downloadCsv(name, [
      [spec.axis ?? 'period', ...series.map((s) => s.key)],
      ...table.rows.map((row, i) => [
        table.x[i],
        ...series.map((s) => exported(s.kind, row[s.key], table.currency)),
      ]),
    ]);
  });

  if (markable) {
    getJson(`/api/marks?chart=${encodeURIComponent(name)}`)
      .then((answer) => {
        marks = answer.marks;
        draw();
      })
      .catch(() => undefined);
  }

  return {
    element: panel,
    update(next) {
      table = next;
      draw();
    },
  };
}

/**
 * A matrix: `update({ x: [column labels], y: [row labels], cells: [[xIndex, yIndex, value]],
 * kind, caption })`, e.g. cohorts (rows) by month after acquisition (columns).
 */
export function heatmapPanel(spec) {
  const { name, title } = spec;
  let table = { x: [], y: [], cells: [], kind: 'ratio', caption: '' };
  const { panel, canvas, caption, chart, csvButton } = frame(name, title, []);
  canvas.classList.add('tall');
  panel.append(canvas, caption);

  function draw() {
    const values = table.cells.map((c) => c[2]).filter((v) => v !== null);
    chart.setOption(
      {
        animation: false,
        grid: { left: 84, right: 16, top: 12, bottom: 64 },
        tooltip: {
          formatter: (p) =>
            `${table.y[p.value[1]]} · ${table.x[p.value[0]]}: ${shown(table.kind, p.value[2], 'EUR')}`,
        },
        xAxis: { type: 'category', data: table.x, splitArea: { show: true } },
        yAxis: { type: 'category', data: table.y, splitArea: { show: true } },
        visualMap: {
          min: 0,
          max: Math.max(0.0001, ...values),
          calculable: false,
          orient: 'horizontal',
          left: 'center',
          bottom: 0,
          itemHeight: 120,
          formatter: (v) => shown(table.kind, v, 'EUR'),
          inRange: { color: ['#eef2ff', '#1d4ed8'] },
        },
        series: [
          {
            type: 'heatmap',
            data: table.cells.filter((c) => c[2] !== null),
            // Values in the cells only while they fit; the tooltip always has them.
            label: {
              show: table.x.length <= 6,
              formatter: (p) => shown(table.kind, p.value[2], 'EUR'),
            },
          },
        ],
      },
      { notMerge: true },
    );
    caption.textContent = table.caption;
    panel.dataset.points = String(table.cells.length);
  }

  csvButton.addEventListener('click', () => {
    const at = new Map(table.cells.map(([x, y, v]) => [`${x}|${y}`, v]));
    downloadCsv(name, [
      [spec.axis ?? 'row', ...table.x],
      ...table.y.map((label, yi) => [
        label,
        ...table.x.map((_, xi) => at.get(`${xi}|${yi}`) ?? ''),
      ]),
    ]);
  });

  return {
    element: panel,
    update(next) {
      table = next;
      draw();
    },
  };
}
