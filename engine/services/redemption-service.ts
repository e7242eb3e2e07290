/**
 * The redemption service: tills and the web shop ask over NATS request–reply
 * (`svc.loyalty.redeem`, `svc.loyalty.cancel`) and get an immediate yes or no. Each request
 * becomes an update of the customer's workflow, whose validator refuses the impossible before
 * anything is written; of two tills racing for the same points, exactly one is granted.
 * Served as every engine service is (`serve-requests.ts`): any number of engine processes share
 * the requests.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { customerFailure, mergedInto, withPrograms } from '../../workflows/customer/client.ts';
import {
  cancelRedemptionUpdate,
  customerWorkflowId,
  REDEMPTION_REFUSED,
  REDEMPTION_USED,
  redeemPointsUpdate,
  UNKNOWN_REDEMPTION,
} from '../../workflows/customer/messages.ts';
import { poolPoints } from '../../workflows/pool/client.ts';
import type { SummaryStore } from '../customer-view/summary-store.ts';
import {
  ClienteleError,
  type ErrorAnswer,
  type ErrorCode,
  type RedemptionRefusalCode,
  redemptionRefusalCodes,
  retryable,
} from '../domain/error-codes.ts';
import { placeOf } from '../domain/fraud/messages.ts';
import { tillRefusal } from '../domain/identity/card-status.ts';
import type { Refusal } from '../domain/loyalty/contract.ts';
import type { Program } from '../domain/loyalty/program.ts';
import { refusalField } from '../domain/loyalty/refusal-wording.ts';
import type { ProgramCatalog } from '../domain/loyalty/versions.ts';
import {
  type CancelAnswer,
  type CancelRedemptionRequest,
  cancelRedemptionRequest,
  type PointsAfter,
  type RedeemAnswer,
  type RedeemRequest,
  redeemRequest,
} from '../domain/redemption.ts';
import type { ActivityLog } from '../fraud/activity-log.ts';
import type { Households } from '../identity/households.ts';
import type { IdentityIndex } from '../identity/identity-index.ts';
import { publishEffects } from '../streams/publish-effects.ts';
import { CANCEL_SUBJECT, REDEEM_SUBJECT, REDEMPTION_QUEUE } from '../streams/topology.ts';
import { type ServedStats, serveRequests } from './serve-requests.ts';

export interface RedemptionDeps {
  temporal: Client;
  js: JetStreamClient;
  catalog: ProgramCatalog;
  logger: Logger;
  /** The service's clock (the version in force is chosen by it). */
  now?: () => Date;
  /**
   * Customers whose workflow this process has sent the version in force (`<customer> <version>`):
   * any other customer's first request carries the program, so a workflow that lacks it takes it
   * at once instead of refusing and waiting for a second round trip. The service keeps one.
   */
  programsSent?: Set<string>;
  /** For households that pool points (absent: a member spends their own points only). */
  households?: Households;
  summaries?: SummaryStore;
  taskQueue?: string;
  /** Where redemptions are noted for the anti-fraud watch (absent: not noted). */
  activity?: ActivityLog;
  /** The identity index, to refuse a card that is not active (absent: cards are not checked). */
  index?: Pick<IdentityIndex, 'lookUp'>;
}

/** Customers remembered in `programsSent` at most; past that it starts afresh (one more send each). */
const PROGRAMS_SENT_LIMIT = 100_000;

/** Requests granted (`answered`), refused, and failed. */
export type RedemptionStats = ServedStats;

type Refused = ErrorAnswer & PointsAfter;

const refuse = (code: ErrorCode, message: string): ErrorAnswer =>
  new ClienteleError(code, [], message).toAnswer();

/** A code as the workflow spells it; workers of the earlier release spell it with hyphens. */
function refusalCode(reason: string): RedemptionRefusalCode {
  const code = redemptionRefusalCodes.find((c) => c === reason.replaceAll('-', '_'));
  if (code === undefined) throw new Error(`the workflow refused for an unknown reason: ${reason}`);
  return code;
}

/** The program's refusal, as the workflow gives it, as the answer's error: a reason per issue. */
function refusalAnswer(refusal: Partial<Refusal> & PointsAfter): Refused {
  const { reason = '', message = '', reasons = [], balance, spendable, tier } = refusal;
  const issues = reasons.map((r) => {
    const code = refusalCode(r.reason);
    return { field: r.field ?? refusalField[code], code, message: r.message };
  });
  return {
    ...new ClienteleError(refusalCode(reason), issues, message).toAnswer(),
    ...(balance !== undefined ? { balance } : {}),
    ...(spendable !== undefined ? { spendable } : {}),
    ...(tier !== undefined ? { tier } : {}),
  };
}

/** A record merged into one merged into another…: followed this far at most. */
const MERGE_HOPS = 5;

const merged = (into: string): ErrorAnswer =>
  new ClienteleError('customer_merged', [
    { field: 'customerId', message: `was merged into ${into}` },
  ]).toAnswer();

/** Up to this many attempts when the workflow is busy or rolling over. */
const ATTEMPTS = 6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Asks the customer's workflow to update (sending program versions it says it lacks), retrying
 * while it is busy or rolling over. Refusals come back as answers, never as errors.
 */
async function askWorkflow<T>(
  deps: RedemptionDeps,
  customerId: string,
  call: (programs: Program[] | undefined) => Promise<T>,
  onRefusal: (failure: { type: string; details: unknown[] }) => Refused | undefined,
): Promise<T | Refused> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withPrograms(deps.catalog, call);
    } catch (err) {
      const failure = customerFailure(err);
      if (failure.kind === 'refused') {
        const answer = onRefusal(failure);
        if (answer !== undefined) return answer;
      } else if (!retryable(failure.error.code)) {
        return failure.error.toAnswer();
      }
      if (attempt >= ATTEMPTS) {
        deps.logger.warn({ customerId, err: (err as Error).message }, 'redemption request failed');
        return failure.kind === 'error'
          ? failure.error.toAnswer()
          : refuse('unavailable', 'The loyalty engine did not answer; ask again.');
      }
      await sleep(Math.min(1000, 20 * 2 ** attempt));
    }
  }
}

/** Refused for too few points and nothing else: points from the household would do. */
const lacksOnlyPoints = (refused: Refused): boolean =>
  refused.error.code === 'insufficient_balance' &&
  refused.error.issues.every(
    (issue) => issue.code === undefined || issue.code === 'insufficient_balance',
  );

/**
 * Moves what the member lacks from the other members of their household, those with the most
 * spendable points first (as their summaries say; a member who has fewer by now refuses, and
 * the next is asked). Each transfer is named by the redemption and the member, so a till
 * retrying the redemption moves nothing twice. The points moved.
 */
async function pullFromHousehold(
  deps: RedemptionDeps,
  request: RedeemRequest,
  spendable: number,
  now: string,
): Promise<number> {
  const { households, summaries, taskQueue } = deps;
  if (!households || !summaries || !taskQueue) return 0;
  const household = await households.of(request.customerId);
  if (!household) return 0;
  const others = await Promise.all(
    household.members
      .filter((member) => member !== request.customerId)
      .map(async (member) => ({
        member,
        spendable: (await summaries.read(member))?.loyalty.spendable ?? 0,
      })),
  );
  let needed = request.points - spendable;
  let moved = 0;
  for (const { member, spendable: theirs } of others.sort((a, b) => b.spendable - a.spendable)) {
    if (needed <= 0 || theirs <= 0) continue;
    const outcome = await poolPoints(deps.temporal, taskQueue, {
      transferId: `${request.redemptionId}-${member}`,
      from: member,
      to: request.customerId,
      points: Math.min(needed, theirs),
      at: now,
      storeId: request.storeId,
    });
    if (!outcome) continue;
    needed -= outcome.points;
    moved += outcome.points;
  }
  return moved;
}

/** The card a redemption names; `unknown_identifier` naming `cardNumber` if none was issued. */
async function cardOf(index: Pick<IdentityIndex, 'lookUp'>, cardNumber: string) {
  try {
    return (await index.lookUp({ kind: 'card', value: cardNumber })).card;
  } catch (err) {
    if (err instanceof ClienteleError && err.code === 'unknown_identifier') {
      throw new ClienteleError('unknown_identifier', [
        { field: 'cardNumber', message: 'was never issued' },
      ]);
    }
    throw err;
  }
}

/**
 * Spends points, unless the card the till names is blocked, lost or replaced; notes the
 * redemption for the anti-fraud watch (once: a till's retry is not another redemption).
 */
export async function redeemWithCard(
  deps: RedemptionDeps,
  request: RedeemRequest,
): Promise<RedeemAnswer> {
  const card =
    request.cardNumber !== undefined && deps.index
      ? await cardOf(deps.index, request.cardNumber)
      : undefined;
  const refusal = card && tillRefusal(card.status);
  const answer = refusal
    ? new ClienteleError('card_refused', [{ field: 'cardNumber', message: refusal }]).toAnswer()
    : await redeemPoints(deps, request);
  const unanswered = !answer.ok && retryable(answer.error.code);
  if (!unanswered && !(answer.ok && answer.repeated)) {
    deps.activity?.note({
      kind: 'redemption',
      at: (deps.now?.() ?? new Date()).toISOString(),
      ...placeOf(request),
      redemptionId: request.redemptionId,
      customerId: request.customerId,
      ...(request.cardNumber !== undefined && { cardNumber: request.cardNumber }),
      points: request.points,
      outcome: answer.ok ? 'granted' : 'refused',
      ...(!answer.ok && { code: answer.error.code }),
    });
  }
  return answer;
}

/** Spends points; publishes the ledger line once granted. */
export async function redeemPoints(
  deps: RedemptionDeps,
  request: RedeemRequest,
  hops = 0,
  pooled = false,
): Promise<RedeemAnswer> {
  let into: string | undefined;
  const now = (deps.now?.() ?? new Date()).toISOString();
  const program = deps.catalog.at(now);
  if (!program) return refuse('no_program', 'No loyalty program is in force now.');
  const handle = deps.temporal.workflow.getHandle(customerWorkflowId(request.customerId));
  const sent = deps.programsSent;
  const sentKey = `${request.customerId} ${program.version}`;
  const first = sent !== undefined && !sent.has(sentKey) ? [program] : undefined;
  const answer = await askWorkflow(
    deps,
    request.customerId,
    (asked) => {
      const programs = asked ?? first;
      return handle.executeUpdate(redeemPointsUpdate, {
        args: [{ ...request, programVersion: program.version, ...(programs ? { programs } : {}) }],
      });
    },
    (failure) => {
      into = mergedInto(failure);
      if (into) return merged(into);
      if (failure.type !== REDEMPTION_REFUSED) return undefined;
      return refusalAnswer((failure.details[0] ?? {}) as Partial<Refusal> & PointsAfter);
    },
  );
  // The customer the till identified was merged into another since: the points are there.
  if (into && hops < MERGE_HOPS)
    return redeemPoints(deps, { ...request, customerId: into }, hops + 1);
  const unanswered = !answer.ok && 'error' in answer && answer.error.code === 'unavailable';
  if (sent !== undefined && !unanswered) {
    if (sent.size >= PROGRAMS_SENT_LIMIT) sent.clear();
    sent.add(sentKey);
  }
  // Refused by the handler (of two tills racing, the later one): the program's reasons.
  if (!answer.ok) {
    const refused = 'error' in answer ? answer : refusalAnswer(answer);
    // A member of a household that pools points: what they lack comes from the others first.
    if (!pooled && program.households?.pooling && lacksOnlyPoints(refused)) {
      const moved = await pullFromHousehold(deps, request, refused.spendable ?? 0, now);
      if (moved > 0) return redeemPoints(deps, request, hops, true);
    }
    return refused;
  }
  const { effects, summary, ...granted } = answer;
  await Promise.all([publishEffects(deps.js, effects), summary && deps.summaries?.write(summary)]);
  return granted;
}

/** Gives back a redemption the till did not use. */
export async function cancelRedemption(
  deps: RedemptionDeps,
  request: CancelRedemptionRequest,
  hops = 0,
): Promise<CancelAnswer> {
  let into: string | undefined;
  const handle = deps.temporal.workflow.getHandle(customerWorkflowId(request.customerId));
  const answer = await askWorkflow(
    deps,
    request.customerId,
    () =>
      handle.executeUpdate(cancelRedemptionUpdate, {
        args: [{ redemptionId: request.redemptionId, storeId: request.storeId }],
      }),
    (failure) => {
      into = mergedInto(failure);
      if (into) return merged(into);
      if (failure.type === UNKNOWN_REDEMPTION) {
        return refuse('unknown_redemption', 'No such redemption for this customer.');
      }
      if (failure.type === REDEMPTION_USED) {
        return refuse(
          'redemption_used',
          'These points already paid for a sale: return the sale to give them back.',
        );
      }
      return undefined;
    },
  );
  if (into && hops < MERGE_HOPS) {
    return cancelRedemption(deps, { ...request, customerId: into }, hops + 1);
  }
  if (!answer.ok) return { ok: false, error: answer.error };
  const { effects, summary, ...restored } = answer;
  await Promise.all([publishEffects(deps.js, effects), summary && deps.summaries?.write(summary)]);
  return restored;
}

export interface RedemptionService {
  readonly stats: RedemptionStats;
  stop(): Promise<void>;
}

/** Serves redemption requests until stopped. */
export function startRedemptionService(
  nc: NatsConnection,
  given: RedemptionDeps,
): RedemptionService {
  const deps: RedemptionDeps = { ...given, programsSent: given.programsSent ?? new Set() };
  const stats: RedemptionStats = { answered: 0, refused: 0, failed: 0 };
  const options = { stats, logger: deps.logger, what: 'redemption service' };
  const redeem = serveRequests(
    nc,
    REDEEM_SUBJECT,
    REDEMPTION_QUEUE,
    redeemRequest,
    (request) => redeemWithCard(deps, request),
    options,
  );
  const cancel = serveRequests(
    nc,
    CANCEL_SUBJECT,
    REDEMPTION_QUEUE,
    cancelRedemptionRequest,
    (request) => cancelRedemption(deps, request),
    options,
  );
  return {
    stats,
    async stop() {
      await Promise.all([redeem.stop(), cancel.stop()]);
    },
  };
}
