/**
 * How the engine's NATS request–reply services answer: a queue-group subscription (any number of
 * engine processes share the requests), each request answered on its own as it comes, JSON in
 * and out, checked by its schema (a request that is not JSON answered as a malformed one), and a
 * failure answered from the error table (`unavailable`) rather than left to time out. (The NATS "services" library is
 * published only as a pre-release built on an older client core.)
 */
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  ClienteleError,
  type ErrorAnswer,
  issuesOf,
  toClienteleError,
} from '../domain/error-codes.ts';

export interface ServedStats {
  answered: number;
  refused: number;
  failed: number;
}

export interface Served {
  /** Stops taking requests; resolves once those taken are answered. */
  stop(): Promise<void>;
}

const decoder = new TextDecoder();

/** The request's JSON, or a value no request schema accepts. */
function parseJson(msg: Msg): unknown {
  try {
    return JSON.parse(decoder.decode(msg.data));
  } catch {
    return Symbol.for('not json');
  }
}

/** A request its schema refused: `invalid_request`, naming each field. */
const invalidRequest = (issues: Parameters<typeof issuesOf>[0]): ErrorAnswer =>
  new ClienteleError('invalid_request', issuesOf(issues)).toAnswer();

/**
 * Answers each request on `subject` with `answer` once `schema` accepts it (`invalid_request`
 * otherwise). A refusal thrown as a `ClienteleError` (a taken card, a blocked one) is an answer
 * like a returned one; anything else thrown is a failure, logged and answered `unavailable`.
 */
export function serveRequests<R>(
  nc: NatsConnection,
  subject: string,
  queue: string,
  schema: z.ZodType<R>,
  answer: (request: R) => Promise<{ ok: boolean }>,
  { stats, logger, what }: { stats: ServedStats; logger: Logger; what: string },
): Served {
  const sub = nc.subscribe(subject, { queue });
  const inFlight = new Set<Promise<void>>();
  const handle = async (json: unknown): Promise<{ ok: boolean }> => {
    const parsed = schema.safeParse(json);
    if (!parsed.success) return invalidRequest(parsed.error.issues);
    try {
      return await answer(parsed.data);
    } catch (err) {
      if (err instanceof ClienteleError && err.code !== 'unavailable') return err.toAnswer();
      throw err;
    }
  };
  const done = (async () => {
    for await (const msg of sub) {
      const handling = handle(parseJson(msg))
        .then((reply) => {
          if (reply.ok) stats.answered += 1;
          else stats.refused += 1;
          msg.respond(JSON.stringify(reply));
        })
        .catch((err) => {
          stats.failed += 1;
          logger.error({ err, subject }, `${what} failed on a request`);
          msg.respond(JSON.stringify(toClienteleError(err).toAnswer()));
        })
        .finally(() => inFlight.delete(handling));
      inFlight.add(handling);
    }
    await Promise.allSettled([...inFlight]);
  })();
  return {
    async stop() {
      await sub.drain();
      await done;
    },
  };
}
