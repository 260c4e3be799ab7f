import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSignedManifest } from '@gatehouse/bff';
import { CliError } from './errors.js';

/**
 * Writes a new Ed25519 key pair for signing remote manifests: `manifest.key.pem` (private, mode 0600: keep it
 * with the build, never with the BFF) and `manifest.pub.pem` (public: the BFF's `manifest.publicKey`).
 *
 * @example
 * keygen('keys') // ['keys/manifest.key.pem', 'keys/manifest.pub.pem']
 */
export function keygen(dir: string): [string, string] {
  const privatePath = join(dir, 'manifest.key.pem');
  const publicPath = join(dir, 'manifest.pub.pem');
  if (existsSync(privatePath))
    throw new CliError(`${privatePath} exists already; refusing to overwrite a signing key`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return [privatePath, publicPath];
}

/**
 * Signs a manifest file's exact bytes with an Ed25519 private key and writes `<file>.sig` (base64).
 *
 * @example
 * signManifest('dist/manifest.json', 'keys/manifest.key.pem')
 */
export function signManifest(file: string, keyPath: string): string {
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(readFileSync(keyPath, 'utf8'));
  } catch (error) {
    throw new CliError(`Cannot read the private key ${keyPath}: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new CliError(`${keyPath} is not an Ed25519 private key`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
    JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new CliError(`Cannot read the manifest ${file}: ${(error as Error).message}`);
  }
  const out = `${file}.sig`;
  writeFileSync(out, `${sign(null, bytes, key).toString('base64')}\n`);
  return out;
}

/** Checks a manifest's signature as the BFF does; throws a CliError naming the problem. */
export function verifyManifest(file: string, publicKey: string): void {
  try {
    readSignedManifest({ file, publicKey });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
