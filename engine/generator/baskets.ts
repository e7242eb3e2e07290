/**
 * What is in a basket and what comes back: basket sizes by store format and customer, lines
 * drawn from the customer's favourite categories or the channel's usual mix, promotions and
 * coupons, how it is paid (cash, card, points), and the lines returned days later (mostly
 * clothing and electronics, never refunding more than the line cost).
 */
import type { ReturnEvent, SaleEvent, SaleLine } from '../domain/events.ts';
import { type Calendar, DAY_MS, timeOnDay } from './calendar.ts';
import { CATEGORIES, type Catalog, type Store } from './catalog.ts';
import type { CustomerProfile } from './population.ts';
import type { Rng } from './random.ts';

export const MAX_BASKET_LINES = 15;

const categoryByName = new Map(CATEGORIES.map((c) => [c.name, c]));

/** A basket's size: 1 + Poisson(mean − 1), at most 15 lines. */
export function basketSize(rng: Rng, mean: number): number {
  return Math.min(MAX_BASKET_LINES, 1 + rng.poisson(Math.max(0, mean - 1)));
}

const expectedCache = new Map<number, number>();

/** The mean of basketSize for a mean (the cap makes it a little less), to size the run. */
export function expectedBasketSize(mean: number): number {
  const key = Math.round(mean * 100) / 100;
  const cached = expectedCache.get(key);
  if (cached !== undefined) return cached;
  const lambda = Math.max(0, key - 1);
  let p = Math.exp(-lambda);
  let expected = 0;
  let below = 0;
  for (let k = 0; k < MAX_BASKET_LINES - 1; k++) {
    expected += (1 + k) * p;
    below += p;
    p *= lambda / (k + 1);
  }
  expected += MAX_BASKET_LINES * (1 - below);
  expectedCache.set(key, expected);
  return expected;
}

/** The lines of a basket of `size` at a store (the web shop or a till). */
export function drawLines(
  rng: Rng,
  catalog: Catalog,
  web: boolean,
  size: number,
  profile: CustomerProfile | undefined,
): SaleLine[] {
  const mix = web ? catalog.webCategories : catalog.tillCategories;
  const lines: SaleLine[] = [];
  for (let i = 0; i < size; i++) {
    const c =
      profile && rng.next() < profile.favouriteShare
        ? profile.favourites[rng.int(3)]
        : mix.pick(rng);
    const category = CATEGORIES[c as number] as (typeof CATEGORIES)[number];
    const skus = catalog.categorySkus[c as number] as number[];
    const sku = skus[
      (
        catalog.categorySkuPicker[c as number] as NonNullable<
          (typeof catalog.categorySkuPicker)[number]
        >
      ).pick(rng)
    ] as number;
    const quantity = rng.chance(category.multiUnit) ? Math.min(12, 2 + rng.geometric(0.55)) : 1;
    const fullPrice = catalog.fullPrice[sku] as number;
    const markdown = catalog.promo[sku] === 1 ? rng.chance(0.45) : rng.chance(0.05);
    const unitPrice = markdown
      ? Math.max(1, Math.round(fullPrice * (0.6 + 0.25 * rng.next())))
      : fullPrice;
    // A coupon on the line now and then: 10–25 % off.
    const discount = rng.chance(0.04)
      ? Math.floor(quantity * unitPrice * (0.1 + 0.15 * rng.next()))
      : 0;
    lines.push({
      lineId: String(i + 1),
      sku: catalog.skus[sku] as string,
      category: category.name,
      brand: catalog.skuBrand[sku] as string,
      quantity,
      unitPrice,
      fullPrice,
      discount,
      unitCost: catalog.unitCost[sku] as number,
    });
  }
  return lines;
}

export const lineNetOf = (line: SaleLine): number => line.quantity * line.unitPrice - line.discount;

/** How a sale of `total` is paid: points first (if any), then card, cash or a gift card. */
export function drawTenders(
  rng: Rng,
  total: number,
  web: boolean,
  points: number,
  redemptionId: string,
): SaleEvent['tenders'] {
  const tenders: SaleEvent['tenders'] = [];
  if (points > 0) tenders.push({ type: 'points', amount: points, redemptionId });
  let rest = total - points;
  if (!web && rest > 0 && rng.chance(0.03)) {
    const gift = Math.min(rest, 1000 * rng.between(1, 5));
    tenders.push({ type: 'gift_card', amount: gift });
    rest -= gift;
  }
  if (rest > 0 || tenders.length === 0) {
    const cash = !web && rest < 10_000 && rng.chance(0.3);
    tenders.push({ type: cash ? 'cash' : 'card', amount: rest });
  }
  return tenders;
}

export function associateAt(rng: Rng, store: Store): string | undefined {
  if (store.format === 'web') return undefined;
  return store.associates[store.associatePicker.pick(rng)];
}

/**
 * The return of some of a sale's lines, days after it (on the web shop for a web sale, else at
 * the same store), or nothing. `lastDay` is the last day the customer is around.
 */
export function drawReturn(
  rng: Rng,
  calendar: Calendar,
  catalog: Catalog,
  sale: SaleEvent,
  saleMs: number,
  lastDay: number,
  rateFactor: number,
): { event: ReturnEvent; ms: number; refund: number } | undefined {
  let lines: ReturnEvent['lines'] | undefined;
  let refund = 0;
  for (const line of sale.lines) {
    const spec = categoryByName.get(line.category);
    if (!spec || !rng.chance(spec.returnRate * rateFactor)) continue;
    const net = lineNetOf(line);
    if (net <= 0) continue;
    const quantity = line.quantity === 1 ? 1 : rng.between(1, line.quantity);
    const amount = Math.floor((net * quantity) / line.quantity);
    lines ??= [];
    lines.push({ lineId: line.lineId, sku: line.sku, quantity, refundAmount: amount });
    refund += amount;
  }
  if (!lines) return undefined;
  const saleDay = Math.floor((saleMs - calendar.startMs) / DAY_MS);
  const day = saleDay + 1 + Math.min(45, rng.geometric(0.12));
  if (day > lastDay || day >= calendar.days) return undefined;
  const web = sale.channel === 'web';
  const ms = timeOnDay(calendar, rng, day, web);
  const store = catalog.stores.find((s) => s.id === sale.storeId) as Store;
  const paidInCash = sale.tenders.some((t) => t.type === 'cash');
  const event: ReturnEvent = {
    eventId: `e-${sale.transactionId}-r`,
    occurredAt: new Date(ms).toISOString(),
    storeId: sale.storeId,
    channel: sale.channel,
    type: 'return',
    transactionId: `${sale.transactionId}-r`,
    originalTransactionId: sale.transactionId,
    currency: sale.currency,
    lines,
    tenders: [{ type: paidInCash ? 'cash' : 'card', amount: refund }],
  };
  if (!web) {
    event.tillId = `T${1 + rng.int(store.tills)}`;
    const associate = associateAt(rng, store);
    if (associate) event.associateId = associate;
  }
  if (sale.customerId) event.customerId = sale.customerId;
  return { event, ms, refund };
}
