/**
 * The messages that leave the customer workflow have one zod schema each, and the types the rules
 * and the workflow use are the schemas' own: a drift fails the typecheck (`expectTypeOf`) and
 * what the rules really produce parses.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { CustomerAccount, type Effects, noEffects } from '../../engine/domain/customer/account.ts';
import { effects, loyaltyTrigger, type tierChange } from '../../engine/domain/effects.ts';
import type { TierChange } from '../../engine/domain/loyalty/tiers.ts';
import type { RedeemRequest } from '../../engine/domain/redemption.ts';
import type { RedeemPointsRequest } from '../../workflows/customer/messages.ts';
import { CUSTOMER, line, programOf, registrationOf, saleOf } from '../support/loyalty.ts';
import { run } from '../support/loyalty-run.ts';

describe('the messages of the customer workflow', () => {
  it('are typed by their schemas', () => {
    // Each way round: the rules' types and the schemas' accept the same values.
    expectTypeOf<Effects>().toExtend<z.infer<typeof effects>>();
    expectTypeOf<z.infer<typeof effects>>().toExtend<Effects>();
    expectTypeOf<TierChange & { customerId: string }>().toExtend<z.infer<typeof tierChange>>();
    expectTypeOf<z.infer<typeof tierChange>>().toExtend<TierChange & { customerId: string }>();
    expectTypeOf<
      Omit<RedeemPointsRequest, 'programVersion' | 'programs'>
    >().toEqualTypeOf<RedeemRequest>();
  });

  it('parse as the rules produce them: ledger lines, cues and triggers', () => {
    const program = programOf({ expiry: { lotMonths: 6, warnDays: 30 } });
    const account = CustomerAccount.open(CUSTOMER, {
      version: 'base-1-per-100',
      basePointsPerUnit: 1,
      spendUnitMinor: 100,
    });
    account.learn([program]);
    const out = noEffects();
    account.apply(registrationOf({ occurredAt: '2026-01-10T10:00:00Z' }), out, program);
    account.apply(
      saleOf('t1', [line({ lineId: '1', unitPrice: 10_000 })], {
        occurredAt: '2026-01-15T10:00:00Z',
      }),
      out,
      program,
    );
    account.advance('2026-07-16T00:00:00.000Z', out);
    expect(out.ledger.length).toBeGreaterThan(0);
    expect(out.cues.length).toBeGreaterThan(0);
    expect(out.triggers?.map((t) => t.kind)).toEqual(['points-expiring', 'points-expired']);
    expect(effects.parse(out)).toEqual(out);
  });

  it('parse every trigger the clock gives', () => {
    const program = programOf({ expiry: { inactivityMonths: 12, warnDays: 14 } });
    const r = run(program, [
      saleOf('t1', [line({ lineId: '1', unitPrice: 10_000 })], {
        occurredAt: '2026-01-15T10:00:00Z',
      }),
      { clock: '2027-02-01T00:00:00Z' },
    ]);
    expect(r.effects.triggers.length).toBeGreaterThan(0);
    for (const trigger of r.effects.triggers) {
      expect(loyaltyTrigger.parse({ ...trigger, customerId: 'c-1' })).toEqual({
        ...trigger,
        customerId: 'c-1',
      });
    }
  });
});
