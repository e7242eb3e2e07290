/**
 * The identifiers a customer is found by, and the key each is indexed under. Cards and account
 * numbers are indexed by their digits; phone numbers and e-mail addresses are personal data, so
 * the index holds only a keyed hash of them (the key is the deployment's secret: without it a
 * leaked index gives nothing to match a list of numbers against).
 */
import { accountNumber } from './account-number.ts';
import { cardNumber } from './card-number.ts';

export type Identifier =
  | { kind: 'account'; value: string }
  | { kind: 'card'; value: string }
  | { kind: 'phone'; value: string }
  | { kind: 'email'; value: string };

/** A keyed hash (HMAC) of a normalised contact detail, as hex: given by the service layer. */
export type KeyedHash = (text: string) => string;

/** An e-mail address as it is compared: trimmed, lower-case. */
export const normalEmail = (email: string): string => email.trim().toLowerCase();

/**
 * A phone number as it is compared: its digits, with a leading `+` kept (and `00` read as `+`);
 * spaces, dashes, dots and brackets dropped.
 */
export function normalPhone(phone: string): string {
  const trimmed = phone.trim();
  const digits = trimmed.replace(/[^0-9]/g, '');
  if (trimmed.startsWith('+')) return `+${digits}`;
  if (digits.startsWith('00')) return `+${digits.slice(2)}`;
  return digits;
}

/**
 * The index key of an identifier, or why it cannot be one (its value malformed). The key holds
 * no personal data: contact details are hashed with `hash`.
 */
export function indexKey(
  identifier: Identifier,
  hash: KeyedHash,
): { ok: true; key: string } | { ok: false; message: string } {
  switch (identifier.kind) {
    case 'account': {
      const parsed = accountNumber.safeParse(identifier.value);
      return parsed.success
        ? { ok: true, key: `account.${parsed.data}` }
        : { ok: false, message: parsed.error.issues[0]?.message ?? 'is invalid' };
    }
    case 'card': {
      const parsed = cardNumber.safeParse(identifier.value);
      return parsed.success
        ? { ok: true, key: `card.${parsed.data}` }
        : { ok: false, message: parsed.error.issues[0]?.message ?? 'is invalid' };
    }
    case 'phone': {
      const phone = normalPhone(identifier.value);
      if (phone.replace('+', '').length < 5) {
        return { ok: false, message: 'must be a phone number of at least 5 digits' };
      }
      return { ok: true, key: `phone.${hash(phone)}` };
    }
    case 'email': {
      const email = normalEmail(identifier.value);
      if (!/^[^@\s]+@[^@\s]+$/.test(email))
        return { ok: false, message: 'must be an e-mail address' };
      return { ok: true, key: `email.${hash(email)}` };
    }
  }
}
