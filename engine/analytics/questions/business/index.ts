/**
 * The business questions: customer value and cohorts, products, sales, stores and associates,
 * and the points liability.
 */
import type { AnyQuestion } from '../question.ts';
import { abcXyz } from './abc-xyz.ts';
import { clv } from './clv.ts';
import { cohorts } from './cohorts.ts';
import { associatePerformance, storePerformance } from './performance.ts';
import { points } from './points.ts';
import { sales } from './sales.ts';
import { storeList } from './stores.ts';

export const BUSINESS_QUESTIONS: AnyQuestion[] = [
  clv,
  cohorts,
  abcXyz,
  sales,
  storeList,
  storePerformance,
  associatePerformance,
  points,
];
