// The marketers' console: figures over the chosen period from the stored events and ledger (so
// they survive any restart), asked again when the live socket says something arrived, and what
// is happening now (events per second, the last minute's sales) from the socket itself.
// A store manager sees their stores' sales and alerts only; the rest are figures of the whole
// program. The customer portrait (demographics, RFM, cohorts) moves slowly: it is asked again
// when the period changes and every few minutes, not on every sale.

import { count, grouped, money } from '/shared/money.js';
import { ask } from './api.js';
import { chartPanel, heatmapPanel } from './chart-panel.js';
import { h, startShell } from './shell.js';

const $ = (id) => document.getElementById(id);
const DAY = 86_400_000;
const dayOf = (time) => new Date(time).toISOString().slice(0, 10);
const PORTRAIT_EVERY_MS = 5 * 60_000;
/** Sales reach the store within a moment; a nudge waits this long before asking again. */
const SETTLE_MS = 1_500;

/** The days a period covers, ending today (UTC), and how its charts group them. */
function rangeOf(period, now = Date.now()) {
  const to = dayOf(now);
  if (period === 'year') {
    const d = new Date(now);
    const from = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 11, 1));
    return { from: dayOf(from.getTime()), to, by: 'month', days: 365 };
  }
  const days = period === 'week' ? 7 : 30;
  return { from: dayOf(now - (days - 1) * DAY), to, by: 'day', days };
}

/** Every label on the axis: each day, or each month (YYYY-MM), from `from` to `to`. */
function axisOf({ from, to, by }) {
  const labels = [];
  if (by === 'month') {
    for (let m = from.slice(0, 7); m <= to.slice(0, 7); ) {
      labels.push(m);
      const [y, mo] = m.split('-').map(Number);
      m = mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
    }
    return labels;
  }
  for (let t = Date.parse(`${from}T00:00:00Z`); dayOf(t) <= to; t += DAY) labels.push(dayOf(t));
  return labels;
}

const session = await startShell().catch((err) => {
  $('problem').textContent = `The console could not start: ${err.message}`;
  $('problem').hidden = false;
  throw err;
});
const { currency } = session;
const allStores = session.stores === undefined;
for (const part of document.querySelectorAll('[data-needs="all-stores"]')) part.hidden = !allStores;

const charts = {
  sales: chartPanel({
    name: 'sales',
    title: 'Sales',
    series: [
      { key: 'net', label: 'Net sales', kind: 'money' },
      { key: 'margin', label: 'Margin', kind: 'money' },
    ],
  }),
  ...(allStores
    ? {
        points: chartPanel({
          name: 'points',
          title: 'Points',
          series: [
            { key: 'accrued', label: 'Accrued', kind: 'count' },
            { key: 'redeemed', label: 'Redeemed', kind: 'count' },
            { key: 'expired', label: 'Expired', kind: 'count' },
          ],
        }),
        segments: chartPanel({
          name: 'segments',
          title: 'Segment sizes',
          type: 'line',
          series: session.segments.map((s) => ({ key: s.id, label: s.name, kind: 'count' })),
        }),
        tiers: chartPanel({
          name: 'tiers',
          title: 'Members by tier',
          axis: 'tier',
          marks: false,
          series: [{ key: 'customers', label: 'Members', kind: 'count' }],
        }),
        demographics: chartPanel({
          name: 'demographics',
          title: 'Members by age band',
          axis: 'band',
          marks: false,
          series: [
            { key: 'customers', label: 'Members', kind: 'count' },
            { key: 'active', label: 'Active in the period', kind: 'count' },
          ],
        }),
        rfm: chartPanel({
          name: 'rfm',
          title: 'RFM segments',
          axis: 'segment',
          marks: false,
          series: [{ key: 'customers', label: 'Customers', kind: 'count' }],
        }),
        cohorts: heatmapPanel({ name: 'cohorts', title: 'Cohort retention', axis: 'cohort' }),
      }
    : {}),
};
if (session.segments.length === 0) delete charts.segments;
$('charts').append(
  ...['sales', 'points', 'segments', 'tiers']
    .filter((k) => charts[k])
    .map((k) => charts[k].element),
);
$('portrait').append(
  ...['demographics', 'rfm', 'cohorts'].filter((k) => charts[k]).map((k) => charts[k].element),
);

let period = 'week';

/** Runs `work` once at a time; asked again meanwhile, it runs once more afterwards. */
function serialised(work) {
  let running;
  let again = false;
  const run = () => {
    if (running) {
      again = true;
      return running;
    }
    running = work().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        void run();
      }
    });
    return running;
  };
  return run;
}

function problem(err) {
  $('problem').textContent = `Some figures could not be loaded: ${err.message}`;
  $('problem').hidden = false;
}

const loadFigures = serialised(async () => {
  const range = rangeOf(period);
  const axis = axisOf(range);
  $('range').textContent = `${range.from} – ${range.to}`;
  const bucket = (value) => String(value).slice(0, range.by === 'month' ? 7 : 10);
  const window = { from: range.from, to: range.to };
  try {
    const [byTime, total, byStore, points, tiers, segments, lapsed, fraud] = await Promise.all([
      ask('sales', { by: range.by, ...window }),
      ask('sales', { by: 'all', ...window }),
      ask('sales', { by: 'store', ...window }),
      charts.points &&
        ask('points', {
          by: range.by,
          ...window,
          'point-value-points': session.pointValue.points,
          'point-value-minor': session.pointValue.minor,
        }),
      charts.tiers && ask('tiers'),
      charts.segments &&
        Promise.all(
          session.segments.map((s) => ask('segment-sizes', { segment: s.id, days: range.days })),
        ),
      allStores ? ask('not-seen', { days: 60, limit: 5 }) : undefined,
      ask('fraud-flags', { days: range.days, limit: 8 }),
    ]);
    const salesAt = new Map(byTime.rows.map((r) => [bucket(r[range.by]), r]));
    charts.sales.update({
      x: axis,
      rows: axis.map((x) => ({
        net: salesAt.get(x)?.net ?? 0,
        margin: salesAt.get(x)?.margin ?? 0,
      })),
      currency,
      caption: `Net sales and margin per ${range.by}, ${currency}`,
    });
    const all = total.rows[0];
    $('net').textContent = money(all?.net ?? 0, currency);
    $('receipts').textContent = count(all?.receipts ?? 0);
    $('average-receipt').textContent =
      all?.average_receipt == null ? '–' : money(all.average_receipt, currency);
    $('margin').textContent = money(all?.margin ?? 0, currency);
    renderStores(byStore.rows);
    if (points) renderPoints(points, axis, range);
    if (tiers) {
      charts.tiers.update({
        x: tiers.rows.map((r) => r.tier),
        rows: tiers.rows,
        currency,
        caption: `${grouped(tiers.summary?.members ?? 0)} members, by their tier now`,
      });
    }
    if (segments) renderSegments(segments, axis, range);
    if (lapsed) renderLapsed(lapsed);
    renderFraud(fraud);
    $('as-of').textContent = new Date(byTime.asOf).toLocaleString();
    $('problem').hidden = true;
  } catch (err) {
    problem(err);
  }
});

const loadPortrait = serialised(async () => {
  if (!charts.demographics) return;
  const range = rangeOf(period);
  try {
    const [demographics, rfm, cohorts] = await Promise.all([
      ask('demographics', { by: 'age', days: range.days }),
      ask('rfm', { days: 365 }),
      ask('cohorts', { by: 'month', months: 12, matrix: 'retention' }),
    ]);
    charts.demographics.update({
      x: demographics.rows.map((r) => String(r[demographics.columns[0].name])),
      rows: demographics.rows,
      currency,
      caption: `Members by age band, and those who bought in the last ${range.days} days`,
    });
    charts.rfm.update({
      x: rfm.rows.map((r) => r.segment),
      rows: rfm.rows,
      currency,
      caption: 'Customers by RFM segment over the last 365 days',
    });
    const months = cohorts.columns.filter((c) => /^m\d+$/.test(c.name)).map((c) => c.name);
    charts.cohorts.update({
      x: months.map((m) => `+${m.slice(1)}`),
      y: cohorts.rows.map((r) => String(r.cohort)),
      cells: cohorts.rows.flatMap((r, yi) => months.map((m, xi) => [xi, yi, r[m] ?? null])),
      kind: 'ratio',
      caption: 'Share of each month’s new customers who bought again k months later',
    });
  } catch (err) {
    problem(err);
  }
});

function renderPoints(points, axis, range) {
  const pointsAt = new Map(
    points.rows.map((r) => [String(r.period).slice(0, range.by === 'month' ? 7 : 10), r]),
  );
  charts.points.update({
    x: axis,
    rows: axis.map((x) => {
      const r = pointsAt.get(x);
      return {
        accrued: r?.accrued ?? 0,
        redeemed: -(r?.redeemed ?? 0),
        expired: -(r?.expired ?? 0),
      };
    }),
    currency,
    caption: 'Points accrued, redeemed and expired (redeemed and expired drawn as positive)',
  });
  const sum = (key) => points.rows.reduce((s, r) => s + (r[key] ?? 0), 0);
  $('points-accrued').textContent = grouped(sum('accrued'));
  $('points-redeemed').textContent = grouped(-sum('redeemed'));
  $('points-expired').textContent = grouped(-sum('expired'));
  const last = points.rows.at(-1);
  $('liability').textContent = money(last?.closing_value ?? 0, currency);
  $('points-outstanding').textContent = grouped(last?.closing ?? 0);
}

function renderSegments(answers, axis, range) {
  // Each segment's size at the end of each day; over a year, at the end of each month.
  const sizes = session.segments.map(
    (_, i) => new Map(answers[i].rows.map((r) => [String(r.day).slice(0, 10), r.size])),
  );
  const at = (map, label) => {
    if (range.by === 'day') return map.get(label) ?? null;
    const days = [...map.keys()].filter((d) => d.startsWith(label)).sort();
    return days.length > 0 ? map.get(days.at(-1)) : null;
  };
  charts.segments.update({
    x: axis,
    rows: axis.map((label) =>
      Object.fromEntries(session.segments.map((s, i) => [s.id, at(sizes[i], label)])),
    ),
    currency,
    caption:
      'Members in each live segment at the end of each day (as the workflows put them there)',
  });
}

function renderStores(rows) {
  const sorted = [...rows].sort((a, b) => b.net - a.net);
  const body = $('stores').tBodies[0];
  if (sorted.length === 0) {
    body.replaceChildren(
      h('tr', { className: 'empty' }, h('td', { colSpan: 6 }, 'No sales in the period')),
    );
    return;
  }
  body.replaceChildren(
    ...sorted.map((r, i) =>
      h(
        'tr',
        { dataset: { store: r.store } },
        h('td', {}, String(i + 1)),
        h('td', {}, r.store),
        h('td', { className: 'num' }, count(r.receipts)),
        h('td', { className: 'num' }, money(r.net, currency)),
        h('td', { className: 'num' }, money(r.margin, currency)),
        h('td', { className: 'num' }, money(r.average_receipt, currency)),
      ),
    ),
  );
}

function renderLapsed(answer) {
  $('lapsed-count').textContent =
    `${grouped(answer.summary?.customers ?? 0)} customers; the most valuable:`;
  $('lapsed').replaceChildren(
    ...answer.rows.map((r) =>
      h(
        'li',
        {},
        h('a', { href: `/customers/${encodeURIComponent(r.customer_id)}` }, r.customer_id),
        ` · last visit ${r.last_visit} · ${money(r.lifetime_spend, currency)} spent`,
      ),
    ),
  );
}

function renderFraud(answer) {
  $('fraud-count').textContent = `${grouped(answer.summary?.flags ?? 0)} flags`;
  $('fraud').replaceChildren(
    ...answer.rows.map((r) =>
      h(
        'li',
        { dataset: { store: r.store } },
        `${r.at.slice(0, 16).replace('T', ' ')} · ${r.store}/${r.till} · ${r.message}`,
      ),
    ),
  );
}

for (const button of $('period').querySelectorAll('button')) {
  button.addEventListener('click', () => {
    period = button.dataset.period;
    for (const b of $('period').querySelectorAll('button')) {
      b.setAttribute('aria-pressed', String(b === button));
    }
    void loadFigures();
    void loadPortrait();
  });
}

function setStatus(state, text) {
  $('status').dataset.state = state;
  $('status').textContent = text;
}

/** The live socket: the figures of now, and a nudge to ask the stored figures again. */
function connectLive() {
  const socket = window.io({ transports: ['websocket'] });
  const nowByScope = new Map();
  socket.on('connect', () => {
    socket.emit('watch', allStores ? {} : { stores: session.stores }, (answer) => {
      if (answer.ok) setStatus('live', 'live');
      else setStatus('error', answer.error.message);
    });
  });
  // At most one reload waiting: under steady traffic the figures move every couple of seconds.
  let pending;
  socket.on('figures', (push) => {
    nowByScope.set(push.scope, push.figures);
    const shown = [...nowByScope.values()];
    const sum = (pick) => shown.reduce((s, f) => s + pick(f), 0);
    $('events-per-second').textContent = sum((f) => f.eventsPerSecond).toFixed(1);
    $('sales-minute').textContent = grouped(sum((f) => f.lastMinute.sales));
    $('revenue-minute').textContent = money(
      sum((f) => f.lastMinute.revenue[currency] ?? 0),
      currency,
    );
    if (push.changed && !pending) {
      pending = setTimeout(() => {
        pending = undefined;
        void loadFigures();
      }, SETTLE_MS);
    }
  });
  socket.on('connect_error', (err) => {
    if (err?.data?.code === 'unauthorized') setStatus('unauthorized', 'signed out');
    else setStatus('connecting', 'connecting…');
  });
  socket.on('disconnect', (reason) => {
    setStatus('connecting', 'connecting…');
    if (reason === 'io server disconnect') socket.connect();
  });
}

connectLive();
setInterval(() => void loadPortrait(), PORTRAIT_EVERY_MS);
// The figures first: the portrait below them waits its turn at the store.
await loadFigures();
await loadPortrait();
document.body.dataset.loaded = 'true';
