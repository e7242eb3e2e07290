/**
 * How many customer look-ups a till (or a web store token) may make: so nobody can try card
 * numbers one after another. A window of a minute per caller, in the gateway process's memory, by
 * rate-limiter-flexible (a well-kept limiter; the same library a shared store could back later).
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ClienteleError } from '../../engine/domain/error-codes.ts';

export interface LookupLimit {
  /** Undefined when `caller` may look up now; else the refusal to answer with. */
  refusal(caller: string): Promise<ClienteleError | undefined>;
}

export function lookupLimit(perMinute: number): LookupLimit {
  const limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  return {
    async refusal(caller) {
      try {
        await limiter.consume(caller);
        return undefined;
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        const seconds = Math.ceil(err.msBeforeNext / 1000);
        return new ClienteleError(
          'rate_limited',
          [],
          `more than ${perMinute} look-ups in a minute from here: ask again in ${seconds} s`,
        );
      }
    },
  };
}
