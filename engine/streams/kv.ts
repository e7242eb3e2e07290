/**
 * What every store on NATS KV needs: reading a key that may have been deleted, and knowing the
 * answer a write gets when it was made on a revision that is no longer the latest (a `create` of
 * a key that holds something, an `update` that another writer beat). Stores that race on purpose
 * (program versions, account numbers, identifiers, profiles) read again and decide.
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';

export function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** The key's entry, unless it holds nothing (never written, deleted or purged). */
export async function liveEntry(kv: KV, key: string): Promise<KvEntry | undefined> {
  const entry = await kv.get(key);
  return entry?.operation === 'PUT' ? entry : undefined;
}
