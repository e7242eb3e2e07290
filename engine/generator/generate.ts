/**
 * `clientele generate`: a retailer's year of data, invented from a seed and written straight to
 * the analytics tables. Stores, staff and SKUs (catalog.ts), members with households and
 * demographics (population.ts), their visits through the seasons, weekdays and hours
 * (calendar.ts), baskets and returns (baskets.ts), their points and tiers (loyalty.ts), and
 * anonymous walk-ins on top.
 *
 * Events are built as valid contract events (engine/domain/events.ts) and mapped with the live
 * sink's own `eventRows`, so generated rows look exactly like received ones. Same options, same
 * rows: every random draw comes from the seed, none from Math.random or the clock. Rows come out
 * a batch of customers at a time, so a run of any size needs the memory of one batch. The same
 * run gives its events instead (runEvents), to send through the gateways (events.ts, send.ts).
 *
 * Sizing: members are given expected visits in proportion to their habits, scaled so their lines
 * come to about 85 % of the target; anonymous sales then fill up to the target exactly (unless
 * the members already passed it, which the scaling keeps rare).
 */
import {
  eventRows,
  type LedgerRow,
  type RowBatch,
  type TableRows,
  type TierChangeRow,
} from '../analytics/rows.ts';
import type { TableName } from '../analytics/schema.ts';
import type { RetailEvent, ReturnEvent, SaleEvent } from '../domain/events.ts';
import {
  associateAt,
  basketSize,
  drawLines,
  drawReturn,
  drawTenders,
  expectedBasketSize,
  lineNetOf,
} from './baskets.ts';
import { buildCalendar, type Calendar, DAY_MS, dayMs, timeOnDay } from './calendar.ts';
import { buildCatalog, CATEGORIES, type Catalog, type CatalogRows } from './catalog.ts';
import { LoyaltyBook } from './loyalty.ts';
import { type CustomerProfile, drawProfile, registrationEvent } from './population.ts';
import { Rng, streamSeed } from './random.ts';

export interface GeneratorOptions {
  /** Same seed and options: byte-identical rows. */
  seed: number;
  /** Members. */
  customers: number;
  /** Sale lines to generate in all (the result reports the exact count). */
  saleLines: number;
  /** Stores, one of them the web shop (channel `web`). */
  stores: number;
  skus: number;
  /** `YYYY-MM-DD`: the first day of sales (UTC). */
  from: string;
  /** `YYYY-MM-DD`: the last day of sales (inclusive). */
  to: string;
  currency: string;
}

export const DEFAULT_GENERATOR_OPTIONS: GeneratorOptions = {
  seed: 1,
  customers: 1_000_000,
  saleLines: 20_000_000,
  stores: 40,
  skus: 5000,
  from: '2025-12-01',
  to: '2026-11-30',
  currency: 'EUR',
};

export type StoreRow = TableRows['stores'];
export type ProductRow = TableRows['products'];
export type StaffRow = TableRows['staff'];

export interface GeneratedDimensions {
  stores: StoreRow[];
  products: ProductRow[];
  staff: StaffRow[];
}

/** The fact tables generateBatches fills, in the order they are written. */
export const FACT_TABLES = [
  'customers',
  'customer_tags',
  'events',
  'sale_lines',
  'baskets',
  'return_lines',
  'ledger',
  'tier_changes',
] as const satisfies readonly TableName[];
export type FactTable = (typeof FACT_TABLES)[number];
export type FactBatch = { [T in FactTable]: TableRows[T][] };

export class GeneratorOptionsError extends Error {
  override name = 'GeneratorOptionsError';
}

/** Share of sale lines made by members; anonymous walk-ins make the rest. */
const MEMBER_LINE_SHARE = 0.85;
/** Lines per batch the batches aim at: parts big enough for ClickHouse, small enough for memory. */
const BATCH_LINES = 150_000;
const ANONYMOUS_STREAM = 4;
/** Returns are rarer without a receipt in the customer's account. */
const ANONYMOUS_RETURN_FACTOR = 0.5;

/** Refuses options that cannot make a data set, naming the option. */
export function checkGeneratorOptions(options: GeneratorOptions): void {
  const whole = (name: string, value: number, min: number) => {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new GeneratorOptionsError(
        `${name} must be a whole number of at least ${min}, not ${value}`,
      );
    }
  };
  whole('seed', options.seed, 0);
  whole('customers', options.customers, 1);
  whole('saleLines', options.saleLines, 0);
  whole('stores', options.stores, 2);
  whole('skus', options.skus, CATEGORIES.length);
  if (options.customers > 99_999_999)
    throw new GeneratorOptionsError('customers must be at most 99,999,999');
  if (!/^[A-Z]{3}$/.test(options.currency)) {
    throw new GeneratorOptionsError(
      `currency must be an ISO 4217 code such as "EUR", not "${options.currency}"`,
    );
  }
  for (const key of ['from', 'to'] as const) {
    try {
      dayMs(options[key]);
    } catch (err) {
      throw new GeneratorOptionsError(`${key}: ${(err as Error).message}`);
    }
  }
  if (dayMs(options.to) < dayMs(options.from)) {
    throw new GeneratorOptionsError(`to (${options.to}) is before from (${options.from})`);
  }
}

interface World {
  options: GeneratorOptions;
  calendar: Calendar;
  catalog: Catalog;
  rows: CatalogRows;
}

function buildWorld(options: GeneratorOptions): World {
  checkGeneratorOptions(options);
  const calendar = buildCalendar(options.from, options.to);
  const { catalog, rows } = buildCatalog(options.seed, {
    stores: options.stores,
    skus: options.skus,
    currency: options.currency,
    startMs: calendar.startMs,
  });
  return { options, calendar, catalog, rows };
}

export function generateDimensions(options: GeneratorOptions): GeneratedDimensions {
  return buildWorld(options).rows;
}

/** A customer's expected visits per unit of scale, and lines per visit. */
function habits(world: World, profile: CustomerProfile) {
  const { calendar, catalog } = world;
  if (profile.lastDay < profile.firstDay) return { visits: 0, lines: 0 };
  // Day weights are relative to an average day of the channel.
  const till =
    calendar.till.weightIn(profile.firstDay, profile.lastDay) /
    (calendar.till.total / calendar.days);
  const web =
    calendar.web.weightIn(profile.firstDay, profile.lastDay) / (calendar.web.total / calendar.days);
  const days = (1 - profile.webShare) * till + profile.webShare * web;
  const home = catalog.stores[profile.homeStore]?.basket ?? 5;
  const webBasket = catalog.stores[catalog.webStore]?.basket ?? 5;
  const lines =
    (1 - profile.webShare) * expectedBasketSize(home * profile.basketFactor) +
    profile.webShare * expectedBasketSize(webBasket * profile.basketFactor);
  return { visits: profile.rate * days, lines };
}

/** Visits per unit of `habits().visits`, so members' lines come to their share of the target. */
function visitScale(world: World): number {
  const { options } = world;
  let expectedLines = 0;
  for (let i = 0; i < options.customers; i++) {
    const { profile } = drawProfile(options.seed, i, world.calendar, world.catalog);
    const h = habits(world, profile);
    expectedLines += h.visits * h.lines;
  }
  return expectedLines > 0 ? (options.saleLines * MEMBER_LINE_SHARE) / expectedLines : 0;
}

function emptyBatch(): FactBatch {
  return {
    customers: [],
    customer_tags: [],
    events: [],
    sale_lines: [],
    baskets: [],
    return_lines: [],
    ledger: [],
    tier_changes: [],
  };
}

/**
 * Where the run's builders put what they make: each event at its instant, and the generator's
 * ledger (loyalty.ts). One run feeds both the rows (RowWriter) and the events sent through the
 * gateways (runEvents), so the two describe the same history.
 */
interface RunOutput {
  /** `householdId` comes with a registration: the customer row carries it, the event does not. */
  add(event: RetailEvent, ms: number, householdId?: string): void;
  /** Sale lines made so far: anonymous sales fill up to the target. */
  readonly saleLines: number;
  readonly ledger: LedgerRow[];
  readonly tierChanges: TierChangeRow[];
}

/** Appends an event's rows (the live sink's mapping) to the batch. */
class RowWriter implements RunOutput {
  streamSeq = 0;
  saleLines = 0;
  /**
   * The unit cost of the batch's sale lines, by transaction and line: a return is made with its
   * sale (one customer's events are in one batch) and stores the cost of what it gave back, as
   * the sink stores it live.
   */
  private costs = new Map<string, number>();
  private current: FactBatch;
  constructor(batch: FactBatch) {
    this.current = batch;
  }

  get batch(): FactBatch {
    return this.current;
  }
  set batch(next: FactBatch) {
    this.current = next;
    this.costs.clear();
  }

  get ledger() {
    return this.batch.ledger;
  }
  get tierChanges() {
    return this.batch.tier_changes;
  }

  add(event: RetailEvent, ms: number, householdId?: string) {
    const rows = eventRows(event, { streamSeq: ++this.streamSeq, receivedAt: ms });
    const b = this.batch;
    for (const r of rows.events) b.events.push(r);
    for (const r of rows.sale_lines) {
      b.sale_lines.push(r);
      this.costs.set(`${r.transaction_id}/${r.line_id}`, r.unit_cost);
    }
    for (const r of rows.return_lines) {
      r.unit_cost = this.costs.get(`${r.original_transaction_id}/${r.line_id}`) ?? 0;
      b.return_lines.push(r);
    }
    for (const r of rows.baskets ?? []) b.baskets.push(r);
    for (const r of rows.customer_tags ?? []) b.customer_tags.push(r);
    for (const r of rows.customers ?? []) {
      if (householdId !== undefined) r.household_id = householdId;
      b.customers.push(r);
    }
    this.saleLines += rows.sale_lines.length;
  }
}

/** An event of the run and its instant (ms). */
export interface TimedEvent {
  event: RetailEvent;
  ms: number;
}

/** Keeps the events; the ledger is made (it decides what a sale pays in points) but not kept. */
class EventCollector implements RunOutput {
  events: TimedEvent[] = [];
  saleLines = 0;
  readonly ledger: LedgerRow[] = [];
  readonly tierChanges: TierChangeRow[] = [];

  add(event: RetailEvent, ms: number) {
    this.events.push({ event, ms });
    if (event.type === 'sale') this.saleLines += event.lines.length;
  }

  take(): TimedEvent[] {
    const events = this.events;
    this.events = [];
    this.ledger.length = 0;
    this.tierChanges.length = 0;
    return events;
  }
}

interface PendingReturn {
  ms: number;
  event: ReturnEvent;
  refund: number;
  earned: number;
  paid: number;
}

/** One member's year: registration, visits, returns and their ledger, in time order. */
function generateCustomer(world: World, index: number, scale: number, out: RunOutput) {
  const { calendar, catalog, options } = world;
  const { profile, rng } = drawProfile(options.seed, index, calendar, catalog);
  const book = new LoyaltyBook(profile.id, out.ledger, out.tierChanges);

  const registration = registrationEvent(profile, rng, catalog);
  out.add(registration, profile.registeredMs, profile.householdId);
  if (profile.registeredMs >= calendar.startMs) {
    book.registered(registration.eventId, registration.storeId, profile.registeredMs);
  }

  const h = habits(world, profile);
  const count = rng.poisson(h.visits * scale);
  const times = new Float64Array(count);
  const webVisit = new Uint8Array(count);
  // Who joins at a till usually buys something there and then.
  const buysAtJoining = profile.registeredMs >= calendar.startMs && registration.channel === 'till';
  for (let v = 0; v < count; v++) {
    if (v === 0 && buysAtJoining) {
      times[v] = profile.registeredMs + 60_000 + rng.int(600_000);
      continue;
    }
    const web = rng.chance(profile.webShare);
    const day = (web ? calendar.web : calendar.till).pickIn(rng, profile.firstDay, profile.lastDay);
    let ms = timeOnDay(calendar, rng, day, web);
    if (ms <= profile.registeredMs) ms = profile.registeredMs + 60_000 + rng.int(3_600_000);
    times[v] = ms;
    webVisit[v] = web ? 1 : 0;
  }
  const order = Array.from({ length: count }, (_, v) => v).sort(
    (a, b) => (times[a] as number) - (times[b] as number) || a - b,
  );

  const pending: PendingReturn[] = [];
  const settleReturnsBefore = (ms: number) => {
    while (pending.length > 0 && (pending[0] as PendingReturn).ms < ms) {
      const r = pending.shift() as PendingReturn;
      book.catchUp(r.ms, r.event.storeId);
      out.add(r.event, r.ms);
      book.returned(
        r.event.eventId,
        r.event.originalTransactionId,
        r.earned,
        r.refund,
        r.paid,
        r.event.storeId,
        r.ms,
      );
    }
  };

  let previous = Number.NEGATIVE_INFINITY;
  let visitNo = 0;
  for (const v of order) {
    // Strictly increasing times, so a customer's ledger has one order.
    const ms = Math.max(times[v] as number, previous + 1000);
    previous = ms;
    // A redemption is asked for just before its sale; whatever came earlier is booked first.
    const askedMs = ms - 500;
    settleReturnsBefore(askedMs);
    const web = webVisit[v] === 1 && !(v === 0 && buysAtJoining);
    const storeIndex = web
      ? catalog.webStore
      : v === 0 && buysAtJoining
        ? profile.homeStore
        : rng.chance(0.85)
          ? profile.homeStore
          : (catalog.physical[catalog.physicalPicker.pick(rng)] as number);
    const store = catalog.stores[storeIndex] as Catalog['stores'][number];
    const lines = drawLines(
      rng,
      catalog,
      web,
      basketSize(rng, store.basket * profile.basketFactor),
      profile,
    );
    let total = 0;
    for (const line of lines) total += lineNetOf(line);

    const transactionId = `${profile.id}-${++visitNo}`;
    book.catchUp(askedMs, store.id);
    const points =
      profile.redeemRate > 0 && rng.chance(profile.redeemRate) ? book.redeemable(total) : 0;
    const redemptionId = `${transactionId}-pts`;
    if (points > 0) book.redeem(redemptionId, points, store.id, askedMs);

    const sale: SaleEvent = {
      eventId: `e-${transactionId}`,
      occurredAt: new Date(ms).toISOString(),
      storeId: store.id,
      channel: web ? 'web' : 'till',
      type: 'sale',
      transactionId,
      customerId: profile.id,
      currency: options.currency,
      lines,
      tenders: drawTenders(rng, total, web, points, redemptionId),
    };
    if (!web) {
      sale.tillId = `T${1 + rng.int(store.tills)}`;
      const associate = associateAt(rng, store);
      if (associate) sale.associateId = associate;
    }
    out.add(sale, ms);
    const earned = book.sale(sale.eventId, transactionId, total - points, store.id, ms);

    const ret = drawReturn(rng, calendar, catalog, sale, ms, profile.lastDay, 1);
    if (ret) {
      const at = pending.findIndex((p) => p.ms > ret.ms);
      pending.splice(at === -1 ? pending.length : at, 0, { ...ret, earned, paid: total - points });
    }
  }
  settleReturnsBefore(Number.POSITIVE_INFINITY);
  book.catchUp(
    calendar.startMs + calendar.days * DAY_MS,
    catalog.stores[profile.homeStore]?.id ?? '',
  );
}

/** Anonymous sales (no customer) until the target of sale lines is met, with their returns. */
function generateAnonymous(
  world: World,
  chunk: number,
  lines: number,
  firstTx: number,
  out: RunOutput,
): number {
  const { calendar, catalog, options } = world;
  const rng = new Rng(streamSeed(options.seed, ANONYMOUS_STREAM, chunk));
  let left = lines;
  let tx = firstTx;
  while (left > 0) {
    // Guests check out on the web shop now and then.
    const web = rng.chance(0.05);
    const storeIndex = web
      ? catalog.webStore
      : (catalog.physical[catalog.physicalPicker.pick(rng)] as number);
    const store = catalog.stores[storeIndex] as Catalog['stores'][number];
    const day = (web ? calendar.web : calendar.till).pick(rng);
    const ms = timeOnDay(calendar, rng, day, web);
    const size = Math.min(left, basketSize(rng, store.basket * rng.logNormal(0.3)));
    const basket = drawLines(rng, catalog, web, size, undefined);
    let total = 0;
    for (const line of basket) total += lineNetOf(line);
    const transactionId = `a${String(++tx).padStart(8, '0')}`;
    const sale: SaleEvent = {
      eventId: `e-${transactionId}`,
      occurredAt: new Date(ms).toISOString(),
      storeId: store.id,
      channel: web ? 'web' : 'till',
      type: 'sale',
      transactionId,
      currency: options.currency,
      lines: basket,
      tenders: drawTenders(rng, total, web, 0, ''),
    };
    if (!web) {
      sale.tillId = `T${1 + rng.int(store.tills)}`;
      const associate = associateAt(rng, store);
      if (associate) sale.associateId = associate;
    }
    out.add(sale, ms);
    left -= size;
    const ret = drawReturn(
      rng,
      calendar,
      catalog,
      sale,
      ms,
      calendar.days - 1,
      ANONYMOUS_RETURN_FACTOR,
    );
    if (ret) out.add(ret.event, ret.ms);
  }
  return tx;
}

/**
 * The run: every member, a batch of customers at a time, then anonymous sales up to the target,
 * a chunk at a time; it pauses after each part so the caller can take what was made.
 */
function* runParts(options: GeneratorOptions, out: RunOutput): Generator<void> {
  const world = buildWorld(options);
  const scale = visitScale(world);
  const linesPerCustomer = (options.saleLines * MEMBER_LINE_SHARE) / options.customers;
  const customersPerBatch = Math.max(
    200,
    Math.min(20_000, Math.round(BATCH_LINES / Math.max(1, linesPerCustomer))),
  );
  for (let start = 0; start < options.customers; start += customersPerBatch) {
    const end = Math.min(options.customers, start + customersPerBatch);
    for (let i = start; i < end; i++) generateCustomer(world, i, scale, out);
    yield;
  }
  let chunk = 0;
  let tx = 0;
  while (out.saleLines < options.saleLines) {
    const lines = Math.min(BATCH_LINES, options.saleLines - out.saleLines);
    tx = generateAnonymous(world, chunk++, lines, tx, out);
    yield;
  }
}

/**
 * The fact rows (customers, events, sale_lines, return_lines, ledger, tier_changes) in batches
 * of customers, then of anonymous sales. Deterministic and streaming: a batch is built only when
 * asked for, and never kept.
 */
export function* generateBatches(options: GeneratorOptions): Generator<RowBatch & FactBatch> {
  const out = new RowWriter(emptyBatch());
  for (const _part of runParts(options, out)) {
    const full = out.batch;
    out.batch = emptyBatch();
    yield full;
  }
}

/**
 * The events generateBatches makes rows of, with their instants, a part at a time (a batch of
 * customers, each customer's in time order, then a chunk of anonymous sales). Ordered in time
 * across the run by events.ts.
 */
export function* runEvents(options: GeneratorOptions): Generator<TimedEvent[]> {
  const out = new EventCollector();
  for (const _part of runParts(options, out)) yield out.take();
}
