/**
 * Asks the loyalty service (NATS request–reply) on behalf of a till or the web shop. The store
 * (and the till) come from the caller's verified connection and overwrite whatever the payload
 * says, so no caller redeems in another store's name.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { ClienteleError } from '../../engine/domain/error-codes.ts';
import type { CancelAnswer, RedeemAnswer } from '../../engine/domain/redemption.ts';

const decoder = new TextDecoder();

export interface Caller {
  storeId: string;
  tillId?: string;
  channel: 'till' | 'web';
}

/** The service's JSON answer; `unavailable` when it does not answer in time. */
export async function askLoyaltyService(
  nc: NatsConnection,
  subject: string,
  payload: unknown,
  caller?: Caller,
): Promise<RedeemAnswer | CancelAnswer> {
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
      `the loyalty service did not answer: ${(err as Error).message}`,
    ).toAnswer();
  }
}
