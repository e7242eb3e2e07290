// What the program calendar shows, worked out from the published versions (pure: no DOM, no
// clock; `today` is passed in): each version's span, each earn rule's date window inside the
// versions that hold it, the rules in force on a day, and the pairs of promotions whose windows
// overlap. Dates are UTC days (YYYY-MM-DD); an open end is `undefined`.

const DAY = 86_400_000;
export const addDays = (day, n) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
const dayOfInstant = (instant) => instant.slice(0, 10);

/** Each version from its day in force to the day before the next one's (the last: open). */
export function versionSpans(versions) {
  const sorted = [...versions].sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : 1));
  return sorted.map((v, i) => ({
    version: v.version,
    from: dayOfInstant(v.effectiveFrom),
    until: sorted[i + 1] ? addDays(dayOfInstant(sorted[i + 1].effectiveFrom), -1) : undefined,
    program: v,
  }));
}

// Days are text (YYYY-MM-DD), compared as text: Math.max and Math.min would not do.
// biome-ignore lint/complexity/useMathMinMax: strings, not numbers
const later = (a, b) => (a === undefined ? b : b === undefined ? a : a > b ? a : b);
// biome-ignore lint/complexity/useMathMinMax: strings, not numbers
const earlier = (a, b) => (a === undefined ? b : b === undefined ? a : a < b ? a : b);

/**
 * Each earn rule's window within each version that holds it: from the later of the rule's
 * `from` and the version's start, to the earlier of the rule's `until` and the version's end.
 * `dated` marks a rule with a date window of its own (a promotion); the others run all along.
 */
export function ruleSpans(spans) {
  const out = [];
  for (const span of spans) {
    for (const rule of span.program.earn.rules) {
      const from = later(rule.when.from, span.from);
      const until = earlier(rule.when.until, span.until);
      if (until !== undefined && from > until) continue;
      out.push({
        id: rule.id,
        name: rule.name ?? rule.id,
        version: span.version,
        from,
        until,
        dated: rule.when.from !== undefined || rule.when.until !== undefined,
        /** The rule's own dates, as written (not clipped to the version). */
        window: { from: rule.when.from, until: rule.when.until },
        days: rule.when.daysOfWeek,
      });
    }
  }
  return out;
}

/** Pairs of promotions (dated rules) whose windows share at least a day, with the shared days. */
export function overlaps(rules) {
  const dated = rules.filter((r) => r.dated);
  const pairs = [];
  for (let i = 0; i < dated.length; i++) {
    for (let j = i + 1; j < dated.length; j++) {
      const a = dated[i];
      const b = dated[j];
      if (a.id === b.id) continue;
      const from = later(a.from, b.from);
      const until = earlier(a.until, b.until);
      if (until === undefined || from <= until) pairs.push({ a, b, from, until });
    }
  }
  return pairs;
}

/** The rules in force on `day`: those whose window holds it. */
export const inForce = (rules, day) =>
  rules.filter((r) => r.from <= day && (r.until === undefined || r.until >= day));
