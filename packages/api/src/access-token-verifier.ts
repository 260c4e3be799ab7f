import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { createDPoPProofVerifier, type DPoPRequest } from './dpop-proof.js';
import { ApiError, type ApiErrorCode } from './errors.js';
import { discoverIssuer } from './lib/discovery.js';
import { type AccessTokenVerifierOptions, resolveVerifierOptions, type VerifierConfig } from './options.js';

/** The claims of a verified access token: `iss`, `sub` and `exp` are always there. */
export interface AccessTokenClaims extends JWTPayload {
  readonly iss: string;
  readonly sub: string;
  readonly exp: number;
}

/** A token that passed every check. */
export interface VerifiedAccessToken {
  readonly header: JWSHeaderParameters;
  readonly claims: AccessTokenClaims;
}

/** Verifies bearer access tokens of one issuer for one service. */
export interface AccessTokenVerifier {
  readonly config: VerifierConfig;
  /**
   * Resolves with the verified token, or rejects with an {@link ApiError} (`GH_API_TOKEN_*`, or
   * `GH_API_ISSUER_UNAVAILABLE` when the issuer's keys cannot be had): never with anything else.
   */
  verify(token: unknown, options?: VerifyOptions): Promise<VerifiedAccessToken>;
  /** The DPoP nonce clients must put in their proofs now (`dpopNonce`), else `undefined`. */
  currentDPoPNonce(): string | undefined;
}

/** Per-call options of {@link AccessTokenVerifier.verify}. */
export interface VerifyOptions {
  /** Audiences accepted for this call besides the configured ones (a route's `config.audiences`). */
  readonly audiences?: readonly string[];
  /**
   * The `Authorization` scheme the token came with. `DPoP` needs `dpop` and a token bound by `cnf.jkt`;
   * `Bearer` (the default) refuses a bound token (a DPoP-bound token replayed as a bearer token).
   */
  readonly scheme?: 'Bearer' | 'DPoP';
  /** The DPoP proof and the request it must name (with `scheme: 'DPoP'`). */
  readonly dpop?: DPoPRequest;
}

/** The JWK thumbprint a token is bound to (`cnf.jkt`, RFC 9449 §6.1), if any. */
function boundKey(claims: JWTPayload): string | undefined {
  const cnf = claims.cnf as Record<string, unknown> | undefined;
  if (cnf === undefined) return undefined;
  if (typeof cnf !== 'object' || cnf === null)
    throw refuse('GH_API_TOKEN_CLAIM_INVALID', 'claim "cnf" malformed');
  if (!Object.hasOwn(cnf, 'jkt')) return undefined;
  if (typeof cnf.jkt !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(cnf.jkt))
    throw refuse('GH_API_TOKEN_CLAIM_INVALID', 'claim "cnf.jkt" malformed');
  return cnf.jkt;
}

/** Header parameters that carry or point at key material: never trusted, so a token holding one is refused. */
const KEY_HEADERS = ['jku', 'jwk', 'x5u', 'x5c'] as const;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** `kid`: base64(url) and the usual separators, at most 128 characters, no `..`: it is only ever compared. */
const KID = /^[A-Za-z0-9._~+/=:-]{1,128}$/;
/** Claims only ID tokens (`nonce`, `at_hash`, `c_hash`, `s_hash`, `auth_time`+`nonce`) or logout tokens carry. */
const NOT_ACCESS_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash', 's_hash', 'events'] as const;

const refuse = (code: ApiErrorCode, message: string, cause?: unknown) =>
  new ApiError(code, message, { cause });

function mediaType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** Maps what jose throws to our codes; anything unexpected becomes a generic invalid-token error. */
function fromJose(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof errors.JWTExpired) return refuse('GH_API_TOKEN_EXPIRED', 'token expired', error);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return refuse('GH_API_TOKEN_NOT_YET_VALID', 'token not yet valid', error);
    if (error.claim === 'typ') return refuse('GH_API_TOKEN_TYPE_REFUSED', 'not an access token (typ)', error);
    return refuse('GH_API_TOKEN_CLAIM_INVALID', `claim "${error.claim}" invalid: ${error.reason}`, error);
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return refuse('GH_API_TOKEN_ALG_REFUSED', 'algorithm refused', error);
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return refuse('GH_API_TOKEN_SIGNATURE_INVALID', 'signature invalid', error);
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return refuse('GH_API_TOKEN_KEY_UNKNOWN', 'no single issuer key matches the token', error);
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported ||
    error instanceof errors.JWKInvalid
  ) {
    return refuse('GH_API_TOKEN_MALFORMED', 'token malformed', error);
  }
  return refuse('GH_API_TOKEN_SIGNATURE_INVALID', 'token could not be verified', error);
}

/**
 * The issuer's keys: found by discovery (or `jwksUri`), cached by jose's remote JWK set (an unknown `kid`
 * refetches at most once per `jwksCooldownMs`, concurrent refetches coalesce). When the issuer cannot be
 * reached, requests fail fast for `issuerRetryMs` and the last keys fetched keep serving.
 */
function issuerKeys(config: VerifierConfig): JWTVerifyGetKey {
  let remote: ReturnType<typeof createRemoteJWKSet> | undefined;
  let pending: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  let failedUntil = 0;
  let lastFailure: unknown;

  const unavailable = (cause: unknown) =>
    new ApiError('GH_API_ISSUER_UNAVAILABLE', `keys of ${config.issuer} unavailable`, { cause });

  const keySet = async () => {
    if (remote) return remote;
    pending ??= (async () => {
      const jwksUri = config.jwksUri ?? (await discoverIssuer(config.issuer, config.httpTimeoutMs)).jwksUri;
      return createRemoteJWKSet(new URL(jwksUri), {
        cooldownDuration: config.jwksCooldownMs,
        cacheMaxAge: config.jwksCacheMaxAgeMs,
        timeoutDuration: config.httpTimeoutMs,
      });
    })().finally(() => {
      pending = undefined;
    });
    remote = await pending;
    return remote;
  };

  const lastKnown = (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    const jwks = remote?.jwks();
    if (!jwks) throw unavailable(lastFailure);
    return createLocalJWKSet(jwks)(header, token);
  };

  return async (header, token) => {
    if (Date.now() < failedUntil) return lastKnown(header, token);
    try {
      return await (await keySet())(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw error;
      failedUntil = Date.now() + config.issuerRetryMs;
      lastFailure = error;
      if (remote?.jwks()) return lastKnown(header, token);
      throw error instanceof ApiError ? error : unavailable(error);
    }
  };
}

function checkHeader(header: JWSHeaderParameters, config: VerifierConfig): void {
  if (typeof header.alg !== 'string' || !(config.algorithms as readonly string[]).includes(header.alg)) {
    // Never stringify header values: JSON like {"toString": 1} makes String() throw.
    const shown =
      typeof header.alg === 'string'
        ? header.alg.replace(/[^\x21-\x7e]/g, '?').slice(0, 16)
        : typeof header.alg;
    throw refuse('GH_API_TOKEN_ALG_REFUSED', `algorithm ${shown} refused`);
  }
  for (const name of KEY_HEADERS) {
    if (Object.hasOwn(header, name)) throw refuse('GH_API_TOKEN_HEADER_REFUSED', `header "${name}" refused`);
  }
  if (
    header.kid !== undefined &&
    (typeof header.kid !== 'string' || !KID.test(header.kid) || header.kid.includes('..'))
  ) {
    throw refuse('GH_API_TOKEN_HEADER_REFUSED', 'header "kid" malformed');
  }
  const typ = header.typ;
  if (typ === undefined) {
    if (config.requireAccessTokenType) throw refuse('GH_API_TOKEN_TYPE_REFUSED', 'no typ: at+jwt required');
    return;
  }
  if (typeof typ !== 'string') throw refuse('GH_API_TOKEN_TYPE_REFUSED', 'typ malformed');
  const type = mediaType(typ);
  if (type === 'at+jwt') return;
  if (type === 'jwt' && !config.requireAccessTokenType) return;
  throw refuse('GH_API_TOKEN_TYPE_REFUSED', 'not an access token (typ)');
}

function checkClaims(claims: JWTPayload, config: VerifierConfig): asserts claims is AccessTokenClaims {
  for (const name of NOT_ACCESS_TOKEN_CLAIMS) {
    if (Object.hasOwn(claims, name)) {
      throw refuse('GH_API_TOKEN_TYPE_REFUSED', `not an access token (has "${name}": an ID or logout token)`);
    }
  }
  if (Array.isArray(claims.aud) && claims.aud.length > 1 && !config.allowMultipleAudiences) {
    throw refuse('GH_API_TOKEN_CLAIM_INVALID', 'claim "aud" names more than one audience');
  }
  if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > 255) {
    throw refuse('GH_API_TOKEN_CLAIM_INVALID', 'claim "sub" missing or malformed');
  }
}

/**
 * Creates the verifier of a service's bearer access tokens (RFC 9068 profile, RFC 8725 practices):
 * compact JWS only; algorithm from the allow-list (never `none` or `HS*`); no `jku`/`jwk`/`x5u`/`x5c` header;
 * a sane `kid`; `typ` `at+jwt` (or, unless `requireAccessTokenType`, `JWT`/none) and no ID- or logout-token
 * claims; signature by the issuer's keys; `iss` exact; `aud` one of the configured audiences (alone unless
 * `allowMultipleAudiences`); `exp` required and `nbf` honoured with `clockTolerance`; `sub` present. A token
 * bound to a key (`cnf.jkt`) is accepted only with the `DPoP` scheme and a valid proof of that key (RFC 9449).
 *
 * @example
 * const verifier = createAccessTokenVerifier({ issuer: 'http://localhost:4001', audience: 'urn:gatehouse:shop' });
 * const { claims } = await verifier.verify(token); // or throws ApiError GH_API_TOKEN_*
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const config = resolveVerifierOptions(options);
  const keys = issuerKeys(config);
  const proofs = createDPoPProofVerifier(config);
  const verifyOptions = {
    issuer: config.issuer,
    audience: [...config.audiences],
    algorithms: [...config.algorithms],
    clockTolerance: config.clockTolerance,
    requiredClaims: ['exp', 'sub'],
    ...(config.maxTokenAge === undefined ? {} : { maxTokenAge: config.maxTokenAge }),
  };

  async function verify(token: unknown, options?: VerifyOptions): Promise<VerifiedAccessToken> {
    try {
      const verified = await verifyToken(token, options?.audiences);
      await checkBinding(token as string, verified.claims, options);
      return verified;
    } catch (error) {
      // Whatever slipped through (a bug, a surprise from a dependency) still leaves as a coded 401.
      throw error instanceof ApiError ? error : refuse('GH_API_TOKEN_MALFORMED', 'token refused', error);
    }
  }

  async function verifyToken(
    token: unknown,
    audiences: readonly string[] | undefined,
  ): Promise<VerifiedAccessToken> {
    if (typeof token !== 'string' || token.length === 0) throw refuse('GH_API_TOKEN_MISSING', 'no token');
    if (token.length > config.maxTokenLength) throw refuse('GH_API_TOKEN_MALFORMED', 'token too long');
    if (!COMPACT_JWS.test(token)) throw refuse('GH_API_TOKEN_MALFORMED', 'not a compact JWS');
    let header: JWSHeaderParameters;
    try {
      header = decodeProtectedHeader(token) as JWSHeaderParameters;
    } catch (error) {
      throw refuse('GH_API_TOKEN_MALFORMED', 'header unreadable', error);
    }
    checkHeader(header, config);
    try {
      const { payload, protectedHeader } = await jwtVerify(
        token,
        keys,
        audiences === undefined || audiences.length === 0
          ? verifyOptions
          : { ...verifyOptions, audience: [...verifyOptions.audience, ...audiences] },
      );
      checkClaims(payload, config);
      return Object.freeze({ header: protectedHeader, claims: payload });
    } catch (error) {
      throw fromJose(error);
    }
  }

  async function checkBinding(token: string, claims: JWTPayload, options?: VerifyOptions): Promise<void> {
    const jkt = boundKey(claims);
    if (options?.scheme !== 'DPoP') {
      if (jkt !== undefined) throw refuse('GH_API_DPOP_BOUND', 'a DPoP-bound token sent as a bearer token');
      return;
    }
    if (jkt === undefined) throw refuse('GH_API_DPOP_UNBOUND', 'DPoP scheme with a token not bound to a key');
    if (!options.dpop) throw refuse('GH_API_DPOP_PROOF_INVALID', 'no DPoP proof');
    await proofs.verify(options.dpop, token, jkt);
  }

  return Object.freeze({ config, verify, currentDPoPNonce: proofs.currentNonce });
}
