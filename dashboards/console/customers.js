// Finds customers by card, account number, phone, e-mail, id or name: one found by an identifier
// opens at once, a name lists those of that name the member may see. What was typed goes to the
// server only; the audit log notes how each customer was found, not the value.
import { ApiError, getJson } from './api.js';
import { h, startShell } from './shell.js';

const $ = (id) => document.getElementById(id);
await startShell();

const MESSAGES = {
  unknown_identifier: 'Nobody holds this card, number or address.',
  forbidden: 'This customer is not yours to see (another store’s, or confidential).',
};

function list(customers, more) {
  const items = customers.map(({ customerId, givenName, familyName, homeStoreId }) =>
    h(
      'li',
      {},
      h(
        'a',
        { href: `/customers/${encodeURIComponent(customerId)}` },
        [givenName, familyName].filter(Boolean).join(' ') || customerId,
      ),
      h(
        'span',
        { className: 'muted' },
        ` ${customerId} · ${homeStoreId ? `home store ${homeStoreId}` : 'no home store'}`,
      ),
    ),
  );
  $('found').replaceChildren(...items);
  $('more').hidden = !more;
  $('results').hidden = false;
}

$('search').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('problem').hidden = true;
  $('results').hidden = true;
  const by = $('by').value;
  const query = new URLSearchParams({ by, value: $('value').value });
  try {
    const { customers, more } = await getJson(`/api/customers?${query}`);
    if (by !== 'name') {
      window.location.assign(`/customers/${encodeURIComponent(customers[0].customerId)}`);
    } else if (customers.length === 0) {
      $('problem').textContent = 'None of your customers has this name.';
      $('problem').hidden = false;
    } else {
      list(customers, more);
    }
  } catch (err) {
    $('problem').textContent =
      err instanceof ApiError ? (MESSAGES[err.code] ?? err.message) : String(err);
    $('problem').hidden = false;
  }
});
