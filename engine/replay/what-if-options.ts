/**
 * How a what-if job's programs become the catalogs `simulateCustomer` replays under: the versions
 * in force as the baseline; for the candidate, the versions in force before `from` and the
 * candidate from then on. Both as `pointsOnly` runs them. Shared by the replay workers (the
 * population) and `svc.replay.what-if` (one customer), so both replay the same programs.
 */
import { pointsOnly, type WhatIfOptions } from '../domain/customer/what-if.ts';
import { createProgramCatalog } from '../services/program-catalog.ts';
import type { WhatIfJob } from './worker-messages.ts';

export function whatIfOptions(job: Omit<WhatIfJob, 'kind'>): WhatIfOptions {
  const baseline = job.baseline.map(pointsOnly);
  const past = baseline.filter((p) => Date.parse(p.effectiveFrom) < Date.parse(job.from));
  return {
    base: job.base,
    baseline: createProgramCatalog(baseline),
    candidate: createProgramCatalog([...past, pointsOnly(job.candidate)]),
    from: job.from,
    to: job.to,
  };
}
