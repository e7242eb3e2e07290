/**
 * Answers the analytics questions (`svc.analytics.question`) from the process that holds the
 * analytics store: with chDB only that process can read it. The dashboard's
 * `/api/analytics/<question>` asks here.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { type Served, type ServedStats, serveRequests } from '../services/serve-requests.ts';
import { HISTORY_QUEUE, QUESTION_SUBJECT } from '../streams/topology.ts';
import { answerJson } from './questions/format.ts';
import { type QuestionAnswer, questionRequest } from './questions/messages.ts';
import type { AnyQuestion } from './questions/question.ts';
import { askQuestion, QUESTIONS } from './questions/registry.ts';
import type { AnalyticsStore } from './store.ts';

export function startQuestionsService(
  nc: NatsConnection,
  deps: {
    store: AnalyticsStore;
    logger: Logger;
    now?: () => Date;
    questions?: readonly AnyQuestion[];
  },
): Served & { stats: ServedStats } {
  const stats: ServedStats = { answered: 0, refused: 0, failed: 0 };
  const now = deps.now ?? (() => new Date());
  const served = serveRequests(
    nc,
    QUESTION_SUBJECT,
    HISTORY_QUEUE,
    questionRequest,
    async (request): Promise<QuestionAnswer> => {
      const asked = await askQuestion(deps.store, request, now(), deps.questions ?? QUESTIONS);
      const { question, asOf, params } = asked;
      return { ok: true, ...answerJson(asked.answer, { question, asOf, params }) };
    },
    { stats, logger: deps.logger, what: 'analytics questions service' },
  );
  return { stats, stop: () => served.stop() };
}
