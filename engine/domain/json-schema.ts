/**
 * The event contract, the identity requests and the engine's answers as JSON Schema, for till
 * and web-shop vendors who do not use TypeScript.
 * Generated from the zod schemas (never written by hand); `clientele schemas export` writes them
 * to config/schemas/, and a test keeps the committed files equal to what the code says.
 */
import { z } from 'zod';
import { customerSummary } from './customer/summary.ts';
import { customerView } from './customer/view.ts';
import {
  campaignResponseEvent,
  customerRegisteredEvent,
  partnerAccrualEvent,
  pointsAdjustedEvent,
  profileChangedEvent,
  retailEvent,
  returnEvent,
  saleEvent,
  serviceInteractionEvent,
} from './events.ts';
import { identification, identified, registration } from './identity/messages.ts';

const contracts = {
  'retail-event': retailEvent,
  sale: saleEvent,
  return: returnEvent,
  'customer-registered': customerRegisteredEvent,
  'points-adjusted': pointsAdjustedEvent,
  'partner-accrual': partnerAccrualEvent,
  'profile-changed': profileChangedEvent,
  'service-interaction': serviceInteractionEvent,
  'campaign-response': campaignResponseEvent,
} as const;

/** What a till or the web shop sends to the identity service (`customer:register`, `customer:identify`). */
const requests = {
  'customer-register': registration,
  'customer-identify': identification,
} as const;

/** What the engine answers: the shapes a till or the web shop reads. */
const answers = {
  'customer-summary': customerSummary,
  'customer-view': customerView,
  'customer-identified': identified,
} as const;

const jsonSchemaOf = (name: string, title: string, schema: z.ZodType, io: 'input' | 'output') => [
  `${name}.schema.json`,
  {
    $id: `urn:clientele:schema:${name}`,
    title,
    ...z.toJSONSchema(schema, { io, target: 'draft-2020-12' }),
  },
];

/** File name → JSON Schema document. */
export function eventJsonSchemas(): Record<string, unknown> {
  return Object.fromEntries([
    ...Object.entries(contracts).map(([name, schema]) =>
      jsonSchemaOf(name, `Clientele ${name} event`, schema, 'input'),
    ),
    ...Object.entries(requests).map(([name, schema]) =>
      jsonSchemaOf(name, `Clientele ${name} request`, schema, 'input'),
    ),
    ...Object.entries(answers).map(([name, schema]) =>
      jsonSchemaOf(name, `Clientele ${name} answer`, schema, 'output'),
    ),
  ]);
}
