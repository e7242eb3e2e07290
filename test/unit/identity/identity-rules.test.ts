/**
 * The identity rules alone: account numbers, card numbers and their check digit, what a till
 * reads off a card, card statuses, and the index keys (which hold no contact detail).
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accountNumber, accountNumberOf } from '../../../engine/domain/identity/account-number.ts';
import {
  cardNumber,
  cardNumberOf,
  luhnCheckDigit,
  QR_PREFIX,
  readCard,
} from '../../../engine/domain/identity/card-number.ts';
import { refuseCardChange, tillRefusal } from '../../../engine/domain/identity/card-status.ts';
import { indexKey, normalEmail, normalPhone } from '../../../engine/domain/identity/identifiers.ts';

const hash = (text: string) => createHmac('sha256', 'test-key').update(text).digest('hex');

describe('account numbers', () => {
  it('are eight digits from 00000001 on, and refuse what is not one', () => {
    expect(accountNumberOf(1)).toBe('00000001');
    expect(accountNumberOf(42)).toBe('00000042');
    expect(accountNumberOf(99_999_999)).toBe('99999999');
    expect(() => accountNumberOf(0)).toThrow(RangeError);
    expect(() => accountNumberOf(100_000_000)).toThrow(/every account number is taken/);
    expect(accountNumber.safeParse('00000042').success).toBe(true);
    expect(accountNumber.safeParse('00000000').success).toBe(false);
    expect(accountNumber.safeParse('4242').error?.issues[0]?.message).toMatch(/8 digits/);
  });
});

describe('card numbers', () => {
  it('carry the Luhn check digit', () => {
    // The classic example: 7992739871 has check digit 3.
    expect(luhnCheckDigit('7992739871')).toBe(3);
    const card = cardNumberOf('279901', 1234);
    expect(card).toHaveLength(16);
    expect(card.startsWith('279901000001234')).toBe(true);
    expect(cardNumber.safeParse(card).success).toBe(true);
  });

  it('catch every single mistyped digit and nearly every swap of two neighbours', () => {
    const card = cardNumberOf('279901', 987_654_321);
    for (let i = 0; i < card.length; i++) {
      for (let d = 0; d <= 9; d++) {
        if (String(d) === card[i]) continue;
        const typo = `${card.slice(0, i)}${d}${card.slice(i + 1)}`;
        expect(cardNumber.safeParse(typo).success, typo).toBe(false);
      }
    }
    // Every swap of two neighbours but 09 ↔ 90, which the Luhn check cannot see.
    for (let i = 0; i + 1 < card.length; i++) {
      const pair = `${card[i]}${card[i + 1]}`;
      if (card[i] === card[i + 1] || pair === '09' || pair === '90') continue;
      const swapped = `${card.slice(0, i)}${card[i + 1]}${card[i]}${card.slice(i + 2)}`;
      expect(cardNumber.safeParse(swapped).success, swapped).toBe(false);
    }
  });

  it('are read from a QR code, a barcode or typing, and a bad read says what is wrong', () => {
    const card = cardNumberOf('279901', 7);
    expect(readCard(`${QR_PREFIX}${card}`, 'qr')).toEqual({
      ok: true,
      cardNumber: card,
      source: 'qr',
    });
    expect(readCard(card, 'barcode')).toEqual({ ok: true, cardNumber: card, source: 'barcode' });
    const typed = `${card.slice(0, 4)} ${card.slice(4, 8)}-${card.slice(8, 12)} ${card.slice(12)}`;
    expect(readCard(typed, 'typed')).toMatchObject({ ok: true, cardNumber: card });
    expect(readCard(card, 'qr')).toMatchObject({ ok: false, message: /QR code/ });
    expect(readCard(`${card.slice(0, 15)}${(Number(card[15]) + 1) % 10}`, 'barcode')).toMatchObject(
      { ok: false, message: /check digit/ },
    );
    expect(readCard('12345', 'typed')).toMatchObject({ ok: false, message: /16 digits/ });
  });
});

describe('card statuses', () => {
  it('move as a card may, and a replaced card never comes back', () => {
    expect(refuseCardChange('active', 'blocked')).toBeUndefined();
    expect(refuseCardChange('blocked', 'active')).toBeUndefined();
    expect(refuseCardChange('lost', 'replaced')).toBeUndefined();
    expect(refuseCardChange('active', 'active')).toMatch(/already/);
    expect(refuseCardChange('replaced', 'active')).toMatch(/never comes back/);
    expect(refuseCardChange('lost', 'blocked')).toMatch(/cannot go from lost to blocked/);
  });

  it('tell the till why a card is refused, and nothing for an active card', () => {
    expect(tillRefusal('active')).toBeUndefined();
    expect(tillRefusal('blocked')).toMatch(/blocked/);
    expect(tillRefusal('lost')).toMatch(/lost/);
    expect(tillRefusal('replaced')).toMatch(/new card/);
  });
});

describe('index keys', () => {
  it('hold cards and accounts by their digits, contact details only as keyed hashes', () => {
    const card = cardNumberOf('279901', 5);
    expect(indexKey({ kind: 'card', value: card }, hash)).toEqual({
      ok: true,
      key: `card.${card}`,
    });
    expect(indexKey({ kind: 'account', value: '00000005' }, hash)).toEqual({
      ok: true,
      key: 'account.00000005',
    });
    const phone = indexKey({ kind: 'phone', value: '+44 (20) 7946-0958' }, hash);
    expect(phone).toEqual({ ok: true, key: `phone.${hash('+442079460958')}` });
    expect(JSON.stringify(phone)).not.toContain('7946');
    const email = indexKey({ kind: 'email', value: ' Ann@Example.COM ' }, hash);
    expect(email).toEqual({ ok: true, key: `email.${hash('ann@example.com')}` });
    expect(JSON.stringify(email)).not.toMatch(/ann|example/i);
  });

  it('find a contact detail however it was written', () => {
    expect(normalPhone('0044 20 7946 0958')).toBe('+442079460958');
    expect(normalPhone('+44 20 7946 0958')).toBe('+442079460958');
    expect(normalEmail('  Ann@Example.com')).toBe('ann@example.com');
  });

  it('refuse a malformed identifier with what is wrong', () => {
    expect(indexKey({ kind: 'card', value: '1234' }, hash)).toMatchObject({
      ok: false,
      message: /16 digits/,
    });
    expect(indexKey({ kind: 'account', value: 'x' }, hash)).toMatchObject({
      ok: false,
      message: /8 digits/,
    });
    expect(indexKey({ kind: 'phone', value: '12' }, hash)).toMatchObject({
      ok: false,
      message: /phone/,
    });
    expect(indexKey({ kind: 'email', value: 'nobody' }, hash)).toMatchObject({
      ok: false,
      message: /e-mail/,
    });
  });
});
