import { createHash, randomBytes } from 'node:crypto';
import {
  base64url,
  type CryptoKey,
  calculateJwkThumbprint,
  EmbeddedJWK,
  errors,
  type FlattenedJWSInput,
  type JWK,
  type JWSHeaderParameters,
  jwtVerify,
} from 'jose';
import { LRUCache } from 'lru-cache';
import { ApiError, type ApiErrorCode } from './errors.js';
import { supportedAlgorithms, type VerifierConfig } from './options.js';

/** What a request says about its DPoP proof (RFC 9449): the `DPoP` header and what the proof must name. */
export interface DPoPRequest {
  /** The `DPoP` header value: one compact JWS. */
  readonly proof: unknown;
  /** The request method (`htm`). */
  readonly method: string;
  /** The request URL as the client addressed it; query and fragment are ignored (`htu`). */
  readonly url: string;
}

/** Checks DPoP proofs against an access token bound by `cnf.jkt`, and keeps the replay cache and the nonce. */
export interface DPoPProofVerifier {
  verify(request: DPoPRequest, accessToken: string, jkt: string): Promise<void>;
  /** The nonce clients must send now, when `dpopNonce` is on; else `undefined`. */
  currentNonce(): string | undefined;
}

const refuse = (code: ApiErrorCode, message: string, cause?: unknown) =>
  new ApiError(code, message, { cause });
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_PROOF_LENGTH = 8192;
/** Distinct proof headers (one per client key, in practice) whose imported key and thumbprint are kept. */
const KEY_CACHE_ENTRIES = 1_000;
/** … and at most this many characters of them in all (a header is at most {@link MAX_PROOF_LENGTH}). */
const KEY_CACHE_CHARACTERS = 1_000_000;

/** A proof key as jose's `EmbeddedJWK` imported it, with its RFC 7638 thumbprint. */
interface ProofKey {
  readonly key: CryptoKey;
  readonly thumbprint: string;
}

/**
 * The public key of a proof's `jwk` header, imported by jose's `EmbeddedJWK` (which refuses a private key, a
 * `use` other than `sig` and an `alg` other than the header's) and its thumbprint, both remembered by the
 * proof's encoded protected header: a client signs every proof with one key, so its header (`alg`, `typ`,
 * `jwk`) is the same bytes every time, and importing the key and hashing it again per request was most of the
 * verifier's CPU. The cache holds only what `EmbeddedJWK` accepted, under the exact bytes it accepted: a header
 * that differs in anything (another key, a private key, another `alg`) is another entry, imported and checked
 * afresh. The signature is still verified for every proof, with the key of its own header.
 */
function proofKeys() {
  const cache = new LRUCache<string, ProofKey>({
    max: KEY_CACHE_ENTRIES,
    maxSize: KEY_CACHE_CHARACTERS,
    sizeCalculation: (_key, header) => header.length,
  });
  return async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<ProofKey> => {
    const encoded = token.protected;
    const cached = encoded === undefined ? undefined : cache.get(encoded);
    if (cached) return cached;
    const key = (await EmbeddedJWK(header, token)) as CryptoKey;
    const entry = { key, thumbprint: await calculateJwkThumbprint(header.jwk as JWK, 'sha256') };
    if (encoded !== undefined) cache.set(encoded, entry);
    return entry;
  };
}

/** The URL without query and fragment, normalised by WHATWG URL (scheme and host lower case, default port dropped). */
function targetUri(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    parsed.search = '';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return undefined;
  }
}

/** base64url(SHA-256(token)): the `ath` a proof for this token must carry. */
export function accessTokenHash(token: string): string {
  return base64url.encode(createHash('sha256').update(token).digest());
}

/** A server nonce that changes every `windowSeconds`; the previous one stays valid for one more window. */
function nonces(windowSeconds: number) {
  let current = randomBytes(16).toString('base64url');
  let previous = current;
  let rotatesAt = Date.now() + windowSeconds * 1000;
  const rotate = () => {
    if (Date.now() < rotatesAt) return;
    previous = current;
    current = randomBytes(16).toString('base64url');
    rotatesAt = Date.now() + windowSeconds * 1000;
  };
  return {
    current: () => {
      rotate();
      return current;
    },
    accepts: (nonce: unknown) => {
      rotate();
      return typeof nonce === 'string' && (nonce === current || nonce === previous);
    },
  };
}

function fromJose(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof errors.JOSEAlgNotAllowed)
    return refuse('GH_API_DPOP_PROOF_INVALID', 'proof algorithm refused', error);
  if (error instanceof errors.JWTClaimValidationFailed)
    return refuse('GH_API_DPOP_PROOF_INVALID', `proof claim "${error.claim}" invalid`, error);
  return refuse('GH_API_DPOP_PROOF_INVALID', 'proof could not be verified', error);
}

/**
 * Creates the DPoP proof checks of a service (RFC 9449 §4.3): one compact JWS of `typ` `dpop+jwt`, signed with
 * an asymmetric algorithm (`supportedAlgorithms`) by the public key in its `jwk` header (jose's `EmbeddedJWK`,
 * which refuses a private key; the imported key and its thumbprint are remembered per distinct header, see
 * `proofKeys`); `htm` the request method; `htu` the request URL without query and fragment; `iat` within
 * `dpopWindowSeconds` of now either way; `jti` never seen before for that key within the window; `ath` the
 * access token's SHA-256; the key's thumbprint equal to the token's `cnf.jkt`; and, when `dpopNonce` is on,
 * `nonce` the server's current (or previous) nonce.
 *
 * @example
 * const proofs = createDPoPProofVerifier(config);
 * await proofs.verify({ proof: request.headers.dpop, method: 'GET', url: 'https://api.example.com/orders' }, token, jkt);
 */
export function createDPoPProofVerifier(config: VerifierConfig): DPoPProofVerifier {
  const window = config.dpopWindowSeconds;
  const seen = new LRUCache<string, true>({ max: config.dpopReplayCacheSize, ttl: 2 * window * 1000 });
  const nonce = config.dpopNonce ? nonces(window) : undefined;
  const keyOf = proofKeys();

  async function verify(request: DPoPRequest, accessToken: string, jkt: string): Promise<void> {
    const { proof } = request;
    if (typeof proof !== 'string' || proof.length === 0)
      throw refuse('GH_API_DPOP_PROOF_INVALID', 'no DPoP proof');
    if (proof.length > MAX_PROOF_LENGTH || !COMPACT_JWS.test(proof))
      throw refuse('GH_API_DPOP_PROOF_INVALID', 'DPoP proof is not one compact JWS');
    let verified: Awaited<ReturnType<typeof jwtVerify>>;
    let thumbprint: string | undefined;
    try {
      verified = await jwtVerify(
        proof,
        async (header, token) => {
          const found = await keyOf(header, token);
          thumbprint = found.thumbprint;
          return found.key;
        },
        {
          typ: 'dpop+jwt',
          algorithms: [...supportedAlgorithms],
          requiredClaims: ['iat', 'jti', 'htm', 'htu'],
        },
      );
    } catch (error) {
      throw fromJose(error);
    }
    const { payload, protectedHeader } = verified;
    if (protectedHeader.typ !== 'dpop+jwt') throw refuse('GH_API_DPOP_PROOF_INVALID', 'proof typ refused');
    if (thumbprint === undefined || thumbprint !== jkt)
      throw refuse('GH_API_DPOP_PROOF_INVALID', 'proof key is not the token key (cnf.jkt)');
    if (payload.htm !== request.method)
      throw refuse('GH_API_DPOP_PROOF_INVALID', 'proof htm is not the method');
    const htu = typeof payload.htu === 'string' ? targetUri(payload.htu) : undefined;
    if (htu === undefined || htu !== targetUri(request.url))
      throw refuse('GH_API_DPOP_PROOF_INVALID', 'proof htu is not the request URL');
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > window)
      throw refuse('GH_API_DPOP_PROOF_INVALID', 'proof iat outside the window');
    if (payload.ath !== accessTokenHash(accessToken))
      throw refuse('GH_API_DPOP_PROOF_INVALID', 'proof ath is not the access token hash');
    if (nonce && !nonce.accepts(payload.nonce))
      throw refuse('GH_API_DPOP_NONCE_REQUIRED', 'proof nonce required');
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256)
      throw refuse('GH_API_DPOP_PROOF_INVALID', 'proof jti malformed');
    // Last, so that a refused proof does not burn its jti; keyed by the key so one client cannot block another.
    const key = `${thumbprint}:${payload.jti}`;
    if (seen.has(key)) throw refuse('GH_API_DPOP_PROOF_INVALID', 'proof jti replayed');
    seen.set(key, true);
  }

  return Object.freeze({ verify, currentNonce: () => nonce?.current() });
}
