/**
 * The retailer the generator invents: stores across Germany (one of them the web shop), the staff
 * at their tills, and an assortment of SKUs in about twenty categories, each category with its
 * own brands, price range, margin, promotion habit and return rate. All drawn from the seed.
 */
import type { ProductRow, StaffRow, StoreRow } from '../analytics/rows.ts';
import { DAY_MS } from './calendar.ts';
import { Rng, streamSeed, WeightedPicker, zipfWeights } from './random.ts';

export type StoreFormat = 'hypermarket' | 'supermarket' | 'convenience' | 'web';

export interface CategorySpec {
  name: string;
  /** Share of all lines sold at a till, relative to the others. */
  tillWeight: number;
  /** The same on the web shop (non-food sells better online). */
  webWeight: number;
  /** Share of the assortment (SKUs). */
  assortment: number;
  /** Full price range in minor units. */
  minPrice: number;
  maxPrice: number;
  /** Gross margin on the full price. */
  margin: number;
  /** Share of its SKUs that are often on promotion. */
  promoShare: number;
  /** Chance a line of it is returned. */
  returnRate: number;
  /** Chance a line has more than one unit. */
  multiUnit: number;
  brands: readonly string[];
  nouns: readonly string[];
}

/** The house brand, on many food and household lines. */
const HOUSE = 'Greenleaf';

export const CATEGORIES: readonly CategorySpec[] = [
  {
    name: 'produce',
    tillWeight: 14,
    webWeight: 5,
    assortment: 5,
    minPrice: 59,
    maxPrice: 499,
    margin: 0.32,
    promoShare: 0.25,
    returnRate: 0.002,
    multiUnit: 0.35,
    brands: [HOUSE, 'FarmFresh', 'Sunvale', 'Orchard & Co'],
    nouns: ['Apples', 'Bananas', 'Tomatoes', 'Carrots', 'Lettuce', 'Grapes', 'Peppers', 'Onions'],
  },
  {
    name: 'dairy',
    tillWeight: 12,
    webWeight: 5,
    assortment: 6,
    minPrice: 49,
    maxPrice: 699,
    margin: 0.22,
    promoShare: 0.2,
    returnRate: 0.002,
    multiUnit: 0.3,
    brands: [HOUSE, 'Alpenmilch', 'Weidegold', 'Creamline', 'Skyrhof'],
    nouns: ['Milk', 'Yoghurt', 'Butter', 'Cheese', 'Cream', 'Quark'],
  },
  {
    name: 'bakery',
    tillWeight: 10,
    webWeight: 3,
    assortment: 3,
    minPrice: 39,
    maxPrice: 549,
    margin: 0.48,
    promoShare: 0.1,
    returnRate: 0.001,
    multiUnit: 0.25,
    brands: [HOUSE, 'Backstube', 'Golden Crust'],
    nouns: ['Bread', 'Rolls', 'Croissants', 'Pretzels', 'Cake'],
  },
  {
    name: 'meat',
    tillWeight: 7,
    webWeight: 3,
    assortment: 4,
    minPrice: 199,
    maxPrice: 1999,
    margin: 0.25,
    promoShare: 0.2,
    returnRate: 0.003,
    multiUnit: 0.15,
    brands: [HOUSE, 'Landmetzger', 'Prime Cut'],
    nouns: ['Chicken', 'Beef Mince', 'Sausages', 'Ham', 'Steak'],
  },
  {
    name: 'fish',
    tillWeight: 2.5,
    webWeight: 1,
    assortment: 2,
    minPrice: 249,
    maxPrice: 2499,
    margin: 0.3,
    promoShare: 0.15,
    returnRate: 0.003,
    multiUnit: 0.1,
    brands: [HOUSE, 'Nordsee Catch', 'Blue Harbour'],
    nouns: ['Salmon', 'Cod', 'Prawns', 'Tuna'],
  },
  {
    name: 'frozen',
    tillWeight: 5,
    webWeight: 3,
    assortment: 4,
    minPrice: 149,
    maxPrice: 899,
    margin: 0.3,
    promoShare: 0.3,
    returnRate: 0.002,
    multiUnit: 0.25,
    brands: [HOUSE, 'Frostino', 'IceBay'],
    nouns: ['Pizza', 'Peas', 'Ice Cream', 'Fries', 'Spinach'],
  },
  {
    name: 'snacks',
    tillWeight: 7,
    webWeight: 4,
    assortment: 6,
    minPrice: 79,
    maxPrice: 499,
    margin: 0.38,
    promoShare: 0.35,
    returnRate: 0.002,
    multiUnit: 0.3,
    brands: [HOUSE, 'Crunchies', 'Schoko Haus', 'NutMix', 'Salty Bay'],
    nouns: ['Crisps', 'Chocolate', 'Biscuits', 'Nuts', 'Gummies'],
  },
  {
    name: 'beverages',
    tillWeight: 8,
    webWeight: 5,
    assortment: 5,
    minPrice: 49,
    maxPrice: 799,
    margin: 0.3,
    promoShare: 0.3,
    returnRate: 0.002,
    multiUnit: 0.4,
    brands: [HOUSE, 'Quellklar', 'FizzUp', 'Juicy Farm'],
    nouns: ['Water', 'Cola', 'Orange Juice', 'Lemonade', 'Iced Tea'],
  },
  {
    name: 'coffee',
    tillWeight: 4,
    webWeight: 5,
    assortment: 3,
    minPrice: 299,
    maxPrice: 1999,
    margin: 0.32,
    promoShare: 0.35,
    returnRate: 0.004,
    multiUnit: 0.15,
    brands: [HOUSE, 'Bergbohne', 'Crema Nera', 'Kaffeerösterei Süd'],
    nouns: ['Beans', 'Ground Coffee', 'Capsules', 'Espresso'],
  },
  {
    name: 'tea',
    tillWeight: 1.5,
    webWeight: 2,
    assortment: 2,
    minPrice: 149,
    maxPrice: 999,
    margin: 0.4,
    promoShare: 0.2,
    returnRate: 0.003,
    multiUnit: 0.15,
    brands: [HOUSE, 'Teekanne Blau', 'Leaf & Cup'],
    nouns: ['Black Tea', 'Green Tea', 'Herbal Tea'],
  },
  {
    name: 'wine',
    tillWeight: 3,
    webWeight: 5,
    assortment: 5,
    minPrice: 349,
    maxPrice: 3999,
    margin: 0.36,
    promoShare: 0.25,
    returnRate: 0.004,
    multiUnit: 0.3,
    brands: ['Weingut Rhein', 'Château Lune', 'Bodega Sol', 'Casa Verde', 'Mosel Hill'],
    nouns: ['Riesling', 'Rosé', 'Merlot', 'Sparkling', 'Pinot Noir'],
  },
  {
    name: 'spirits',
    tillWeight: 1.5,
    webWeight: 2,
    assortment: 3,
    minPrice: 799,
    maxPrice: 4999,
    margin: 0.3,
    promoShare: 0.2,
    returnRate: 0.003,
    multiUnit: 0.05,
    brands: ['Highland Oak', 'Brennerei Nord', 'Blue Agave', 'Kräuterhof'],
    nouns: ['Whisky', 'Gin', 'Rum', 'Vodka', 'Liqueur'],
  },
  {
    name: 'household',
    tillWeight: 5,
    webWeight: 6,
    assortment: 5,
    minPrice: 99,
    maxPrice: 1499,
    margin: 0.35,
    promoShare: 0.25,
    returnRate: 0.008,
    multiUnit: 0.2,
    brands: [HOUSE, 'Sparkle', 'CleanPro', 'EcoHome'],
    nouns: ['Detergent', 'Kitchen Roll', 'Dish Soap', 'Sponges', 'Bin Bags'],
  },
  {
    name: 'beauty',
    tillWeight: 3,
    webWeight: 8,
    assortment: 6,
    minPrice: 199,
    maxPrice: 4999,
    margin: 0.48,
    promoShare: 0.3,
    returnRate: 0.02,
    multiUnit: 0.1,
    brands: ['Belle Rose', 'Naturé', 'Glow Lab', 'Pure Skin', 'Velvet'],
    nouns: ['Face Cream', 'Lipstick', 'Mascara', 'Serum', 'Perfume'],
  },
  {
    name: 'personal-care',
    tillWeight: 4,
    webWeight: 5,
    assortment: 5,
    minPrice: 99,
    maxPrice: 1299,
    margin: 0.4,
    promoShare: 0.3,
    returnRate: 0.006,
    multiUnit: 0.2,
    brands: [HOUSE, 'Fresh Day', 'DentaPlus', 'Shower Joy'],
    nouns: ['Shampoo', 'Toothpaste', 'Shower Gel', 'Deodorant', 'Razor'],
  },
  {
    name: 'baby',
    tillWeight: 2,
    webWeight: 6,
    assortment: 3,
    minPrice: 149,
    maxPrice: 3999,
    margin: 0.28,
    promoShare: 0.2,
    returnRate: 0.015,
    multiUnit: 0.2,
    brands: ['Little Star', 'BabyCare', 'Kinderglück'],
    nouns: ['Nappies', 'Baby Food', 'Wipes', 'Formula', 'Bodysuit'],
  },
  {
    name: 'pet',
    tillWeight: 2.5,
    webWeight: 6,
    assortment: 3,
    minPrice: 99,
    maxPrice: 4999,
    margin: 0.33,
    promoShare: 0.2,
    returnRate: 0.008,
    multiUnit: 0.25,
    brands: ['Happy Paws', 'Whiskerz', 'Tierfreund'],
    nouns: ['Dog Food', 'Cat Food', 'Cat Litter', 'Treats', 'Toy'],
  },
  {
    name: 'electronics',
    tillWeight: 0.8,
    webWeight: 9,
    assortment: 5,
    minPrice: 999,
    maxPrice: 49999,
    margin: 0.15,
    promoShare: 0.25,
    returnRate: 0.07,
    multiUnit: 0.02,
    brands: ['Voltix', 'Sonar', 'PixelOne', 'HomeTech'],
    nouns: ['Headphones', 'Charger', 'Speaker', 'Kettle', 'Smartwatch'],
  },
  {
    name: 'clothing',
    tillWeight: 1.2,
    webWeight: 10,
    assortment: 8,
    minPrice: 499,
    maxPrice: 14999,
    margin: 0.55,
    promoShare: 0.35,
    returnRate: 0.12,
    multiUnit: 0.08,
    brands: ['Nordwind', 'Urban Line', 'Cotton Club', 'Alpine Wear'],
    nouns: ['T-Shirt', 'Jeans', 'Jacket', 'Socks', 'Sweater', 'Dress'],
  },
  {
    name: 'home-garden',
    tillWeight: 1,
    webWeight: 6,
    assortment: 5,
    minPrice: 299,
    maxPrice: 19999,
    margin: 0.42,
    promoShare: 0.3,
    returnRate: 0.03,
    multiUnit: 0.1,
    brands: ['Gartenlust', 'Casa Nova', 'Bloom'],
    nouns: ['Plant Pot', 'Cushion', 'Candle', 'Garden Hose', 'Lamp'],
  },
  {
    name: 'toys',
    tillWeight: 0.8,
    webWeight: 5,
    assortment: 4,
    minPrice: 299,
    maxPrice: 9999,
    margin: 0.4,
    promoShare: 0.3,
    returnRate: 0.04,
    multiUnit: 0.05,
    brands: ['Kinderwelt', 'BrickBox', 'PlayMore'],
    nouns: ['Puzzle', 'Building Set', 'Doll', 'Board Game', 'Plush'],
  },
];

/** City, region (Bundesland), latitude, longitude. The first three hold the settings' demo stores. */
const CITIES: readonly [string, string, number, number][] = [
  ['Berlin', 'Berlin', 52.52, 13.405],
  ['Hamburg', 'Hamburg', 53.5511, 9.9937],
  ['Munich', 'Bavaria', 48.1372, 11.5756],
  ['Cologne', 'North Rhine-Westphalia', 50.9375, 6.9603],
  ['Frankfurt', 'Hesse', 50.1109, 8.6821],
  ['Stuttgart', 'Baden-Württemberg', 48.7758, 9.1829],
  ['Düsseldorf', 'North Rhine-Westphalia', 51.2277, 6.7735],
  ['Leipzig', 'Saxony', 51.3397, 12.3731],
  ['Dortmund', 'North Rhine-Westphalia', 51.5136, 7.4653],
  ['Essen', 'North Rhine-Westphalia', 51.4556, 7.0116],
  ['Bremen', 'Bremen', 53.0793, 8.8017],
  ['Dresden', 'Saxony', 51.0504, 13.7373],
  ['Hanover', 'Lower Saxony', 52.3759, 9.732],
  ['Nuremberg', 'Bavaria', 49.4521, 11.0767],
  ['Duisburg', 'North Rhine-Westphalia', 51.4344, 6.7623],
  ['Bochum', 'North Rhine-Westphalia', 51.4818, 7.2162],
  ['Wuppertal', 'North Rhine-Westphalia', 51.2562, 7.1508],
  ['Bielefeld', 'North Rhine-Westphalia', 52.0302, 8.5325],
  ['Bonn', 'North Rhine-Westphalia', 50.7374, 7.0982],
  ['Münster', 'North Rhine-Westphalia', 51.9607, 7.6261],
  ['Mannheim', 'Baden-Württemberg', 49.4875, 8.466],
  ['Karlsruhe', 'Baden-Württemberg', 49.0069, 8.4037],
  ['Augsburg', 'Bavaria', 48.3705, 10.8978],
  ['Wiesbaden', 'Hesse', 50.0782, 8.2398],
  ['Aachen', 'North Rhine-Westphalia', 50.7753, 6.0839],
  ['Braunschweig', 'Lower Saxony', 52.2689, 10.5268],
  ['Kiel', 'Schleswig-Holstein', 54.3233, 10.1228],
  ['Chemnitz', 'Saxony', 50.8278, 12.9214],
  ['Halle', 'Saxony-Anhalt', 51.4969, 11.9688],
  ['Magdeburg', 'Saxony-Anhalt', 52.1205, 11.6276],
  ['Freiburg', 'Baden-Württemberg', 47.999, 7.8421],
  ['Mainz', 'Rhineland-Palatinate', 49.9929, 8.2473],
  ['Lübeck', 'Schleswig-Holstein', 53.8655, 10.6866],
  ['Erfurt', 'Thuringia', 50.9848, 11.0299],
  ['Rostock', 'Mecklenburg-Vorpommern', 54.0924, 12.0991],
  ['Kassel', 'Hesse', 51.3127, 9.4797],
  ['Potsdam', 'Brandenburg', 52.3906, 13.0645],
  ['Saarbrücken', 'Saarland', 49.2402, 6.9969],
  ['Regensburg', 'Bavaria', 49.0134, 12.1016],
  ['Würzburg', 'Bavaria', 49.7913, 9.9534],
];

export const WEB_STORE_ID = 'WEB';

/** Mean lines per basket, visits relative to a supermarket, and tills, by format. */
const FORMATS: Record<
  StoreFormat,
  { basket: number; traffic: number; tills: number; cashiers: number }
> = {
  hypermarket: { basket: 8, traffic: 2.6, tills: 12, cashiers: 22 },
  supermarket: { basket: 5, traffic: 1.6, tills: 6, cashiers: 12 },
  convenience: { basket: 2.2, traffic: 1, tills: 2, cashiers: 5 },
  web: { basket: 6, traffic: 0, tills: 0, cashiers: 0 },
};

export interface Store {
  id: string;
  format: StoreFormat;
  /** Mean lines per basket. */
  basket: number;
  tills: number;
  /** Staff ids who serve at its tills, and how much each one serves. */
  associates: string[];
  associatePicker: WeightedPicker;
}

export interface Catalog {
  stores: Store[];
  /** Indices into `stores` of the physical ones, weighted by their traffic. */
  physical: number[];
  physicalPicker: WeightedPicker;
  webStore: number;
  /** Per SKU (by index): id, category index, brand, full price, unit cost, often on promotion. */
  skus: string[];
  skuCategory: Uint8Array;
  skuBrand: string[];
  fullPrice: Int32Array;
  unitCost: Int32Array;
  promo: Uint8Array;
  /** Per category: its SKUs (indices), most popular first, and a picker over them. */
  categorySkus: number[][];
  categorySkuPicker: WeightedPicker[];
  tillCategories: WeightedPicker;
  webCategories: WeightedPicker;
}

export interface CatalogRows {
  stores: StoreRow[];
  products: ProductRow[];
  staff: StaffRow[];
}

const CATALOG_STREAM = 1;

/** A price ending in 9 (2.49, 12.99), drawn log-uniformly in the category's range. */
function shelfPrice(rng: Rng, spec: CategorySpec): number {
  const raw = spec.minPrice * (spec.maxPrice / spec.minPrice) ** rng.next();
  if (raw < 1000) return Math.max(9, Math.round(raw / 10) * 10 - 1);
  return Math.round(raw / 100) * 100 - 1;
}

const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function buildCatalog(
  seed: number,
  options: { stores: number; skus: number; currency: string; startMs: number },
): { catalog: Catalog; rows: CatalogRows } {
  const rng = new Rng(streamSeed(seed, CATALOG_STREAM));
  const updatedAt = new Date(options.startMs).toISOString().replace('T', ' ').replace('Z', '');
  const stores: Store[] = [];
  const storeRows: StoreRow[] = [];
  const staffRows: StaffRow[] = [];
  const physicalCount = options.stores - 1;
  const cityUses = new Map<string, number>();

  for (let s = 0; s < physicalCount; s++) {
    const [city, region, lat, lon] = CITIES[s % CITIES.length] as (typeof CITIES)[number];
    const nth = (cityUses.get(city) ?? 0) + 1;
    cityUses.set(city, nth);
    const roll = rng.next();
    // Bigger cities (listed first) more often have a hypermarket.
    const format: StoreFormat =
      roll < (s < 12 ? 0.3 : 0.15) ? 'hypermarket' : roll < 0.75 ? 'supermarket' : 'convenience';
    const id = `S${String(s + 1).padStart(3, '0')}`;
    const openedOn = dateOf(options.startMs - rng.between(365, 30 * 365) * DAY_MS);
    storeRows.push({
      store_id: id,
      name: `${city} ${nth > 1 ? `${nth} ` : ''}${format === 'hypermarket' ? 'Hyper' : format === 'supermarket' ? 'Market' : 'Express'}`,
      format,
      city,
      region,
      country: 'DE',
      // Within a few kilometres of the centre.
      latitude: Math.round((lat + (rng.next() - 0.5) * 0.08) * 1e5) / 1e5,
      longitude: Math.round((lon + (rng.next() - 0.5) * 0.12) * 1e5) / 1e5,
      opened_on: openedOn,
      updated_at: updatedAt,
    });
    stores.push(staffStore(rng, id, format, openedOn, options.startMs, updatedAt, staffRows));
  }
  // The web shop, run from head office in Berlin.
  storeRows.push({
    store_id: WEB_STORE_ID,
    name: 'Web shop',
    format: 'web',
    city: 'Berlin',
    region: 'Berlin',
    country: 'DE',
    latitude: 52.5,
    longitude: 13.42,
    opened_on: dateOf(options.startMs - 6 * 365 * DAY_MS),
    updated_at: updatedAt,
  });
  stores.push(
    staffStore(
      rng,
      WEB_STORE_ID,
      'web',
      dateOf(options.startMs - 6 * 365 * DAY_MS),
      options.startMs,
      updatedAt,
      staffRows,
    ),
  );

  const physical = stores.map((_, i) => i).filter((i) => stores[i]?.format !== 'web');
  const physicalPicker = new WeightedPicker(
    physical.map((i) => FORMATS[(stores[i] as Store).format].traffic),
  );

  const { products, skuColumns } = buildProducts(rng, options.skus, options.currency, updatedAt);
  return {
    catalog: {
      stores,
      physical,
      physicalPicker,
      webStore: stores.length - 1,
      ...skuColumns,
      tillCategories: new WeightedPicker(CATEGORIES.map((c) => c.tillWeight)),
      webCategories: new WeightedPicker(CATEGORIES.map((c) => c.webWeight)),
    },
    rows: { stores: storeRows, products, staff: staffRows },
  };
}

/** A store's staff: a manager, supervisors, cashiers (service staff at the web shop). */
function staffStore(
  rng: Rng,
  id: string,
  format: StoreFormat,
  openedOn: string,
  startMs: number,
  updatedAt: string,
  staffRows: StaffRow[],
): Store {
  const spec = FORMATS[format];
  const openedMs = Date.parse(`${openedOn}T00:00:00Z`);
  const roles: string[] = ['manager'];
  const supervisors = format === 'web' ? 1 : Math.max(1, Math.round(spec.cashiers / 6));
  for (let i = 0; i < supervisors; i++) roles.push('supervisor');
  const cashiers = format === 'web' ? 3 : spec.cashiers;
  for (let i = 0; i < cashiers; i++) roles.push(format === 'web' ? 'service' : 'cashier');
  const associates: string[] = [];
  const weights: number[] = [];
  roles.forEach((role, i) => {
    const staffId = `${id}-A${String(i + 1).padStart(2, '0')}`;
    const span = Math.max(1, Math.round((startMs - openedMs) / DAY_MS));
    staffRows.push({
      staff_id: staffId,
      store_id: id,
      role,
      hired_on: dateOf(openedMs + rng.int(span) * DAY_MS),
      updated_at: updatedAt,
    });
    if (role === 'cashier' || role === 'supervisor') {
      associates.push(staffId);
      // Shifts differ: some cashiers are at the till far more than others.
      weights.push((role === 'supervisor' ? 0.3 : 1) * rng.logNormal(0.5));
    }
  });
  return {
    id,
    format,
    basket: spec.basket,
    tills: spec.tills,
    associates,
    associatePicker: new WeightedPicker(weights.length > 0 ? weights : [1]),
  };
}

function buildProducts(rng: Rng, count: number, currency: string, updatedAt: string) {
  const assortment = new WeightedPicker(CATEGORIES.map((c) => c.assortment));
  const skus: string[] = [];
  const skuCategory = new Uint8Array(count);
  const skuBrand: string[] = [];
  const fullPrice = new Int32Array(count);
  const unitCost = new Int32Array(count);
  const promo = new Uint8Array(count);
  const categorySkus: number[][] = CATEGORIES.map(() => []);
  const products: ProductRow[] = [];
  for (let i = 0; i < count; i++) {
    // Every category has at least one SKU; the rest by each category's share of the assortment.
    const c = i < CATEGORIES.length ? i : assortment.pick(rng);
    const spec = CATEGORIES[c] as CategorySpec;
    const brand = spec.brands[Math.floor(spec.brands.length * rng.next() ** 1.6)] as string;
    const price = shelfPrice(rng, spec);
    const margin = Math.min(0.8, Math.max(0.03, spec.margin + (rng.next() - 0.5) * 0.16));
    const cost = Math.max(1, Math.round(price * (1 - margin)));
    const sku = `P${String(i + 1).padStart(6, '0')}`;
    skus.push(sku);
    skuCategory[i] = c;
    skuBrand.push(brand);
    fullPrice[i] = price;
    unitCost[i] = cost;
    promo[i] = rng.chance(spec.promoShare) ? 1 : 0;
    categorySkus[c]?.push(i);
    products.push({
      sku,
      name: `${brand} ${rng.pick(spec.nouns)} ${rng.pick(['Classic', 'Organic', 'Family Pack', 'Mini', 'Premium', 'Light', 'Original', 'Select'])}`,
      category: spec.name,
      brand,
      full_price: price,
      unit_cost: cost,
      currency,
      updated_at: updatedAt,
    });
  }
  // A few SKUs of each category sell most of it.
  const categorySkuPicker = categorySkus.map(
    (list) => new WeightedPicker(zipfWeights(list.length, 0.9)),
  );
  return {
    products,
    skuColumns: {
      skus,
      skuCategory,
      skuBrand,
      fullPrice,
      unitCost,
      promo,
      categorySkus,
      categorySkuPicker,
    },
  };
}
