import { readFileSync } from 'node:fs';

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Writing the prompt cache (5-minute TTL). */
  cacheWrite: number;
  cacheRead: number;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

const sonnet5: ModelPrice = { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.2 };
const sonnet4: ModelPrice = { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 };
const opus45: ModelPrice = { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 };

/**
 * Anthropic's list prices for the models this system is likely to drive (from the pricing
 * page, November 2026). A deployment with other prices or models sets
 * CODEFRAME_PRICES_FILE to a JSON file of the same shape, merged over these.
 */
export const DEFAULT_PRICES: PriceTable = {
  'claude-sonnet-5-5': sonnet5,
  'claude-sonnet-5': sonnet5,
  'claude-sonnet-4-6': sonnet4,
  'claude-sonnet-4-5': sonnet4,
  'claude-opus-5-5': { input: 4, output: 20, cacheWrite: 5, cacheRead: 0.2 },
  'claude-opus-5': opus45,
  'claude-opus-4-8': opus45,
  'claude-opus-4-7': opus45,
  'claude-opus-4-6': opus45,
  'claude-opus-4-5': opus45,
  'claude-haiku-4-5': { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
};

/** The default table, with a JSON file's entries over it when a path is given. */
export function loadPriceTable(file: string | undefined): PriceTable {
  if (!file) return DEFAULT_PRICES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the price table ${file}: ${(err as Error).message}`);
  }
  const table: Record<string, ModelPrice> = { ...DEFAULT_PRICES };
  for (const [model, price] of Object.entries(parsed as Record<string, Partial<ModelPrice>>)) {
    const fields = ['input', 'output', 'cacheWrite', 'cacheRead'] as const;
    if (!fields.every((f) => typeof price?.[f] === 'number' && price[f] >= 0)) {
      throw new Error(
        `price table ${file}: "${model}" needs non-negative numbers for ${fields.join(', ')} (USD per million tokens)`,
      );
    }
    table[model] = price as ModelPrice;
  }
  return table;
}

/** The price of a model id, also for dated ids such as claude-sonnet-4-5-20250929. */
export function priceOf(table: PriceTable, model: string): ModelPrice | undefined {
  return table[model] ?? table[model.replace(/-\d{8}$/, '')];
}
