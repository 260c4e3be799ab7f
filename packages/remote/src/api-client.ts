import { isProblemCode, problemCodeOf } from '@gatehouse/policy';
import {
  ApiError,
  ForbiddenError,
  NotFoundError,
  type Problem,
  RemoteError,
  UnauthenticatedError,
} from './errors.js';

/** Options of one API call. */
export interface ApiRequestInit {
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/**
 * Calls the app's APIs through the BFF: same origin, the session cookie goes by itself, `x-csrf: 1` on every
 * call, JSON in and out. Error answers become typed errors: 401 {@link UnauthenticatedError} (after the
 * shell's one session flow started, when it is the BFF's `session_expired`), 403 {@link ForbiddenError}, 404 {@link NotFoundError}, others
 * {@link ApiError}; no answer at all is an `ApiError` with code `network_error`.
 *
 * Paths must be under `/api/` (`/api/<service>/<rest>`); anything else throws `GH_REMOTE_BAD_API_PATH`.
 */
export interface ApiClient {
  request<T = unknown>(method: string, path: string, init?: ApiRequestInit): Promise<T>;
  get<T = unknown>(path: string, init?: ApiRequestInit): Promise<T>;
  post<T = unknown>(path: string, body?: unknown, init?: ApiRequestInit): Promise<T>;
  put<T = unknown>(path: string, body?: unknown, init?: ApiRequestInit): Promise<T>;
  patch<T = unknown>(path: string, body?: unknown, init?: ApiRequestInit): Promise<T>;
  delete<T = unknown>(path: string, init?: ApiRequestInit): Promise<T>;
}

/** Options of {@link createApiClient}. */
export interface ApiClientOptions {
  /** The `fetch` to use (tests pass a fake); the global one by default. */
  readonly fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /**
   * Called before the error is thrown when the BFF answers 401 `session_expired` (the session it held for
   * this browser has ended): the shell's central session flow. Any other 401 — the BFF's `unauthenticated`
   * (no session cookie at all), or an upstream's own (`unauthenticated` from `@gatehouse/api` for a token it
   * refuses, a plain 401) — is only thrown. `sentAt` is when the request left (`Date.now()`), so the flow can
   * tell a call made while signed in, whose answer comes after the session ended, from one made after.
   */
  readonly onUnauthenticated?: (error: UnauthenticatedError, sentAt: number) => void;
  /** Called on every error answer before it is thrown (telemetry). */
  readonly onError?: (error: ApiError, path: string) => void;
  /**
   * The W3C trace id of the current user action (the shell starts one per navigation), so every call it
   * makes is one trace from the browser through the BFF to the APIs. Default: a new trace per call.
   */
  readonly traceId?: () => string;
}

/** Random lower-case hex from the browser's CSPRNG (`bytes` bytes). */
export function randomHex(bytes: number): string {
  let hex = '';
  for (const byte of crypto.getRandomValues(new Uint8Array(bytes))) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * The typed error for an error answer: the problem+json body when there is one, else a problem derived from
 * the status alone.
 *
 * @example
 * problemError(403, { type: 'about:blank', title: 'Forbidden', status: 403, code: 'forbidden' }) // ForbiddenError
 */
export function problemError(status: number, body: unknown, options?: ErrorOptions): ApiError {
  // A JSON object's members all pass, RFC 9457's extension members included (a step-up's `acr_values` and
  // `max_age`, which `@gatehouse/remote/step-up` checks before use); the standard ones are checked here.
  const p = (body instanceof Object ? body : {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 500) : undefined);
  const problem: Problem = Object.freeze({
    ...p,
    type: text(p.type) ?? 'about:blank',
    title: text(p.title) ?? `HTTP ${status}`,
    status,
    code: isProblemCode(p.code) ? p.code : problemCodeOf(status),
    detail: text(p.detail),
  });
  // 401, 403 and 404 have classes of their own.
  return new (
    {
      401: UnauthenticatedError,
      403: ForbiddenError,
      404: NotFoundError,
    }[status] ?? ApiError
  )(problem, options);
}

/**
 * The API client. The shell creates the one every remote receives in its context; tests get one from
 * `createTestContext`.
 *
 * @example
 * const api = createApiClient({ onUnauthenticated: () => shellSessionFlow() });
 * const order = await api.get<Order>('/api/orders/order_123');
 * await api.post('/api/cart/items', { productId: 'p1', quantity: 1 });
 */
export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const request = async <T>(method: string, path: string, init: ApiRequestInit = {}): Promise<T> => {
    const url = new URL(path, 'http://h');
    if (url.host !== 'h' || !url.pathname.startsWith('/api/'))
      throw new RemoteError('GH_REMOTE_BAD_API_PATH', `not a same-origin /api/ path: ${path.slice(0, 100)}`);
    const json = init.body !== undefined;
    const sentAt = Date.now();
    let response: Response;
    try {
      response = await (options.fetch ?? fetch)(url.pathname + url.search, {
        method,
        headers: {
          accept: 'application/json',
          ...(json ? { 'content-type': 'application/json' } : {}),
          ...init.headers,
          'x-csrf': '1',
          traceparent: `00-${options.traceId?.() ?? randomHex(16)}-${randomHex(8)}-01`,
        },
        body: json ? JSON.stringify(init.body) : null,
        signal: init.signal ?? null,
      });
    } catch (cause) {
      if ((cause as Error)?.name === 'AbortError') throw cause;
      throw new ApiError(
        { type: 'about:blank', title: 'Network error', status: 0, code: 'network_error' },
        { cause },
      );
    }
    const raw = await response.text();
    let data: unknown = raw;
    try {
      data = raw ? JSON.parse(raw) : undefined;
    } catch {
      // Not JSON: hand the text over as it is.
    }
    if (response.ok) return data as T;
    const error = problemError(response.status, data);
    // Only the BFF's own word ends the session: an upstream's 401 (a token it refuses) is the caller's error.
    if (response.status === 401 && error.code === 'session_expired')
      options.onUnauthenticated?.(error as UnauthenticatedError, sentAt);
    options.onError?.(error, url.pathname);
    throw error;
  };
  const withBody =
    (method: string) =>
    <T>(path: string, body?: unknown, init?: ApiRequestInit) =>
      request<T>(method, path, { ...init, body });
  return Object.freeze({
    request,
    get: <T>(path: string, init?: ApiRequestInit) => request<T>('GET', path, init),
    post: withBody('POST'),
    put: withBody('PUT'),
    patch: withBody('PATCH'),
    delete: <T>(path: string, init?: ApiRequestInit) => request<T>('DELETE', path, init),
  });
}
