/**
 * The event contract as JSON Schema, for till and web-shop vendors who do not use TypeScript.
 * Generated from the zod schemas (never written by hand); `clientele schemas export` writes them
 * to config/schemas/, and a test keeps the committed files equal to what the code says.
 */
import { z } from 'zod';
import {
  customerRegisteredEvent,
  partnerAccrualEvent,
  pointsAdjustedEvent,
  retailEvent,
  returnEvent,
  saleEvent,
} from './events.ts';

const contracts = {
  'retail-event': retailEvent,
  sale: saleEvent,
  return: returnEvent,
  'customer-registered': customerRegisteredEvent,
  'points-adjusted': pointsAdjustedEvent,
  'partner-accrual': partnerAccrualEvent,
} as const;

/** File name → JSON Schema document. */
export function eventJsonSchemas(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(contracts).map(([name, schema]) => [
      `${name}.schema.json`,
      {
        $id: `urn:clientele:schema:${name}`,
        title: `Clientele ${name} event`,
        ...z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }),
      },
    ]),
  );
}
