import { describe, expect, it } from 'vitest';
import { nameForms, normalName } from '../../engine/domain/customer/name-search.ts';

describe('finding a customer by name', () => {
  it('ignores case, accents, punctuation and word order', () => {
    expect(normalName('Żaneta Nowak-Kowalska')).toBe('kowalska nowak zaneta');
    expect(normalName('  BERG,  Léa ')).toBe('berg lea');
    expect(normalName('Łukasz Strauß')).toBe('lukasz strauss');
    expect(normalName("O'Brien")).toBe('brien o');
    expect(normalName(' - ')).toBe('');
  });

  it('indexes the family name and the full name, never the given name alone', () => {
    expect(nameForms({ givenName: 'Lea', familyName: 'Berg' })).toEqual(['berg', 'berg lea']);
    expect(nameForms({ familyName: 'van der Berg' })).toEqual(['berg der van']);
    expect(nameForms({ givenName: 'Lea' })).toEqual([]);
    expect(nameForms({})).toEqual([]);
    // What a member types matches a form whichever order the words come in.
    expect(nameForms({ givenName: 'Lea', familyName: 'Berg' })).toContain(normalName('Berg Lea'));
  });
});
