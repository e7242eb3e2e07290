import { describe, expect, it } from 'vitest';
import { parseRetailEvent, withoutPersonalData } from '../../engine/domain/events.ts';
import { registrationInput, returnInput, saleInput } from '../support/events.ts';

function fieldsOf(input: unknown): string[] {
  const result = parseRetailEvent(input);
  if (result.ok) return [];
  return result.issues.map((i) => i.field);
}

function issuesOf(input: unknown) {
  const result = parseRetailEvent(input);
  return result.ok ? [] : result.issues;
}

const [coffee, milk] = saleInput().lines.map((line) => ({ ...line }));

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

  it('refuses two lines of a sale with one lineId, on the later line, naming the earlier', () => {
    const sale = saleInput({
      lines: [coffee, { ...milk, lineId: '3' }, { ...milk, lineId: '1' }],
      tenders: [{ type: 'card', amount: 4198 }],
    });
    expect(issuesOf(sale)).toEqual([
      {
        field: 'lines[2].lineId',
        message: 'repeats lines[0].lineId "1": every line of a sale needs its own id',
      },
    ]);
  });

  it('refuses two lines of a return with one lineId', () => {
    const line = { lineId: '1', sku: 'COF-BEAN-1KG', quantity: 1, refundAmount: 1899 };
    const ret = returnInput(
      { transactionId: 'tx-1' },
      { lines: [line, line], tenders: [{ type: 'card', amount: 3798 }] },
    );
    expect(issuesOf(ret)).toEqual([
      {
        field: 'lines[1].lineId',
        message: 'repeats lines[0].lineId "1": every line of a return needs its own id',
      },
    ]);
  });

  it('refuses a points tender that names no redemption', () => {
    const sale = saleInput({
      tenders: [
        { type: 'card', amount: 2000 },
        { type: 'points', amount: 1998 },
      ],
    });
    expect(issuesOf(sale)).toEqual([
      {
        field: 'tenders[1].redemptionId',
        message: 'is required for a points tender: the redemption the till was granted',
      },
    ]);
  });

  it('refuses a redemption on a tender that is not points', () => {
    const sale = saleInput({ tenders: [{ type: 'card', amount: 3998, redemptionId: 'rd-1' }] });
    expect(fieldsOf(sale)).toEqual(['tenders[0].redemptionId']);
  });

  it('refuses two points tenders paid by one redemption', () => {
    const sale = saleInput({
      tenders: [
        { type: 'points', amount: 1000, redemptionId: 'rd-1' },
        { type: 'points', amount: 998, redemptionId: 'rd-1' },
        { type: 'card', amount: 2000 },
      ],
    });
    expect(issuesOf(sale)).toEqual([
      {
        field: 'tenders[1].redemptionId',
        message: 'repeats tenders[0].redemptionId "rd-1": a redemption pays for one tender only',
      },
    ]);
  });

  it('accepts points tenders that each name their own redemption', () => {
    const sale = saleInput({
      tenders: [
        { type: 'points', amount: 1000, redemptionId: 'rd-1' },
        { type: 'points', amount: 998, redemptionId: 'rd-2' },
        { type: 'card', amount: 2000 },
      ],
    });
    expect(issuesOf(sale)).toEqual([]);
  });

  it('refuses an unknown tender type, naming the types there are', () => {
    const [issue] = issuesOf(saleInput({ tenders: [{ type: 'bitcoin', amount: 3998 }] }));
    expect(issue?.field).toBe('tenders[0].type');
    expect(issue?.message).toContain('"gift_card"');
  });
});
