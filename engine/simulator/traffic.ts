/**
 * Realistic retail traffic for the demo, tests and benchmark: registrations, sales of several
 * lines (some on markdown), anonymous walk-ins and returns, with customers drawn from a skewed
 * popularity curve (a few regulars, a long tail). Deterministic for a given seed.
 */
import type { RetailEventInput } from '../domain/events.ts';
import { type CatalogItem, catalog } from './catalog.ts';

export interface TrafficOptions {
  seed: number;
  /** Prefix of every event id, unique per run so ids never collide with an earlier run's. */
  runId: string;
  stores: readonly string[];
  tillsPerStore: number;
  customers: number;
  currency?: string;
  /** Share of sales with no customer identified. */
  anonymousShare?: number;
  returnShare?: number;
  /** Prefix of customer ids, so runs over one stack can keep their customers apart. */
  customerPrefix?: string;
  /**
   * How skewed customers' visits are: rank r visits with weight 1/(r+1)^s. The default, 0.6,
   * gives the busiest 1 % of a thousand customers 12 % of the visits (the busiest one 2.7 %);
   * at 1.07 (the first simulator's) the single busiest customer made one visit in six, dozens a
   * second under load: a hot spot no store has, and one that flattered throughput, because a
   * customer's queued events travel to the workflow together.
   */
  zipfExponent?: number;
  /**
   * The customers are registered already (an earlier run's, returning): no registration is sent
   * for them. A second registration of a customer at the same store is the same fact, and the
   * analytics store keeps it once.
   */
  alreadyRegistered?: boolean;
}

export const DEFAULT_ZIPF_EXPONENT = 0.6;

/** mulberry32: small, fast and good enough for traffic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Zipf-like pick over [0, n): rank r is chosen with weight 1/(r+1)^s, by inverse transform. */
export function zipfPicker(
  n: number,
  random: () => number,
  s = DEFAULT_ZIPF_EXPONENT,
): () => number {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    sum += 1 / (r + 1) ** s;
    cumulative[r] = sum;
  }
  return () => {
    const target = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export const customerIdFor = (index: number, prefix = 'c-'): string =>
  `${prefix}${String(index).padStart(7, '0')}`;

interface RecentSale {
  customerId: string;
  storeId: string;
  tillId: string;
  transactionId: string;
  lines: { lineId: string; sku: string; quantity: number; net: number }[];
}

export interface TrafficGenerator {
  next(at: Date): RetailEventInput;
}

export function createTrafficGenerator(options: TrafficOptions): TrafficGenerator {
  const random = seededRandom(options.seed);
  const pickCustomer = zipfPicker(options.customers, random, options.zipfExponent);
  const currency = options.currency ?? 'EUR';
  const anonymousShare = options.anonymousShare ?? 0.15;
  const returnShare = options.returnShare ?? 0.04;
  const registered = new Set<number>();
  const recent: RecentSale[] = [];
  let counter = 0;

  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const nextId = (kind: string) => `${options.runId}-${kind}-${++counter}`;

  function place() {
    const storeId = pick(options.stores);
    const tillId = `T${1 + Math.floor(random() * options.tillsPerStore)}`;
    return { storeId, tillId };
  }

  function sale(at: Date, customerIndex: number | undefined): RetailEventInput {
    const { storeId, tillId } = place();
    const lineCount = 1 + Math.floor(random() * random() * 6);
    const lines = Array.from({ length: lineCount }, (_, i) => {
      const item: CatalogItem = pick(catalog);
      const quantity = 1 + Math.floor(random() * random() * 3);
      const onMarkdown = random() < 0.2;
      const unitPrice = onMarkdown ? Math.round(item.fullPrice * 0.8) : item.fullPrice;
      const discount = random() < 0.05 ? Math.min(100, unitPrice * quantity) : 0;
      return {
        lineId: String(i + 1),
        sku: item.sku,
        category: item.category,
        brand: item.brand,
        quantity,
        unitPrice,
        fullPrice: item.fullPrice,
        discount,
        unitCost: item.unitCost,
      };
    });
    const total = lines.reduce((sum, l) => sum + l.quantity * l.unitPrice - l.discount, 0);
    const cash = random() < 0.2 ? Math.min(total, 1000) : 0;
    const tenders = [
      ...(cash > 0 ? [{ type: 'cash' as const, amount: cash }] : []),
      ...(total - cash > 0 || cash === 0 ? [{ type: 'card' as const, amount: total - cash }] : []),
    ];
    const transactionId = nextId('tx');
    const customerId =
      customerIndex === undefined
        ? undefined
        : customerIdFor(customerIndex, options.customerPrefix);
    if (customerId) {
      recent.push({
        customerId,
        storeId,
        tillId,
        transactionId,
        lines: lines.map((l) => ({
          lineId: l.lineId,
          sku: l.sku,
          quantity: l.quantity,
          net: l.quantity * l.unitPrice - l.discount,
        })),
      });
      if (recent.length > 200) recent.shift();
    }
    return {
      type: 'sale',
      eventId: nextId('ev'),
      occurredAt: at.toISOString(),
      storeId,
      tillId,
      channel: 'till',
      transactionId,
      customerId,
      currency,
      lines,
      tenders,
    };
  }

  function returnOf(at: Date, original: RecentSale): RetailEventInput {
    const line = pick(original.lines);
    return {
      type: 'return',
      eventId: nextId('ev'),
      occurredAt: at.toISOString(),
      storeId: original.storeId,
      tillId: original.tillId,
      channel: 'till',
      transactionId: nextId('rt'),
      originalTransactionId: original.transactionId,
      customerId: original.customerId,
      currency,
      lines: [
        { lineId: line.lineId, sku: line.sku, quantity: line.quantity, refundAmount: line.net },
      ],
      tenders: [{ type: 'card', amount: line.net }],
    };
  }

  return {
    next(at) {
      const roll = random();
      if (roll < returnShare && recent.length > 0) {
        const index = Math.floor(random() * recent.length);
        const [original] = recent.splice(index, 1);
        if (original) return returnOf(at, original);
      }
      if (roll < returnShare + anonymousShare) return sale(at, undefined);
      const customerIndex = pickCustomer();
      if (!options.alreadyRegistered && !registered.has(customerIndex)) {
        registered.add(customerIndex);
        const { storeId, tillId } = place();
        return {
          type: 'customer.registered',
          eventId: nextId('ev'),
          occurredAt: at.toISOString(),
          storeId,
          tillId,
          channel: 'till',
          customerId: customerIdFor(customerIndex, options.customerPrefix),
          consent: {
            email: random() < 0.6,
            sms: random() < 0.3,
            post: false,
            profiling: random() < 0.5,
          },
        };
      }
      return sale(at, customerIndex);
    },
  };
}
