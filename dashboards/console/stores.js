// The stores page: each outlet's figures over the week, month or year to date
// (store-performance), and the outlets on a map drawn from their coordinates alone — a plain
// projection (longitude across, latitude up, scaled so distances look right at their
// latitude), no tiles — each dot sized by its net sales. Staff with named stores see those.

import { count, money, percent } from '/shared/money.js';
import { ask } from './api.js';
import { mapPanel } from './map-panel.js';
import { h, startShell } from './shell.js';

const $ = (id) => document.getElementById(id);
const session = await startShell();
const { currency } = session;
let period = 'month';
const map = mapPanel({ name: 'stores-map', title: 'Where they are' });
$('map-row').append(map.element);

async function load() {
  try {
    const [outlets, performance] = await Promise.all([
      ask('stores'),
      ask('store-performance', { period }),
    ]);
    const figures = new Map(performance.rows.map((r) => [r.store, r]));
    const first = performance.rows[0];
    $('range').textContent = first ? `${first.from} – ${first.to}` : '';
    map.update({
      // The web shop has an address but no shop floor: it stays off the map.
      points: outlets.rows
        .filter((o) => o.format !== 'web')
        .map((o) => ({
          id: o.store,
          name: o.name,
          latitude: o.latitude,
          longitude: o.longitude,
          value: figures.get(o.store)?.net ?? 0,
          label: `${o.name} (${o.city}): ${money(figures.get(o.store)?.net ?? 0, currency)}`,
        })),
      caption: `Dot sizes: net sales to date in the ${period}. No map tiles: coordinates on a plain projection.`,
    });
    const rows = [...outlets.rows].sort(
      (a, b) => (figures.get(b.store)?.net ?? 0) - (figures.get(a.store)?.net ?? 0),
    );
    $('outlets').tBodies[0].replaceChildren(
      ...rows.map((o, i) => {
        const f = figures.get(o.store);
        return h(
          'tr',
          { dataset: { store: o.store } },
          h('td', {}, String(i + 1)),
          h('td', {}, `${o.store} · ${o.name}`),
          h('td', {}, o.city),
          h('td', {}, o.format),
          h('td', { className: 'num' }, money(f?.net ?? 0, currency)),
          h('td', { className: 'num' }, money(f?.margin ?? 0, currency)),
          h('td', { className: 'num' }, count(f?.receipts ?? 0)),
          h(
            'td',
            { className: 'num' },
            f?.average_receipt == null ? '–' : money(f.average_receipt, currency),
          ),
          h('td', { className: 'num' }, percent(f?.members_share)),
          h(
            'td',
            { className: 'num' },
            f?.growth == null ? '–' : `${f.growth >= 0 ? '+' : ''}${percent(f.growth)}`,
          ),
        );
      }),
    );
    $('problem').hidden = true;
    document.body.dataset.loaded = 'true';
  } catch (err) {
    $('problem').textContent = `The stores could not be loaded: ${err.message}`;
    $('problem').hidden = false;
  }
}

for (const button of $('period').querySelectorAll('button')) {
  button.addEventListener('click', () => {
    period = button.dataset.period;
    for (const b of $('period').querySelectorAll('button'))
      b.setAttribute('aria-pressed', String(b === button));
    void load();
  });
}
await load();
