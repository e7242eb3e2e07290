/**
 * Loyalty card numbers and what a till reads off a card. A card number is 16 digits: the
 * retailer's 6-digit issuer prefix, a 9-digit serial, and a Luhn check digit, so a mistyped or
 * misread digit (and most swapped pairs) is caught at the till before any look-up. The card
 * carries it as a barcode (the digits) and as a QR code (`clientele:card:<digits>`).
 */
import { z } from 'zod';

export const CARD_DIGITS = 16;
export const ISSUER_DIGITS = 6;
export const SERIAL_DIGITS = CARD_DIGITS - ISSUER_DIGITS - 1;
export const MAX_SERIAL = 10 ** SERIAL_DIGITS - 1;

/** The QR payload's prefix; what follows it is the card number. */
export const QR_PREFIX = 'clientele:card:';

export const issuerPrefix = z
  .string()
  .regex(/^[0-9]{6}$/, 'must be the 6-digit issuer prefix printed on the cards, such as 279901');

/** The Luhn check digit of `digits` (the digit that makes the whole number pass the check). */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  // From the right: every second digit, starting with the rightmost, is doubled (the check digit
  // to come takes the rightmost place).
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** The card number of serial `serial` under `issuer`. */
export function cardNumberOf(issuer: string, serial: number): string {
  issuerPrefix.parse(issuer);
  if (!Number.isInteger(serial) || serial < 1 || serial > MAX_SERIAL) {
    throw new RangeError(`card serial ${serial} is outside 1…${MAX_SERIAL}`);
  }
  const body = `${issuer}${String(serial).padStart(SERIAL_DIGITS, '0')}`;
  return `${body}${luhnCheckDigit(body)}`;
}

/** A card number as the rules keep it: 16 digits whose last is the Luhn check digit. */
export const cardNumber = z
  .string()
  .regex(/^[0-9]{16}$/, 'must be a card number of 16 digits')
  .refine(
    // (A value of another shape is refused by the format alone.)
    (value) =>
      !/^[0-9]{16}$/.test(value) ||
      luhnCheckDigit(value.slice(0, -1)) === value.charCodeAt(15) - 48,
    'fails its check digit: a digit was mistyped or misread',
  );

/** How the till read the card. */
export type CardSource = 'typed' | 'barcode' | 'qr';

export type CardReading =
  | { ok: true; cardNumber: string; source: CardSource }
  | { ok: false; message: string };

/**
 * The card number in what a till read or a person typed: a QR payload, a barcode's digits, or
 * digits typed with spaces or dashes between groups. Never throws; `message` says what is wrong.
 */
export function readCard(payload: string, source: CardSource): CardReading {
  let text = payload.trim();
  if (source === 'qr') {
    if (!text.startsWith(QR_PREFIX)) {
      return { ok: false, message: `is not a Clientele card's QR code (it starts "${QR_PREFIX}")` };
    }
    text = text.slice(QR_PREFIX.length);
  } else if (source === 'typed') {
    text = text.replace(/[ -]/g, '');
  }
  const parsed = cardNumber.safeParse(text);
  if (!parsed.success)
    return { ok: false, message: parsed.error.issues[0]?.message ?? 'is invalid' };
  return { ok: true, cardNumber: parsed.data, source };
}
