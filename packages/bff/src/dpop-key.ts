import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { ALGORITHM_OF, readPrivateJwk } from './client-key.js';
import type { BffConfig } from './config.js';
import { BffError } from './errors.js';
import { createProofSigner } from './lib/proof-signer.js';

/** A private key and its public half, as openid-client's `getDPoPHandle` takes them. */
export interface DPoPKeyPair {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

/** The deployment's DPoP key pair (RFC 9449) and the proofs it signs for upstream requests. */
export interface DPoPKey {
  /** For openid-client's `getDPoPHandle` (token endpoint, userinfo). */
  readonly keyPair: DPoPKeyPair;
  readonly alg: string;
  /** The public half, as every proof's `jwk` header carries it. */
  readonly publicJwk: JWK;
  /** True when no key was configured and one was generated for this process (dev only: logged as a warning). */
  readonly generated: boolean;
  /**
   * A proof for one request: `typ` `dpop+jwt`, the public `jwk`, `htm`, `htu` (no query, no fragment), `iat`,
   * a random `jti`, `ath` = base64url(SHA-256(access token)), and `nonce` when the server asked for one.
   */
  proof(method: string, url: string, accessToken: string, nonce?: string): string;
}

function invalid(message: string, cause?: unknown): BffError {
  return new BffError('GH_BFF_CONFIG_INVALID', `dpopKey: ${message}`, {
    status: 500,
    problem: 'internal',
    cause,
  });
}

/**
 * The DPoP key of the configuration, `undefined` when `dpop` is off. One key per deployment: every instance
 * must sign with the key the session's tokens are bound to. With no `dpopKey` outside production, an ES256
 * key is generated (`generated: true`); production refuses that at configuration time.
 *
 * @example
 * const key = await loadDPoPKey(config); // { alg: 'ES256', publicJwk: { kty: 'EC', crv: 'P-256', … }, … }
 * key.proof('GET', 'https://orders.internal/orders/1', accessToken); // 'eyJhbGciOiJFUzI1NiIs…'
 */
export async function loadDPoPKey(config: BffConfig): Promise<DPoPKey | undefined> {
  if (!config.dpop) return undefined;
  if (!config.dpopKey) {
    if (config.production)
      throw invalid('production with dpop needs the deployment key (GATEHOUSE_DPOP_KEY_FILE)');
    const keyPair = await generateKeyPair('ES256', { extractable: true });
    return signer(keyPair, 'ES256', await exportJWK(keyPair.publicKey), true);
  }
  const jwk = await readPrivateJwk(config.dpopKey, 'dpopKey');
  if (!jwk.d) throw invalid('the key is not a private key');
  const alg = jwk.alg ?? ALGORITHM_OF[jwk.crv ? `${jwk.kty}:${jwk.crv}` : (jwk.kty ?? '')];
  if (!alg || !/^(?:(?:RS|PS|ES)(?:256|384|512)|EdDSA)$/.test(alg))
    throw invalid(`a ${jwk.kty ?? 'key of no type'} cannot sign DPoP proofs (RSA, EC or Ed25519 only)`);
  const {
    d: _d,
    p: _p,
    q: _q,
    dp: _dp,
    dq: _dq,
    qi: _qi,
    oth: _oth,
    kid: _kid,
    use: _use,
    ...publicJwk
  } = jwk;
  const [privateKey, publicKey] = await Promise.all([
    importJWK({ ...jwk, alg }, alg),
    importJWK({ ...publicJwk, alg }, alg, { extractable: true }),
  ]).catch((error: unknown) => {
    throw invalid('the key does not import', error);
  });
  if (privateKey instanceof Uint8Array || publicKey instanceof Uint8Array)
    throw invalid('a symmetric key cannot sign DPoP proofs');
  const { alg: _alg, key_ops: _ops, ext: _ext, ...header } = publicJwk;
  return signer({ privateKey, publicKey }, alg, header, false);
}

function signer(keyPair: DPoPKeyPair, alg: string, publicJwk: JWK, generated: boolean): DPoPKey {
  const protectedHeader = Object.freeze({ alg, typ: 'dpop+jwt', jwk: Object.freeze(publicJwk) });
  const sign = createProofSigner(keyPair.privateKey, protectedHeader);
  return Object.freeze({
    keyPair,
    alg,
    publicJwk: protectedHeader.jwk,
    generated,
    proof: sign,
  });
}
