import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import { BffError } from './errors.js';

/** Where the signed remote manifest is and the key that signs it. */
export interface ManifestSource {
  /** The manifest file (JSON). */
  readonly file: string;
  /** Its detached Ed25519 signature, base64 (default `<file>.sig`). */
  readonly signature?: string;
  /** The Ed25519 public key: PEM text, or the path of a PEM file. */
  readonly publicKey: string;
}

function readKey(value: string): KeyObject {
  const pem = value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8');
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the manifest key must be an Ed25519 public key');
  return key;
}

/**
 * Reads the manifest file and checks its detached Ed25519 signature over the exact bytes; answers the parsed
 * JSON, or throws `GH_BFF_MANIFEST_INVALID` naming what is wrong.
 *
 * @example
 * const manifest = readSignedManifest({ file: 'dist/manifest.json', publicKey: 'keys/manifest.pub.pem' });
 */
export function readSignedManifest(source: ManifestSource): unknown {
  try {
    const key = readKey(source.publicKey);
    const bytes = readFileSync(source.file);
    const signature = Buffer.from(
      readFileSync(source.signature ?? `${source.file}.sig`, 'utf8').trim(),
      'base64',
    );
    if (signature.length !== 64 || !verify(null, bytes, key, signature))
      throw new Error('the signature does not match');
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (error) {
    throw new BffError(
      'GH_BFF_MANIFEST_INVALID',
      `The remote manifest ${source.file} is not valid: ${(error as Error).message}`,
      {
        status: 500,
        problem: 'internal',
        cause: error,
      },
    );
  }
}

/**
 * The signed remote manifest the BFF hands to the shell page: checked at start-up (an invalid one stops the
 * start) and again whenever the file or its signature changes. A manifest that stops verifying — swapped,
 * tampered, signed with another key — fails closed: pages then get no manifest at all (so no remote loads)
 * until a valid one is in place again.
 */
export class SignedManifest {
  readonly #source: ManifestSource;
  readonly #log: Logger;
  #current: unknown;
  #watching = false;

  constructor(source: ManifestSource, log: Logger) {
    this.#source = source;
    this.#log = log;
    this.#current = readSignedManifest(source);
  }

  /** The last manifest that verified, or `undefined` after a change that did not. */
  current(): unknown {
    return this.#current;
  }

  /** Reads and checks the files again. `true` when the manifest verifies. */
  reload(): boolean {
    try {
      this.#current = readSignedManifest(this.#source);
      this.#log.info({ event: 'manifest_loaded', file: this.#source.file }, 'remote manifest verified');
      return true;
    } catch (error) {
      this.#current = undefined;
      this.#log.error(
        { event: 'manifest_invalid', file: this.#source.file, reason: (error as Error).message },
        'remote manifest refused',
      );
      return false;
    }
  }

  /** Re-checks when either file changes (polling, so it works on every file system). */
  watch(intervalMs = 1000): void {
    if (this.#watching) return;
    this.#watching = true;
    const onChange = () => this.reload();
    watchFile(this.#source.file, { interval: intervalMs, persistent: false }, onChange);
    watchFile(
      this.#source.signature ?? `${this.#source.file}.sig`,
      { interval: intervalMs, persistent: false },
      onChange,
    );
  }

  close(): void {
    if (!this.#watching) return;
    unwatchFile(this.#source.file);
    unwatchFile(this.#source.signature ?? `${this.#source.file}.sig`);
    this.#watching = false;
  }
}
