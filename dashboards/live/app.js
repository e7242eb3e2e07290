// The live dashboard: connects to the dashboard gateway over Socket.io with the marketer token
// from the URL fragment (#token=…, which browsers never send to a server) and redraws the
// figures it pushes once a second. Plain browser JavaScript, no build step.
(() => {
  const $ = (id) => document.getElementById(id);

  function setState(state, text, hint) {
    const status = $('status');
    status.dataset.state = state;
    status.textContent = text;
    const hintEl = $('hint');
    hintEl.hidden = !hint;
    hintEl.textContent = hint ?? '';
  }

  const fractionDigits = new Map();
  /** Digits after the decimal point for a currency: 2 for EUR, 0 for JPY. */
  function digitsOf(currency) {
    if (!fractionDigits.has(currency)) {
      let digits = 2;
      try {
        digits = new Intl.NumberFormat('en', {
          style: 'currency',
          currency,
        }).resolvedOptions().maximumFractionDigits;
      } catch {
        // an unknown code: assume cents
      }
      fractionDigits.set(currency, digits);
    }
    return fractionDigits.get(currency);
  }

  const grouped = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

  /** Integer minor units to "1,234.56 EUR", in integer arithmetic (no float rounding). */
  function formatMoney(minor, currency) {
    const digits = digitsOf(currency);
    const sign = minor < 0 ? '−' : '';
    const abs = Math.abs(minor);
    const unit = 10 ** digits;
    const whole = grouped(Math.floor(abs / unit));
    const fraction = digits > 0 ? `.${String(abs % unit).padStart(digits, '0')}` : '';
    return `${sign}${whole}${fraction} ${currency}`;
  }

  /** `{ EUR: 3998, GBP: 100 }` → "39.98 EUR · 1.00 GBP"; nothing yet → "0". */
  function formatMoneys(money) {
    const entries = Object.entries(money ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    if (entries.length === 0) return '0';
    return entries.map(([currency, minor]) => formatMoney(minor, currency)).join(' · ');
  }

  const count = (n) => grouped(n);

  function drawSparkline(series) {
    const canvas = $('sparkline');
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || canvas.width;
    const height = canvas.clientHeight || canvas.height;
    if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
    if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const accent = getComputedStyle(document.documentElement).getPropertyValue('--accent').trim();
    const max = Math.max(1, ...series);
    const step = series.length > 1 ? width / (series.length - 1) : width;
    const y = (v) => height - 4 - (v / max) * (height - 12);
    ctx.beginPath();
    series.forEach((v, i) => {
      if (i === 0) ctx.moveTo(0, y(v));
      else ctx.lineTo(i * step, y(v));
    });
    ctx.strokeStyle = accent || '#2563eb';
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.lineTo(width, height);
    ctx.lineTo(0, height);
    ctx.closePath();
    ctx.globalAlpha = 0.15;
    ctx.fillStyle = accent || '#2563eb';
    ctx.fill();
    ctx.globalAlpha = 1;
    ctx.fillStyle = getComputedStyle(document.body).color;
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillText(`max ${max}/s`, 4, 12);
  }

  function renderStores(stores) {
    const body = $('stores').tBodies[0];
    const rows = stores.map((s) => {
      const tr = document.createElement('tr');
      tr.dataset.store = s.storeId;
      for (const text of [s.storeId, count(s.sales), count(s.returns), formatMoneys(s.revenue)]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    });
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      tr.className = 'empty';
      const td = document.createElement('td');
      td.colSpan = 4;
      td.textContent = 'No sales yet';
      tr.append(td);
      rows.push(tr);
    }
    body.replaceChildren(...rows);
  }

  function render(f) {
    $('events-per-second').textContent = f.eventsPerSecond.toFixed(1);
    $('sales').textContent = count(f.total.sales);
    $('sales-minute').textContent = count(f.lastMinute.sales);
    $('returns').textContent = count(f.total.returns);
    $('revenue').textContent = formatMoneys(f.total.revenue);
    $('revenue-minute').textContent = formatMoneys(f.lastMinute.revenue);
    $('points-issued').textContent = count(f.total.pointsIssued);
    $('points-reversed').textContent = count(f.total.pointsReversed);
    $('cues').textContent = count(f.total.cues);
    $('cues-minute').textContent = count(f.lastMinute.cues);
    $('registrations').textContent = count(f.total.registrations);
    $('anonymous-share').textContent =
      f.anonymousShare === null ? '–' : `${Math.round(f.anonymousShare * 100)} %`;
    $('updated-at').textContent = new Date(f.at).toLocaleTimeString();
    renderStores(f.stores);
    drawSparkline(f.eventsPerSecondSeries);
  }

  const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
  window.addEventListener('hashchange', () => window.location.reload());
  if (!token) {
    setState('unauthorized', 'unauthorized', 'Open this page as …/#token=<marketer token>.');
    return;
  }
  if (typeof window.io !== 'function') {
    setState('error', 'error', 'The Socket.io client did not load.');
    return;
  }

  setState('connecting', 'connecting…');
  const socket = window.io({ auth: { token }, transports: ['websocket'] });
  socket.on('connect', () => setState('live', 'live'));
  socket.on('figures', (figures) => {
    setState('live', 'live');
    render(figures);
  });
  socket.on('connect_error', (err) => {
    if (err?.data?.code === 'unauthorized') {
      // Refused by the server: it will not get better by retrying.
      setState('unauthorized', 'unauthorized', 'The token in the address is not accepted.');
    } else {
      setState('connecting', 'connecting…');
    }
  });
  socket.on('disconnect', (reason) => {
    setState('connecting', 'connecting…');
    if (reason === 'io server disconnect') socket.connect();
  });
})();
