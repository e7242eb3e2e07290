/**
 * Runs loyalty inputs through the evaluator for the rule tests: each at its own time (or `at`),
 * checking after every step that the balance is the ledger's sum.
 */
import { expect } from 'vitest';
import {
  evaluate,
  evaluateClock,
  initialLoyaltyState,
  type LoyaltyEffects,
  type LoyaltyInput,
  type LoyaltyResult,
} from '../../engine/domain/loyalty/evaluator.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import { balanceOf, type LoyaltyState } from '../../engine/domain/loyalty/state.ts';
import { CUSTOMER, LedgerView } from './loyalty.ts';

export type Step = LoyaltyInput | { clock: string };

export interface Run {
  state: LoyaltyState;
  results: LoyaltyResult[];
  effects: LoyaltyEffects;
  ledger: LedgerView;
}

/** Applies inputs in order, each at its own time (or `at`), and checks balance = ledger sum. */
export function run(program: Program, steps: Step[], at?: (step: Step, i: number) => string): Run {
  let state = initialLoyaltyState(CUSTOMER);
  const ledger = new LedgerView();
  const effects: LoyaltyEffects = { ledger: [], tierChanges: [], triggers: [] };
  const results: LoyaltyResult[] = [];
  let now = '2026-01-01T00:00:00.000Z';
  steps.forEach((step, i) => {
    const when =
      at?.(step, i) ??
      ('clock' in step ? step.clock : 'occurredAt' in step ? step.occurredAt : now);
    if (when > now) now = when;
    const applied =
      'clock' in step
        ? { ...evaluateClock(state, program, now), result: undefined }
        : evaluate(state, step, program, now);
    state = applied.state;
    if (applied.result) results.push(applied.result);
    ledger.add(applied.effects.ledger);
    effects.ledger.push(...applied.effects.ledger);
    effects.tierChanges.push(...applied.effects.tierChanges);
    effects.triggers.push(...applied.effects.triggers);
    expect(balanceOf(state), `balance after step ${i}`).toBe(ledger.sum);
  });
  return { state, results, effects, ledger };
}

export const earned = (program: Program, ...inputs: LoyaltyInput[]) =>
  run(program, inputs).results.map((r) => r.earned);
