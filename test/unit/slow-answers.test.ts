import { describe, expect, it } from 'vitest';
import {
  CONSOLE_PORTRAIT,
  type QuestionRequest,
  requestKey,
  slowAnswers,
} from '../../gateways/dashboard/slow-answers.ts';

/** A store that counts what it was asked and answers with the count, or fails when told. */
function store() {
  const asked: string[] = [];
  let failing = false;
  return {
    asked,
    fail: (on: boolean) => {
      failing = on;
    },
    ask: async (request: QuestionRequest) => {
      asked.push(request.question);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return failing
        ? ({ ok: false, error: { code: 'unavailable', issues: [], message: 'busy' } } as never)
        : ({ ok: true, answer: asked.length } as { ok: true });
    },
  };
}

async function until(condition: () => boolean) {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the refreshes never came');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const rfm: QuestionRequest = { question: 'rfm', params: { days: '365' } };

describe('slow-moving answers', () => {
  it('asks once for everyone waiting, keeps the answer for its time, and keeps no failure', async () => {
    const s = store();
    let now = 0;
    const slow = slowAnswers({ ask: s.ask, now: () => now, ttlMs: 1000 });
    const [a, b] = await Promise.all([slow.get(rfm), slow.get({ ...rfm })]);
    expect(a).toEqual({ ok: true, answer: 1 });
    expect(b).toBe(a);
    now = 999;
    expect(await slow.get(rfm)).toEqual({ ok: true, answer: 1 });
    now = 1000;
    expect(await slow.get(rfm)).toEqual({ ok: true, answer: 2 });
    s.fail(true);
    now = 5000;
    expect((await slow.get(rfm)).ok).toBe(false);
    s.fail(false);
    expect(await slow.get(rfm)).toEqual({ ok: true, answer: 4 });
    expect(s.asked).toHaveLength(4);
  });

  it('knows a request whatever order its parameters came in', () => {
    const one = { question: 'cohorts', params: { by: 'month', months: '12' } };
    const other = { question: 'cohorts', params: { months: '12', by: 'month' } };
    expect(requestKey(one)).toBe(requestKey(other));
    expect(requestKey(one)).not.toBe(requestKey({ ...one, asOf: '2026-01-01T00:00:00Z' }));
    expect(requestKey(one)).not.toBe(requestKey({ ...one, params: { by: 'week', months: '12' } }));
  });

  it("keeps the console's requests warm, one at a time, and a failed refresh keeps the last answer", async () => {
    const s = store();
    const slow = slowAnswers({ ask: s.ask, now: Date.now, ttlMs: 10_000 });
    const warm = slow.keepWarm(CONSOLE_PORTRAIT, 30);
    // A visitor during the first round: rfm is asked once, by whichever asked first.
    const during = await slow.get(rfm);
    await warm.warmed;
    expect([...s.asked].sort()).toEqual(CONSOLE_PORTRAIT.map((r) => r.question).sort());
    expect(await slow.get(rfm)).toBe(during);
    // Every portrait request is now answered without asking the store.
    const askedAfterWarming = s.asked.length;
    for (const request of CONSOLE_PORTRAIT) expect((await slow.get(request)).ok).toBe(true);
    expect(s.asked).toHaveLength(askedAfterWarming);

    s.fail(true);
    // At least one whole round of refreshes fails.
    await until(() => s.asked.length - askedAfterWarming >= CONSOLE_PORTRAIT.length + 1);
    expect(await slow.get(rfm)).toBe(during);

    s.fail(false);
    const failedUntil = s.asked.length;
    await until(() => s.asked.length >= failedUntil + CONSOLE_PORTRAIT.length + 1);
    warm.stop();
    const refreshed = await slow.get(rfm);
    expect(refreshed.ok).toBe(true);
    expect(refreshed).not.toEqual(during);
    const after = s.asked.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Stopped: at most the request under way when it stopped.
    expect(s.asked.length).toBeLessThanOrEqual(after + 1);
  });
});
