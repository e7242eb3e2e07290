// The marketers' console: figures over the chosen period from the stored events and ledger (so
// they survive any restart), asked again whenever the live socket says something arrived, and
// what is happening now (events per second, the last minute's sales) from the socket itself.
// A store manager sees their stores' sales only; points are figures of the whole program.
import { ask } from './api.js';
import { chartPanel } from './chart-panel.js';
import { count, grouped, money } from './format.js';
import { h, startShell } from './shell.js';

const $ = (id) => document.getElementById(id);
const DAY = 86_400_000;
const dayOf = (time) => new Date(time).toISOString().slice(0, 10);

/** The days a period covers, ending today (UTC), and how its charts group them. */
export function rangeOf(period, now = Date.now()) {
  const to = dayOf(now);
  if (period === 'year') {
    const d = new Date(now);
    const from = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 11, 1));
    return { from: dayOf(from.getTime()), to, by: 'month' };
  }
  return { from: dayOf(now - (period === 'week' ? 6 : 29) * DAY), to, by: 'day' };
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
const allStores = session.stores === undefined;
for (const tile of document.querySelectorAll('[data-needs="all-stores"]')) tile.hidden = !allStores;

const salesChart = chartPanel({
  name: 'sales',
  title: 'Sales',
  series: [
    { key: 'net', label: 'Net sales', kind: 'money' },
    { key: 'margin', label: 'Margin', kind: 'money' },
  ],
});
const pointsChart = allStores
  ? chartPanel({
      name: 'points',
      title: 'Points',
      series: [
        { key: 'accrued', label: 'Accrued', kind: 'count' },
        { key: 'redeemed', label: 'Redeemed', kind: 'count' },
        { key: 'expired', label: 'Expired', kind: 'count' },
      ],
    })
  : undefined;
$('charts').append(salesChart.element, ...(pointsChart ? [pointsChart.element] : []));

let period = 'week';
let loading;
let again = false;

/** Asks every figure of the period again; one load at a time, the latest request wins. */
async function load() {
  if (loading) {
    again = true;
    return loading;
  }
  loading = loadOnce().finally(() => {
    loading = undefined;
    if (again) {
      again = false;
      void load();
    }
  });
  return loading;
}

async function loadOnce() {
  const range = rangeOf(period);
  const axis = axisOf(range);
  const { currency } = session;
  $('range').textContent = `${range.from} – ${range.to}`;
  const bucket = (value) =>
    range.by === 'month' ? String(value).slice(0, 7) : String(value).slice(0, 10);
  try {
    const [byTime, total, byStore, points] = await Promise.all([
      ask('sales', { by: range.by, from: range.from, to: range.to }),
      ask('sales', { by: 'all', from: range.from, to: range.to }),
      ask('sales', { by: 'store', from: range.from, to: range.to }),
      allStores
        ? ask('points', {
            by: range.by,
            from: range.from,
            to: range.to,
            'point-value-points': session.pointValue.points,
            'point-value-minor': session.pointValue.minor,
          })
        : undefined,
    ]);
    const salesAt = new Map(byTime.rows.map((r) => [bucket(r[range.by]), r]));
    salesChart.update({
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
    renderStores(byStore.rows, currency);
    if (points && pointsChart) {
      const pointsAt = new Map(
        points.rows.map((r) => [String(r.period).slice(0, range.by === 'month' ? 7 : 10), r]),
      );
      pointsChart.update({
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
    $('as-of').textContent = new Date(byTime.asOf).toLocaleString();
    $('problem').hidden = true;
  } catch (err) {
    $('problem').textContent = `Some figures could not be loaded: ${err.message}`;
    $('problem').hidden = false;
  }
}

function renderStores(rows, currency) {
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

for (const button of $('period').querySelectorAll('button')) {
  button.addEventListener('click', () => {
    period = button.dataset.period;
    for (const b of $('period').querySelectorAll('button')) {
      b.setAttribute('aria-pressed', String(b === button));
    }
    void load();
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
  let reloads = [];
  socket.on('figures', (push) => {
    nowByScope.set(push.scope, push.figures);
    const shown = [...nowByScope.values()];
    const sum = (pick) => shown.reduce((s, f) => s + pick(f), 0);
    $('events-per-second').textContent = sum((f) => f.eventsPerSecond).toFixed(1);
    $('sales-minute').textContent = grouped(sum((f) => f.lastMinute.sales));
    $('revenue-minute').textContent = money(
      sum((f) => f.lastMinute.revenue[session.currency] ?? 0),
      session.currency,
    );
    if (push.changed) {
      // The sink stores what arrived within a moment (a busy one within seconds): ask soon,
      // and once more a little later.
      for (const timer of reloads) clearTimeout(timer);
      reloads = [1_000, 4_000].map((ms) => setTimeout(() => void load(), ms));
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
await load();
