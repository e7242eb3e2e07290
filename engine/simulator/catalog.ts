/** A small, plausible catalogue for simulated tills: prices and costs in minor units. */
export interface CatalogItem {
  sku: string;
  category: string;
  brand: string;
  fullPrice: number;
  unitCost: number;
}

export const catalog: readonly CatalogItem[] = [
  { sku: 'COF-BEAN-1KG', category: 'coffee', brand: 'Roastery', fullPrice: 1899, unitCost: 1020 },
  { sku: 'COF-GRND-250', category: 'coffee', brand: 'Roastery', fullPrice: 549, unitCost: 290 },
  { sku: 'TEA-EARL-100', category: 'tea', brand: 'Leafhouse', fullPrice: 399, unitCost: 180 },
  { sku: 'MLK-OAT-1L', category: 'dairy-alt', brand: 'Oatly', fullPrice: 229, unitCost: 140 },
  { sku: 'BRD-SOUR-800', category: 'bakery', brand: 'Bakehouse', fullPrice: 425, unitCost: 160 },
  { sku: 'CHS-COMTE-200', category: 'cheese', brand: 'Fromagerie', fullPrice: 689, unitCost: 410 },
  { sku: 'WIN-RIOJA-75', category: 'wine', brand: 'Bodega Rio', fullPrice: 1299, unitCost: 700 },
  { sku: 'OIL-OLIVE-500', category: 'pantry', brand: 'Oliveto', fullPrice: 899, unitCost: 520 },
  { sku: 'PAS-RIGA-500', category: 'pantry', brand: 'Pastificio', fullPrice: 249, unitCost: 95 },
  {
    sku: 'CHO-DARK-100',
    category: 'confectionery',
    brand: 'Cacao & Co',
    fullPrice: 299,
    unitCost: 120,
  },
  { sku: 'FLW-TULIP-10', category: 'flowers', brand: 'Bloom', fullPrice: 799, unitCost: 350 },
  { sku: 'SOA-LAV-300', category: 'household', brand: 'Clean Co', fullPrice: 349, unitCost: 130 },
];
