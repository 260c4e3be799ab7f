import type { ProblemCode } from '@gatehouse/policy';

export type { ProblemCode };

/** Stable error codes of `@gatehouse/bff` (each documented in the README; a test checks it). */
export type BffErrorCode =
  | 'GH_BFF_CONFIG_INVALID'
  | 'GH_BFF_STORE_UNAVAILABLE'
  | 'GH_BFF_ISSUER_UNAVAILABLE'
  | 'GH_BFF_REFRESH_FAILED'
  | 'GH_BFF_REFRESH_TIMEOUT'
  | 'GH_BFF_LOGOUT_TOKEN_INVALID'
  | 'GH_BFF_MANIFEST_INVALID'
  | 'GH_BFF_LOGIN_OPTION_REFUSED'
  | 'GH_BFF_NATIVE_REDIRECT_REFUSED'
  | 'GH_BFF_NATIVE_CODE_REFUSED'
  | 'GH_BFF_SET_REFUSED';

/**
 * The base error of `@gatehouse/bff`: a stable `code`, the HTTP status and problem code it maps to on the
 * wire, and the lower-layer `cause` kept for logs (never sent to the client).
 */
export class BffError extends Error {
  override readonly name = 'BffError';
  readonly code: BffErrorCode;
  readonly status: number;
  readonly problem: ProblemCode;

  constructor(
    code: BffErrorCode,
    message: string,
    options: { status: number; problem: ProblemCode; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.problem = options.problem;
  }
}

/** The session store (memory or Redis) cannot answer: requests fail closed with 503 `store_unavailable`. */
export class StoreUnavailableError extends BffError {
  constructor(message: string, cause?: unknown) {
    super('GH_BFF_STORE_UNAVAILABLE', message, { status: 503, problem: 'store_unavailable', cause });
  }
}

/** Every {@link BffErrorCode}, for documentation checks and exhaustive handling. */
export const bffErrorCodes: readonly BffErrorCode[] = Object.freeze([
  'GH_BFF_CONFIG_INVALID',
  'GH_BFF_STORE_UNAVAILABLE',
  'GH_BFF_ISSUER_UNAVAILABLE',
  'GH_BFF_REFRESH_FAILED',
  'GH_BFF_REFRESH_TIMEOUT',
  'GH_BFF_LOGOUT_TOKEN_INVALID',
  'GH_BFF_MANIFEST_INVALID',
  'GH_BFF_LOGIN_OPTION_REFUSED',
  'GH_BFF_NATIVE_REDIRECT_REFUSED',
  'GH_BFF_NATIVE_CODE_REFUSED',
  'GH_BFF_SET_REFUSED',
]);
