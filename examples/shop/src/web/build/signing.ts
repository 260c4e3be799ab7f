import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the shop's manifest signing key lives: `<repo>/.data/shop-keys` (git-ignored), from
 * `examples/shop/{src,dist}/web/build/`. `GATEHOUSE_SHOP_KEY_DIR` points elsewhere.
 */
export const defaultShopKeyDir = fileURLToPath(new URL('../../../../../.data/shop-keys', import.meta.url));

/** The Ed25519 key pair that signs `web/dist/shop-manifest.json`. */
export interface ShopSigningKey {
  /** `manifest.key.pem`: PKCS#8, mode 0600; stays with the build, never with the BFF. */
  readonly privateKey: string;
  /** `manifest.pub.pem`: SPKI; the BFF's `manifest.publicKey`. */
  readonly publicKey: string;
}

/** The key files in `dir` (default `GATEHOUSE_SHOP_KEY_DIR` or {@link defaultShopKeyDir}); they may not exist yet. */
export function shopSigningKey(dir?: string): ShopSigningKey {
  const folder = dir ?? (process.env.GATEHOUSE_SHOP_KEY_DIR || defaultShopKeyDir);
  return { privateKey: join(folder, 'manifest.key.pem'), publicKey: join(folder, 'manifest.pub.pem') };
}

/**
 * The signing key, generated on first use: a fresh clone gets its own key at its first build, so nothing
 * secret is ever committed. A public key without its private half is an error (someone removed one file).
 *
 * @example
 * const key = ensureShopSigningKey(); // .data/shop-keys/manifest.{key,pub}.pem
 */
export function ensureShopSigningKey(dir?: string): ShopSigningKey {
  const key = shopSigningKey(dir);
  if (existsSync(key.privateKey)) {
    if (!existsSync(key.publicKey)) {
      const publicKey = createPublicKey(createPrivateKey(readFileSync(key.privateKey, 'utf8')));
      writeFileSync(key.publicKey, publicKey.export({ type: 'spki', format: 'pem' }));
    }
    return key;
  }
  if (existsSync(key.publicKey))
    throw new Error(`${key.publicKey} has no private key beside it: remove it to make a new key pair`);
  mkdirSync(join(key.privateKey, '..'), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(key.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(key.publicKey, publicKey.export({ type: 'spki', format: 'pem' }));
  return key;
}

/**
 * Signs a manifest's exact bytes with Ed25519 into `<file>.sig` (base64), as `gatehouse manifest sign` does
 * and the BFF's `manifest` option checks. Leaves a signature that already verifies alone. `true` when it
 * wrote one.
 *
 * @example
 * signShopManifest('web/dist/shop-manifest.json', ensureShopSigningKey());
 */
export function signShopManifest(file: string, key: ShopSigningKey): boolean {
  const bytes = readFileSync(file);
  const sigFile = `${file}.sig`;
  if (existsSync(sigFile)) {
    const current = Buffer.from(readFileSync(sigFile, 'utf8').trim(), 'base64');
    const publicKey = createPublicKey(readFileSync(key.publicKey, 'utf8'));
    if (current.length === 64 && verify(null, bytes, publicKey, current)) return false;
  }
  const privateKey = createPrivateKey(readFileSync(key.privateKey, 'utf8'));
  writeFileSync(sigFile, `${sign(null, bytes, privateKey).toString('base64')}\n`);
  return true;
}
