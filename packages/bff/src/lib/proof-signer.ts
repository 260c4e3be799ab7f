import {
  constants,
  createHash,
  KeyObject,
  randomUUID,
  type SignKeyObjectInput,
  type SignPrivateKeyInput,
  sign,
} from 'node:crypto';
import type { CryptoKey, JWK } from 'jose';
import { LRUCache } from 'lru-cache';

/** The protected header every proof of one key carries: it never changes, so it is encoded once. */
export interface ProofHeader {
  readonly alg: string;
  readonly typ: 'dpop+jwt';
  readonly jwk: JWK;
}

/** Signs one DPoP proof (RFC 9449 §4.2) for a request: see {@link createProofSigner}. */
export type ProofSigner = (method: string, url: string, accessToken: string, nonce?: string) => string;

/** Distinct access tokens whose `ath` is remembered: a token is used for many requests until it is refreshed. */
const ATH_CACHE_SIZE = 1_000;

/** node:crypto's digest and key options for a JWS algorithm (RFC 7518 §3.3–3.5, RFC 8037 §3.1). */
function signingOf(alg: string, key: KeyObject): { digest: string | null; key: SignKeyObjectInput } {
  if (alg === 'EdDSA') return { digest: null, key: { key } };
  const bits = Number(alg.slice(2));
  const digest = `sha${bits}`;
  // JWS carries an ECDSA signature as R || S (IEEE P1363), not DER.
  if (alg.startsWith('ES')) return { digest, key: { key, dsaEncoding: 'ieee-p1363' } };
  if (alg.startsWith('PS'))
    return { digest, key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 } };
  return { digest, key: { key, padding: constants.RSA_PKCS1_PADDING } };
}

/**
 * A DPoP proof signer for one key: a compact JWS whose protected header (`alg`, `typ` `dpop+jwt`, the public
 * `jwk`) is encoded once, with the claims `htm`, `htu`, `ath` = base64url(SHA-256(access token)), `nonce` when
 * given, `iat` and a random `jti`, signed synchronously by node:crypto (OpenSSL) with the key as a `KeyObject`.
 *
 * Why not jose's `SignJWT`, which signs everything else here: it goes through WebCrypto, whose every call is a
 * promise, an algorithm normalisation and a job on libuv's thread pool, and it serialises the same header again
 * for every proof. A proof is signed for every proxied request, so that overhead was most of DPoP's cost in the
 * proxy (bench/results.md). The signature itself is node:crypto's; this file only lays out the three parts.
 *
 * @example
 * const sign = createProofSigner(privateKey, { alg: 'ES256', typ: 'dpop+jwt', jwk: publicJwk });
 * sign('GET', 'https://orders.internal/orders/1', accessToken); // 'eyJhbGciOiJFUzI1NiIs…'
 */
export function createProofSigner(privateKey: CryptoKey, header: ProofHeader): ProofSigner {
  const signing = signingOf(header.alg, KeyObject.from(privateKey));
  const digest = signing.digest;
  const key: SignPrivateKeyInput | SignKeyObjectInput = signing.key;
  const encodedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  // The same token goes with every request of a session until it is refreshed: hash it once.
  const ath = new LRUCache<string, string>({ max: ATH_CACHE_SIZE });
  const hashOf = (token: string): string => {
    let hash = ath.get(token);
    if (hash === undefined) {
      hash = createHash('sha256').update(token).digest('base64url');
      ath.set(token, hash);
    }
    return hash;
  };

  return (method, url, accessToken, nonce) => {
    const claims = {
      htm: method,
      htu: url,
      ath: hashOf(accessToken),
      ...(nonce === undefined ? {} : { nonce }),
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
    };
    const input = `${encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${sign(digest, Buffer.from(input), key).toString('base64url')}`;
  };
}
