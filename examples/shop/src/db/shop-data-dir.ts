import { fileURLToPath } from 'node:url';

/** `.data/shop` at the repository root, from `examples/shop/{src,dist}/db/`. */
export const defaultShopDataDir = fileURLToPath(new URL('../../../../.data/shop', import.meta.url));

/**
 * The PGlite folder `openShopDatabase` uses when given none: `GATEHOUSE_SHOP_DATA_DIR`, else
 * {@link defaultShopDataDir}.
 *
 * @example
 * shopDataDir({}); // '/…/.data/shop'
 */
export function shopDataDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.GATEHOUSE_SHOP_DATA_DIR || defaultShopDataDir;
}
