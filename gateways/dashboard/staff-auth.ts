/**
 * Who is signed in to the console, checked on the server for every page, API call and socket:
 *
 * - `POST /api/session` `{ userId, password }` signs in: the session's token goes into an
 *   HttpOnly, SameSite=Strict cookie (never to the page's scripts); the answer says who, their
 *   role, stores and permissions, and when the session expires. Failed attempts for one user id
 *   are limited (`console.signInAttempts` in 15 minutes).
 * - `GET /api/session` says who is signed in; `DELETE /api/session` signs out.
 * - Every other `/api/*` call needs the cookie (`unauthorized` otherwise), and each route says
 *   the permission it needs (`allow`, `forbidden` otherwise, naming the role).
 *
 * Requests that change something must come from the console's own pages (hono's `csrf`: the
 * Origin header is this server's) and carry JSON.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import { ClienteleError, issuesOf } from '../../engine/domain/error-codes.ts';
import {
  may,
  type Permission,
  ROLE_PERMISSIONS,
  type StaffMember,
} from '../../engine/domain/staff/roles.ts';
import type { Sessions, SignedIn } from '../../engine/staff/sessions.ts';
import type { StaffDirectory } from '../../engine/staff/staff-directory.ts';

export const SESSION_COOKIE = 'clientele_session';

export interface StaffAuthDeps {
  directory: StaffDirectory;
  sessions: Sessions;
  /** Failed sign-ins for one user id in 15 minutes before it must wait. */
  signInAttempts: number;
  /** Mark the cookie `Secure` (HTTPS only). */
  secureCookies: boolean;
  now: () => Date;
}

/** What the console's routes know of the request. */
export type ConsoleEnv = { Variables: { signedIn: SignedIn } };

export const fail = (c: Context, error: ClienteleError) =>
  c.json(error.toAnswer(), error.httpStatus);

/** The request's JSON body as `schema` reads it, or `invalid_request` naming each bad field. */
export async function jsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T | ClienteleError> {
  const parsed = schema.safeParse(await c.req.json().catch(() => undefined));
  return parsed.success
    ? parsed.data
    : new ClienteleError('invalid_request', issuesOf(parsed.error.issues));
}

const signInRequest = z.strictObject({
  userId: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});

/** Who is signed in, as the page and `GET /api/session` see it. */
export function sessionView(signedIn: SignedIn) {
  const { member, expiresAt } = signedIn;
  return {
    ok: true as const,
    userId: member.userId,
    name: member.name,
    role: member.role,
    ...(member.stores ? { stores: member.stores } : {}),
    permissions: ROLE_PERMISSIONS[member.role],
    expiresAt,
  };
}

const notSignedIn = (message: string) =>
  new ClienteleError('unauthorized', [{ field: 'session', message }]);

/** The session the cookie names, if it is one. */
export async function signedInBy(
  deps: StaffAuthDeps,
  token: string | undefined,
): Promise<SignedIn | undefined> {
  return token ? deps.sessions.find(token, deps.now()) : undefined;
}

/** The session token in a `Cookie` header (for the socket's handshake). */
export function sessionToken(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}

/** `forbidden` unless the signed-in person's role has the permission. */
export const allow =
  (permission: Permission): MiddlewareHandler<ConsoleEnv> =>
  async (c, next) => {
    const { member } = c.get('signedIn');
    if (!may(member, permission)) {
      return fail(c, forbiddenFor(member, `is not allowed to use ${permission}`));
    }
    await next();
  };

export const forbiddenFor = (member: Pick<StaffMember, 'role'>, message: string) =>
  new ClienteleError('forbidden', [
    { field: 'role', message: `the ${member.role} role ${message}` },
  ]);

/** The sign-in routes, and the session check in front of every other `/api/*` route. */
export function addStaffAuth(app: Hono<ConsoleEnv>, deps: StaffAuthDeps): void {
  const failures = new RateLimiterMemory({ points: deps.signInAttempts, duration: 15 * 60 });

  app.use('/api/*', csrf());
  app.use('/api/*', async (c, next) => {
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method);
    const type = c.req.header('content-type') ?? '';
    if (unsafe && c.req.method !== 'DELETE' && !/^application\/json\b/i.test(type)) {
      return fail(
        c,
        new ClienteleError('invalid_request', [
          { field: 'content-type', message: 'must be application/json' },
        ]),
      );
    }
    await next();
  });

  app.post('/api/session', async (c) => {
    const body = signInRequest.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success)
      return fail(c, new ClienteleError('invalid_request', issuesOf(body.error.issues)));
    const { userId, password } = body.data;
    const waited = await failures.get(userId);
    if (waited && waited.consumedPoints >= deps.signInAttempts) {
      return fail(c, tooManyAttempts(waited.msBeforeNext));
    }
    const member = await deps.directory.verify(userId, password);
    if (!member) {
      try {
        await failures.consume(userId);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        return fail(c, tooManyAttempts(err.msBeforeNext));
      }
      // One message for a wrong user and a wrong password: it tells no one who exists.
      return fail(c, notSignedIn('wrong user id or password'));
    }
    await failures.delete(userId);
    const started = await deps.sessions.start(member, deps.now());
    setCookie(c, SESSION_COOKIE, started.token, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: deps.secureCookies,
      path: '/',
      expires: new Date(started.expiresAt),
    });
    return c.json(sessionView({ member, startedAt: deps.now().toISOString(), ...started }));
  });

  app.use('/api/*', async (c, next) => {
    const signedIn = await signedInBy(deps, getCookie(c, SESSION_COOKIE));
    if (!signedIn) {
      const given = getCookie(c, SESSION_COOKIE) !== undefined;
      return fail(c, notSignedIn(given ? 'has expired or ended: sign in again' : 'sign in first'));
    }
    c.set('signedIn', signedIn);
    await next();
  });

  app.get('/api/session', (c) => c.json(sessionView(c.get('signedIn'))));
  app.delete('/api/session', async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await deps.sessions.end(token);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ ok: true });
  });
}

function tooManyAttempts(msBeforeNext: number): ClienteleError {
  const minutes = Math.max(1, Math.ceil(msBeforeNext / 60_000));
  return new ClienteleError('rate_limited', [
    { field: 'userId', message: `too many failed sign-ins: try again in ${minutes} min` },
  ]);
}
