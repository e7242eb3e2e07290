/**
 * The till screen (`dashboards/till/`), served by the till gateway on the origin of its Socket.io:
 * `GET /` is the page, `GET /assets/<file>` its scripts and style sheet, and Socket.io serves its
 * own client (`/socket.io/socket.io.min.js`). Nothing comes from elsewhere; the page signs in
 * over the socket with its store's token, so the HTTP routes need none.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { addSharedFiles, fileResponse, isPlainName } from '../shared/static-files.ts';

/** Where the page and its assets live. */
export const TILL_PAGE_DIR = fileURLToPath(new URL('../../dashboards/till/', import.meta.url));

/** The till screen's HTTP routes; everything else is 404. */
export function createTillPageApp(pageDir = TILL_PAGE_DIR): Hono {
  const app = new Hono();
  const page = (name: string) => fileResponse(join(pageDir, name));
  app.get('/', async (c) => (await page('index.html')) ?? c.text('index.html is missing', 500));
  addSharedFiles(app);
  app.get('/assets/:file', async (c) => {
    const name = c.req.param('file');
    return (isPlainName(name) && (await page(name))) || c.notFound();
  });
  return app;
}
