/**
 * Dead letters: a message no consumer can process is copied to `deadletter.<stream>` with why,
 * then terminated at its source, so it never blocks the stream and is never silently lost.
 */
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { deadLetterSubject } from './topology.ts';

/**
 * Headers of a dead letter: which message it stands for and why. (source stream, source seq)
 * identifies it, so two consumers dead-lettering the same message give one row in analytics.
 */
export const DEAD_LETTER_HEADERS = {
  sourceStream: 'Clientele-Source-Stream',
  sourceSeq: 'Clientele-Source-Seq',
  sourceSubject: 'Clientele-Source-Subject',
  reason: 'Clientele-Reason',
} as const;

/**
 * Copies the message to the dead-letter stream, then terminates it. If the copy cannot be
 * stored, the message is left for redelivery instead: nothing is dropped.
 */
export async function deadLetter(
  js: JetStreamClient,
  msg: JsMsg,
  reason: string,
): Promise<boolean> {
  const stream = msg.info.stream;
  const seq = msg.info.streamSequence;
  const h = headers();
  // Headers are single-line; keep the reason readable but bounded.
  h.set(DEAD_LETTER_HEADERS.reason, reason.replace(/[\r\n]+/g, ' ').slice(0, 1000));
  h.set(DEAD_LETTER_HEADERS.sourceStream, stream);
  h.set(DEAD_LETTER_HEADERS.sourceSeq, String(seq));
  h.set(DEAD_LETTER_HEADERS.sourceSubject, msg.subject);
  try {
    await js.publish(deadLetterSubject(stream), msg.data, {
      headers: h,
      msgID: `${stream}:${seq}`,
    });
  } catch {
    msg.nak(1000);
    return false;
  }
  msg.term(reason.slice(0, 200));
  return true;
}
