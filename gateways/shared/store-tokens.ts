/**
 * Per-store tokens: a till or the web shop proves which store it speaks for; and the single
 * tokens of the dashboard and the back office. Comparison is by constant time over fixed-length
 * digests, so a wrong token leaks nothing through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True only when `given` is `expected` (a dashboard's, the back office's token). */
export const sameToken = (given: string, expected: string): boolean =>
  timingSafeEqual(digest(given), digest(expected));

export class StoreTokens {
  private readonly byStore: Map<string, Buffer>;

  constructor(tokens: Record<string, string>) {
    this.byStore = new Map(Object.entries(tokens).map(([store, token]) => [store, digest(token)]));
  }

  /** True only when `token` is the token of `storeId`. */
  verify(storeId: string, token: string): boolean {
    const expected = this.byStore.get(storeId);
    const given = digest(token);
    // Compare even for an unknown store, so both failures take the same time.
    return (
      timingSafeEqual(expected ?? digest(`unknown:${storeId}`), given) && expected !== undefined
    );
  }

  /** The store a bare token belongs to (web shop requests carry only the token). */
  storeOf(token: string): string | undefined {
    const given = digest(token);
    let found: string | undefined;
    for (const [store, expected] of this.byStore) {
      if (timingSafeEqual(expected, given)) found = store;
    }
    return found;
  }
}
