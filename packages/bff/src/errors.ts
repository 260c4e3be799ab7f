import type { ProblemCode } from '@gatehouse/policy';

export type { ProblemCode };

/** Stable error codes of `@gatehouse/bff` (each documented in the README; a test checks it). */
export type BffErrorCode =
  | 'GH_BFF_CONFIG_INVALID'
  | 'GH_BFF_STORE_UNAVAILABLE'
  | 'GH_BFF_ISSUER_UNAVAILABLE'
  | 'GH_BFF_REFRESH_FAILED'
  | 'GH_BFF_REFRESH_TIMEOUT'
  | 'GH_BFF_TOKEN_EXCHANGE_REFUSED'
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
  /** What the problem's `detail` tells the client: the message unless that is for the logs only. */
  readonly detail: string;
  /** Seconds after which the client may try again (`Retry-After`), for a failure that passes by itself. */
  readonly retryAfter: number | undefined;

  constructor(
    code: BffErrorCode,
    message: string,
    options: { status: number; problem: ProblemCode; cause?: unknown; detail?: string; retryAfter?: number },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.problem = options.problem;
    this.detail = options.detail ?? message;
    this.retryAfter = options.retryAfter;
  }

  /** The headers of its problem answer beyond the usual ones (`Retry-After`). */
  get headers(): Record<string, string> | undefined {
    return this.retryAfter === undefined ? undefined : { 'retry-after': String(this.retryAfter) };
  }
}

/**
 * The session store (memory or Redis) cannot answer: requests fail closed with 503 `store_unavailable` and
 * `Retry-After: 1` (a failover passes in seconds). The message names the store and the command, for the logs;
 * the client is told only that its session is safe.
 */
export class StoreUnavailableError extends BffError {
  constructor(message: string, cause?: unknown) {
    super('GH_BFF_STORE_UNAVAILABLE', message, {
      status: 503,
      problem: 'store_unavailable',
      cause,
      detail: 'Your session is safe but cannot be reached right now. Try again in a moment.',
      retryAfter: 1,
    });
  }
}

/** Every {@link BffErrorCode}, for documentation checks and exhaustive handling. */
export const bffErrorCodes: readonly BffErrorCode[] = Object.freeze([
  'GH_BFF_CONFIG_INVALID',
  'GH_BFF_STORE_UNAVAILABLE',
  'GH_BFF_ISSUER_UNAVAILABLE',
  'GH_BFF_REFRESH_FAILED',
  'GH_BFF_REFRESH_TIMEOUT',
  'GH_BFF_TOKEN_EXCHANGE_REFUSED',
  'GH_BFF_LOGOUT_TOKEN_INVALID',
  'GH_BFF_MANIFEST_INVALID',
  'GH_BFF_LOGIN_OPTION_REFUSED',
  'GH_BFF_NATIVE_REDIRECT_REFUSED',
  'GH_BFF_NATIVE_CODE_REFUSED',
  'GH_BFF_SET_REFUSED',
]);
