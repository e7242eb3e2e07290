/**
 * Serving the pages' own files (the console's, the till screen's): a plain file name of one
 * folder, with its content type, under one strict policy — only the gateway's own files and
 * socket, no inline script or style, never framed.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env, Hono } from 'hono';

/** Modules both the console and the till screen use (`dashboards/shared/`), at `/shared/<file>`. */
export const SHARED_PAGE_DIR = fileURLToPath(new URL('../../dashboards/shared/', import.meta.url));

export const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

/** A bare file name of a pages folder: no path separators, no dot files. */
export const isPlainName = (name: string): boolean => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name);

/** The file with its content type and the pages' headers; undefined if it is not one to serve. */
export async function fileResponse(path: string, status = 200): Promise<Response | undefined> {
  const type = contentTypes[extname(path)];
  if (!type) return undefined;
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  return new Response(new Uint8Array(await readFile(path)), {
    status,
    headers: { ...PAGE_HEADERS, 'content-type': type },
  });
}

/** `GET /shared/<file>`: the modules the pages of both gateways share. */
export function addSharedFiles<E extends Env>(app: Hono<E>, dir = SHARED_PAGE_DIR): void {
  app.get('/shared/:file', async (c) => {
    const name = c.req.param('file');
    return (isPlainName(name) && (await fileResponse(join(dir, name)))) || c.notFound();
  });
}
