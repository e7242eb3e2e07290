/**
 * The till protocol over Socket.io, as zod schemas (the README documents it for till vendors).
 *
 * - connect with `auth: { storeId, tillId, token }` (in the auth payload, never the URL);
 * - `emit('event', event, ack)`: ack is `{ ok: true, eventId, seq, duplicate }` once the event
 *   is stored, or `{ ok: false, error: { code, message, issues: [{ field, message }] } }`;
 * - `on('cue', { seq, cue })`: cues for this till only; keep the last `seq`;
 * - `on('fraud:alert', { flagId, rule, at, message, cardNumber?, customerId?, action })`: an
 *   anti-fraud flag raised on a use at this till, at once (the next identification shows it too);
 * - `emit('customer:identify', { card: { payload, source } } | { accountNumber } | { phone } |
 *   { email }, ack)`: ack is `{ ok: true, customerId, accountNumber, card?, summary?, cues }` or
 *   a refusal (a blocked, lost or replaced card: `card_refused`; nobody: `unknown_identifier`);
 * - `emit('customer:view', { customerId }, ack)`: ack is the customer's 360 view as a till may
 *   see it (no profile): cards, summary, history, cues;
 * - `emit('customer:register', { registrationId, consent?, profile?, card?, phone?, email? }, ack)`:
 *   ack is `{ ok: true, customerId, accountNumber, cardNumber?, repeated }`;
 * - `emit('cues:missed', { afterSeq }, ack)`: ack is `{ ok: true, cues: [{ seq, cue }] }`, the
 *   cues for this till after `afterSeq`, to catch up after a reconnect;
 * - `on('error', { code, message, issues, eventId? })`: a message the gateway did not act on (a
 *   `TillError`), sent to that till only.
 *
 * Every refusal or failure is `{ ok: false, error: { code, message, issues } }` with a code of
 * `engine/domain/error-codes.ts`, whose table also says how each reaches a till.
 */
import { z } from 'zod';
import type { Cue } from '../../engine/domain/effects.ts';
import type { ErrorBody } from '../../engine/domain/error-codes.ts';
import { storeId, tillId } from '../../engine/domain/events.ts';
import type { FraudFlag } from '../../engine/domain/fraud/messages.ts';

export const tillAuth = z.strictObject({
  storeId,
  tillId,
  token: z.string().min(1).max(512),
});

export const cuesMissedRequest = z.strictObject({
  afterSeq: z.number().int().min(0),
  /** At most this many cues in one answer. */
  limit: z.number().int().min(1).max(500).default(200),
});

export interface CueMessage {
  /** Position in the CUES stream: the till's cursor for `cues:missed`. */
  seq: number;
  cue: Cue;
}

export type TillAuth = z.infer<typeof tillAuth>;

/** An anti-fraud flag as the till where it was raised is told of it (`fraud:alert`). */
export type FraudAlert = Pick<
  FraudFlag,
  'flagId' | 'rule' | 'at' | 'message' | 'cardNumber' | 'customerId' | 'action'
>;

/** What the acknowledgement of each message tells the till: why each one needs it. */
export const ACK_ANSWERS = {
  event: 'whether the event was stored',
  'points:redeem': 'whether the points were granted',
  'points:cancel': 'whether the redemption was cancelled',
  'customer:identify': 'who the card or number belongs to, or why it is refused',
  'customer:register': "the new member's customer id and account number",
  'customer:view': "the customer's 360 view",
  'cues:missed': 'the missed cues',
} as const;

/**
 * Sent as `error` to a till whose message the gateway did not act on: `ack_required`, a message
 * in `ACK_ANSWERS` came without an acknowledgement callback.
 */
export type TillError = ErrorBody & {
  /** The `eventId` of the event not acted on, when it had one. */
  eventId?: string;
};
