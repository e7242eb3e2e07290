/**
 * A customer's account number: eight digits, allocated in order from 00000001 (`identity/
 * account-numbers.ts` draws them from a stream's sequence, so two processes never draw the same).
 * It is what a member reads out at the till or types on the web, beside the internal customer id
 * that workflow ids are made of.
 */
import { z } from 'zod';

export const ACCOUNT_DIGITS = 8;
export const MAX_ACCOUNT = 10 ** ACCOUNT_DIGITS - 1;

/** The account number of the `n`th account. */
export function accountNumberOf(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > MAX_ACCOUNT) {
    throw new RangeError(`account ${n} is outside 1…${MAX_ACCOUNT}: every account number is taken`);
  }
  return String(n).padStart(ACCOUNT_DIGITS, '0');
}

export const accountNumber = z
  .string()
  .regex(/^[0-9]{8}$/, 'must be an account number of 8 digits, such as 00000042')
  .refine((value) => value !== '00000000', 'must not be 00000000: accounts start at 00000001');
