/**
 * Answers to the analytics questions that move over days and weeks, not with each sale (the
 * members' portrait: cohorts, RFM over a year, age bands, lifetime value, clusters; members by
 * tier; who has not been seen for weeks). Each costs a pass over every customer, and the console
 * asks them on every visit, so they are kept for a few minutes and shared by every member.
 *
 * The console's own requests for them (CONSOLE_PORTRAIT, as console.js asks them for each
 * period) are kept warm: asked when the gateway starts and again before they go stale, one at a
 * time so the store keeps answering everything else, so no member waits for them, the first of
 * the day included.
 */
import type { askService } from '../shared/ask-service.ts';

export const SLOW_MOVING = new Set([
  'cohorts',
  'rfm',
  'demographics',
  'clv',
  'clusters',
  'tiers',
  'not-seen',
]);

/** How long an answer is served before it is asked again. */
export const SLOW_ANSWER_TTL_MS = 5 * 60_000;

export interface QuestionRequest {
  question: string;
  params: Record<string, string>;
  asOf?: string;
}

type Answer = Awaited<ReturnType<typeof askService>>;

/** The slow-moving requests console.js makes for a member who reaches every store. */
export const CONSOLE_PORTRAIT: QuestionRequest[] = [
  { question: 'tiers', params: {} },
  { question: 'not-seen', params: { days: '60', limit: '5' } },
  { question: 'rfm', params: { days: '365' } },
  { question: 'cohorts', params: { by: 'month', months: '12', matrix: 'retention' } },
  ...['7', '30', '365'].map((days) => ({
    question: 'demographics',
    params: { by: 'age', days },
  })),
];

/** One key per request, whatever order its parameters came in. */
export function requestKey({ question, params, asOf }: QuestionRequest): string {
  const sorted = Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([question, sorted, asOf ?? null]);
}

export interface SlowAnswers {
  /** The answer to `request`: kept if fresh, else asked (once, however many wait for it). */
  get(request: QuestionRequest): Promise<Answer>;
  /**
   * Asks `requests` now and every `everyMs` after, one at a time, so their answers never go
   * stale; `warmed` settles after the first round. An answer that fails keeps the one before.
   */
  keepWarm(requests: QuestionRequest[], everyMs: number): { warmed: Promise<void>; stop(): void };
}

export function slowAnswers(deps: {
  ask: (request: QuestionRequest) => Promise<Answer>;
  now: () => number;
  ttlMs?: number;
  /** How many different requests are kept (the oldest goes first). */
  capacity?: number;
}): SlowAnswers {
  const ttlMs = deps.ttlMs ?? SLOW_ANSWER_TTL_MS;
  const capacity = deps.capacity ?? 200;
  const kept = new Map<string, { at: number; answer: Promise<Answer> }>();

  function keep(key: string, answer: Promise<Answer>) {
    kept.delete(key);
    kept.set(key, { at: deps.now(), answer });
    if (kept.size > capacity) kept.delete(kept.keys().next().value as string);
  }

  function get(request: QuestionRequest): Promise<Answer> {
    const key = requestKey(request);
    const hit = kept.get(key);
    if (hit && deps.now() - hit.at < ttlMs) return hit.answer;
    const answer = deps.ask(request);
    keep(key, answer);
    // A failed answer is not kept: the next visit asks again.
    void answer.then((a) => {
      if (!a.ok && kept.get(key)?.answer === answer) kept.delete(key);
    });
    return answer;
  }

  return {
    get,
    keepWarm(requests, everyMs) {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const round = async () => {
        for (const request of requests) {
          if (stopped) return;
          const key = requestKey(request);
          const hit = kept.get(key);
          // Asked lately (by a visitor, or as the round began): nothing to refresh yet.
          if (hit && deps.now() - hit.at < everyMs) continue;
          if (!hit || deps.now() - hit.at >= ttlMs) {
            // Nothing to show meanwhile: a visitor asking now waits for this same answer.
            await get(request);
            continue;
          }
          // Replaced only by a good answer; visitors get the one kept until then.
          const answer = await deps.ask(request).catch(() => undefined);
          if (answer?.ok) keep(key, Promise.resolve(answer));
        }
      };
      const again = () => {
        if (stopped) return;
        timer = setTimeout(
          () =>
            void round()
              .catch(() => undefined)
              .finally(again),
          everyMs,
        );
        timer.unref();
      };
      const warmed = round()
        .catch(() => undefined)
        .finally(again);
      return {
        warmed,
        stop() {
          stopped = true;
          clearTimeout(timer);
        },
      };
    },
  };
}
