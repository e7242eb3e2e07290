// Signs in with the user id and password, then goes where the visitor was going (a path of this
// console only) or to the console's first page.
const form = document.getElementById('sign-in');
const problem = document.getElementById('problem');

/** `next` from the address, if it is a path on this server (never another site). */
function nextPath() {
  const next = new URLSearchParams(window.location.search).get('next');
  return next && /^\/(?!\/)[^\s]*$/.test(next) ? next : '/';
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  problem.hidden = true;
  const data = new FormData(form);
  const body = {
    userId: String(data.get('userId') ?? ''),
    password: String(data.get('password') ?? ''),
  };
  const response = await fetch('/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).catch(() => undefined);
  const answer = await response?.json().catch(() => undefined);
  if (answer?.ok) {
    window.location.assign(nextPath());
    return;
  }
  problem.textContent =
    answer?.error?.issues?.[0]?.message ??
    answer?.error?.message ??
    'The console did not answer: try again.';
  problem.hidden = false;
});
