/** The check that a list's items (earn rules, tiers, lifecycle rules, segments) have their own ids. */
import type { z } from 'zod';

/** Adds an issue on each item whose id an earlier item of `items` (at `path`) already has. */
export function duplicateIds(
  items: readonly { id: string }[],
  path: (string | number)[],
  ctx: z.RefinementCtx,
) {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.id)) {
      ctx.addIssue({ code: 'custom', path: [...path, i, 'id'], message: `repeats "${item.id}"` });
    }
    seen.add(item.id);
  });
}
