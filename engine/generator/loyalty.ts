/**
 * The generator's points ledger: a simple, documented program rather than the engine's full
 * rules (engine/domain/loyalty), which keep lots, memories and per-month buckets per customer and
 * would dominate the run at 20 million lines. Its lines have the same ids, kinds and revisions
 * as the engine writes, so the ledger reads the same:
 *
 * - earn: 1 point per whole currency unit paid other than with points, times the tier's
 *   multiplier (base ×1, silver ×1.25, gold ×1.5, platinum ×2), on `<customer>/<tx>/earn`.
 * - bonus: 100 points for joining during the period (`<customer>/~bonus/registration`).
 * - redeem: points spent at a sale, 1 point paying 1 minor unit (`<customer>/~redeem/<id>`).
 * - reverse: a return takes back the sale's points in proportion to the refund (revision 1).
 * - expire: after 180 days without a sale, return or redemption the balance expires
 *   (reason `inactivity`).
 * - Tiers follow spend in the period (net of refunds): silver from 250.00, gold from 750.00,
 *   platinum from 2,000.00; a return that takes spend below the tier's threshold moves the
 *   customer down (reason `return`), as the engine does.
 *
 * Every line carries the balance after it, a running sum per customer in time order.
 */
import type { LedgerRow, TierChangeRow } from '../analytics/rows.ts';
import { DAY_MS } from './calendar.ts';

export const PROGRAM_VERSION = 'generator-1';
export const REGISTRATION_BONUS = 100;
export const INACTIVITY_EXPIRY_DAYS = 180;
export const TIERS = ['base', 'silver', 'gold', 'platinum'] as const;
/** Spend (minor units) from which each tier holds. */
export const TIER_THRESHOLDS = [0, 25_000, 75_000, 200_000];
/** Points per 4 base points, by tier (integer arithmetic: ×1, ×1.25, ×1.5, ×2). */
const TIER_QUARTERS = [4, 5, 6, 8];

/** `YYYY-MM-DD hh:mm:ss.sss` in UTC, as rows.ts's toClickHouseTime writes it. */
export const clickHouseTime = (ms: number): string => {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
};

export class LoyaltyBook {
  balance = 0;
  tier = 0;
  spend = 0;
  private lastActivityMs = Number.NEGATIVE_INFINITY;
  private expiries = 0;

  constructor(
    private readonly customerId: string,
    private readonly ledger: LedgerRow[],
    private readonly tierChanges: TierChangeRow[],
  ) {}

  private line(
    kind: LedgerRow['kind'],
    entryId: string,
    eventId: string,
    transactionId: string,
    points: number,
    storeId: string,
    atMs: number,
    revision = 0,
    reason = '',
  ) {
    this.balance += points;
    this.ledger.push({
      entry_id: entryId,
      customer_id: this.customerId,
      event_id: eventId,
      transaction_id: transactionId,
      kind,
      revision,
      points,
      balance_after: this.balance,
      store_id: storeId,
      occurred_at: clickHouseTime(atMs),
      program_version: PROGRAM_VERSION,
      partner_id: '',
      reason,
      operator_id: '',
    });
  }

  /** Expires the balance if the customer was inactive too long before `atMs`. */
  catchUp(atMs: number, storeId: string) {
    const due = this.lastActivityMs + INACTIVITY_EXPIRY_DAYS * DAY_MS;
    if (this.balance > 0 && due < atMs) {
      const lot = `inactive-${++this.expiries}`;
      this.line(
        'expire',
        `${this.customerId}/~expire/${lot}`,
        `expire:${this.customerId}:${lot}`,
        lot,
        -this.balance,
        storeId,
        due,
        0,
        'inactivity',
      );
    }
  }

  registered(eventId: string, storeId: string, atMs: number) {
    this.line(
      'bonus',
      `${this.customerId}/~bonus/registration`,
      eventId,
      eventId,
      REGISTRATION_BONUS,
      storeId,
      atMs,
      0,
      'registration',
    );
    this.lastActivityMs = atMs;
  }

  /** Points the customer may spend on a sale of `total`: whole hundreds, at most half of it. */
  redeemable(total: number): number {
    const cap = Math.min(this.balance, Math.floor(total / 2), 5_000);
    return cap >= 500 ? Math.floor(cap / 100) * 100 : 0;
  }

  redeem(redemptionId: string, points: number, storeId: string, atMs: number) {
    this.line(
      'redeem',
      `${this.customerId}/~redeem/${redemptionId}`,
      redemptionId,
      redemptionId,
      -points,
      storeId,
      atMs,
    );
    this.lastActivityMs = atMs;
  }

  /** Earns on a sale; returns the points earned (for its return's reversal). */
  sale(
    eventId: string,
    transactionId: string,
    paidMinor: number,
    storeId: string,
    atMs: number,
  ): number {
    const points = Math.floor(
      (Math.floor(paidMinor / 100) * (TIER_QUARTERS[this.tier] as number)) / 4,
    );
    if (points > 0) {
      this.line(
        'earn',
        `${this.customerId}/${transactionId}/earn`,
        eventId,
        transactionId,
        points,
        storeId,
        atMs,
      );
    }
    this.lastActivityMs = atMs;
    this.spend += paidMinor;
    this.reassess(atMs, 'upgrade');
    return points;
  }

  /** Takes back a sale's points in proportion to what was refunded of it. */
  returned(
    eventId: string,
    saleTransactionId: string,
    earned: number,
    refundMinor: number,
    salePaidMinor: number,
    storeId: string,
    atMs: number,
  ) {
    const takeBack =
      salePaidMinor > 0 ? Math.min(earned, Math.floor((earned * refundMinor) / salePaidMinor)) : 0;
    if (takeBack > 0) {
      this.line(
        'reverse',
        `${this.customerId}/${saleTransactionId}/reverse`,
        eventId,
        saleTransactionId,
        -takeBack,
        storeId,
        atMs,
        1,
      );
    }
    this.lastActivityMs = atMs;
    this.spend -= Math.min(refundMinor, salePaidMinor);
    this.reassess(atMs, 'return');
  }

  private reassess(atMs: number, reason: 'upgrade' | 'return') {
    let tier = 0;
    while (tier + 1 < TIERS.length && this.spend >= (TIER_THRESHOLDS[tier + 1] as number)) tier++;
    if (reason === 'upgrade' ? tier <= this.tier : tier >= this.tier) return;
    this.tierChanges.push({
      customer_id: this.customerId,
      at: clickHouseTime(atMs),
      from_tier: TIERS[this.tier] as string,
      to_tier: TIERS[tier] as string,
      reason,
    });
    this.tier = tier;
  }
}
