// Talking to the console's API: JSON both ways, the session in its cookie. A call the server
// refuses throws an ApiError carrying the error's code and issues; a lost session sends the
// visitor to the sign-in page.

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.issues?.[0]?.message ?? error?.message ?? `the console answered ${status}`);
    this.status = status;
    this.code = error?.code ?? 'unavailable';
    this.issues = error?.issues ?? [];
  }
}

function toSignIn() {
  const next = encodeURIComponent(window.location.pathname + window.location.search);
  window.location.assign(`/sign-in?next=${next}`);
}

async function call(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => undefined);
  if (response.status === 401) toSignIn();
  if (!response.ok || answer?.ok === false) throw new ApiError(response.status, answer?.error);
  return answer;
}

export const getJson = (path) => call('GET', path);
export const postJson = (path, body) => call('POST', path, body);
export const putJson = (path, body) => call('PUT', path, body);
export const deleteJson = (path) => call('DELETE', path);

/** `/api/analytics/<question>` with its parameters (undefined ones left out). */
export function ask(question, params = {}) {
  const query = new URLSearchParams(
    Object.entries(params).filter(([, v]) => v !== undefined && v !== ''),
  );
  const suffix = query.size > 0 ? `?${query}` : '';
  return getJson(`/api/analytics/${encodeURIComponent(question)}${suffix}`);
}
