/**
 * How the engine's NATS request–reply services answer: a queue-group subscription (any number of
 * engine processes share the requests), each request answered on its own as it comes, JSON in
 * and out, a request that is not JSON answered as a malformed one, and a failure answered from
 * the error table (`unavailable`) rather than left to time out. (The NATS "services" library is
 * published only as a pre-release built on an older client core.)
 */
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
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
export const invalidRequest = (issues: Parameters<typeof issuesOf>[0]): ErrorAnswer =>
  new ClienteleError('invalid_request', issuesOf(issues)).toAnswer();

export function serveRequests(
  nc: NatsConnection,
  subject: string,
  queue: string,
  answer: (json: unknown) => Promise<{ ok: boolean }>,
  { stats, logger, what }: { stats: ServedStats; logger: Logger; what: string },
): Served {
  const sub = nc.subscribe(subject, { queue });
  const inFlight = new Set<Promise<void>>();
  const done = (async () => {
    for await (const msg of sub) {
      const handling = answer(parseJson(msg))
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
