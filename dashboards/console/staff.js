// The staff page, for admins: who signs in, with their role and stores; adding a member,
// changing one's role, stores or password, and disabling one (their sessions end at once).
// Passwords go to the server only, which keeps their Argon2id hash.
import { ApiError, getJson, postJson, putJson } from './api.js';
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

/** The members an admin may change: not themselves, not those disabled. */
let changeable = [];

const storesOf = (input) =>
  input.value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

const refusal = (err) => {
  const field = err instanceof ApiError ? err.issues[0]?.field : undefined;
  return `Refused: ${field ? `${field} ` : ''}${err.message}`;
};

function showChosen() {
  const member = changeable.find((m) => m.userId === $('change-user').value);
  if (!member) return;
  $('change-role').value = member.role;
  $('change-stores').value = member.stores?.join(', ') ?? '';
}

/** The roles the server knows, offered by both forms (kept as chosen). */
function offerRoles(roles) {
  for (const select of [$('add-role'), $('change-role')]) {
    const chosen = select.value;
    select.replaceChildren(
      ...roles.map((role) => h('option', { value: role }, role.replace('-', ' '))),
    );
    if (roles.includes(chosen)) select.value = chosen;
  }
}

async function load() {
  const { staff, roles } = await getJson('/api/staff');
  offerRoles(roles);
  const chosen = $('change-user').value;
  changeable = staff.filter((m) => !m.disabledAt && m.userId !== session.userId);
  $('change-user').replaceChildren(
    ...changeable.map((m) => h('option', { value: m.userId }, `${m.userId} (${m.name})`)),
  );
  if (changeable.some((m) => m.userId === chosen)) $('change-user').value = chosen;
  showChosen();
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
  const stores = storesOf($('add-stores'));
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
    $('add-result').textContent = refusal(err);
  }
});

$('change-user').addEventListener('change', showChosen);

$('change-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const stores = storesOf($('change-stores'));
  const password = $('change-password').value;
  try {
    const userId = $('change-user').value;
    const { member } = await putJson(`/api/staff/${encodeURIComponent(userId)}`, {
      role: $('change-role').value,
      stores: stores.length > 0 ? stores : null,
      ...(password ? { password } : {}),
    });
    $('change-password').value = '';
    const where = member.stores?.join(', ') ?? 'all stores';
    $('change-result').textContent =
      `Changed ${member.userId}: ${member.role}, ${where}${password ? ', password set' : ''}.`;
    await load();
  } catch (err) {
    $('change-result').textContent = refusal(err);
  }
});

try {
  await load();
  document.body.dataset.loaded = 'true';
} catch (err) {
  $('problem').textContent = err.message;
  $('problem').hidden = false;
}
