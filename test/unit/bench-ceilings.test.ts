/**
 * The evaluator ceiling counts what it applies and reports a rate. No timing is asserted: the
 * machines are shared and noisy, so only counts and shapes are checked here.
 */
import { describe, expect, it } from 'vitest';
import { measureEvaluator, simpleSales } from '../../bench/ceilings/evaluator.ts';

describe('evaluator ceiling', () => {
  it('generates the asked number of simple, customer-bound sales', () => {
    const events = simpleSales(300, 50);
    expect(events).toHaveLength(300);
    for (const event of events) {
      expect(event.type).toBe('sale');
      expect(event.customerId).toMatch(/^c-\d+$/);
    }
    expect(new Set(events.map((e) => e.eventId)).size).toBe(300);
  });

  it('applies one pass of a tiny stream and reports a positive rate', () => {
    const result = measureEvaluator({ events: 200, seconds: 0, customers: 40 });
    expect(result.passes).toBe(1);
    expect(result.events).toBe(200);
    expect(result.customers).toBeGreaterThan(0);
    expect(result.customers).toBeLessThanOrEqual(40);
    expect(result.max_customer_events).toBeGreaterThan(0);
    expect(Number.isFinite(result.events_per_s)).toBe(true);
    expect(result.events_per_s).toBeGreaterThan(0);
    expect(Number.isFinite(result.steady_state_events_per_s)).toBe(true);
    expect(result.steady_state_events_per_s).toBeGreaterThan(0);
    expect(result.apply_ms).toBeGreaterThan(0);
  });

  it('repeats whole passes until the time is spent, counting every event applied', () => {
    const result = measureEvaluator({ events: 150, seconds: 0.05, customers: 30 });
    expect(result.passes).toBeGreaterThanOrEqual(1);
    expect(result.events).toBe(result.passes * 150);
    expect(result.apply_ms).toBeGreaterThanOrEqual(50);
    expect(result.events_per_s).toBeGreaterThan(0);
    expect(Number.isFinite(result.steady_state_events_per_s)).toBe(true);
    expect(result.steady_state_events_per_s).toBeGreaterThan(0);
  });

  it('refuses an empty stream', () => {
    expect(() => measureEvaluator({ events: 0, seconds: 0 })).toThrow(/positive/);
  });
});
