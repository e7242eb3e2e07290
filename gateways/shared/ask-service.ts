/**
 * Asks an engine service (NATS request–reply: the loyalty service, the identity service) on
 * behalf of a till or the web shop. The store (and the till) come from the caller's verified
 * connection and overwrite whatever the payload says, so no caller redeems, registers or looks a
 * customer up in another store's name.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { ClienteleError, type ErrorAnswer } from '../../engine/domain/error-codes.ts';

const decoder = new TextDecoder();

export interface Caller {
  storeId: string;
  tillId?: string;
  channel: 'till' | 'web' | 'back-office';
}

/** The service's JSON answer; `unavailable` when it does not answer in time. */
export async function askService(
  nc: NatsConnection,
  subject: string,
  payload: unknown,
  caller?: Caller,
): Promise<{ ok: true } | ErrorAnswer> {
  const request =
    caller && payload && typeof payload === 'object' && !Array.isArray(payload)
      ? { ...payload, ...caller }
      : payload;
  try {
    const reply = await nc.request(subject, JSON.stringify(request), { timeout: 10_000 });
    return JSON.parse(decoder.decode(reply.data));
  } catch (err) {
    return new ClienteleError(
      'unavailable',
      [],
      `the service did not answer (${subject}): ${(err as Error).message}`,
    ).toAnswer();
  }
}
