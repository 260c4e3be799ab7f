import type { ProblemCode, Problem as WireProblem } from '@gatehouse/policy';

const KINDS = Symbol.for('gatehouse.error.kinds');

/** Codes of {@link RemoteError}s raised by this package (API answers carry a {@link ProblemCode} instead). */
export type RemoteErrorCode =
  | 'GH_REMOTE_BAD_LIFECYCLE'
  | 'GH_REMOTE_BAD_EVENT'
  | 'GH_REMOTE_RESERVED_EVENT'
  | 'GH_REMOTE_TOKEN_IN_EVENT'
  | 'GH_REMOTE_BAD_API_PATH';

export type { ProblemCode };

/**
 * An RFC 9457 problem as the BFF and the domain APIs answer it, or `network_error` (status 0) when no answer
 * came at all: that one is the client's own, never on the wire.
 */
export interface Problem extends Omit<WireProblem, 'code'> {
  readonly code: ProblemCode | 'network_error';
}

/**
 * The base of every error this package throws. `instanceof` works across copies of the package (a remote
 * that bundles its own `@gatehouse/remote` still recognises the shell's errors): classes are matched by a
 * stable kind name, not by identity, and `name` survives minification.
 *
 * @example
 * try { context.events.emit('cart:updated', { accessToken }); }
 * catch (error) { if (error instanceof RemoteError) console.warn(error.code); } // GH_REMOTE_TOKEN_IN_EVENT
 */
export class RemoteError extends Error {
  /** The stable class name that `instanceof` and `name` use. */
  static readonly kind: string = 'RemoteError';
  declare readonly code: string;

  constructor(
    code: RemoteErrorCode | ProblemCode | 'network_error',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    const kinds: string[] = [];
    for (let c: { kind?: string } = new.target; c.kind; c = Object.getPrototypeOf(c)) kinds.push(c.kind);
    this.name = kinds[0]!;
    Object.defineProperty(this, KINDS, { value: kinds });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    const kinds = (value as { [KINDS]?: unknown } | null)?.[KINDS];
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof, a subclass too
    return Array.isArray(kinds) && kinds.includes(this.kind);
  }
}

/**
 * An error answer of the API (problem+json), or `network_error` (status 0) when no answer came. `code` is the
 * problem's code; 401, 403 and 404 have their own subclasses.
 *
 * @example
 * try { await context.api.get('/api/orders/order_123'); }
 * catch (error) { if (error instanceof ApiError && error.code === 'conflict') showConflict(error.detail); }
 */
export class ApiError extends RemoteError {
  static override readonly kind: string = 'ApiError';
  declare readonly code: ProblemCode | 'network_error';
  declare readonly status: number;
  declare readonly problem: Problem;

  constructor(problem: Problem, options?: ErrorOptions) {
    super(problem.code, problem.detail ? `${problem.title}: ${problem.detail}` : problem.title, options);
    this.status = problem.status;
    this.problem = problem;
  }
}

/**
 * 401: the session ended (`code` `session_expired`, from the BFF), or not signed in, or an API refused the
 * token it got (`unauthenticated`). On `session_expired` of a signed-in user the shell has already started its
 * one session flow (notice, then login back to this route); an API's own 401 ends nothing: show an error, or,
 * for an anonymous visitor, offer `context.login()`.
 *
 * @example
 * catch (error) { if (error instanceof UnauthenticatedError) return; } // the shell takes over
 */
export class UnauthenticatedError extends ApiError {
  static override readonly kind: string = 'UnauthenticatedError';
}

/**
 * 403: signed in, not allowed. Render a no-access state; never send the user to login for it.
 *
 * @example
 * catch (error) { if (error instanceof ForbiddenError) renderNoAccess(); }
 */
export class ForbiddenError extends ApiError {
  static override readonly kind: string = 'ForbiddenError';
}

/**
 * 404: no such resource.
 *
 * @example
 * catch (error) { if (error instanceof NotFoundError) renderNotFound(); }
 */
export class NotFoundError extends ApiError {
  static override readonly kind: string = 'NotFoundError';
}
