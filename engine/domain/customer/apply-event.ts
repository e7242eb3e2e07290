/**
 * The customer rules in their pure form, `(state, event) → { state, effects }`: the input state
 * is never changed. For tests, oracles and one-off checks; it restores and serialises the whole
 * state on every call (O(remembered ids)), so anything that applies many events to one customer
 * (the workflow, the benchmark) keeps a `CustomerAccount` instead.
 */
import { CustomerAccount, type Effects, noEffects, type Outcome } from './account.ts';
import type { CustomerState } from './state.ts';

export type { Effects } from './account.ts';

export interface Applied {
  state: CustomerState;
  effects: Effects;
  /** Why nothing happened, when nothing did. */
  ignored?: Exclude<Outcome, 'applied'>;
}

export function applyEvent(
  state: CustomerState,
  event: Parameters<CustomerAccount['apply']>[0],
): Applied {
  const account = CustomerAccount.restore(state);
  const effects = noEffects();
  const outcome = account.apply(event, effects);
  if (outcome === 'applied') return { state: account.toState(), effects };
  // A duplicate may have brought the customer's clock to its time; nothing else changes.
  if (outcome === 'duplicate') return { state: account.toState(), effects, ignored: outcome };
  return { state, effects, ignored: outcome };
}
