/**
 * The customer 360 view (`engine/domain/customer/view.ts`), put together from where each part
 * lives: the identity index (account number, cards), the profile store (the profile, `full`
 * scope only), the summary store (the live figures) and the analytics store's history, asked
 * over NATS of the process that holds it. Served on `svc.customer.view` beside the identity
 * service; the gateways set the scope from who asks.
 *
 * A history that does not come in time is left out and named in `missing`: the till still gets
 * the customer at once.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { fraudCues, identificationCues } from '../domain/cue-wording.ts';
import { type CustomerHistory, customerHistory } from '../domain/customer/history.ts';
import { type CustomerView, type ViewRequest, viewRequest } from '../domain/customer/view.ts';
import { ClienteleError } from '../domain/error-codes.ts';
import type { ProgramCatalog } from '../domain/loyalty/versions.ts';
import type { FlagStore } from '../fraud/flag-store.ts';
import type { Households } from '../identity/households.ts';
import type { IdentityIndex } from '../identity/identity-index.ts';
import { type Served, type ServedStats, serveRequests } from '../services/serve-requests.ts';
import { HISTORY_SUBJECT, IDENTITY_QUEUE, VIEW_SUBJECT } from '../streams/topology.ts';
import type { ProfileStore } from './profile-store.ts';
import type { SummaryStore } from './summary-store.ts';

export interface CustomerViewDeps {
  nc: NatsConnection;
  index: IdentityIndex;
  households?: Households;
  /** The program versions, for whether households pool points now. */
  catalog?: ProgramCatalog;
  profiles: ProfileStore;
  summaries: SummaryStore;
  /** The anti-fraud flags on the customer and their cards (absent: none shown). */
  flags?: FlagStore;
  logger: Logger;
  now?: () => Date;
  /** How long the history may take before the view is answered without it. */
  historyTimeoutMs?: number;
}

const decoder = new TextDecoder();

async function askHistory(
  deps: CustomerViewDeps,
  customerIds: string[],
  asOf: string,
): Promise<CustomerHistory | undefined> {
  try {
    const reply = await deps.nc.request(HISTORY_SUBJECT, JSON.stringify({ customerIds, asOf }), {
      timeout: deps.historyTimeoutMs ?? 2_000,
    });
    const answer = JSON.parse(decoder.decode(reply.data));
    if (!answer.ok) throw new Error(answer.error?.message ?? 'refused');
    return customerHistory.parse(answer.history);
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message }, 'customer history not available');
    return undefined;
  }
}

/** The customer's household with each member's points (as of their last delivered event). */
async function householdOf(
  deps: CustomerViewDeps,
  customerId: string,
  now: string,
): Promise<CustomerView['household']> {
  const household = await deps.households?.of(customerId);
  if (!household) return undefined;
  const members = await Promise.all(
    household.members.map(async (member) => {
      const summary = await deps.summaries.read(member);
      return {
        customerId: member,
        ...(summary?.accountNumber ? { accountNumber: summary.accountNumber } : {}),
        balance: summary?.loyalty.balance ?? 0,
        spendable: summary?.loyalty.spendable ?? 0,
      };
    }),
  );
  return {
    householdId: household.householdId,
    pooling: deps.catalog?.at(now)?.households?.pooling ?? false,
    members,
    spendable: members.reduce((sum, m) => sum + m.spendable, 0),
  };
}

export async function viewCustomer(
  deps: CustomerViewDeps,
  request: ViewRequest,
): Promise<CustomerView> {
  const { customerId, scope } = request;
  const now = (deps.now?.() ?? new Date()).toISOString();
  const merged = await deps.index.mergedInto(customerId);
  if (merged) {
    return {
      ok: true,
      customerId,
      scope,
      mergedInto: merged,
      cards: [],
      cues: [
        {
          kind: 'merged',
          message: `This record was merged into ${merged.customerId} on ${merged.at.slice(0, 10)}`,
        },
      ],
    };
  }
  const [accountNumber, cards, summary, profile] = await Promise.all([
    deps.index.knownAccount(customerId),
    deps.index.cardsOf(customerId),
    deps.summaries.read(customerId),
    scope === 'full' ? deps.profiles.read(customerId) : undefined,
  ]);
  if (!accountNumber && cards.length === 0 && !summary && !profile) {
    throw new ClienteleError('unknown_customer', [
      { field: 'customerId', message: 'is no customer of this engine' },
    ]);
  }
  const [household, history, flags] = await Promise.all([
    householdOf(deps, customerId, now),
    // The customers merged into this one: their events are stored under their own ids.
    askHistory(deps, [customerId, ...(summary?.mergedFrom ?? [])], now),
    deps.flags?.of({ customerId, cardNumbers: cards.map((card) => card.cardNumber) }),
  ]);
  const view: CustomerView = {
    ok: true,
    customerId,
    scope,
    cards: cards.map(({ customerId: _holder, ...card }) => card),
    cues: [...fraudCues(flags ?? []), ...identificationCues(summary, now)],
  };
  if (flags && flags.length > 0) view.fraudFlags = flags;
  if (accountNumber) view.accountNumber = accountNumber;
  if (profile) {
    view.profile = profile.profile;
    view.profileHistory = profile.history;
  }
  if (household) view.household = household;
  if (summary) view.summary = summary;
  if (history) view.history = history;
  else view.missing = ['history'];
  // Who looked, not what they saw: no personal data in the log.
  deps.logger.info(
    { customerId, scope, storeId: request.storeId, channel: request.channel },
    'customer viewed',
  );
  return view;
}

export function startCustomerViewService(deps: CustomerViewDeps): Served & { stats: ServedStats } {
  const stats: ServedStats = { answered: 0, refused: 0, failed: 0 };
  const served = serveRequests(
    deps.nc,
    VIEW_SUBJECT,
    IDENTITY_QUEUE,
    viewRequest,
    (request) => viewCustomer(deps, request),
    { stats, logger: deps.logger, what: 'customer view' },
  );
  return { stats, stop: () => served.stop() };
}
