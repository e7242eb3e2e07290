/**
 * The dashboard's API (`/api/…`) is for marketers: the marketer token comes as
 * `Authorization: Bearer <token>` (never in the URL, which logs keep). Anything else is refused
 * `unauthorized`, naming the header.
 */
import type { Context, Hono } from 'hono';
import { ClienteleError } from '../../engine/domain/error-codes.ts';
import { sameToken } from '../shared/store-tokens.ts';

export const fail = (c: Context, error: ClienteleError) =>
  c.json(error.toAnswer(), error.httpStatus);

export function requireMarketer(app: Hono, token: string): void {
  app.use('/api/*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const given = /^Bearer\s+(.*\S)\s*$/i.exec(header)?.[1];
    if (given === undefined || !sameToken(given, token)) {
      c.header('WWW-Authenticate', 'Bearer');
      const problem =
        given === undefined ? 'needs "Bearer <marketer token>"' : 'is not the marketer token';
      return fail(
        c,
        new ClienteleError('unauthorized', [{ field: 'authorization', message: problem }]),
      );
    }
    await next();
  });
}
