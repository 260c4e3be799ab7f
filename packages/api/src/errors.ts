import { type ProblemCode, problemTable, type StepUpRequirement } from '@gatehouse/policy';

export type { ProblemCode };

/** Stable error codes of `@gatehouse/api`. Each one has an HTTP status and a problem code: see {@link apiErrorCodes}. */
export type ApiErrorCode =
  | 'GH_API_OPTIONS_INVALID'
  | 'GH_API_TOKEN_MISSING'
  | 'GH_API_TOKEN_MALFORMED'
  | 'GH_API_TOKEN_ALG_REFUSED'
  | 'GH_API_TOKEN_HEADER_REFUSED'
  | 'GH_API_TOKEN_TYPE_REFUSED'
  | 'GH_API_TOKEN_KEY_UNKNOWN'
  | 'GH_API_TOKEN_SIGNATURE_INVALID'
  | 'GH_API_TOKEN_EXPIRED'
  | 'GH_API_TOKEN_NOT_YET_VALID'
  | 'GH_API_TOKEN_CLAIM_INVALID'
  | 'GH_API_DPOP_BOUND'
  | 'GH_API_DPOP_UNBOUND'
  | 'GH_API_DPOP_PROOF_INVALID'
  | 'GH_API_DPOP_NONCE_REQUIRED'
  | 'GH_API_ISSUER_UNAVAILABLE'
  | 'GH_API_FORBIDDEN'
  | 'GH_API_INSUFFICIENT_SCOPE'
  | 'GH_API_STEP_UP_REQUIRED'
  | 'GH_API_NOT_FOUND'
  | 'GH_API_BAD_REQUEST'
  | 'GH_API_FIELD_REFUSED'
  | 'GH_API_CONFLICT'
  | 'GH_API_INTERNAL';

/** What an {@link ApiErrorCode} becomes on the wire. */
export interface ApiErrorCodeInfo {
  readonly status: number;
  readonly problem: ProblemCode;
  /** The problem's `title`: the problem code's, from the one table of `@gatehouse/policy`. */
  readonly title: string;
}

const info = (status: number, problem: ProblemCode): ApiErrorCodeInfo =>
  Object.freeze({ status, problem, title: problemTable[problem].title });

/**
 * Every code of {@link ApiError} with its status, problem code and title. A test checks that each is
 * documented in the README.
 *
 * @example
 * apiErrorCodes.GH_API_TOKEN_EXPIRED // { status: 401, problem: 'unauthenticated', title: 'Sign-in required' }
 */
export const apiErrorCodes: Readonly<Record<ApiErrorCode, ApiErrorCodeInfo>> = Object.freeze({
  GH_API_OPTIONS_INVALID: info(500, 'internal'),
  GH_API_TOKEN_MISSING: info(401, 'unauthenticated'),
  GH_API_TOKEN_MALFORMED: info(401, 'unauthenticated'),
  GH_API_TOKEN_ALG_REFUSED: info(401, 'unauthenticated'),
  GH_API_TOKEN_HEADER_REFUSED: info(401, 'unauthenticated'),
  GH_API_TOKEN_TYPE_REFUSED: info(401, 'unauthenticated'),
  GH_API_TOKEN_KEY_UNKNOWN: info(401, 'unauthenticated'),
  GH_API_TOKEN_SIGNATURE_INVALID: info(401, 'unauthenticated'),
  GH_API_TOKEN_EXPIRED: info(401, 'unauthenticated'),
  GH_API_TOKEN_NOT_YET_VALID: info(401, 'unauthenticated'),
  GH_API_TOKEN_CLAIM_INVALID: info(401, 'unauthenticated'),
  GH_API_DPOP_BOUND: info(401, 'unauthenticated'),
  GH_API_DPOP_UNBOUND: info(401, 'unauthenticated'),
  GH_API_DPOP_PROOF_INVALID: info(401, 'unauthenticated'),
  GH_API_DPOP_NONCE_REQUIRED: info(401, 'unauthenticated'),
  GH_API_ISSUER_UNAVAILABLE: info(503, 'upstream_unavailable'),
  GH_API_FORBIDDEN: info(403, 'forbidden'),
  GH_API_INSUFFICIENT_SCOPE: info(403, 'forbidden'),
  GH_API_STEP_UP_REQUIRED: info(401, 'step_up_required'),
  GH_API_NOT_FOUND: info(404, 'not_found'),
  GH_API_BAD_REQUEST: info(400, 'bad_request'),
  GH_API_FIELD_REFUSED: info(400, 'bad_request'),
  GH_API_CONFLICT: info(409, 'conflict'),
  GH_API_INTERNAL: info(500, 'internal'),
});

/** Options of {@link ApiError}. */
export interface ApiErrorOptions {
  /** The lower-layer error (jose, fetch, the sink): kept for logs, never sent. */
  readonly cause?: unknown;
  /** The status to answer with, when it differs from the code's (a 413 or 415 `GH_API_BAD_REQUEST`). */
  readonly status?: number;
  /** What to tell the client; defaults to nothing beyond the title. Never put tokens or stack traces here. */
  readonly detail?: string;
  /** `GH_API_STEP_UP_REQUIRED`: the sign-in the call needs (the challenge's `acr_values` and `max_age`). */
  readonly stepUp?: StepUpRequirement;
}

/**
 * The one error class of `@gatehouse/api`: a stable `code` (`GH_API_…`), the HTTP status and problem code it
 * maps to, an optional client-safe `detail`, and the lower-layer `cause`.
 *
 * @example
 * throw new ApiError('GH_API_NOT_FOUND', 'order not found', { detail: 'No such order.' });
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly problem: ProblemCode;
  readonly detail: string | undefined;
  /** `GH_API_STEP_UP_REQUIRED`: the sign-in the call needs. */
  readonly stepUp: StepUpRequirement | undefined;

  constructor(code: ApiErrorCode, message: string, options: ApiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const known = apiErrorCodes[code];
    this.code = code;
    this.status = options.status ?? known.status;
    this.problem = known.problem;
    this.detail = options.detail;
    this.stepUp = options.stepUp;
  }
}

/**
 * True when `error` is an {@link ApiError}, optionally of one of `codes`.
 *
 * @example
 * if (isApiError(error, 'GH_API_TOKEN_EXPIRED')) metrics.expired++;
 */
export function isApiError(error: unknown, ...codes: ApiErrorCode[]): error is ApiError {
  return error instanceof ApiError && (codes.length === 0 || codes.includes(error.code));
}
