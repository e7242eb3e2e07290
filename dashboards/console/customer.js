// One customer's page: the 360 view (profile, cards, standing, history), the points lots with
// their expiry (the live workflow's state), the ledger and the timeline (from the analytics
// store), the state as of a chosen day (rebuilt from the log), and what a candidate program would
// have done for them (what-if.js). Every read is audited by the server before it answers.

import { count, grouped, money } from '/shared/money.js';
import { ApiError, getJson, postJson, putJson } from './api.js';
import { h, startShell } from './shell.js';
import { customerWhatIf } from './what-if.js';

const $ = (id) => document.getElementById(id);
const customerId = decodeURIComponent(window.location.pathname.split('/')[2] ?? '');
const session = await startShell();
const { currency } = session;
const when = (instant) => (instant ? instant.slice(0, 16).replace('T', ' ') : '–');
const day = (instant) => (instant ? instant.slice(0, 10) : '–');

function problem(text) {
  $('problem').textContent = text;
  $('problem').hidden = false;
}

function rows(tbody, list, empty, columns) {
  const body = $(tbody).tBodies[0];
  if (list.length === 0) {
    body.replaceChildren(h('tr', { className: 'empty' }, h('td', { colSpan: columns }, empty)));
    return;
  }
  body.replaceChildren(...list);
}

function facts(dl, pairs) {
  $(dl).replaceChildren(
    ...pairs
      .filter(([, v]) => v !== undefined && v !== '')
      .flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]),
  );
}

function renderView(view) {
  $('confidential-to').value = view.confidential?.visibleTo.join(', ') ?? '';
  const profile = view.profile ?? {};
  const name = [profile.givenName, profile.familyName].filter(Boolean).join(' ');
  $('name').textContent = name || `Customer ${view.customerId}`;
  document.title = `${name || view.customerId} · Clientele`;
  const summary = view.summary;
  const loyalty = summary?.loyalty;
  const badges = [
    loyalty?.tier ? h('span', { className: 'badge' }, loyalty.tier) : undefined,
    view.confidential
      ? h(
          'span',
          { className: 'badge warn', id: 'confidential' },
          `confidential: ${view.confidential.visibleTo.join(', ')}`,
        )
      : undefined,
    view.mergedInto
      ? h(
          'a',
          { className: 'badge', href: `/customers/${view.mergedInto.customerId}` },
          `merged into ${view.mergedInto.customerId}`,
        )
      : undefined,
    h('span', { className: 'muted' }, view.customerId),
  ];
  $('badges').replaceChildren(...badges.filter(Boolean));
  if (view.cues.length > 0) {
    $('cues').textContent = view.cues.map((c) => c.message).join(' · ');
    $('cues').hidden = false;
  }
  $('balance').textContent = count(summary?.pointsBalance ?? 0);
  $('spendable').textContent = count(loyalty?.spendable ?? 0);
  $('pending').textContent = count(loyalty?.pending ?? 0);
  $('tier').textContent = loyalty?.tier ?? 'none';
  const next = loyalty?.nextTier;
  const missing =
    next &&
    (next.metric === 'spend'
      ? money(next.missing, currency)
      : `${grouped(next.missing)} ${next.metric}`);
  $('next-tier').textContent = next ? `${missing} to ${next.id}` : 'no tier above';
  $('visits').textContent = count(summary?.visits ?? 0);
  $('last-purchase').textContent = day(summary?.lastPurchaseAt);
  $('spend').textContent = money(summary?.spendMinor ?? 0, currency);
  $('average-receipt').textContent =
    summary?.averageReceiptMinor === undefined ? '–' : money(summary.averageReceiptMinor, currency);
  const year = view.history?.last12Months;
  $('margin-12').textContent = year ? money(year.marginMinor, currency) : '–';
  $('sales-12').textContent = year ? count(year.sales) : '–';
  $('returns-12').textContent = year ? count(year.returns) : '–';
  $('home-store').textContent = summary?.preferredStoreId ?? '–';
  $('account').textContent = view.accountNumber ?? '–';
  facts('profile', [
    ['Name', name],
    ['E-mail', profile.email],
    ['Phone', profile.phone],
    ['Born', profile.birthDate],
    ['Registered', day(summary?.registeredAt)],
    ['Customer type', summary?.customerType],
  ]);
  rows(
    'cards',
    view.cards.map((card) =>
      h(
        'tr',
        { dataset: { card: card.cardNumber } },
        h('td', {}, card.cardNumber),
        h('td', {}, card.type),
        h('td', {}, card.status),
        h('td', {}, day(card.issuedAt)),
      ),
    ),
    'No card',
    4,
  );
  $('card-number').replaceChildren(
    ...view.cards.map((card) =>
      h('option', { value: card.cardNumber }, `${card.cardNumber} (${card.status})`),
    ),
  );
}

function renderLots(state) {
  const view = state.live ?? state.rebuilt;
  rows(
    'lots',
    view.lots.map((lot) =>
      h(
        'tr',
        {},
        h('td', {}, day(lot.earnedAt)),
        h('td', { className: 'num' }, grouped(lot.points)),
        h('td', {}, day(lot.availableAt)),
        h('td', {}, lot.expiresAt ? day(lot.expiresAt) : 'never'),
      ),
    ),
    'No points held',
    4,
  );
}

const LABELS = {
  event: (i) =>
    `${i.type.replace('.', ' ')} at ${i.storeId}${i.totalMinor ? `, ${money(i.totalMinor, currency)}` : ''}`,
  ledger: (i) =>
    `${i.entryKind}: ${i.points > 0 ? '+' : ''}${grouped(i.points)} points (balance ${grouped(i.balanceAfter)})`,
  cue: (i) => `cue at ${i.storeId}${i.tillId ? `/${i.tillId}` : ''}: ${i.message}`,
  trigger: (i) => `lifecycle ${i.ruleId} (${i.triggerKind})${i.message ? `: ${i.message}` : ''}`,
  tier: (i) => `tier ${i.from || 'none'} → ${i.to}`,
  segment: (i) => `${i.change === 'enter' ? 'entered' : 'left'} segment ${i.segmentId}`,
};

let oldest;
const ledgerRows = [];

function renderTimeline(answer, append) {
  const items = answer.items.map((item) =>
    h(
      'li',
      { dataset: { kind: item.kind } },
      h('time', { dateTime: item.at }, when(item.at)),
      ' ',
      h('span', {}, LABELS[item.kind](item)),
    ),
  );
  if (append) $('timeline').append(...items);
  else $('timeline').replaceChildren(...items);
  if (!append && items.length === 0)
    $('timeline').replaceChildren(h('li', { className: 'muted' }, 'Nothing yet'));
  for (const item of answer.items.filter((i) => i.kind === 'ledger')) {
    ledgerRows.push(
      h(
        'tr',
        {},
        h('td', {}, when(item.at)),
        h('td', {}, item.entryKind),
        h('td', { className: 'num' }, grouped(item.points)),
        h('td', { className: 'num' }, grouped(item.balanceAfter)),
        h('td', {}, item.storeId),
        h('td', {}, item.transactionId),
      ),
    );
  }
  rows('ledger', ledgerRows, 'No ledger lines', 6);
  oldest = answer.items.at(-1)?.at;
  $('older').hidden = !answer.more;
}

async function loadTimeline(append = false) {
  const before = append && oldest ? `&before=${encodeURIComponent(oldest)}` : '';
  renderTimeline(
    await getJson(`/api/customers/${encodeURIComponent(customerId)}/timeline?limit=100${before}`),
    append,
  );
}

$('older').addEventListener(
  'click',
  () => void loadTimeline(true).catch((err) => problem(err.message)),
);

$('as-of-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const state = await getJson(
      `/api/customers/${encodeURIComponent(customerId)}/state?as-of=${$('as-of-day').value}&timeline=${$('as-of-timeline').value}`,
    );
    const s = state.rebuilt;
    facts('as-of', [
      ['As of', when(state.asOf)],
      ['Points', grouped(s.balance)],
      ['Spendable', grouped(s.spendable)],
      ['Tier', s.tier ?? 'none'],
      ['Visits', grouped(s.visits)],
      ['Spend', money(s.spendMinor, currency)],
      ['Segments', s.segments.join(', ') || 'none'],
    ]);
  } catch (err) {
    problem(err.message);
  }
});
$('as-of-day').value = new Date().toISOString().slice(0, 10);

/** Everything on the page, read again. */
async function loadAll() {
  const [view, state] = await Promise.all([
    getJson(`/api/customers/${encodeURIComponent(customerId)}`),
    getJson(`/api/customers/${encodeURIComponent(customerId)}/state`),
  ]);
  renderView(view);
  renderLots(state);
  ledgerRows.length = 0;
  await loadTimeline();
  return view;
}

/** After a change the engine applies in a moment: read again until `settled(view)` holds. */
async function reloadUntil(settled) {
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    if (settled(await loadAll())) return;
  }
}

function deskAction(formId, run) {
  $(formId).addEventListener('submit', async (event) => {
    event.preventDefault();
    $('desk-result').textContent = '…';
    try {
      $('desk-result').textContent = await run();
    } catch (err) {
      $('desk-result').textContent = `Refused: ${err.message}`;
    }
  });
}

const base = `/api/customers/${encodeURIComponent(customerId)}`;
if (session.permissions.includes('customers.act')) {
  $('service-desk').hidden = false;
  deskAction('adjust-form', async () => {
    const points = Number($('adjust-points').value);
    const before = Number($('balance').textContent.replaceAll(',', ''));
    await postJson(`${base}/adjustments`, {
      points,
      reason: $('adjust-reason').value,
      ...($('adjust-note').value ? { note: $('adjust-note').value } : {}),
    });
    await reloadUntil((view) => (view.summary?.pointsBalance ?? 0) !== before);
    return `Adjusted by ${grouped(points)} points.`;
  });
  deskAction('card-form', async () => {
    const answer = await postJson(`${base}/cards`, {
      change: $('card-change').value,
      cardNumber: $('card-number').value,
      reason: $('card-reason').value,
    });
    await loadAll();
    return `Card ${answer.card.cardNumber} is ${answer.card.status}.`;
  });
  deskAction('link-form', async () => {
    const answer = await postJson(`${base}/cards`, {
      change: 'link',
      cardNumber: $('link-number').value.replace(/[ -]/g, ''),
      type: $('link-type').value,
      reason: $('link-reason').value,
    });
    await loadAll();
    return `Card ${answer.card.cardNumber} linked.`;
  });
  deskAction('merge-form', async () => {
    const answer = await postJson(`${base}/merges`, {
      absorbedCustomerId: $('merge-absorbed').value.trim(),
    });
    await reloadUntil(() => true);
    return `Merged: ${grouped(answer.points)} points moved here.`;
  });
}

if (session.permissions.includes('staff')) {
  $('confidentiality').hidden = false;
  $('confidential-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const visibleTo = $('confidential-to')
      .value.split(',')
      .map((id) => id.trim())
      .filter((id) => id !== '');
    try {
      await putJson(`${base}/confidential`, { visibleTo });
      $('confidential-result').textContent =
        visibleTo.length === 0
          ? 'The record is ordinary: every member who reaches its store sees it.'
          : `Visible only to ${visibleTo.join(', ')}.`;
      if (visibleTo.includes(session.userId) || visibleTo.length === 0) await loadAll();
    } catch (err) {
      $('confidential-result').textContent = `Refused: ${err.message}`;
    }
  });
}

try {
  await loadAll();
  customerWhatIf($('what-if'), customerId, session);
  document.body.dataset.loaded = 'true';
} catch (err) {
  problem(
    err instanceof ApiError && err.code === 'forbidden'
      ? 'This customer is not yours to see.'
      : `The customer could not be loaded: ${err.message}`,
  );
}
