import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventJsonSchemas } from '../../engine/domain/json-schema.ts';

describe('published JSON Schemas', () => {
  it('match the zod contract (run `npm run schemas` after changing events.ts)', () => {
    for (const [file, schema] of Object.entries(eventJsonSchemas())) {
      const committed = JSON.parse(
        readFileSync(new URL(`../../config/schemas/${file}`, import.meta.url), 'utf8'),
      );
      expect(committed, file).toEqual(schema);
    }
  });

  it('tell a vendor that money is integer minor units and quantities are positive', () => {
    const sale = eventJsonSchemas()['sale.schema.json'] as {
      properties: {
        lines: {
          items: {
            properties: Record<
              string,
              { type: string; exclusiveMinimum?: number; minimum?: number }
            >;
          };
        };
      };
    };
    const line = sale.properties.lines.items.properties;
    expect(line.unitPrice?.type).toBe('integer');
    expect(line.unitPrice?.minimum).toBe(0);
    expect(line.quantity?.exclusiveMinimum).toBe(0);
  });
});
