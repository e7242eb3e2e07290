// Finds a customer by card, account number, phone, e-mail or id, and opens their page. What was
// typed goes to the server only; the audit log notes how the customer was found, not the value.
import { ApiError, getJson } from './api.js';
import { startShell } from './shell.js';

const $ = (id) => document.getElementById(id);
await startShell();

const MESSAGES = {
  unknown_identifier: 'Nobody holds this card, number or address.',
  forbidden: 'This customer is not yours to see (another store’s, or confidential).',
};

$('search').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('problem').hidden = true;
  const query = new URLSearchParams({ by: $('by').value, value: $('value').value });
  try {
    const { customerId } = await getJson(`/api/customers?${query}`);
    window.location.assign(`/customers/${encodeURIComponent(customerId)}`);
  } catch (err) {
    $('problem').textContent =
      err instanceof ApiError ? (MESSAGES[err.code] ?? err.message) : String(err);
    $('problem').hidden = false;
  }
});
