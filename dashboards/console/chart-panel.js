// One chart of the console: an Apache ECharts chart of a table of figures (rows over days or
// months), with a bar/line switch, the signed-in person's own marks on it (kept on the server),
// and export of the chart as PNG and of its figures as CSV (exactly the figures drawn).
import { deleteJson, getJson, postJson } from './api.js';
import { decimal, grouped, money } from './format.js';
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

/**
 * `spec`: `{ name, title, series: [{ key, label, kind: 'count' | 'money' }], describe }`.
 * `update(table)` draws `{ x: [labels], rows: [{ [series.key]: number }], currency, caption }`.
 */
export function chartPanel(spec) {
  const { name, title, series } = spec;
  let type = spec.type ?? 'bar';
  let table = { x: [], rows: [], currency: 'EUR', caption: '' };
  let marks = [];

  const heading = h('h2', { id: `${name}-title` }, title);
  const typeButtons = ['bar', 'line'].map((t) =>
    h(
      'button',
      { type: 'button', dataset: { chartType: t }, 'aria-pressed': String(t === type) },
      t === 'bar' ? 'Bars' : 'Lines',
    ),
  );
  const markButton = h('button', { type: 'button', dataset: { action: 'mark' } }, 'Add mark');
  const pngButton = h('button', { type: 'button', dataset: { action: 'png' } }, 'PNG');
  const csvButton = h('button', { type: 'button', dataset: { action: 'csv' } }, 'CSV');
  const tools = h(
    'div',
    { className: 'tools' },
    h(
      'fieldset',
      { className: 'segmented' },
      h('legend', { className: 'visually-hidden' }, `${title}: chart type`),
      ...typeButtons,
    ),
    markButton,
    pngButton,
    csvButton,
  );
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
  const canvas = h('div', { className: 'chart', role: 'img', 'aria-label': title });
  const caption = h('p', { className: 'muted', dataset: { role: 'caption' } });
  const markList = h('ul', { className: 'mark-list', 'aria-label': `Marks on ${title}` });
  const panel = h(
    'section',
    { className: 'panel', id: `chart-${name}`, 'aria-labelledby': heading.id },
    h('div', { className: 'panel-head' }, heading, tools),
    markForm,
    canvas,
    caption,
    markList,
  );

  const chart = window.echarts.init(canvas, null, { renderer: 'canvas' });
  new ResizeObserver(() => chart.resize()).observe(canvas);

  const format = (kind, value) =>
    kind === 'money' ? money(value, table.currency) : grouped(value);

  function draw() {
    const shown = marks.filter(
      (m) => table.x.includes(m.day) || table.x.includes(m.day.slice(0, 7)),
    );
    chart.setOption(
      {
        animation: false,
        grid: { left: 64, right: 24, top: 52, bottom: 28 },
        legend: { top: 0 },
        tooltip: {
          trigger: 'axis',
          valueFormatter: undefined,
          formatter: (items) =>
            [
              items[0]?.axisValueLabel ?? '',
              ...items.map(
                (i) => `${i.marker}${i.seriesName}: ${format(series[i.seriesIndex].kind, i.value)}`,
              ),
            ].join('<br>'),
        },
        xAxis: { type: 'category', data: table.x },
        yAxis: {
          type: 'value',
          axisLabel: {
            formatter: (v) =>
              series[0].kind === 'money' ? grouped(Math.round(v / 100)) : grouped(v),
          },
        },
        series: series.map((s, i) => ({
          name: s.label,
          type,
          data: table.rows.map((r) => r[s.key] ?? 0),
          ...(i === 0
            ? {
                markLine: {
                  symbol: 'none',
                  silent: true,
                  lineStyle: { color: '#92400e', type: 'dashed' },
                  label: { formatter: (p) => p.name, position: 'end', color: '#92400e' },
                  // A label right of its line, or left of it in the right half, so it stays inside.
                  data: shown.map((m) => {
                    const at = table.x.includes(m.day) ? m.day : m.day.slice(0, 7);
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
  pngButton.addEventListener('click', () => {
    download(
      `${name}.png`,
      chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' }),
    );
  });
  csvButton.addEventListener('click', () => {
    const header = ['period', ...series.map((s) => s.key)];
    const lines = table.rows.map((row, i) => [
      table.x[i],
      ...series.map((s) =>
        s.kind === 'money' ? decimal(row[s.key] ?? 0, table.currency) : (row[s.key] ?? 0),
      ),
    ]);
    const text = [header, ...lines].map((line) => line.map(cell).join(',')).join('\r\n');
    const url = URL.createObjectURL(new Blob([`${text}\r\n`], { type: 'text/csv' }));
    download(`${name}.csv`, url);
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });

  getJson(`/api/marks?chart=${encodeURIComponent(name)}`)
    .then((answer) => {
      marks = answer.marks;
      draw();
    })
    .catch(() => undefined);

  return {
    element: panel,
    update(next) {
      table = next;
      draw();
    },
  };
}
