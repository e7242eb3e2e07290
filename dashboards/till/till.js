// The till screen: signs in over the till gateway's socket with the store's token, identifies the
// customer by card, rings up a sale, shows the points the customer's workflow sends back as a cue,
// redeems and cancels points, and catches up on the cues it missed while the connection was lost.
// Every message is the till protocol (gateways/till/protocol.ts); money is integer minor units.
import { grouped, money, parseMoney } from '/shared/money.js';

const $ = (id) => document.getElementById(id);

/** An answer that takes longer than this is shown as no answer; asking again reuses the ids. */
const ACK_TIMEOUT_MS = 15_000;
/** The codes after which asking again, unchanged, may succeed (`retry` in error-codes.ts). */
const RETRYABLE = new Set(['unavailable', 'busy', 'rate_limited']);
const mayRetry = (answer) => !answer.ok && RETRYABLE.has(answer.error?.code);

function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== undefined && c !== null));
  return node;
}

/**
 * A unique id for an event, a transaction or a redemption. `crypto.randomUUID` exists only in a
 * secure context, and a till on the shop's network may load the page over plain http.
 */
function newId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// The session lives in this tab's session storage only: the token never goes into an address.
const stored = {
  get: (key) => sessionStorage.getItem(`till.${key}`),
  set: (key, value) => sessionStorage.setItem(`till.${key}`, String(value)),
  remove: (key) => sessionStorage.removeItem(`till.${key}`),
};
const seqKey = (s) => `lastSeq.${s.storeId}.${s.tillId}`;

let session; // { storeId, tillId, currency }
let socket;
let customer; // { customerId, accountNumber, cardNumber }
let lines = [];
/** Changes whenever the basket does: a sale asked again keeps its ids only if nothing changed. */
let basketVersion = 0;
let pendingSale; // { key, event }: sent without a definite answer yet
let redemption; // { redemptionId, customerId, points, valueMinor, currency, state }
let pendingRedeem; // { key, redemptionId }
let receipt; // { eventId, customerId }
let lastSeq = 0;
const seenSeqs = new Set();
const cuesByEvent = new Map();

function setStatus(state, text) {
  $('status').dataset.state = state;
  $('status').textContent = text;
}

/** Sets a message; an empty one hides it, but a live region stays in place to be announced. */
function show(id, text, state) {
  const node = $(id);
  node.textContent = text;
  if (node.getAttribute('role') !== 'status') node.hidden = text === '';
  if (state) node.dataset.state = state;
  else delete node.dataset.state;
}

/** Sends `name` and waits for its acknowledgement; no answer in time is an `unavailable` answer. */
async function ask(name, payload) {
  // Never queued while offline: sent on reconnecting, a sale could follow a changed basket.
  if (!socket?.connected) {
    return {
      ok: false,
      error: { code: 'unavailable', message: 'the till is offline: try again once connected' },
    };
  }
  try {
    return await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(name, payload);
  } catch {
    return {
      ok: false,
      error: { code: 'unavailable', message: 'the till gateway did not answer: try again' },
    };
  }
}

const errorText = (answer) => answer?.error?.message ?? 'no answer';

// --- signing in ----------------------------------------------------------------------------------

function showSignIn(problem = '') {
  $('sign-in').hidden = false;
  $('till').hidden = true;
  $('sign-out').hidden = true;
  $('where').hidden = true;
  show('sign-in-problem', problem);
  $('store-id').value = stored.get('storeId') ?? '';
  $('till-id').value = stored.get('tillId') ?? '';
  $('currency').value = stored.get('currency') ?? 'EUR';
  $('token').value = '';
}

function showTill() {
  $('sign-in').hidden = true;
  $('till').hidden = false;
  $('sign-out').hidden = false;
  $('where').hidden = false;
  $('where').textContent = `Store ${session.storeId} · till ${session.tillId}`;
  renderBasket();
}

function connect(storeId, tillId, token, currency) {
  session = { storeId, tillId, currency };
  lastSeq = Number(stored.get(seqKey(session)) ?? 0);
  setStatus('connecting', 'connecting…');
  socket = window.io({
    transports: ['websocket'],
    auth: { storeId, tillId, token },
    reconnectionDelayMax: 5_000,
  });
  let connectedBefore = false;

  socket.on('connect', () => {
    setStatus('live', 'connected');
    if (!connectedBefore) showTill();
    connectedBefore = true;
    // After a lost connection, or a page reloaded mid-session: what came since the last cue seen.
    // Before any cue there is no position to start from (0 would be every cue this till had).
    if (lastSeq > 0) void catchUp();
  });
  socket.on('connect_error', (err) => {
    if (err?.data?.code === 'unauthorized') {
      // Refused by the gateway: Socket.io does not try again, and neither does the page.
      stored.remove('token');
      socket.disconnect();
      setStatus('unauthorized', 'refused');
      const detail = err.data.issues?.map((i) => `${i.field} ${i.message}`).join('; ');
      showSignIn(
        `Refused: ${err.data.message}${detail ? ` (${detail})` : ''}. Check the store id, till id and token.`,
      );
      return;
    }
    setStatus('offline', 'offline: trying again…');
    if (!connectedBefore) {
      show('sign-in-problem', 'The till gateway does not answer: trying again…');
    }
  });
  socket.on('disconnect', (reason) => {
    if (reason === 'io client disconnect') return;
    setStatus('offline', 'connection lost: reconnecting…');
    if (reason === 'io server disconnect') socket.connect();
  });
  socket.on('cue', (message) => showCue(message, false));
  socket.on('fraud:alert', (alert) => showFraudAlert(alert));
  socket.on('error', (problem) => {
    show('sale-status', `Not acted on: ${problem.message}`, 'bad');
  });
}

$('sign-in').addEventListener('submit', (e) => {
  e.preventDefault();
  const storeId = $('store-id').value.trim();
  const tillId = $('till-id').value.trim();
  const token = $('token').value;
  const currency = $('currency').value.trim().toUpperCase();
  const missing = [
    storeId ? undefined : 'the store id',
    tillId ? undefined : 'the till id',
    token ? undefined : 'the token',
  ].filter(Boolean);
  if (missing.length > 0) return show('sign-in-problem', `Enter ${missing.join(', ')}.`);
  if (!/^[A-Z]{3}$/.test(currency)) {
    return show('sign-in-problem', 'The currency must be an ISO 4217 code such as EUR.');
  }
  show('sign-in-problem', '');
  stored.set('storeId', storeId);
  stored.set('tillId', tillId);
  stored.set('currency', currency);
  stored.set('token', token);
  socket?.disconnect();
  connect(storeId, tillId, token, currency);
});

$('sign-out').addEventListener('click', () => {
  socket?.disconnect();
  socket = undefined;
  stored.remove('token');
  forgetCustomer();
  setStatus('signed-out', 'signed out');
  showSignIn();
});

// --- the customer --------------------------------------------------------------------------------

function forgetCustomer() {
  customer = undefined;
  $('customer').hidden = true;
  show('customer-problem', '');
  $('identification-cues').replaceChildren();
  $('card').value = '';
  if (redemption?.state === 'granted') {
    show('redemption', 'The granted redemption is still open: cancel it before the next customer.');
  } else {
    redemption = undefined;
    show('redemption', '');
    $('cancel-redemption').hidden = true;
  }
}

$('next-customer').addEventListener('click', () => {
  if (redemption?.state === 'granted') {
    show('redemption', 'Cancel the granted redemption (or pay with it) before the next customer.');
    return;
  }
  forgetCustomer();
  $('receipt').hidden = true;
  receipt = undefined;
});

function nextTierText(next) {
  if (!next) return '–';
  if (next.metric === 'spend') {
    return `${next.id}: ${money(next.missing, session.currency)} more spend`;
  }
  return `${next.id}: ${grouped(next.missing)} more ${next.metric}`;
}

/** The customer's figures: the summary's, then newer points as cues and answers tell them. */
function showPoints({ balance, spendable, tier }) {
  if (balance !== undefined) $('balance').textContent = grouped(balance);
  if (spendable !== undefined) $('spendable').textContent = grouped(spendable);
  if (tier !== undefined) $('tier').textContent = tier;
}

function showSummary(summary) {
  if (!summary) {
    // Nothing applied for the customer yet: no figures to show.
    for (const id of ['tier', 'balance', 'spendable', 'visits', 'spend', 'next-tier']) {
      $(id).textContent = '–';
    }
    return;
  }
  const { loyalty } = summary;
  $('tier').textContent = loyalty.tier ?? '–';
  showPoints({ balance: loyalty.balance, spendable: loyalty.spendable });
  $('visits').textContent =
    `${grouped(summary.visits)} (${grouped(summary.visitsThisMonth)} this month)`;
  $('spend').textContent = money(summary.spendMinor, session.currency);
  $('next-tier').textContent = nextTierText(loyalty.nextTier);
}

function showIdentificationCues(cues) {
  $('identification-cues').replaceChildren(
    ...cues.map((cue) =>
      h('li', { className: `cue kind-${cue.kind}`, dataset: { kind: cue.kind } }, cue.message),
    ),
  );
}

$('identify').addEventListener('submit', async (e) => {
  e.preventDefault();
  const payload = $('card').value.trim();
  if (!payload) return show('customer-problem', 'Scan or type the card number.');
  show('customer-problem', '');
  const answer = await ask('customer:identify', { card: { payload, source: 'typed' } });
  if (!answer.ok) {
    customer = undefined;
    $('customer').hidden = true;
    const code = answer.error.code;
    const prefix =
      code === 'card_refused'
        ? 'Card refused'
        : code === 'unknown_identifier'
          ? 'Unknown card'
          : 'Not identified';
    return show('customer-problem', `${prefix}: ${errorText(answer)}`);
  }
  customer = {
    customerId: answer.customerId,
    accountNumber: answer.accountNumber,
    cardNumber: answer.card?.cardNumber,
  };
  $('account').textContent = answer.accountNumber ?? '–';
  $('card-shown').textContent = answer.card
    ? `•••• ${answer.card.cardNumber.slice(-4)} (${answer.card.status})`
    : '–';
  showSummary(answer.summary);
  showIdentificationCues(answer.cues);
  $('customer').hidden = false;
  // The 360 view as a till sees it: the freshest summary, and the cues with any fraud alert.
  const view = await ask('customer:view', { customerId: answer.customerId });
  if (customer?.customerId !== answer.customerId) return;
  if (view.ok) {
    if (view.summary) showSummary(view.summary);
    showIdentificationCues(view.cues);
  } else {
    show('customer-problem', `The customer's 360 view did not come: ${errorText(view)}`);
  }
});

// --- the basket ----------------------------------------------------------------------------------

const lineAmount = (line) => line.quantity * line.unitPrice;
const basketTotal = () => lines.reduce((sum, line) => sum + lineAmount(line), 0);
/** The granted redemption's value, while it may still pay this basket. */
const pointsPaying = () =>
  redemption?.state === 'granted' && redemption.customerId === customer?.customerId
    ? redemption.valueMinor
    : 0;

function renderBasket() {
  const { currency } = session;
  $('basket')
    .querySelector('tbody')
    .replaceChildren(
      ...lines.map((line, i) =>
        h(
          'tr',
          {},
          h('td', {}, line.sku),
          h('td', {}, line.category),
          h('td', { className: 'num' }, String(line.quantity)),
          h('td', { className: 'num' }, money(line.unitPrice, currency)),
          h('td', { className: 'num' }, money(lineAmount(line), currency)),
          h(
            'td',
            {},
            h(
              'button',
              {
                type: 'button',
                className: 'small',
                'aria-label': `Remove ${line.sku}`,
                onclick: () => {
                  lines.splice(i, 1);
                  basketVersion += 1;
                  renderBasket();
                },
              },
              'Remove',
            ),
          ),
        ),
      ),
    );
  $('basket-empty').hidden = lines.length > 0;
  const total = basketTotal();
  const points = pointsPaying();
  $('total').textContent = money(total, currency);
  $('points-tender-label').hidden = points === 0;
  $('points-tender').hidden = points === 0;
  $('points-tender').textContent = money(points, currency);
  $('to-pay').textContent = money(Math.max(0, total - points), currency);
}

$('line-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const { currency } = session;
  const sku = $('sku').value.trim();
  const category = $('category').value.trim();
  const quantityText = $('quantity').value.trim();
  const price = parseMoney($('unit-price').value, currency);
  const costText = $('unit-cost').value.trim();
  const cost = costText === '' ? { ok: true, minor: 0 } : parseMoney(costText, currency);
  const problems = [];
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(sku)) {
    problems.push('the SKU needs 1-64 letters, digits, ".", "_", ":" or "-"');
  }
  if (category.length < 1 || category.length > 64) {
    problems.push('the category needs 1-64 characters');
  }
  if (!/^[1-9][0-9]{0,5}$/.test(quantityText)) {
    problems.push('the quantity must be a whole number above 0');
  }
  if (!price.ok) problems.push(`the unit price ${price.message}`);
  if (!cost.ok) problems.push(`the unit cost ${cost.message}`);
  if (problems.length > 0) return show('line-problem', `Not added: ${problems.join('; ')}.`);
  show('line-problem', '');
  show('sale-status', '');
  lines.push({
    sku,
    category,
    quantity: Number(quantityText),
    unitPrice: price.minor,
    unitCost: cost.minor,
  });
  basketVersion += 1;
  for (const id of ['sku', 'category', 'unit-price', 'unit-cost']) $(id).value = '';
  $('quantity').value = '1';
  renderBasket();
  $('sku').focus();
});

/** The sale event of the basket as it is now: new ids, `occurredAt` now. */
function saleOfBasket() {
  const total = basketTotal();
  const points = pointsPaying();
  const tenders = [];
  if (points > 0) {
    tenders.push({ type: 'points', amount: points, redemptionId: redemption.redemptionId });
  }
  if (total - points > 0) tenders.push({ type: $('tender').value, amount: total - points });
  return {
    type: 'sale',
    eventId: newId(),
    occurredAt: new Date().toISOString(),
    storeId: session.storeId,
    tillId: session.tillId,
    channel: 'till',
    transactionId: newId(),
    ...(customer ? { customerId: customer.customerId } : {}),
    currency: session.currency,
    lines: lines.map((line, i) => ({
      lineId: String(i + 1),
      sku: line.sku,
      category: line.category,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      fullPrice: line.unitPrice,
      discount: 0,
      unitCost: line.unitCost,
    })),
    tenders,
  };
}

$('pay-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (lines.length === 0) return show('sale-status', 'Add a line to the basket first.', 'bad');
  if (pointsPaying() > basketTotal()) {
    return show(
      'sale-status',
      'The points granted are worth more than the basket: cancel the redemption or add lines.',
      'bad',
    );
  }
  // Asked again with nothing changed: the same ids, so the engine counts it once.
  const key = [basketVersion, $('tender').value, customer?.customerId, pointsPaying()].join('/');
  if (pendingSale?.key !== key) pendingSale = { key, event: saleOfBasket() };
  const { event } = pendingSale;
  $('pay').disabled = true;
  show('sale-status', 'Sending the sale…');
  const answer = await ask('event', event);
  $('pay').disabled = false;
  if (mayRetry(answer)) {
    return show(
      'sale-status',
      `Not stored yet: ${errorText(answer)} (Pay sends the same sale).`,
      'bad',
    );
  }
  if (!answer.ok) {
    pendingSale = undefined;
    const issues = (answer.error.issues ?? []).map((i) => `${i.field} ${i.message}`).join('; ');
    return show('sale-status', `Sale refused: ${issues || errorText(answer)}`, 'bad');
  }
  pendingSale = undefined;
  show('sale-status', `Sale stored${answer.duplicate ? ' (sent before)' : ''}.`, 'ok');
  if (event.tenders.some((t) => t.type === 'points')) {
    redemption.state = 'used';
    $('cancel-redemption').hidden = true;
    show(
      'redemption',
      `Used: ${grouped(redemption.points)} points paid ${money(redemption.valueMinor, redemption.currency)} of the sale.`,
    );
  }
  showReceipt(event);
  lines = [];
  basketVersion += 1;
  renderBasket();
});

// --- the receipt ---------------------------------------------------------------------------------

function showReceipt(event) {
  const { currency } = event;
  receipt = { eventId: event.eventId, customerId: event.customerId };
  $('receipt-lines')
    .querySelector('tbody')
    .replaceChildren(
      ...event.lines.map((line) =>
        h(
          'tr',
          {},
          h('td', {}, line.sku),
          h('td', { className: 'num' }, String(line.quantity)),
          h('td', { className: 'num' }, money(line.unitPrice, currency)),
          h('td', { className: 'num' }, money(line.quantity * line.unitPrice, currency)),
        ),
      ),
    );
  const total = event.lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
  $('receipt-total').textContent = money(total, currency);
  $('receipt-tenders').textContent = event.tenders
    .map((t) => `${t.type.replace('_', ' ')} ${money(t.amount, currency)}`)
    .join(' · ');
  for (const id of ['points-earned', 'points-redeemed', 'points-balance']) $(id).textContent = '–';
  $('receipt').dataset.eventId = event.eventId;
  $('receipt').hidden = false;
  if (!event.customerId) {
    show('receipt-cue', 'No member identified: this sale earns no points.');
    return;
  }
  show('receipt-cue', 'Waiting for the points…');
  const cue = cuesByEvent.get(event.eventId);
  if (cue) fillReceipt(cue);
}

function fillReceipt(cue) {
  const signed = (n) => `${n >= 0 ? '+' : '−'}${grouped(Math.abs(n))}`;
  $('points-earned').textContent = signed(cue.pointsEarned);
  $('points-redeemed').textContent = grouped(cue.pointsRedeemed ?? 0);
  $('points-balance').textContent = grouped(cue.pointsBalance);
  show('receipt-cue', cue.message, cue.kind === 'refused' ? 'bad' : 'ok');
}

// --- cues ----------------------------------------------------------------------------------------

const timeOf = (instant) => new Date(instant).toISOString().slice(11, 16);

/** A cue for this till, live or caught up after a reconnect (`missed`); each `seq` shown once. */
function showCue({ seq, cue }, missed) {
  if (seenSeqs.has(seq)) return;
  seenSeqs.add(seq);
  if (seq > lastSeq) {
    lastSeq = seq;
    stored.set(seqKey(session), seq);
  }
  cuesByEvent.set(cue.eventId, cue);
  const item = h(
    'li',
    {
      className: `cue${missed ? ' missed' : ''}${cue.kind === 'refused' ? ' kind-refused' : ''}`,
      dataset: {
        seq: String(seq),
        eventId: cue.eventId,
        kind: cue.kind ?? 'points',
        missed: String(missed),
      },
    },
    missed ? h('span', { className: 'badge warn' }, 'Missed while offline') : undefined,
    h('time', { dateTime: cue.occurredAt }, timeOf(cue.occurredAt)),
    ' ',
    cue.message,
  );
  // Newest first, by position in the stream.
  const later = [...$('cues').children].find((li) => Number(li.dataset.seq) < seq);
  $('cues').insertBefore(item, later ?? null);
  $('cues-empty').hidden = true;
  if (receipt?.eventId === cue.eventId) fillReceipt(cue);
  if (customer?.customerId === cue.customerId && seq === lastSeq) {
    showPoints({ balance: cue.pointsBalance, spendable: cue.spendablePoints, tier: cue.tier });
    if (cue.nextTier) $('next-tier').textContent = nextTierText(cue.nextTier);
    void refreshSummary(cue, seq);
  }
}

/**
 * The customer's summary and identification cues again, for what a cue does not carry (visits,
 * spend, the standing the cashier reads out): taken only once the summary holds the cue's
 * balance, as it is stored beside the cue's publication, not before.
 */
async function refreshSummary(cue, seq) {
  for (const wait of [0, 300, 1_000]) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    const view = await ask('customer:view', { customerId: cue.customerId });
    if (customer?.customerId !== cue.customerId || lastSeq !== seq) return;
    if (view.ok && view.summary?.pointsBalance === cue.pointsBalance) {
      showSummary(view.summary);
      showIdentificationCues(view.cues);
      return;
    }
  }
}

function showFraudAlert(alert) {
  const item = h(
    'li',
    { className: 'cue kind-fraud-alert', dataset: { kind: 'fraud-alert' } },
    h('strong', {}, 'Fraud alert: '),
    alert.message,
  );
  $('cues').prepend(item);
  $('cues-empty').hidden = true;
  if (customer && alert.customerId === customer.customerId) {
    $('identification-cues').prepend(
      h(
        'li',
        { className: 'cue kind-fraud-alert', dataset: { kind: 'fraud-alert' } },
        alert.message,
      ),
    );
  }
}

/** The cues for this till since the last one seen, after a lost connection. */
async function catchUp() {
  const answer = await ask('cues:missed', { afterSeq: lastSeq });
  if (!answer.ok) {
    setStatus('live', 'connected (missed cues not fetched)');
    return;
  }
  for (const message of answer.cues) showCue(message, true);
  if (answer.cues.length > 0) {
    const n = answer.cues.length;
    setStatus('live', `connected: ${n} missed ${n === 1 ? 'cue' : 'cues'} shown`);
  }
}

// --- redeeming points ----------------------------------------------------------------------------

$('redeem').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!customer) return show('redemption', 'Identify the customer first.', 'bad');
  if (redemption?.state === 'granted') {
    return show(
      'redemption',
      `A redemption of ${grouped(redemption.points)} points is granted already: pay with it or cancel it first.`,
      'bad',
    );
  }
  const text = $('redeem-points').value.trim();
  if (!/^[0-9]{1,9}$/.test(text)) {
    return show('redemption', 'Enter a whole number of points.', 'bad');
  }
  const basketMinor = basketTotal();
  if (basketMinor === 0) {
    return show('redemption', 'Add the basket first: points pay part of it.', 'bad');
  }
  const points = Number(text);
  // The same request asked again (no answer came): the same id, so it is granted once at most.
  const key = `${customer.customerId}/${points}/${basketMinor}/${session.currency}`;
  if (pendingRedeem?.key !== key) pendingRedeem = { key, redemptionId: newId() };
  const request = {
    redemptionId: pendingRedeem.redemptionId,
    customerId: customer.customerId,
    points,
    basketMinor,
    currency: session.currency,
    ...(customer.cardNumber ? { cardNumber: customer.cardNumber } : {}),
  };
  show('redemption', 'Asking…');
  delete $('redemption').dataset.code;
  const answer = await ask('points:redeem', request);
  if (mayRetry(answer)) {
    const again = 'Redeem asks again with the same id';
    return show('redemption', `Not granted yet: ${errorText(answer)} (${again}).`, 'bad');
  }
  pendingRedeem = undefined;
  showPoints({ balance: answer.balance, spendable: answer.spendable, tier: answer.tier });
  if (!answer.ok) {
    show('redemption', `Refused: ${errorText(answer)}`, 'bad');
    $('redemption').dataset.code = answer.error.code;
    return;
  }
  redemption = {
    redemptionId: answer.redemptionId,
    customerId: request.customerId,
    points: answer.points,
    valueMinor: answer.valueMinor,
    currency: answer.currency,
    state: 'granted',
  };
  show(
    'redemption',
    `Granted: ${grouped(answer.points)} points = ${money(answer.valueMinor, answer.currency)} off`,
    'ok',
  );
  $('redeem-points').value = '';
  $('cancel-redemption').hidden = false;
  renderBasket();
});

$('cancel-redemption').addEventListener('click', async () => {
  if (redemption?.state !== 'granted') return;
  const { redemptionId, customerId } = redemption;
  show('redemption', 'Cancelling…');
  const answer = await ask('points:cancel', { redemptionId, customerId });
  if (!answer.ok) {
    show('redemption', `Not cancelled: ${errorText(answer)}`, 'bad');
    return;
  }
  redemption.state = 'cancelled';
  $('cancel-redemption').hidden = true;
  if (customer?.customerId === customerId) {
    showPoints({ balance: answer.balance, spendable: answer.spendable, tier: answer.tier });
  }
  const balance = answer.balance !== undefined ? ` · balance ${grouped(answer.balance)}` : '';
  show('redemption', `Cancelled: ${grouped(answer.restored)} points given back${balance}`, 'ok');
  renderBasket();
});

// --- start ---------------------------------------------------------------------------------------

const resumed = ['storeId', 'tillId', 'token'].map((key) => stored.get(key));
if (resumed.every(Boolean)) {
  const [storeId, tillId, token] = resumed;
  connect(storeId, tillId, token, stored.get('currency') ?? 'EUR');
} else {
  showSignIn();
}
$('main').dataset.ready = 'true';
