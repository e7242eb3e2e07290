/**
 * The answer NATS KV gives a write made on a revision that is no longer the latest: a `create` of
 * a key that holds something, an `update` that another writer beat. Stores that race on purpose
 * (program versions, account numbers, identifiers) read again and decide.
 */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

export function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
