// The frame of every console page: who is signed in, the pages their role opens (as the server
// lists them), and signing out. Pages call `startShell()` first and get the session back.
import { deleteJson, getJson } from './api.js';

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== undefined && c !== null));
  return node;
}

export { element as h };

/**
 * Draws the frame; answers who is signed in (`/api/session`) with what the pages need to show
 * figures: the program's `currency`, `pointValue` and live `segments`.
 */
export async function startShell() {
  const [session, frame] = await Promise.all([getJson('/api/session'), getJson('/api/console')]);
  const { pages } = frame;
  const here = window.location.pathname;
  const current = (path) =>
    path === '/' ? here === '/' : here === path || here.startsWith(`${path}/`);
  const nav = element(
    'nav',
    { 'aria-label': 'Console pages' },
    element(
      'ul',
      {},
      ...pages.map((page) =>
        element(
          'li',
          {},
          element(
            'a',
            { href: page.path, ...(current(page.path) ? { 'aria-current': 'page' } : {}) },
            page.label,
          ),
        ),
      ),
    ),
  );
  const signOut = element('button', { type: 'button', id: 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', async () => {
    await deleteJson('/api/session').catch(() => undefined);
    window.location.assign('/sign-in');
  });
  const stores = session.stores ? ` · ${session.stores.join(', ')}` : '';
  const who = element(
    'div',
    { className: 'who' },
    element('span', { id: 'who' }, `${session.name} · ${session.role}${stores}`),
    signOut,
  );
  const top = document.getElementById('top');
  top.replaceChildren(element('p', { className: 'brand' }, 'Clientele'), nav, who);
  return {
    ...session,
    currency: frame.currency,
    pointValue: frame.pointValue,
    segments: frame.segments,
  };
}
