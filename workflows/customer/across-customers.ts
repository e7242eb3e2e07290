/**
 * The customer workflow's part in what spans two customers: merges (this customer reserved as
 * the survivor, handing over as the absorbed, absorbing, settling) and household pooling (giving
 * points, taking them in). Each handler answers the same when asked again, as the merge and pool
 * workflows ask each step until it is answered. Imports only @temporalio/workflow and the rules.
 */
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { CustomerAccount, type Effects, noEffects } from '../../engine/domain/customer/account.ts';
import { handedOver, mergeCustomers } from '../../engine/domain/customer/merge.ts';
import type { PoolGive, PoolReceive } from '../../engine/domain/loyalty/pooling.ts';
import {
  type AbsorbArgs,
  absorbUpdate,
  givePointsUpdate,
  handOverUpdate,
  MERGE_REFUSED,
  type MergeStep,
  POOL_REFUSED,
  receivePointsUpdate,
  releaseMergeUpdate,
  reserveMergeUpdate,
  settleMergeUpdate,
} from './messages.ts';

/** What these handlers need of the customer workflow they run in. */
export interface CustomerSide {
  account(): CustomerAccount;
  /** The account after a merge changed it whole. */
  replace(account: CustomerAccount): void;
  /** The workflow's clock as an instant. */
  now(): string;
  /** Resolves once every event delivered so far is applied. */
  applied(): Promise<void>;
  /** Effects no delivery answers: the router's next delivery carries them too. */
  toOutbox(effects: Effects): void;
  scheduleClock(): void;
  /** Throws `CustomerMerged` when this customer was merged into another. */
  refuseIfMerged(): void;
  /** The points the customer can spend now (absent before any program knew the customer). */
  spendable(): number | undefined;
}

function mergeRefused(code: 'busy' | 'invalid_request', field: string, message: string) {
  return ApplicationFailure.create({
    type: MERGE_REFUSED,
    message: `${field} ${message}`,
    details: [{ code, field, message }],
    nonRetryable: true,
  });
}

export function setAcrossCustomersHandlers(c: CustomerSide) {
  // Merges: the merge workflow reserves the survivor, has the absorbed customer hand over its
  // state, has the survivor absorb it, then has the absorbed customer settle (give up its
  // points). Each step is asked again after a failure, so each answers the same when repeated.
  setHandler(
    reserveMergeUpdate,
    ({ mergeId, customerId }) => c.account().reserveMerge(mergeId, customerId),
    {
      validator: ({ mergeId }: MergeStep) => {
        c.refuseIfMerged();
        const busy = c.account().absorbing;
        if (busy && busy.mergeId !== mergeId) {
          throw mergeRefused(
            'busy',
            'survivorCustomerId',
            'is taking in another customer: ask again',
          );
        }
      },
    },
  );
  setHandler(releaseMergeUpdate, ({ mergeId }) => c.account().releaseMerge(mergeId));
  setHandler(
    handOverUpdate,
    async (step) => {
      // What was delivered before the hand-over is applied first, and goes with the state.
      await c.applied();
      c.account().handOver(step);
      return c.account().toState();
    },
    {
      validator: ({ mergeId }: MergeStep) => {
        const into = c.account().mergedInto;
        if (into && into.mergeId !== mergeId) c.refuseIfMerged();
        if (c.account().absorbing) {
          throw mergeRefused(
            'busy',
            'absorbedCustomerId',
            'is taking in another customer: ask again',
          );
        }
      },
    },
  );
  setHandler(
    absorbUpdate,
    (args) => {
      const now = c.now();
      const earlier = c.account().absorbed(args.mergeId);
      if (earlier) {
        return {
          points: earlier.points,
          repeated: true,
          effects: noEffects(),
          summary: c.account().snapshot(now),
        };
      }
      const merged = mergeCustomers(c.account().toState(), args.state, {
        mergeId: args.mergeId,
        at: args.at,
        storeId: args.storeId,
        programVersion: c.account().loyalty.programAt(now).version,
      });
      c.replace(CustomerAccount.restore(merged.survivor));
      const effects = noEffects();
      effects.ledger.push(merged.ledger.survivor);
      c.toOutbox(effects);
      c.scheduleClock();
      const points = c.account().absorbed(args.mergeId)?.points ?? 0;
      return { points, repeated: false, effects, summary: c.account().snapshot(now) };
    },
    {
      validator: (args: AbsorbArgs) => {
        c.refuseIfMerged();
        const busy = c.account().absorbing;
        if (busy && busy.mergeId !== args.mergeId) {
          throw mergeRefused(
            'busy',
            'survivorCustomerId',
            'is taking in another customer: ask again',
          );
        }
      },
    },
  );
  setHandler(
    settleMergeUpdate,
    ({ mergeId, storeId, at }) => {
      const now = c.now();
      const effects = noEffects();
      if (!c.account().mergedInto?.settled) {
        const settled = handedOver(c.account().toState(), {
          mergeId,
          at,
          storeId,
          programVersion: c.account().loyalty.programAt(now).version,
        });
        c.replace(CustomerAccount.restore(settled.absorbed));
        effects.ledger.push(settled.ledger);
        c.toOutbox(effects);
      }
      return { effects, summary: c.account().snapshot(now) };
    },
    {
      validator: ({ mergeId }: { mergeId: string }) => {
        if (c.account().mergedInto?.mergeId !== mergeId) {
          throw mergeRefused(
            'invalid_request',
            'mergeId',
            'is not the merge this customer was handed over in',
          );
        }
      },
    },
  );

  // Household pooling: points move from one member to another just before a redemption (the
  // pool workflow asks each step until it is answered; each answers the same when repeated).
  setHandler(
    givePointsUpdate,
    (request) => {
      const now = c.now();
      const effects = noEffects();
      const result = c.account().give(request, now, effects);
      if (result.outcome === 'refused') {
        throw ApplicationFailure.create({
          type: POOL_REFUSED,
          message: `cannot give ${request.points} points: ${result.reason}`,
          details: [{ reason: result.reason, spendable: c.spendable() }],
          nonRetryable: true,
        });
      }
      c.toOutbox(effects);
      c.scheduleClock();
      return {
        points: result.points,
        lots: result.lots,
        effects,
        summary: c.account().snapshot(now),
      };
    },
    {
      // Refused before it is written to the history: fewer spendable points than asked.
      validator: (request: PoolGive) => {
        c.refuseIfMerged();
        const reason = c.account().loyalty.refusalToGive(request, c.now());
        if (reason) {
          throw ApplicationFailure.create({
            type: POOL_REFUSED,
            message: `cannot give ${request.points} points: ${reason}`,
            details: [{ reason, spendable: c.spendable() }],
            nonRetryable: true,
          });
        }
      },
    },
  );
  setHandler(
    receivePointsUpdate,
    (request) => {
      const now = c.now();
      const effects = noEffects();
      const result = c.account().receive(request, now, effects);
      c.toOutbox(effects);
      c.scheduleClock();
      return { points: result.points, effects, summary: c.account().snapshot(now) };
    },
    { validator: (_request: PoolReceive) => c.refuseIfMerged() },
  );
}
