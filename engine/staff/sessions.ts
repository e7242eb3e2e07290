/**
 * Signed-in sessions of the console, in the NATS KV bucket `SESSIONS`: the key is the SHA-256 of
 * the session's token (so the bucket holds nothing that signs anyone in), the value who and
 * until when. The token itself lives only in the browser's cookie. A session ends when it
 * expires, when its member signs out, or when the member is disabled (checked on every use);
 * the bucket forgets expired sessions by itself after a day.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { instant } from '../domain/events.ts';
import { staffId } from '../domain/identity/messages.ts';
import type { StaffMember } from '../domain/staff/roles.ts';
import { liveEntry } from '../streams/kv.ts';
import { SESSIONS_BUCKET } from '../streams/topology.ts';
import type { StaffDirectory } from './staff-directory.ts';

/** The longest a session may last (`console.sessionMinutes` is at most this). */
export const MAX_SESSION_MINUTES = 24 * 60;

const session = z.strictObject({ userId: staffId, startedAt: instant, expiresAt: instant });

export interface SignedIn {
  member: StaffMember;
  startedAt: string;
  expiresAt: string;
}

export interface Sessions {
  /** A new session for the member: its token (for the cookie) and when it expires. */
  start(member: StaffMember, now: Date): Promise<{ token: string; expiresAt: string }>;
  /** Who the token signs in, unless it is unknown, expired, or its member disabled. */
  find(token: string, now: Date): Promise<SignedIn | undefined>;
  end(token: string): Promise<void>;
}

const keyOf = (token: string) => createHash('sha256').update(token).digest('hex');

export async function openSessions(
  nc: NatsConnection,
  options: { directory: StaffDirectory; minutes: number; replicas?: number },
): Promise<Sessions> {
  const kv: KV = await new Kvm(nc).create(SESSIONS_BUCKET, {
    history: 1,
    ttl: MAX_SESSION_MINUTES * 60_000,
    replicas: options.replicas ?? 1,
    description: 'Clientele console sessions: sha256(token) → user id and expiry',
  });
  return {
    async start(member, now) {
      const token = randomBytes(32).toString('base64url');
      const expiresAt = new Date(now.getTime() + options.minutes * 60_000).toISOString();
      const value = { userId: member.userId, startedAt: now.toISOString(), expiresAt };
      await kv.create(keyOf(token), JSON.stringify(session.parse(value)));
      return { token, expiresAt };
    },
    async find(token, now) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
      const entry = await liveEntry(kv, keyOf(token));
      const found = entry && session.safeParse(entry.json());
      if (!found?.success || Date.parse(found.data.expiresAt) <= now.getTime()) return undefined;
      const member = await options.directory.get(found.data.userId);
      if (!member || member.disabledAt) return undefined;
      return { member, startedAt: found.data.startedAt, expiresAt: found.data.expiresAt };
    },
    async end(token) {
      if (/^[A-Za-z0-9_-]{43}$/.test(token)) await kv.delete(keyOf(token));
    },
  };
}
