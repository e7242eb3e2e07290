/**
 * One long-lived workflow per customer. It applies each batch of events with the customer rules
 * and answers what they caused (ledger lines, cues) in the delivering update's result; the router
 * publishes them. So a delivery costs one workflow task and no activity: publishing from a local
 * activity held every workflow task open for a NATS round trip and cost a second activation
 * (about a fifth of the end-to-end throughput, bench/README.md).
 *
 * Effects stay in an outbox until a later delivery says they were published, so a router that
 * crashed between the answer and publishing is given them again.
 *
 * Every customer has one loyalty book (patch `one-customer-engine`): each event is applied under
 * the program version in force at its time, the base earn rate before any (patch
 * `loyalty-programs`: versions arrive with deliveries), tills redeem points through an update,
 * and expiry, warnings and tier reviews run on workflow timers. The rules run on the events' own
 * time; the timers only run the clock for what falls due while nothing arrives.
 *
 * With a delivery the router may ask for the customer's summary, which it keeps for the tills'
 * identification. Merges and household pooling are updates too (`across-customers.ts`); a
 * customer merged into another refuses every update with where it went. Imports only
 * @temporalio/workflow and pure modules.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import {
  BACKLOG_SETTLE_MS,
  CustomerAccount,
  type Effects,
  noEffects,
} from '../../engine/domain/customer/account.ts';
import type { CustomerEvent } from '../../engine/domain/events.ts';
import type { Program } from '../../engine/domain/loyalty/program.ts';
import { setAcrossCustomersHandlers } from './across-customers.ts';
import type { CustomerActivities } from './activities.ts';
import {
  type CancelRedemptionArgs,
  CUSTOMER_MERGED,
  type CustomerWorkflowInput,
  cancelRedemptionUpdate,
  type DeliveryOptions,
  type DeliveryReceipt,
  deliverEventsUpdate,
  type OutboxEntry,
  type PointsAfter,
  PROGRAMS_NEEDED,
  REDEMPTION_REFUSED,
  REDEMPTION_USED,
  type RedeemPointsRequest,
  redeemPointsUpdate,
  snapshotQuery,
  stateQuery,
  UNKNOWN_REDEMPTION,
} from './messages.ts';

/** Histories from before this patch published effects from a local activity. */
export const EFFECTS_IN_RESULT_PATCH = 'effects-in-update-result';

/** Histories from before this patch earned at the base rate only, with no program and no timers. */
export const LOYALTY_PATCH = 'loyalty-programs';

/**
 * A backlog (events dated before something already due: an offline till's upload, an imported
 * history) runs the clock only once deliveries have paused this long, so a timer does not run
 * the clock past events still on their way.
 */
export const EVENT_TIME_PATCH = 'loyalty-event-time';

/**
 * Histories from before this patch kept the base earn rate's points outside the loyalty book
 * until the first program version arrived; since, every customer has one book from the start.
 */
export const ONE_ENGINE_PATCH = 'one-customer-engine';

/**
 * Histories from before this patch ran no lifecycle rules: since, the program's lifecycle
 * occasions (lapses, birthdays, items due again) are due on the workflow's timer too.
 */
export const LIFECYCLE_PATCH = 'lifecycle-triggers';

/**
 * Histories from before this patch continued as new only when the server suggested it (at 4K
 * events or 4 MB by default); since, also once the run's history has grown past the budget the
 * router names with its deliveries, so that a cache miss replays little.
 */
export const HISTORY_BUDGET_PATCH = 'history-budget';

/**
 * Histories from before this patch had no live segments: since, the program's segments are
 * evaluated on every event and on the workflow's timer when time alone changes them.
 */
export const SEGMENTS_PATCH = 'live-segments';

/** Deliveries whose effects are kept unconfirmed at most (a router that never confirms). */
const OUTBOX_LIMIT = 50;

const { publishEffects } = proxyLocalActivities<CustomerActivities>({
  startToCloseTimeout: '10 seconds',
  // Publishing is idempotent (message ids), so retrying it for as long as NATS is away is safe.
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

const redemptionOf = (request: RedeemPointsRequest) => {
  const { programVersion: _version, programs: _programs, ...fields } = request;
  return { type: 'redemption' as const, ...fields };
};

function merged(outbox: readonly OutboxEntry[]): Effects {
  const effects = noEffects();
  for (const entry of outbox) {
    effects.ledger.push(...entry.effects.ledger);
    effects.cues.push(...entry.effects.cues);
    const { triggers, tierChanges, lifecycle, segments } = entry.effects;
    if (triggers) effects.triggers = [...(effects.triggers ?? []), ...triggers];
    if (tierChanges) effects.tierChanges = [...(effects.tierChanges ?? []), ...tierChanges];
    if (lifecycle) effects.lifecycle = [...(effects.lifecycle ?? []), ...lifecycle];
    if (segments) effects.segments = [...(effects.segments ?? []), ...segments];
  }
  return effects;
}

/** The workflow's clock as an instant (deterministic: the time of the current workflow task). */
const isoNow = (): string => new Date(Date.now()).toISOString();

function programsNeeded(versions: string[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: PROGRAMS_NEEDED,
    message: `send the loyalty program versions ${versions.join(', ')} with this request`,
    details: [versions],
    nonRetryable: true,
  });
}

export async function customerWorkflow(input: CustomerWorkflowInput): Promise<void> {
  // The rules apply events in place (O(1) each); the plain state is rebuilt only to carry it.
  // Replaced whole when another customer is merged into this one.
  let account = input.carried
    ? CustomerAccount.restore(input.carried.state)
    : CustomerAccount.open(input.customerId, input.program);
  const pending: CustomerEvent[] = [...(input.carried?.pending ?? [])];
  /** The program version of each pending event, by position. */
  /** (null: none in force at the event's time; undefined: the delivery named no versions.) */
  const pendingVersions: (string | null | undefined)[] = pending.map(
    (_, i) => input.carried?.pendingVersions?.[i],
  );
  /** Events ever queued in this run, and how many of them are applied: update tickets. */
  let queued = pending.length;
  let done = 0;
  let outbox: OutboxEntry[] = [...(input.carried?.outbox ?? [])];
  let deliveries = input.carried?.deliveries ?? 0;
  let historyBudget = input.carried?.historyBudgetBytes;
  /** The run's history when it began (its input: the carried state), which the budget excludes. */
  const historyAtStart = workflowInfo().historySize;
  /** Past the history budget (asked after the run's work, never inside a condition). */
  const overBudget = () =>
    historyBudget !== undefined &&
    workflowInfo().historySize - historyAtStart > historyBudget &&
    patched(HISTORY_BUDGET_PATCH);

  /** Puts the customer under the loyalty program, or teaches the book versions it lacks. */
  function learn(programs: readonly Program[] | undefined) {
    if (!programs || programs.length === 0) return;
    if (!patched(LOYALTY_PATCH)) return;
    const first = !account.loyalty.underProgram;
    account.learn(programs);
    // Runs begun before every customer had one book opened the book with the first program
    // version, so its tier window held no month before it: a review replays the same only if
    // that stays so.
    if (first && !patched(ONE_ENGINE_PATCH)) account.loyalty.forgetTierMonths();
    scheduleClock();
  }

  /** Versions named that neither the book nor the request itself carries. */
  function missing(
    versions: readonly (string | null | undefined)[],
    programs: readonly Program[] | undefined,
  ): string[] {
    const known = (v: string) =>
      account.loyalty.knows(v) || programs?.some((p) => p.version === v) === true;
    return [...new Set(versions.filter((v): v is string => !!v && !known(v)))];
  }

  /** Effects that no delivery answered (a redemption's): the router's next delivery carries them. */
  function toOutbox(effects: Effects) {
    if (
      effects.ledger.length === 0 &&
      !effects.triggers &&
      !effects.tierChanges &&
      !effects.lifecycle &&
      !effects.segments
    ) {
      return;
    }
    deliveries += 1;
    outbox.push({ delivery: deliveries, effects });
    if (outbox.length > OUTBOX_LIMIT) outbox = outbox.slice(outbox.length - OUTBOX_LIMIT);
  }

  // One timer at a time for the loyalty clock, plus an earlier one when something earlier
  // becomes due: timers are never cancelled (a cancellation costs history events too).
  const timers = new Set<number>();
  let clockDue = false;
  /** When the last delivery was applied, while a backlog is coming in (else undefined). */
  let backlogAt: number | undefined;
  const settling = () => backlogAt !== undefined && Date.now() < backlogAt + BACKLOG_SETTLE_MS;
  function scheduleClock() {
    // A customer handed over to another keeps its state as it was: nothing falls due any more.
    if (account.mergedInto) return;
    const now = isoNow();
    const due = account.loyalty.nextDue(now);
    let at = due === undefined ? Number.POSITIVE_INFINITY : Date.parse(due);
    const occasion = lifecycleDue(now);
    // (An occasion already past is due at once: late, but once.)
    if (occasion !== undefined) at = Math.min(at, Math.max(occasion, Date.now()));
    const change = segmentsDue(now);
    if (change !== undefined) at = Math.min(at, Math.max(change, Date.now()));
    if (at === Number.POSITIVE_INFINITY) return;
    if (backlogAt !== undefined) at = Math.max(at, backlogAt + BACKLOG_SETTLE_MS);
    for (const t of timers) if (t <= at) return;
    timers.add(at);
    void sleep(Math.max(1, at - Date.now())).then(() => {
      timers.delete(at);
      clockDue = true;
    });
  }

  /**
   * When the program's lifecycle rules next have an occasion due (ms). Histories from before
   * this patch had no lifecycle rules; the patch is asked only when there are some.
   */
  function lifecycleDue(now: string): number | undefined {
    const due = account.lifecycleDue(now);
    return due !== undefined && patched(LIFECYCLE_PATCH) ? due : undefined;
  }

  /**
   * When time alone next changes the customer's segments (ms). Histories from before this patch
   * had no segments; the patch is asked only when there are some.
   */
  function segmentsDue(now: string): number | undefined {
    const due = account.segmentsDue(now);
    return due !== undefined && patched(SEGMENTS_PATCH) ? due : undefined;
  }

  /** Time alone changed the segments before the receiving clock: events are arriving late. */
  function segmentsBehind(): boolean {
    const due = account.segmentsDueSinceLastLook();
    return due !== undefined && due < Date.now() && patched(SEGMENTS_PATCH);
  }

  function pointsAfter(): PointsAfter {
    const outlook = account.loyalty.outlook(isoNow());
    return {
      balance: account.pointsBalance,
      spendable: outlook.spendable,
      ...(outlook.tier !== undefined ? { tier: outlook.tier } : {}),
    };
  }

  /** A customer merged into another takes nothing more: the caller is told where it went. */
  function refuseIfMerged() {
    const into = account.mergedInto;
    if (!into) return;
    throw ApplicationFailure.create({
      type: CUSTOMER_MERGED,
      message: `this customer was merged into ${into.customerId}`,
      details: [{ customerId: into.customerId }],
      nonRetryable: true,
    });
  }

  learn(input.programs);
  scheduleClock();

  setHandler(
    deliverEventsUpdate,
    async (events, options) => {
      learn(options?.programs);
      if (options?.historyBudgetBytes !== undefined) historyBudget = options.historyBudgetBytes;
      const through = options?.publishedThrough;
      if (through !== undefined) outbox = outbox.filter((entry) => entry.delivery > through);
      const before = account.eventsApplied;
      pending.push(...events);
      for (let i = 0; i < events.length; i++) pendingVersions.push(options?.versions?.[i]);
      queued += events.length;
      const ticket = queued;
      await condition(() => done >= ticket);
      const receipt: DeliveryReceipt = {
        applied: account.eventsApplied - before,
        pointsBalance: account.pointsBalance,
      };
      if (options?.summary) receipt.summary = account.snapshot(isoNow());
      // Old histories published from the activity and answered without effects.
      if (outbox.length === 0 && deliveries === 0) return receipt;
      return { ...receipt, effects: merged(outbox), delivery: deliveries };
    },
    {
      validator: (_events: CustomerEvent[], options?: DeliveryOptions) => {
        refuseIfMerged();
        const needed = missing(options?.versions ?? [], options?.programs);
        if (needed.length > 0) throw programsNeeded(needed);
      },
    },
  );
  setHandler(snapshotQuery, () => account.snapshot(isoNow()));
  setHandler(stateQuery, () => account.toState());

  setHandler(
    redeemPointsUpdate,
    (request) => {
      learn(request.programs);
      const program = account.loyalty.program(request.programVersion);
      if (!program) throw programsNeeded([request.programVersion]);
      const effects = noEffects();
      const result = account.redeem(redemptionOf(request), program, isoNow(), effects);
      toOutbox(effects);
      if (result.outcome === 'refused' && result.refusal) {
        return { ok: false, ...result.refusal, ...pointsAfter() };
      }
      return {
        ok: true,
        redemptionId: request.redemptionId,
        points: result.redeemed,
        valueMinor: result.valueMinor ?? 0,
        currency: request.currency,
        repeated: result.outcome === 'duplicate',
        effects,
        summary: account.snapshot(isoNow()),
        ...pointsAfter(),
      };
    },
    {
      // Refused before it is written to the history: a till asking the impossible costs nothing.
      validator: (request: RedeemPointsRequest) => {
        refuseIfMerged();
        const needed = missing([request.programVersion], request.programs);
        if (needed.length > 0) throw programsNeeded(needed);
        const book = account.loyalty;
        if (book.hasRedemption(request.redemptionId)) return;
        const program =
          book.program(request.programVersion) ??
          request.programs?.find((p) => p.version === request.programVersion);
        if (!program) return;
        const check = book.checkRedemption(redemptionOf(request), program, isoNow());
        if (!check.ok) {
          throw ApplicationFailure.create({
            type: REDEMPTION_REFUSED,
            message: check.message,
            details: [
              {
                reason: check.reason,
                message: check.message,
                reasons: check.reasons,
                ...pointsAfter(),
              },
            ],
            nonRetryable: true,
          });
        }
      },
    },
  );

  setHandler(
    cancelRedemptionUpdate,
    ({ redemptionId }) => {
      const now = isoNow();
      const effects = noEffects();
      const result = account.redeem(
        { type: 'redemption.cancel', redemptionId, customerId: input.customerId },
        account.loyalty.programAt(now),
        now,
        effects,
      );
      toOutbox(effects);
      return {
        ok: true,
        restored: result.earned,
        effects,
        summary: account.snapshot(now),
        ...pointsAfter(),
      };
    },
    {
      validator: ({ redemptionId, storeId }: CancelRedemptionArgs) => {
        refuseIfMerged();
        const grantedTo = account.loyalty.redemptionStore(redemptionId);
        // Another store's redemption is refused as if it did not exist: no store learns of them.
        if (grantedTo === undefined || (storeId !== undefined && storeId !== grantedTo)) {
          throw ApplicationFailure.create({
            type: UNKNOWN_REDEMPTION,
            message: `no redemption ${redemptionId} for this customer`,
            nonRetryable: true,
          });
        }
        const usedBy = account.loyalty.redemptionUsedBy(redemptionId);
        if (usedBy !== undefined) {
          throw ApplicationFailure.create({
            type: REDEMPTION_USED,
            message: `redemption ${redemptionId} paid for sale ${usedBy}: return the sale to give its points back`,
            nonRetryable: true,
          });
        }
      },
    },
  );

  setAcrossCustomersHandlers({
    account: () => account,
    replace: (next) => {
      account = next;
    },
    now: isoNow,
    applied: () => {
      const ticket = queued;
      return condition(() => done >= ticket);
    },
    toOutbox,
    scheduleClock,
    refuseIfMerged,
    spendable: () => pointsAfter().spendable,
  });

  for (;;) {
    await condition(() => pending.length > 0 || clockDue || workflowInfo().continueAsNewSuggested);
    if (clockDue && pending.length === 0 && settling()) {
      clockDue = false;
      scheduleClock();
    } else if (clockDue && pending.length === 0 && account.mergedInto) {
      clockDue = false;
    } else if (clockDue && pending.length === 0) {
      clockDue = false;
      backlogAt = undefined;
      // Expiry, warnings, tier reviews: no delivery is waiting to answer them, so they are
      // published from a local activity (idempotent by message id, retried until NATS takes them).
      const effects = noEffects();
      const now = isoNow();
      account.advance(now, effects);
      if (lifecycleDue(now) !== undefined) account.fireLifecycle(now, effects);
      if (segmentsDue(now) !== undefined) account.fireSegments(now, effects);
      if (
        effects.ledger.length > 0 ||
        effects.triggers ||
        effects.tierChanges ||
        effects.lifecycle ||
        effects.segments
      ) {
        await publishEffects(effects);
      }
      scheduleClock();
    }
    while (pending.length > 0) {
      const batch = pending.splice(0, pending.length);
      const versions = pendingVersions.splice(0, pendingVersions.length);
      const effects = noEffects();
      const now = isoNow();
      batch.forEach((event, i) => {
        account.apply(event, effects, account.programFor(event, versions[i]), now);
      });
      const due = account.loyalty.nextDue(now);
      if (due !== undefined && Date.parse(due) < Date.now() && patched(EVENT_TIME_PATCH)) {
        backlogAt = Date.now();
      } else if (segmentsBehind()) {
        backlogAt = Date.now();
      }
      scheduleClock();
      const caused =
        effects.ledger.length > 0 ||
        effects.cues.length > 0 ||
        (effects.triggers?.length ?? 0) > 0 ||
        (effects.tierChanges?.length ?? 0) > 0 ||
        (effects.lifecycle?.length ?? 0) > 0 ||
        (effects.segments?.length ?? 0) > 0;
      if (patched(EFFECTS_IN_RESULT_PATCH)) {
        deliveries += 1;
        if (caused) outbox.push({ delivery: deliveries, effects });
        if (outbox.length > OUTBOX_LIMIT) outbox = outbox.slice(outbox.length - OUTBOX_LIMIT);
      } else if (caused) {
        await publishEffects(effects);
      }
      done += batch.length;
    }
    if (workflowInfo().continueAsNewSuggested || overBudget()) {
      // Let every delivery finish (its events applied) before rolling over; events that come
      // in meanwhile are applied first.
      await condition(() => pending.length > 0 || allHandlersFinished());
      if (pending.length > 0) continue;
      await continueAsNew<typeof customerWorkflow>({
        customerId: input.customerId,
        program: account.program,
        carried: {
          state: account.toState(),
          pending: [],
          outbox,
          deliveries,
          ...(historyBudget !== undefined ? { historyBudgetBytes: historyBudget } : {}),
        },
      });
    }
  }
}
