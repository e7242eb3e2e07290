/**
 * The types of a loyalty program, for code that must stay free of zod (the customer workflow and
 * the evaluator it runs): type-only imports of the schema module are erased when compiled.
 */
export type {
  EarnRule,
  Market,
  Program,
  ProgramDefinition,
  TierLevel,
} from './program-schema.ts';

import type { ProgramDefinition } from './program-schema.ts';

export type Rounding = ProgramDefinition['earn']['rounding'];
export type ReturnPolicy = ProgramDefinition['returns']['policy'];
export type Tiers = NonNullable<ProgramDefinition['tiers']>;
