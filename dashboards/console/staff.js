// The staff page, for admins: who signs in, with their role and stores; adding a member, and
// disabling one (their sessions end at once). Passwords go to the server only, which keeps
// their Argon2id hash.
import { ApiError, getJson, postJson } from './api.js';
import { h, startShell } from './shell.js';

const $ = (id) => document.getElementById(id);
const session = await startShell();

function disableButton(member) {
  const button = h('button', { type: 'button' }, `Disable ${member.userId}`);
  button.addEventListener('click', async () => {
    try {
      await postJson(`/api/staff/${encodeURIComponent(member.userId)}/disable`, {});
      await load();
    } catch (err) {
      $('problem').textContent = `Refused: ${err.message}`;
      $('problem').hidden = false;
    }
  });
  return button;
}

async function load() {
  const { staff } = await getJson('/api/staff');
  $('members')
    .querySelector('tbody')
    .replaceChildren(
      ...staff.map((member) =>
        h(
          'tr',
          { dataset: { user: member.userId } },
          h('td', {}, member.userId),
          h('td', {}, member.name),
          h('td', {}, member.role),
          h('td', {}, member.stores?.join(', ') ?? 'all'),
          h('td', {}, member.createdAt.slice(0, 10)),
          h(
            'td',
            {},
            member.disabledAt
              ? `disabled ${member.disabledAt.slice(0, 10)}`
              : member.userId === session.userId
                ? 'you'
                : disableButton(member),
          ),
        ),
      ),
    );
}

$('add-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const stores = $('add-stores')
    .value.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  try {
    const { member } = await postJson('/api/staff', {
      userId: $('add-user').value.trim(),
      name: $('add-name').value.trim(),
      role: $('add-role').value,
      ...(stores.length > 0 ? { stores } : {}),
      password: $('add-password').value,
    });
    $('add-password').value = '';
    $('add-result').textContent = `Added ${member.userId} (${member.role}).`;
    await load();
  } catch (err) {
    const field = err instanceof ApiError ? err.issues[0]?.field : undefined;
    $('add-result').textContent = `Refused: ${field ? `${field} ` : ''}${err.message}`;
  }
});

try {
  await load();
  document.body.dataset.loaded = 'true';
} catch (err) {
  $('problem').textContent = err.message;
  $('problem').hidden = false;
}
