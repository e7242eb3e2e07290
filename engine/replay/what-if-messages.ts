/**
 * The what-ifs the console asks for, over NATS where the analytics store is held:
 *
 * - `svc.replay.what-if`: one customer's period under a candidate program next to the versions in
 *   force (what-if-service.ts), answered with `CustomerWhatIfReport`.
 * - `svc.replay.simulate`: the same over every customer (or a segment's), as a job: `start` answers
 *   its id at once, `status` how far it is and, once done, the report (simulate-service.ts).
 *
 * The candidate is the program's YAML as written, checked by the same loader as
 * `clientele simulate`; the period is whole days, `to` included.
 */
import { z } from 'zod';
import { errorBody } from '../domain/error-codes.ts';
import { customerId } from '../domain/events.ts';
import { simulationReport } from './simulation-report.ts';

const day = z.iso.date({ message: 'is not a day (YYYY-MM-DD)' });

/** What every what-if asks: the candidate's YAML text and the period. */
const candidatePeriod = {
  program: z.string().min(1, 'the candidate program is empty').max(100_000),
  from: day,
  to: day,
};

export const customerWhatIfRequest = z.strictObject({ customerId, ...candidatePeriod });
export type CustomerWhatIfRequest = z.infer<typeof customerWhatIfRequest>;

/** The population's what-if: started, then asked about by its id. */
export const simulateStart = z.strictObject({
  action: z.literal('start'),
  ...candidatePeriod,
  /** Only customers meeting this condition at `from` (the segment language). */
  segment: z.string().min(1).max(2_000).optional(),
});
export const simulateStatus = z.strictObject({
  action: z.literal('status'),
  jobId: z.string().min(1).max(64),
});
export const simulateRequest = z.discriminatedUnion('action', [simulateStart, simulateStatus]);
export type SimulateStart = z.infer<typeof simulateStart>;
export type SimulateRequest = z.infer<typeof simulateRequest>;

export const simulateStarted = z.strictObject({ ok: z.literal(true), jobId: z.string() });
export type SimulateStarted = z.infer<typeof simulateStarted>;

export const simulationJob = z.strictObject({
  ok: z.literal(true),
  jobId: z.string(),
  state: z.enum(['running', 'done', 'failed']),
  /** Customers replayed of those in scope (0 of 0 until the scope is counted). */
  progress: z.strictObject({ done: z.number().int(), total: z.number().int() }),
  report: simulationReport.optional(),
  /** Why it failed: a period with no events is `invalid_request`. */
  error: errorBody.optional(),
});
export type SimulationJob = z.infer<typeof simulationJob>;
