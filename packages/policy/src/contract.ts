/**
 * What CONTRACT.md fixes on the wire and every package shares: the problem+json codes and shape, how an
 * HTTP status maps to a code, and the signing algorithms Gatehouse accepts from an issuer.
 */

/** The `code` of a problem+json answer (CONTRACT.md "Errors"). */
export type ProblemCode =
  | 'unauthenticated'
  | 'session_expired'
  | 'forbidden'
  | 'csrf_failed'
  | 'not_found'
  | 'bad_request'
  | 'conflict'
  | 'upstream_unavailable'
  | 'internal';

/** Every {@link ProblemCode}. */
export const problemCodes: readonly ProblemCode[] = /* @__PURE__ */ Object.freeze([
  'unauthenticated',
  'session_expired',
  'forbidden',
  'csrf_failed',
  'not_found',
  'bad_request',
  'conflict',
  'upstream_unavailable',
  'internal',
]);

/** An RFC 9457 problem document with the contract's `code`. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail?: string;
}

/**
 * The code an answer's status stands for when its body names none: 401 `unauthenticated`, 403 `forbidden`,
 * 404 `not_found`, 409 `conflict`, another 4xx `bad_request`, 502–504 `upstream_unavailable`, else `internal`.
 *
 * @example
 * problemCodeOf(404) // 'not_found'
 */
export function problemCodeOf(status: number): ProblemCode {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status >= 400 && status < 500) return 'bad_request';
  if (status >= 502 && status <= 504) return 'upstream_unavailable';
  return 'internal';
}

/**
 * Asymmetric JWS algorithms Gatehouse accepts from an issuer (access, ID and logout tokens). `none` and the
 * HMAC algorithms never: an issuer's public key must not double as a shared secret.
 */
export const asymmetricJwsAlgorithms = /* @__PURE__ */ Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const);
