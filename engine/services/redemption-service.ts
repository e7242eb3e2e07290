/**
 * The redemption service: tills and the web shop ask over NATS request–reply
 * (`svc.loyalty.redeem`, `svc.loyalty.cancel`) and get an immediate yes or no. Each request
 * becomes an update of the customer's workflow, whose validator refuses the impossible before
 * anything is written; of two tills racing for the same points, exactly one is granted.
 *
 * A queue-group subscription, so any number of engine processes share the requests. (The NATS
 * "services" library is published only as a pre-release built on an older client core.)
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { customerFailure, withPrograms } from '../../workflows/customer/client.ts';
import {
  cancelRedemptionUpdate,
  customerWorkflowId,
  REDEMPTION_REFUSED,
  REDEMPTION_USED,
  redeemPointsUpdate,
} from '../../workflows/customer/messages.ts';
import { formatPath } from '../domain/events.ts';
import type { Program } from '../domain/loyalty/program.ts';
import type { ProgramCatalog } from '../domain/loyalty/versions.ts';
import {
  type CancelAnswer,
  type CancelRedemptionRequest,
  cancelRedemptionRequest,
  type RedeemAnswer,
  type RedeemRefusalReason,
  type RedeemRequest,
  redeemRequest,
} from '../domain/redemption.ts';
import { publishEffects } from '../streams/publish-effects.ts';
import { CANCEL_SUBJECT, REDEEM_SUBJECT, REDEMPTION_QUEUE } from '../streams/topology.ts';

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
}

/** Customers remembered in `programsSent` at most; past that it starts afresh (one more send each). */
const PROGRAMS_SENT_LIMIT = 100_000;

export interface RedemptionStats {
  granted: number;
  refused: number;
  failed: number;
}

interface RefusalAnswer {
  ok: false;
  reason: RedeemRefusalReason;
  message: string;
  balance?: number;
  spendable?: number;
  tier?: string;
}

const refuse = (reason: RedeemRefusalReason, message: string): RefusalAnswer => ({
  ok: false,
  reason,
  message,
});

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
  onRefusal: (failure: { type: string; details: unknown[] }) => RefusalAnswer | undefined,
): Promise<T | RefusalAnswer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withPrograms(deps.catalog, call);
    } catch (err) {
      const failure = customerFailure(err);
      switch (failure.kind) {
        case 'versions-unknown':
          return refuse(
            'no-program',
            `The program versions ${failure.versions.join(', ')} are not published.`,
          );
        case 'not-found':
          return refuse('unknown-customer', 'No loyalty account for this customer yet.');
        case 'refused': {
          const answer = onRefusal(failure);
          if (answer !== undefined) return answer;
          break;
        }
        default:
          break;
      }
      if (attempt >= ATTEMPTS) {
        deps.logger.warn({ customerId, err: (err as Error).message }, 'redemption request failed');
        return failure.kind === 'busy'
          ? refuse('busy', 'The account is busy with other requests; ask again.')
          : refuse('unavailable', 'The loyalty engine did not answer; ask again.');
      }
      await sleep(Math.min(1000, 20 * 2 ** attempt));
    }
  }
}

/** Spends points; publishes the ledger line once granted. */
export async function redeemPoints(
  deps: RedemptionDeps,
  request: RedeemRequest,
): Promise<RedeemAnswer> {
  const now = (deps.now?.() ?? new Date()).toISOString();
  const program = deps.catalog.at(now);
  if (!program) return refuse('no-program', 'No loyalty program is in force now.');
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
      if (failure.type !== REDEMPTION_REFUSED) return undefined;
      return { ...(failure.details[0] as Omit<RefusalAnswer, 'ok'>), ok: false };
    },
  );
  if (sent !== undefined && (answer.ok || answer.reason !== 'unavailable')) {
    if (sent.size >= PROGRAMS_SENT_LIMIT) sent.clear();
    sent.add(sentKey);
  }
  if (!answer.ok) return answer;
  const { effects, ...granted } = answer;
  await publishEffects(deps.js, effects);
  return granted;
}

/** Gives back a redemption the till did not use. */
export async function cancelRedemption(
  deps: RedemptionDeps,
  request: CancelRedemptionRequest,
): Promise<CancelAnswer> {
  const handle = deps.temporal.workflow.getHandle(customerWorkflowId(request.customerId));
  const answer = await askWorkflow(
    deps,
    request.customerId,
    () =>
      handle.executeUpdate(cancelRedemptionUpdate, {
        args: [{ redemptionId: request.redemptionId, storeId: request.storeId }],
      }),
    (failure) => {
      if (failure.type === 'UnknownRedemption') {
        return refuse('unknown-redemption', 'No such redemption for this customer.');
      }
      if (failure.type === REDEMPTION_USED) {
        return refuse(
          'redemption-used',
          'These points already paid for a sale: return the sale to give them back.',
        );
      }
      return undefined;
    },
  );
  if (!answer.ok) {
    const { reason, message } = answer;
    return { ok: false, reason, message };
  }
  const { effects, ...restored } = answer;
  await publishEffects(deps.js, effects);
  return restored;
}

const decoder = new TextDecoder();

function invalid(issues: { path: PropertyKey[]; message: string }[]) {
  const named = issues.map((i) => ({
    field: formatPath(i.path) || '(request)',
    message: i.message,
  }));
  return {
    ok: false as const,
    reason: 'invalid-request' as const,
    message: named.map((i) => `${i.field}: ${i.message}`).join('; '),
    issues: named,
  };
}

function parseJson(msg: Msg): unknown {
  try {
    return JSON.parse(decoder.decode(msg.data));
  } catch {
    return Symbol.for('not json');
  }
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
  const stats: RedemptionStats = { granted: 0, refused: 0, failed: 0 };
  const serve = (
    subject: string,
    answer: (json: unknown) => Promise<{ ok: boolean }>,
  ): { sub: Subscription; done: Promise<void> } => {
    const sub = nc.subscribe(subject, { queue: REDEMPTION_QUEUE });
    const inFlight = new Set<Promise<void>>();
    const done = (async () => {
      for await (const msg of sub) {
        // Many customers at once: each request is answered on its own.
        const handling = answer(parseJson(msg))
          .then((reply) => {
            if (reply.ok) stats.granted += 1;
            else stats.refused += 1;
            msg.respond(JSON.stringify(reply));
          })
          .catch((err) => {
            stats.failed += 1;
            deps.logger.error({ err }, 'redemption service failed on a request');
            msg.respond(
              JSON.stringify(refuse('unavailable', 'The loyalty engine failed; ask again.')),
            );
          })
          .finally(() => inFlight.delete(handling));
        inFlight.add(handling);
      }
      await Promise.allSettled([...inFlight]);
    })();
    return { sub, done };
  };
  const redeem = serve(REDEEM_SUBJECT, async (json) => {
    const parsed = redeemRequest.safeParse(json);
    return parsed.success ? redeemPoints(deps, parsed.data) : invalid(parsed.error.issues);
  });
  const cancel = serve(CANCEL_SUBJECT, async (json) => {
    const parsed = cancelRedemptionRequest.safeParse(json);
    return parsed.success ? cancelRedemption(deps, parsed.data) : invalid(parsed.error.issues);
  });
  return {
    stats,
    async stop() {
      await Promise.all([redeem.sub.drain(), cancel.sub.drain()]);
      await Promise.all([redeem.done, cancel.done]);
    },
  };
}
