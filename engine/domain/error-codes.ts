/**
 * Every code Clientele refuses or fails with, in one closed table: the till protocol, the web API,
 * the redemption service and the customer client answer with these codes and no others. Each
 * code says its HTTP status, how a till learns it over Socket.io, and whether asking again can
 * help. The README's table of error codes is checked against this one.
 *
 * A schema module: the pure rules and the workflow import its types only (`import type`), so
 * zod stays out of the workflow bundle.
 */
import { z } from 'zod';

/**
 * How a till learns of an error over Socket.io: `ack` in the acknowledgement of its message
 * (`{ ok: false, error }`), `connect_error` as the refused connection's error (`message` starts
 * with the code, `data` is the error), `error` as an `error` message to that till only, and
 * `disconnect` when Socket.io closes the connection without an answer.
 */
export type SocketAnswer = 'ack' | 'connect_error' | 'error' | 'disconnect';

export interface ErrorCodeInfo {
  http: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 503;
  socket: SocketAnswer;
  /** Asking again, unchanged, may succeed (the till should retry, with the same ids). */
  retry: boolean;
  /** What it means, for the docs. */
  meaning: string;
}

/** A redemption the program refuses: every reason that applies, in this order. */
export const redemptionRefusalCodes = [
  'not_positive',
  'channel_not_allowed',
  'unknown_partner',
  'currency_not_redeemable',
  'below_minimum',
  'insufficient_balance',
  'over_basket_share',
] as const;

export type RedemptionRefusalCode = (typeof redemptionRefusalCodes)[number];

const refusedByProgram = (meaning: string): ErrorCodeInfo => ({
  http: 422,
  socket: 'ack',
  retry: false,
  meaning,
});

export const errorCodes = {
  invalid_event: {
    http: 400,
    socket: 'ack',
    retry: false,
    meaning:
      'The event breaks the contract (or its `occurredAt` the limits): `issues` names each field.',
  },
  invalid_request: {
    http: 400,
    socket: 'ack',
    retry: false,
    meaning:
      'A request (a redemption, `cues:missed`, a path parameter) is malformed: `issues` names each field.',
  },
  too_large: {
    http: 413,
    socket: 'disconnect',
    retry: false,
    meaning: 'The message is larger than `gateways.maxMessageBytes`.',
  },
  unauthorized: {
    http: 401,
    socket: 'connect_error',
    retry: false,
    meaning:
      "No store's token, or no signed-in session (missing, expired, or a wrong user or password).",
  },
  forbidden: {
    http: 403,
    socket: 'ack',
    retry: false,
    meaning:
      'The signed-in person may not do this: their role does not allow it, or the store or customer is not theirs to see.',
  },
  wrong_store: {
    http: 403,
    socket: 'ack',
    retry: false,
    meaning: "A known store sends another store's (or another till's) event.",
  },
  ack_required: {
    http: 400,
    socket: 'error',
    retry: false,
    meaning: 'A till message that needs an acknowledgement came without one: it was not acted on.',
  },
  unknown_customer: {
    http: 404,
    socket: 'ack',
    retry: false,
    meaning: 'No customer with this id yet.',
  },
  unknown_redemption: {
    http: 404,
    socket: 'ack',
    retry: false,
    meaning: "No such redemption for this customer (or another store's).",
  },
  unknown_identifier: {
    http: 404,
    socket: 'ack',
    retry: false,
    meaning: 'No customer holds this card, account number, phone number or e-mail address.',
  },
  unknown_flag: {
    http: 404,
    socket: 'ack',
    retry: false,
    meaning: 'No anti-fraud flag with this id.',
  },
  unknown_question: {
    http: 404,
    socket: 'ack',
    retry: false,
    meaning: 'No analytics question by this name: `clientele analytics list` lists them.',
  },
  unknown_group: {
    http: 404,
    socket: 'ack',
    retry: false,
    meaning: 'No saved group by this id: `clientele analytics groups` lists them.',
  },
  group_exists: {
    http: 409,
    socket: 'ack',
    retry: false,
    meaning:
      'A group is saved under this id already: save it again with replace to make a new version.',
  },
  staff_exists: {
    http: 409,
    socket: 'ack',
    retry: false,
    meaning: 'A member of staff already has this user id.',
  },
  unknown_staff: {
    http: 404,
    socket: 'ack',
    retry: false,
    meaning: 'No member of staff with this user id.',
  },
  identifier_taken: {
    http: 409,
    socket: 'ack',
    retry: false,
    meaning:
      'The card, account number, phone number or e-mail address belongs to another customer.',
  },
  customer_merged: {
    http: 409,
    socket: 'ack',
    retry: false,
    meaning:
      'The customer was merged into another: `message` and `issues` name where it went; a merge of it elsewhere is refused.',
  },
  card_refused: {
    http: 422,
    socket: 'ack',
    retry: false,
    meaning:
      'The card is blocked, reported lost or replaced: `message` says which, for the cashier.',
  },
  rate_limited: {
    http: 429,
    socket: 'ack',
    retry: true,
    meaning:
      'More look-ups from this till (or web token) than `identity.lookupsPerMinute`, or more failed sign-ins for one user than `console.signInAttempts`: wait, then ask again.',
  },
  not_positive: refusedByProgram('Not a whole number of points above 0.'),
  channel_not_allowed: refusedByProgram("The channel is not in the program's redemption channels."),
  unknown_partner: refusedByProgram('A partner where points cannot be spent.'),
  currency_not_redeemable: refusedByProgram('Points cannot be spent in this currency.'),
  below_minimum: refusedByProgram("Fewer points than the program's minimum."),
  insufficient_balance: refusedByProgram('More points than can be spent now.'),
  over_basket_share: refusedByProgram("Worth more than the program's share of the basket."),
  redemption_used: refusedByProgram(
    'The redemption paid for a sale: return the sale to give its points back.',
  ),
  no_program: {
    http: 503,
    socket: 'ack',
    retry: false,
    meaning: 'No loyalty program (or not the version asked for) is published.',
  },
  busy: {
    http: 503,
    socket: 'ack',
    retry: true,
    meaning: 'More requests for this customer at once than the engine takes: ask again.',
  },
  unavailable: {
    http: 503,
    socket: 'ack',
    retry: true,
    meaning:
      'The engine (the event store, Temporal, the loyalty service) did not answer: ask again.',
  },
} as const satisfies Record<string, ErrorCodeInfo> & Record<RedemptionRefusalCode, ErrorCodeInfo>;

export type ErrorCode = keyof typeof errorCodes;

const codeNames = Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]];

export const errorCode = z.enum(codeNames);

/**
 * One problem, named by the path of the offending field; `code` when one error has several
 * reasons of its own (a redemption the program refuses for more than one).
 */
export const fieldIssue = z.strictObject({
  field: z.string(),
  message: z.string(),
  code: errorCode.optional(),
});

export const errorBody = z.strictObject({
  code: errorCode,
  /** For a person: every issue's message, or what happened. */
  message: z.string(),
  issues: z.array(fieldIssue),
});

/** How every refusal and failure is answered, on every transport. */
export const errorAnswer = z.strictObject({ ok: z.literal(false), error: errorBody });

export type FieldIssue = z.infer<typeof fieldIssue>;
export type ErrorBody = z.infer<typeof errorBody>;
export type ErrorAnswer = z.infer<typeof errorAnswer>;

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    const key = String(part);
    return acc ? `${acc}.${key}` : key;
  }, '');
}

/** zod's issues as field issues; `whole` names the value itself when the path is empty. */
export const issuesOf = (
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  whole = '(request)',
): FieldIssue[] => issues.map((i) => ({ field: formatPath(i.path) || whole, message: i.message }));

export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `${i.field}: ${i.message}`).join('; ');
}

/** The one error class: a code of the table, a message for people, the issues per field. */
export class ClienteleError extends Error {
  override readonly name = 'ClienteleError';
  readonly issues: FieldIssue[];

  /** Without a message, the issues make it (or, without issues, the code's meaning). */
  constructor(
    readonly code: ErrorCode,
    issues: FieldIssue[] = [],
    message?: string,
  ) {
    super(message ?? (issues.length > 0 ? describeIssues(issues) : errorCodes[code].meaning));
    this.issues = issues;
  }

  get body(): ErrorBody {
    return { code: this.code, message: this.message, issues: this.issues };
  }

  get httpStatus(): ErrorCodeInfo['http'] {
    return httpStatus(this.code);
  }

  /** `{ ok: false, error }`: the answer on every transport. */
  toAnswer(): ErrorAnswer {
    return { ok: false, error: this.body };
  }
}

export const httpStatus = (code: ErrorCode): ErrorCodeInfo['http'] => errorCodes[code].http;
export const socketAnswer = (code: ErrorCode): SocketAnswer => errorCodes[code].socket;
export const retryable = (code: ErrorCode): boolean => errorCodes[code].retry;

/** Anything thrown, as the error to answer with: what is not already one is `unavailable`. */
export function toClienteleError(err: unknown): ClienteleError {
  if (err instanceof ClienteleError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ClienteleError('unavailable', [], `the engine failed, ask again: ${message}`);
}

/**
 * The error a Socket.io middleware refuses a connection with: the client's `connect_error` has
 * the code first in `message` and the whole error in `data`.
 */
export function connectError(error: ClienteleError): Error & { data: ErrorBody } {
  return Object.assign(new Error(`${error.code}: ${error.message}`), { data: error.body });
}
