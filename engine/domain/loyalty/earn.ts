/**
 * What a sale earns under a program: base points on eligible spend, the tier's multiplier, the
 * earn rules in order (with their caps), and one-off bonuses. Points are worked out per receipt
 * (rounded once) and then shared over the lines in proportion, so every line knows exactly what
 * it earned and a return of that line can take back exactly that.
 */
import type { SaleEvent, SaleLine } from '../events.ts';
import { lineNet } from '../receipt.ts';
import { allocate, localDate, mulDiv, weekdayOf } from './arithmetic.ts';
import { ANY_CURRENCY } from './base-earn.ts';
import type { EarnRule, Program } from './program.ts';
import { dayUsed, type LineMemory, type ReceiptBonus } from './state.ts';

/** What the evaluator knows about the customer when the sale is applied. */
export interface EarnContext {
  /** The tier's index, and its id (for rule conditions). */
  tierLevel: number;
  tierId?: string;
  tags: readonly string[];
  /** The program's segments the customer is in when the sale happens. */
  segments: readonly string[];
  /** Points each rule has already given on a local day, by day and rule id. */
  dayUsage: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** One-off bonuses already given, by grant key. */
  bonusesGranted: ReadonlyMap<string, string>;
  birthMonthDay?: string;
}

export interface Earning {
  /** Why nothing could be earned at all, when that is the case. */
  refused?: 'currency-not-in-program';
  netProgramMinor: number;
  /** What each line earned, in the sale's order. */
  lines: LineMemory[];
  bonuses: ReceiptBonus[];
  /**
   * Points each earn rule gave, lines and bonuses together (for the day caps), by the rule's
   * index in `program.earn.rules`; absent when none gave any.
   */
  rulePoints?: number[];
  total: number;
}

/** `minor` of the sale's currency in program minor units, rounded down; undefined if unknown. */
export function toProgramMinor(
  program: Program,
  currency: string,
  minor: number,
  use: 'earn' | 'redeem',
): number | undefined {
  if (currency === program.currency) return minor;
  if (program.currency === ANY_CURRENCY) return use === 'earn' ? minor : undefined;
  const market = program.markets.find((m) => m.currency === currency);
  if (!market?.[use]) return undefined;
  return mulDiv(minor, market.rate.programMinor, market.rate.minor);
}

function lineMatches(rule: EarnRule, line: SaleLine): boolean {
  const w = rule.when;
  if (w.categories && !w.categories.includes(line.category)) return false;
  if (w.skus && !w.skus.includes(line.sku)) return false;
  if (w.brands && (line.brand === undefined || !w.brands.includes(line.brand))) return false;
  if (w.fullPriceOnly && (line.unitPrice < line.fullPrice || line.discount > 0)) return false;
  return true;
}

function receiptMatches(
  rule: EarnRule,
  sale: SaleEvent,
  program: Program,
  context: EarnContext,
  netProgramMinor: number,
  day: string,
): boolean {
  const w = rule.when;
  // (A program names till and web; a back-office sale matches neither.)
  if (w.channels && !(w.channels as readonly string[]).includes(sale.channel)) return false;
  if (w.stores && !w.stores.includes(sale.storeId)) return false;
  if (
    w.regions &&
    !w.regions.some((region) => (program.regions[region] ?? []).includes(sale.storeId))
  ) {
    return false;
  }
  if (w.from && day < w.from) return false;
  if (w.until && day > w.until) return false;
  if (w.daysOfWeek && !w.daysOfWeek.includes(weekdayOf(day))) return false;
  if (w.tiers && (context.tierId === undefined || !w.tiers.includes(context.tierId))) return false;
  if (w.tags && !w.tags.some((tag) => context.tags.includes(tag))) return false;
  if (w.segments && !w.segments.some((segment) => context.segments.includes(segment))) {
    return false;
  }
  if (w.minBasketMinor !== undefined && netProgramMinor < w.minBasketMinor) return false;
  return true;
}

function emptyLine(line: SaleLine, qualifyingMinor: number): LineMemory {
  return {
    lineId: line.lineId,
    netMinor: lineNet(line),
    quantity: line.quantity,
    qualifyingMinor,
    points: 0,
    refundedMinor: 0,
    refundedQuantity: 0,
    reversedPoints: 0,
    reversedQualifyingMinor: 0,
  };
}

/** Base points for an amount of eligible spend in program minor units, rounded once. */
export function basePointsFor(program: Program, eligibleMinor: number): number {
  const base = program.earn.base;
  const rounding = program.earn.rounding;
  if ('rate' in base) return mulDiv(eligibleMinor, base.rate.points, base.rate.perMinor, rounding);
  // A percentage of the spend, paid back in points at the program's point value.
  return mulDiv(
    eligibleMinor,
    base.percentOfSpend * program.pointValue.points,
    10_000 * program.pointValue.minor,
    rounding,
  );
}

export function earnForSale(sale: SaleEvent, program: Program, context: EarnContext): Earning {
  // Loops rather than `map`/`reduce` chains: this runs for every sale, and each intermediate
  // array was garbage the next moment.
  const saleLines = sale.lines;
  const n = saleLines.length;
  const nets = new Array<number>(n);
  let totalNet = 0;
  // (A validated sale has none: its discounts never exceed its lines.)
  let negative = false;
  for (let i = 0; i < n; i++) {
    const net = lineNet(saleLines[i] as SaleLine);
    nets[i] = net;
    totalNet += net;
    if (net < 0) negative = true;
  }
  const netProgram = toProgramMinor(program, sale.currency, totalNet, 'earn');
  if (netProgram === undefined) {
    return {
      refused: 'currency-not-in-program',
      netProgramMinor: 0,
      lines: sale.lines.map((line) => emptyLine(line, 0)),
      bonuses: [],
      total: 0,
    };
  }
  // In the sale's own currency (the usual case) each line qualifies with its own net.
  const qualifying = netProgram === totalNet ? nets : allocate(netProgram, nets);
  const lines = new Array<LineMemory>(n);
  for (let i = 0; i < n; i++) lines[i] = emptyLine(saleLines[i] as SaleLine, qualifying[i] ?? 0);

  // Eligible spend: excluded categories and tax out, then reduced in proportion to what
  // excluded tenders (points, gift cards) paid.
  const earn = program.earn;
  let eligible0 = nets;
  let eligibleSum = totalNet;
  if (earn.excludeCategories.length > 0 || earn.excludeTax || negative) {
    eligible0 = new Array<number>(n);
    eligibleSum = 0;
    for (let i = 0; i < n; i++) {
      const line = saleLines[i] as SaleLine;
      let value = 0;
      if (!earn.excludeCategories.includes(line.category)) {
        const tax = earn.excludeTax ? (line.tax ?? 0) : 0;
        value = Math.max(0, (nets[i] ?? 0) - tax);
      }
      eligible0[i] = value;
      eligibleSum += value;
    }
  }
  let excludedPaid = 0;
  for (const tender of sale.tenders) {
    if (earn.excludeTenders.includes(tender.type)) excludedPaid += tender.amount;
  }
  const eligibleTotal =
    totalNet === 0 ? 0 : mulDiv(eligibleSum, Math.max(0, totalNet - excludedPaid), totalNet);
  const eligibleProgram = toProgramMinor(program, sale.currency, eligibleTotal, 'earn') ?? 0;
  // Nothing excluded and one currency (the usual case): each line is eligible with its own net.
  const eligible =
    eligibleProgram === eligibleSum ? eligible0 : allocate(eligibleProgram, eligible0);

  const base = allocate(basePointsFor(program, eligibleProgram), eligible);
  const tierMultiplier = tierMultiplierOf(program, context.tierLevel);
  let baseTotal = 0;
  for (let i = 0; i < n; i++) baseTotal += base[i] ?? 0;
  const extra = mulDiv(baseTotal, Math.max(0, tierMultiplier - 100), 100);
  const tierExtra = extra > 0 ? allocate(extra, base) : undefined;
  for (let i = 0; i < n; i++) {
    (lines[i] as LineMemory).points = (base[i] ?? 0) + (tierExtra?.[i] ?? 0);
  }

  let rulePoints: number[] | undefined;
  const bonuses: ReceiptBonus[] = [];
  const day = earn.rules.length > 0 ? localDate(sale.occurredAt) : '';
  let matching: boolean[] | undefined;
  for (let r = 0; r < earn.rules.length; r++) {
    const rule = earn.rules[r] as EarnRule;
    if (!receiptMatches(rule, sale, program, context, netProgram, day)) continue;
    matching ??= new Array<boolean>(n);
    let any = false;
    for (let i = 0; i < n; i++) {
      const m = lineMatches(rule, saleLines[i] as SaleLine);
      matching[i] = m;
      if (m) any = true;
    }
    if (!any) continue;
    const effect = rule.effect;
    let raw: number[];
    let bonus = 0;
    let wanted = 0;
    if ('multiply' in effect) {
      const weights = new Array<number>(n);
      let weightSum = 0;
      for (let i = 0; i < n; i++) {
        const w = matching[i] ? (base[i] ?? 0) : 0;
        weights[i] = w;
        weightSum += w;
      }
      raw = allocate(mulDiv(weightSum, Math.max(0, effect.multiply - 100), 100), weights);
    } else if ('pointsPerItem' in effect) {
      raw = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        raw[i] = matching[i] ? (saleLines[i] as SaleLine).quantity * effect.pointsPerItem : 0;
      }
    } else {
      raw = new Array<number>(n).fill(0);
      bonus = effect.bonus;
    }
    for (let i = 0; i < n; i++) wanted += raw[i] ?? 0;
    wanted += bonus;
    let granted = wanted;
    if (rule.caps?.perTransaction !== undefined)
      granted = Math.min(granted, rule.caps.perTransaction);
    if (rule.caps?.perDay !== undefined) {
      granted = Math.min(
        granted,
        Math.max(0, rule.caps.perDay - dayUsed(context.dayUsage, day, rule.id)),
      );
    }
    if (granted <= 0) continue;
    if (!rulePoints) {
      rulePoints = [];
      for (let k = 0; k < earn.rules.length; k++) rulePoints.push(0);
    }
    rulePoints[r] = granted;
    if (bonus > 0) {
      const lineIds: string[] = [];
      for (let i = 0; i < n; i++) if (matching[i]) lineIds.push((saleLines[i] as SaleLine).lineId);
      bonuses.push({
        id: rule.id,
        kind: 'rule',
        points: granted,
        lineIds,
        minBasketMinor: rule.when.minBasketMinor,
        reversed: false,
      });
    } else {
      const shares = allocate(granted, raw);
      for (let i = 0; i < n; i++) {
        const share = shares[i] ?? 0;
        if (share === 0) continue;
        const memory = lines[i] as LineMemory;
        memory.points += share;
        memory.rules ??= {};
        memory.rules[rule.id] = share;
      }
    }
    if (rule.stop) break;
  }

  for (const oneOff of earn.bonuses) {
    const grantKey = oneOffKey(oneOff, sale, context);
    if (grantKey === undefined || context.bonusesGranted.has(grantKey)) continue;
    bonuses.push({
      id: oneOff.id,
      kind: oneOff.on as ReceiptBonus['kind'],
      points: oneOff.points,
      lineIds: sale.lines.map((line) => line.lineId),
      grantKey,
      reversed: false,
    });
  }

  let total = 0;
  for (const line of lines) total += line.points;
  for (const b of bonuses) total += b.points;
  return { netProgramMinor: netProgram, lines, bonuses, rulePoints, total };
}

/**
 * The key a one-off bonus is remembered by, if this sale earns it: the first purchase and first
 * web purchase once ever, the birthday once a year (a sale in the birthday month).
 */
function oneOffKey(
  oneOff: Program['earn']['bonuses'][number],
  sale: SaleEvent,
  context: EarnContext,
): string | undefined {
  switch (oneOff.on) {
    case 'first-purchase':
      return oneOff.id;
    case 'first-web-purchase':
      return sale.channel === 'web' ? oneOff.id : undefined;
    case 'birthday': {
      const birthMonth = context.birthMonthDay?.slice(0, 2);
      if (!birthMonth || sale.occurredAt.slice(5, 7) !== birthMonth) return undefined;
      return `${oneOff.id}:${sale.occurredAt.slice(0, 4)}`;
    }
    default:
      return undefined;
  }
}

export function tierMultiplierOf(program: Program, level: number): number {
  return program.tiers?.levels[level]?.earnMultiplier ?? 100;
}
