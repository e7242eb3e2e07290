/**
 * Ceiling: the customer rules under a loyalty program (the Greenleaf grocer example: base rate,
 * four earn rules with caps, tiers, lots with expiry), on one core, as the workflow runs them:
 * one account per customer with its loyalty book attached, each sale applied under the program
 * at its own time. The same stream as the base evaluator's ceiling, fresh accounts each pass.
 */
import { performance } from 'node:perf_hooks';
import { CustomerAccount, noEffects } from '../../engine/domain/customer/account.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import { loadProgramFile } from '../../engine/programs/load-program.ts';
import { simpleSales } from './evaluator.ts';

export interface LoyaltyEvaluatorResult {
  events_per_s: number;
  events: number;
  passes: number;
  program: string;
  /** Ledger lines written per sale (an earn line, sometimes an expiry). */
  ledger_lines_per_event: number;
}

export async function measureLoyaltyEvaluator({
  events,
  seconds,
  customers = 3000,
  file = 'config/programs/grocer.yaml',
}: {
  events: number;
  seconds: number;
  customers?: number;
  file?: string;
}): Promise<LoyaltyEvaluatorResult> {
  const { definition } = await loadProgramFile(file);
  const program: Program = {
    ...definition,
    version: `${definition.id}@bench`,
    effectiveFrom: '2020-01-01T00:00:00.000Z',
  };
  const stream: CustomerEvent[] = simpleSales(events, customers);
  const ids = [...new Set(stream.map((e) => e.customerId as string))];
  const base = { version: 'base', basePointsPerUnit: 1, spendUnitMinor: 100 };
  let applied = 0;
  let passes = 0;
  let elapsedMs = 0;
  let lines = 0;
  do {
    const accounts = new Map(
      ids.map((id) => {
        const account = CustomerAccount.open(id, base);
        account.learn([program]);
        return [id, account] as const;
      }),
    );
    const owners = stream.map((e) => accounts.get(e.customerId as string) as CustomerAccount);
    const started = performance.now();
    for (let i = 0; i < stream.length; i++) {
      const event = stream[i] as CustomerEvent;
      const effects = noEffects();
      (owners[i] as CustomerAccount).apply(event, effects, program, event.occurredAt);
      lines += effects.ledger.length;
    }
    elapsedMs += performance.now() - started;
    applied += stream.length;
    passes += 1;
  } while (elapsedMs < seconds * 1000);
  return {
    events_per_s: Math.round((applied / elapsedMs) * 1000),
    events: applied,
    passes,
    program: program.version,
    ledger_lines_per_event: Math.round((lines / applied) * 100) / 100,
  };
}
