/**
 * How a customer is found by name: the forms of their name the profile store indexes, and the
 * form of what a member of staff typed. Case, accents, punctuation and word order are ignored
 * ("Żaneta Nowak-Kowalska" is found as "nowak kowalska zaneta"), so "Berg" finds every Berg and
 * "Lea Berg" or "Berg, Lea" the Leas among them. A given name alone is not a form: it would
 * find a crowd, and the service desk has the card or phone for that.
 */

/** The words of a name, lower case, without accents or punctuation, in alphabetical order. */
export function normalName(text: string): string {
  const words = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/ß/g, 'ss')
    .replace(/[łŁ]/g, 'l')
    .replace(/[øØ]/g, 'o')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
  return words.sort().join(' ');
}

/** The shortest name a search accepts (after normalising), so a search cannot list everyone. */
export const SHORTEST_NAME = 2;

/** The forms a profile is found by: the family name, and the given and family names together. */
export function nameForms(profile: { givenName?: string; familyName?: string }): string[] {
  if (!profile.familyName) return [];
  const family = normalName(profile.familyName);
  if (family.length === 0) return [];
  const full = profile.givenName ? normalName(`${profile.givenName} ${profile.familyName}`) : '';
  return full && full !== family ? [family, full] : [family];
}
