/**
 * Dead letters: a message no consumer can process is copied to `deadletter.<stream>` with why,
 * then terminated at its source, so it never blocks the stream and is never silently lost.
 */
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { deadLetterSubject } from './topology.ts';

export const DEAD_LETTER_HEADERS = {
  reason: 'Clientele-Reason',
  stream: 'Clientele-Source-Stream',
  seq: 'Clientele-Source-Seq',
  subject: 'Clientele-Source-Subject',
} as const;

export interface DeadLetter {
  stream: string;
  seq: number;
  subject: string;
  reason: string;
  payload: Uint8Array;
}

/**
 * Copies the message to the dead-letter stream, then terminates it. If the copy cannot be
 * stored, the message is left for redelivery instead: nothing is dropped.
 */
export async function deadLetter(js: JetStreamClient, msg: JsMsg, reason: string): Promise<boolean> {
  const stream = msg.info.stream;
  const seq = msg.info.streamSequence;
  const h = headers();
  // Headers are single-line; keep the reason readable but bounded.
  h.set(DEAD_LETTER_HEADERS.reason, reason.replace(/[\r\n]+/g, ' ').slice(0, 1000));
  h.set(DEAD_LETTER_HEADERS.stream, stream);
  h.set(DEAD_LETTER_HEADERS.seq, String(seq));
  h.set(DEAD_LETTER_HEADERS.subject, msg.subject);
  try {
    await js.publish(deadLetterSubject(stream), msg.data, { headers: h, msgID: `${stream}:${seq}` });
  } catch {
    msg.nak(1000);
    return false;
  }
  msg.term(reason.slice(0, 200));
  return true;
}

export function readDeadLetter(msg: JsMsg): DeadLetter {
  const h = msg.headers;
  return {
    stream: h?.get(DEAD_LETTER_HEADERS.stream) ?? '',
    seq: Number(h?.get(DEAD_LETTER_HEADERS.seq) ?? 0),
    subject: h?.get(DEAD_LETTER_HEADERS.subject) ?? '',
    reason: h?.get(DEAD_LETTER_HEADERS.reason) ?? '',
    payload: msg.data,
  };
}
