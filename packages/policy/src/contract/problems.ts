/**
 * The problem+json answers every Gatehouse server sends (RFC 9457), defined once: the BFF, the API plugin
 * and the browser runtime import this table, so a code, its status and its title cannot drift apart.
 */

/**
 * Every problem `code`. Browsers need only this list; {@link problemTable} gives each its status and title. A new
 * code goes at the end: {@link problemCodeOf} reads codes by their index here.
 */
export const problemCodes = /* @__PURE__ */ Object.freeze([
  'unauthenticated',
  'session_expired',
  'forbidden',
  'csrf_failed',
  'not_found',
  'method_not_allowed',
  'bad_request',
  'unsupported_media_type',
  'conflict',
  'too_many_requests',
  'upstream_unavailable',
  'internal',
  'step_up_required',
  'store_unavailable',
] as const);

/** The `code` of a problem+json answer. */
export type ProblemCode = (typeof problemCodes)[number];

/** What a {@link ProblemCode} is sent with: its default HTTP status and its fixed `title`. */
export interface ProblemCodeInfo {
  readonly status: number;
  readonly title: string;
}

/** Each problem `code` with the HTTP status it is sent with by default and its fixed `title`. */
export const problemTable: Readonly<Record<ProblemCode, ProblemCodeInfo>> = /* @__PURE__ */ Object.freeze({
  /** No session or no token: sign in. */
  unauthenticated: { status: 401, title: 'Sign-in required' },
  /** There was a session, and it ended (timeout, refresh refused, logout elsewhere): sign in again. */
  session_expired: { status: 401, title: 'Session expired' },
  /** Signed in, not allowed. */
  forbidden: { status: 403, title: 'Forbidden' },
  /** The request failed the CSRF header, Origin or Fetch Metadata checks. */
  csrf_failed: { status: 403, title: 'Cross-site request refused' },
  not_found: { status: 404, title: 'Not found' },
  /** The path exists; the method does not (an `Allow` header says which do). */
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  bad_request: { status: 400, title: 'Bad request' },
  /** A body of a content type this endpoint does not take (a simple type on a JSON endpoint, say). */
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  conflict: { status: 409, title: 'Conflict' },
  /** Rate-limited: a `Retry-After` header says when to try again. */
  too_many_requests: { status: 429, title: 'Too many requests' },
  /**
   * An upstream API or the identity provider cannot be reached or did not answer in time (502, 503 or 504), or
   * the BFF has no room for another long-lived connection. The session store has its own code,
   * `store_unavailable`.
   */
  upstream_unavailable: { status: 503, title: 'Service unavailable' },
  internal: { status: 500, title: 'Internal error' },
  /**
   * Signed in, but not strongly or recently enough for this call (RFC 9470): the problem carries the
   * `acr_values` and/or `max_age` to sign in again with.
   */
  step_up_required: { status: 401, title: 'Stronger sign-in required' },
  /**
   * The BFF cannot reach its session store (a Redis failover, say), so it cannot tell whether the session is
   * valid. The session is not lost: retry later; never sign the user out or show them as signed out for it.
   */
  store_unavailable: { status: 503, title: 'Session store unavailable' },
});

/** An RFC 9457 problem document with Gatehouse's `code`. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail?: string;
  /** `step_up_required`: the authentication context classes to sign in again with (space-separated). */
  readonly acr_values?: string;
  /** `step_up_required`: the most seconds since the user last authenticated. */
  readonly max_age?: number;
}

/** The `type` URI prefix of every problem: `urn:gatehouse:problem:<code>`. */
export const problemTypeBase = 'urn:gatehouse:problem:';

/** Options of {@link problem}. */
export interface ProblemOptions {
  /** What to tell the client; never a token, a stack or request data that was not checked. */
  readonly detail?: string | undefined;
  /** The status, when it differs from the code's default (502 or 504 `upstream_unavailable`, 413 `bad_request`). */
  readonly status?: number | undefined;
  /** The `type` prefix (default {@link problemTypeBase}). */
  readonly typeBase?: string | undefined;
}

/**
 * The problem document for `code`.
 *
 * @example
 * problem('session_expired', { detail: 'Your session has ended.' })
 * // { type: 'urn:gatehouse:problem:session_expired', title: 'Session expired', status: 401, code: 'session_expired', detail: … }
 */
export function problem(code: ProblemCode, options: ProblemOptions = {}): Problem {
  const { title, status } = problemTable[code];
  return {
    type: `${options.typeBase ?? problemTypeBase}${code}`,
    title,
    status: options.status ?? status,
    code,
    ...(options.detail ? { detail: options.detail } : {}),
  };
}

/** True when `value` is a {@link ProblemCode}. */
export function isProblemCode(value: unknown): value is ProblemCode {
  return (problemCodes as readonly unknown[]).includes(value);
}

/**
 * The code an answer's status stands for when its body names none: the table's code for 401, 403, 404, 405,
 * 409, 415 and 429; another 4xx `bad_request`; 502–504 `upstream_unavailable`; else `internal`.
 *
 * @example
 * problemCodeOf(404) // 'not_found'
 */
export function problemCodeOf(status: number): ProblemCode {
  // Indices in problemCodes, smaller in the browser's bundle than the names again: the statuses whose code the
  // table names alone (401 and 403 name the first of their family): 0 unauthenticated, 2 forbidden, 4 not_found,
  // 5 method_not_allowed, 8 conflict, 7 unsupported_media_type, 9 too_many_requests; else 6 bad_request,
  // 10 upstream_unavailable, 11 internal. (502–504 written as `> 501 && < 505`: 4 B less there. New codes go at
  // the end of problemCodes, so these indices keep their meaning.)
  return problemCodes[
    ({ 401: 0, 403: 2, 404: 4, 405: 5, 409: 8, 415: 7, 429: 9 } as Record<number, number>)[status] ??
      (status >= 400 && status < 500 ? 6 : status > 501 && status < 505 ? 10 : 11)
  ]!;
}
