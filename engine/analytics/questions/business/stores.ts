/**
 * `stores`: the outlets as the stores dimension holds them (latest version of each): name,
 * format, city, region, country, coordinates and opening day, in some stores or all. The
 * console's stores page sets their figures (store-performance) on a map by these coordinates.
 */
import { z } from 'zod';
import { qualified } from '../../schema.ts';
import { type Answer, defineQuestion } from '../question.ts';
import { inList, jsonList, names } from './common.ts';

export const storeList = defineQuestion({
  name: 'stores',
  summary:
    'The stores: name, format, city, region, coordinates, opening day; in some stores or all',
  params: z.object({
    stores: names('only these stores (store ids, comma-separated); default all'),
  }),
  async run(store, params): Promise<Answer> {
    const rows = await store.query<Record<string, string | number>>(
      `SELECT store_id, name, format, city, region, country, latitude, longitude,
         toString(opened_on) AS opened
       FROM ${qualified(store.database, 'stores')} FINAL
       ${params.stores ? `WHERE ${inList('store_id', 'stores')}` : ''}
       ORDER BY store_id`,
      params.stores ? { stores: jsonList(params.stores) } : {},
    );
    return {
      columns: [
        { name: 'store', kind: 'text' },
        { name: 'name', kind: 'text' },
        { name: 'format', kind: 'text' },
        { name: 'city', kind: 'text' },
        { name: 'region', kind: 'text' },
        { name: 'country', kind: 'text' },
        { name: 'latitude', kind: 'ratio' },
        { name: 'longitude', kind: 'ratio' },
        { name: 'opened', kind: 'date' },
      ],
      rows: rows.map((r) => ({
        store: String(r.store_id),
        name: String(r.name),
        format: String(r.format),
        city: String(r.city),
        region: String(r.region),
        country: String(r.country),
        latitude: Number(r.latitude),
        longitude: Number(r.longitude),
        opened: String(r.opened),
      })),
    };
  },
});
