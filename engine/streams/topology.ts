/**
 * Names of the JetStream streams, subjects and durable consumers. Every process declares and
 * reads them from here, so the topology is written down once.
 */

/** Raw retail events from gateways, one subject per store: `events.<storeId>`. */
export const EVENTS_STREAM = 'EVENTS';
export const EVENT_SUBJECTS = 'events.>';
export const eventSubject = (storeId: string): string => `events.${storeId}`;

/** Cues for tills: `cues.<storeId>.<tillId>`. Kept so a reconnecting till can fetch what it missed. */
export const CUES_STREAM = 'CUES';
export const CUE_SUBJECTS = 'cues.>';
export const cueSubject = (storeId: string, tillId: string): string => `cues.${storeId}.${tillId}`;

/** Points-ledger entries derived by customer workflows: `ledger.<storeId>`. */
export const LEDGER_STREAM = 'LEDGER';
export const LEDGER_SUBJECTS = 'ledger.>';
export const ledgerSubject = (storeId: string): string => `ledger.${storeId}`;

/**
 * What customers' loyalty programs decided beyond the ledger, for campaigns and lifecycle rules:
 * `loyalty.tier.<customerId>` (tier changes) and `loyalty.trigger.<customerId>` (points expiring,
 * points expired, adjustments clipped, …).
 */
export const LOYALTY_STREAM = 'LOYALTY';
export const LOYALTY_SUBJECTS = 'loyalty.>';
export const TIER_SUBJECTS = 'loyalty.tier.>';
export const tierSubject = (customerId: string): string => `loyalty.tier.${customerId}`;
export const triggerSubject = (customerId: string): string => `loyalty.trigger.${customerId}`;

/**
 * Lifecycle triggers for campaigns: `triggers.<customerId>`, each occasion once (its id is the
 * message id). Kept a year, like the loyalty stream.
 */
export const TRIGGERS_STREAM = 'TRIGGERS';
export const TRIGGERS_SUBJECTS = 'triggers.>';
export const lifecycleSubject = (customerId: string): string => `triggers.${customerId}`;

/**
 * Customers entering and leaving live segments: `segments.<customerId>`, each change once (its id
 * is the message id). Kept a year, like the triggers.
 */
export const SEGMENTS_STREAM = 'SEGMENTS';
export const SEGMENTS_SUBJECTS = 'segments.>';
export const segmentSubject = (customerId: string): string => `segments.${customerId}`;

/**
 * Look-ups and redemptions at tills and the web shop, for the anti-fraud watch:
 * `activity.<storeId>`. Kept as long as the watch looks back (a day by default).
 */
export const ACTIVITY_STREAM = 'ACTIVITY';
export const ACTIVITY_SUBJECTS = 'activity.>';
export const activitySubject = (storeId: string): string => `activity.${storeId}`;

/** Flags the anti-fraud watch raised, for staff and the console: `fraud.<storeId>`. */
export const FRAUD_STREAM = 'FRAUD';
export const FRAUD_SUBJECTS = 'fraud.>';
export const fraudSubject = (storeId: string): string => `fraud.${storeId}`;

/**
 * Staff actions on customers for the audit log (`engine/domain/staff/audit.ts`):
 * `audit.<action>`, e.g. `audit.customer.read`. Kept two years; stored in `audit_log` for good.
 */
export const AUDIT_STREAM = 'AUDIT';
export const AUDIT_SUBJECTS = 'audit.>';
export const auditSubject = (action: string): string => `audit.${action}`;

/** Messages no consumer could process: `deadletter.<source stream>`. */
export const DEAD_LETTER_STREAM = 'DEADLETTER';
export const DEAD_LETTER_SUBJECTS = 'deadletter.>';
export const deadLetterSubject = (source: string): string => `deadletter.${source.toLowerCase()}`;

/**
 * Request–reply services for tills and the web shop (core NATS, not JetStream: a request is
 * answered, not stored). Outside `loyalty.>` so the LOYALTY stream never captures a request.
 */
export const REDEEM_SUBJECT = 'svc.loyalty.redeem';
export const CANCEL_SUBJECT = 'svc.loyalty.cancel';
export const REDEMPTION_QUEUE = 'redemptions';
/** Registering and identifying customers (`engine/identity/identity-service.ts`). */
export const REGISTER_SUBJECT = 'svc.identity.register';
export const IDENTIFY_SUBJECT = 'svc.identity.identify';
/** The service desk's changes to a card: block, unblock, report lost, replace. */
export const CARD_SUBJECT = 'svc.identity.card';
/** The service desk's merge of two records of one person. */
export const MERGE_SUBJECT = 'svc.identity.merge';
/** The service desk's households: make one, add a member, take one out. */
export const HOUSEHOLD_SUBJECT = 'svc.identity.household';
/** The service desk's anti-fraud flags: list them, resolve one. */
export const FLAGS_SUBJECT = 'svc.fraud.flags';
export const IDENTITY_QUEUE = 'identity';

/** The customer 360 view (`engine/customer-view/customer-view.ts`), served with the identity service. */
export const VIEW_SUBJECT = 'svc.customer.view';
/** One customer's long history, answered by the process that holds the analytics store. */
export const HISTORY_SUBJECT = 'svc.analytics.customer-history';
export const HISTORY_QUEUE = 'analytics';
/** One customer's timeline for the console, answered by the process that holds the store. */
export const TIMELINE_SUBJECT = 'svc.analytics.customer-timeline';
/**
 * A customer's state rebuilt from the log and compared with the live workflow's
 * (`engine/replay/state-service.ts`), answered where the analytics store is held.
 */
export const REPLAY_STATE_SUBJECT = 'svc.replay.state';
/**
 * A candidate program's what-if for one customer (`engine/replay/what-if-service.ts`), and the
 * same over every customer as a job started and then polled (`engine/replay/simulate-service.ts`),
 * both answered where the analytics store is held.
 */
export const REPLAY_WHAT_IF_SUBJECT = 'svc.replay.what-if';
export const REPLAY_SIMULATE_SUBJECT = 'svc.replay.simulate';
/** The analytics questions (`engine/analytics/questions`), answered where the store is held. */
export const QUESTION_SUBJECT = 'svc.analytics.question';
/** Saving and removing marketers' groups (`engine/segments/groups-service.ts`), likewise. */
export const GROUPS_SUBJECT = 'svc.analytics.groups';

/**
 * The identity index (NATS KV): cards, account numbers and hashed contact details → customer
 * (`engine/identity/identity-index.ts`).
 */
export const IDENTITY_BUCKET = 'IDENTITY';

/** Customer profiles, personal data (`engine/customer-view/profile-store.ts`). */
export const PROFILES_BUCKET = 'PROFILES';

/** Customers' latest summaries, the live part of the 360 view (`engine/customer-view/summary-store.ts`). */
export const SUMMARIES_BUCKET = 'SUMMARIES';

/** Anti-fraud flags by card, customer and till (`engine/fraud/flag-store.ts`). */
export const FRAUD_BUCKET = 'FRAUD';

/** The staff who sign in to the console, and confidential customers (`engine/staff/staff-directory.ts`). */
export const STAFF_BUCKET = 'STAFF';

/** Signed-in sessions of the console, by a hash of their token (`engine/staff/sessions.ts`). */
export const SESSIONS_BUCKET = 'SESSIONS';

/** Account numbers: each is the sequence number of an (empty) message published here. */
export const ACCOUNTS_STREAM = 'ACCOUNTS';
export const ACCOUNTS_SUBJECT = 'identity.accounts';

/** Durable consumer names. */
export const ROUTER_CONSUMER = 'router';
export const SINK_CONSUMER = 'sink';
