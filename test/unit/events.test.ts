import { describe, expect, it } from 'vitest';
import { parseRetailEvent, withoutPersonalData } from '../../engine/domain/events.ts';
import { registrationInput, saleInput } from '../support/events.ts';

function fieldsOf(input: unknown): string[] {
  const result = parseRetailEvent(input);
  if (result.ok) return [];
  return result.issues.map((i) => i.field);
}

describe('event contract', () => {
  it('accepts a valid sale and fills defaults', () => {
    const { discount: _d, ...line } = (saleInput().lines as Record<string, unknown>[])[0] as Record<
      string,
      unknown
    >;
    const result = parseRetailEvent(
      saleInput({ lines: [line], tenders: [{ type: 'card', amount: 3798 }] }),
    );
    expect(result.ok).toBe(true);
    if (result.ok && result.event.type === 'sale') expect(result.event.lines[0]?.discount).toBe(0);
  });

  it.each([
    [
      'a negative quantity',
      { lines: [{ ...(saleInput().lines[0] as object), quantity: -1 }] },
      'lines[0].quantity',
    ],
    ['a missing store', { storeId: undefined }, 'storeId'],
    [
      'a fractional price',
      { lines: [{ ...(saleInput().lines[0] as object), unitPrice: 18.99 }] },
      'lines[0].unitPrice',
    ],
    ['tenders that do not add up', { tenders: [{ type: 'card', amount: 1 }] }, 'tenders'],
    ['an e-mail as customer id', { customerId: 'ada@example.org' }, 'customerId'],
    ['a card number as customer id', { customerId: '4111111111111111' }, 'customerId'],
    ['an unknown field', { loyaltyCard: '123' }, '(event)'],
    ['a till sale without a till', { tillId: undefined }, 'tillId'],
    [
      'a discount above the line',
      { lines: [{ ...(saleInput().lines[0] as object), discount: 999_999 }] },
      'lines[0].discount',
    ],
    ['a bad timestamp', { occurredAt: 'yesterday' }, 'occurredAt'],
  ])('refuses %s, naming the field', (_name, overrides, field) => {
    expect(fieldsOf(saleInput(overrides))).toContain(field);
  });

  it('refuses an unknown event type', () => {
    expect(fieldsOf({ ...saleInput(), type: 'refund' })).toEqual(['type']);
  });

  it('refuses things that are not objects without throwing', () => {
    for (const input of [null, 42, 'sale', [], undefined])
      expect(parseRetailEvent(input).ok).toBe(false);
  });

  it('keeps personal details out of what reaches a workflow', () => {
    const parsed = parseRetailEvent(registrationInput());
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const forWorkflow = withoutPersonalData(parsed.event);
    expect(JSON.stringify(forWorkflow)).not.toContain('ada@example.org');
    expect(JSON.stringify(forWorkflow)).not.toContain('Lovelace');
    expect(forWorkflow.customerId).toBe('c-0000001');
  });
});
