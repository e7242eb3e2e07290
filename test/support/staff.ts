/**
 * Staff for the console's tests: members added to the stack's staff directory, and signing in
 * through `POST /api/session` as a browser does, keeping the session cookie.
 */
import type { Role } from '../../engine/domain/staff/roles.ts';
import type { Stack } from '../../engine/runtime/stack.ts';
import { SESSION_COOKIE } from '../../gateways/dashboard/staff-auth.ts';

export const TEST_PASSWORD = 'correct horse battery staple';

export interface SignedInClient {
  userId: string;
  /** `clientele_session=<token>`, for a Cookie header. */
  cookie: string;
  /** A request to the console with the session (and the console's own Origin for changes). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  get<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }>;
}

let counter = 0;

/** A new member of staff (a unique user id from `prefix`), with TEST_PASSWORD. */
export async function addStaff(
  stack: Stack,
  role: Role,
  options: { stores?: string[]; prefix?: string } = {},
): Promise<string> {
  counter += 1;
  const userId = `${options.prefix ?? role}-${process.pid}-${counter}`;
  await stack.staff?.add(
    {
      userId,
      name: `Test ${role}`,
      role,
      ...(options.stores ? { stores: options.stores } : {}),
      createdAt: new Date().toISOString(),
    },
    TEST_PASSWORD,
  );
  return userId;
}

export async function signIn(
  url: string,
  userId: string,
  password = TEST_PASSWORD,
): Promise<SignedInClient> {
  const res = await fetch(`${url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ userId, password }),
  });
  if (res.status !== 200)
    throw new Error(`sign-in of ${userId} answered ${res.status}: ${await res.text()}`);
  const set = res.headers.get('set-cookie') ?? '';
  const token = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(set)?.[1];
  if (!token) throw new Error(`sign-in set no session cookie: ${set}`);
  const cookie = `${SESSION_COOKIE}=${token}`;
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { cookie, origin: url, ...(init.headers as Record<string, string>) },
    });
  return {
    userId,
    cookie,
    fetch: call,
    async get<T>(path: string) {
      const r = await call(path);
      return { status: r.status, body: (await r.json()) as T };
    },
  };
}

/** A member of the role, signed in. */
export async function staffMember(
  stack: Stack,
  role: Role,
  options: { stores?: string[] } = {},
): Promise<SignedInClient> {
  return signIn(stack.dashboard?.url as string, await addStaff(stack, role, options));
}
