import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type CryptoKey, calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import type { BffConfig } from './config.js';
import { BffError } from './errors.js';

/** The BFF's own signing key for `private_key_jwt` client authentication, and what it publishes of it. */
export interface ClientKey {
  readonly privateKey: CryptoKey;
  /** The JWS algorithm its assertions are signed with (from the JWK's `alg`, else from the key type). */
  readonly alg: string;
  readonly kid: string;
  /** The public half as a JWK with `kid`, `alg` and `use: "sig"`: what `GET /auth/jwks` serves. */
  readonly publicJwk: JWK;
}

// The algorithm a key of each type signs with when its JWK does not say (RFC 7518, RFC 8037).
export const ALGORITHM_OF: Readonly<Record<string, string>> = {
  RSA: 'RS256',
  'EC:P-256': 'ES256',
  'EC:P-384': 'ES384',
  'EC:P-521': 'ES512',
  'OKP:Ed25519': 'EdDSA',
};

function invalid(message: string, cause?: unknown, option = 'clientKey'): BffError {
  return new BffError('GH_BFF_CONFIG_INVALID', `${option}: ${message}`, {
    status: 500,
    problem: 'internal',
    cause,
  });
}

/**
 * The configured key as a private JWK: a JWK as it is, a PEM (PKCS#8 or PKCS#1/SEC1) through Node's crypto.
 * Errors name `option` (`clientKey`, `dpopKey`).
 */
export async function readPrivateJwk(
  config: NonNullable<BffConfig['clientKey']>,
  option = 'clientKey',
): Promise<JWK> {
  const text =
    config.jwk ??
    (await readFile(config.file as string, 'utf8').catch((error: unknown) => {
      throw invalid(`cannot read ${config.file}`, error, option);
    }));
  if (text.trimStart().startsWith('-----BEGIN')) {
    try {
      return createPrivateKey(text).export({ format: 'jwk' }) as JWK;
    } catch (error) {
      throw invalid('the PEM is not a private key', error, option);
    }
  }
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch (error) {
    throw invalid('neither a PEM private key nor a JWK', error, option);
  }
  if (typeof jwk !== 'object' || jwk === null) throw invalid('the JWK is not an object', undefined, option);
  return jwk as JWK;
}

/**
 * Loads the `private_key_jwt` key of the configuration (a PEM or a private JWK, from a file or inline), or
 * `undefined` when none is configured. A public key, a symmetric key or a key of an unknown type
 * is refused with `GH_BFF_CONFIG_INVALID`: the BFF signs its client assertions with an asymmetric key only.
 *
 * @example
 * const key = await loadClientKey(config); // { alg: 'ES256', kid: 'NzbLs…', publicJwk: { kty: 'EC', … } }
 */
export async function loadClientKey(config: BffConfig): Promise<ClientKey | undefined> {
  if (!config.clientKey) return undefined;
  const jwk = await readPrivateJwk(config.clientKey);
  if (!jwk.d) throw invalid('the key is not a private key');
  const alg = jwk.alg ?? ALGORITHM_OF[jwk.crv ? `${jwk.kty}:${jwk.crv}` : (jwk.kty ?? '')];
  if (!alg || !/^(?:(?:RS|PS|ES)(?:256|384|512)|EdDSA)$/.test(alg))
    throw invalid(`a ${jwk.kty ?? 'key of no type'} cannot sign client assertions (RSA, EC or Ed25519 only)`);
  const privateKey = await importJWK({ ...jwk, alg }, alg).catch((error: unknown) => {
    throw invalid('the key does not import', error);
  });
  if (privateKey instanceof Uint8Array) throw invalid('a symmetric key cannot sign client assertions');
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...publicPart } = jwk;
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicPart));
  return Object.freeze({
    privateKey,
    alg,
    kid,
    publicJwk: Object.freeze({ ...publicPart, kid, alg, use: 'sig' }),
  });
}
