import {
  anonymousIdentity,
  type IdentityContext,
  type IdentityUser,
  type LogoutReason,
  matchRoutePattern,
  type Permission,
  type ProblemCode,
  pathSegments,
  problemCodeOf,
  problem as problemDocument,
} from '@gatehouse/policy';
import { createApiClient } from './api-client.js';
import { createRemoteContext, type RemoteContext, type RouteInfo } from './context.js';
import { createEventBus, type EventType, scopeEventBus } from './events.js';

/** A request as an API handler of {@link createTestContext} sees it. */
export interface TestApiRequest {
  readonly method: string;
  /** The path without query. */
  readonly path: string;
  /** Parameters of the handler's pattern (`/api/orders/:id`). */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed JSON body, if any. */
  readonly body: unknown;
}

/**
 * Answers one API call in a test: return a value (sent as 200 JSON), a `Response` (e.g. {@link problem}), or
 * throw. A value that is not a function is the 200 answer itself.
 */
export type ApiHandler = ((request: TestApiRequest) => unknown) | object | string | number | boolean | null;

/** Options of {@link createTestContext}. */
export interface TestContextOptions {
  /** The identity: a full identity context, or some fields of a signed-in user. Anonymous by default. */
  readonly identity?: IdentityContext | Partial<IdentityUser>;
  /** The signed-in user's permissions (a test user is made up when `identity` is not given). */
  readonly permissions?: readonly Permission[];
  /**
   * Fake API answers by `'<METHOD> <path pattern>'` (`'GET /api/orders/:id'`). A call nothing answers gets a
   * 404 problem.
   */
  readonly api?: Readonly<Record<string, ApiHandler>>;
  readonly route?: Partial<RouteInfo>;
  readonly name?: string;
}

/** A {@link RemoteContext} for tests, with what the remote did to it. */
export interface TestContext extends RemoteContext {
  /** Every API call, in order. */
  readonly requests: readonly TestApiRequest[];
  /** Every event emitted on the bus (by the remote or by the harness), in order. */
  readonly emitted: readonly { readonly type: string; readonly payload: unknown }[];
  /** The `returnTo` of every `login()` call. */
  readonly logins: readonly string[];
  /** Every `navigate()` target. */
  readonly navigations: readonly string[];
  /**
   * Changes the identity like the shell would: emits `auth:identity-changed` (and `auth:logged-out` with
   * `reason` when it becomes anonymous), calls the `onAuthChange` listeners, and returns the context a shell
   * would pass to `update`.
   */
  setIdentity(identity: IdentityContext | Partial<IdentityUser>, reason?: LogoutReason): TestContext;
  /**
   * Ends the session like an expiry would (a timeout, a refused refresh): emits `auth:session-expired`, then
   * what {@link setIdentity} does for an anonymous identity, without `auth:logged-out`.
   */
  expire(): TestContext;
}

/**
 * A problem+json answer for a fake API handler, as the BFF and the APIs write it: `code` defaults to the one
 * the status stands for, the title is the code's.
 *
 * @example
 * createTestContext({ api: { 'GET /api/orders/:id': () => problem(403) } });
 */
export function problem(
  status: number,
  code: ProblemCode = problemCodeOf(status),
  detail?: string,
): Response {
  const body = problemDocument(code, { status, detail });
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });
}

function toIdentity(
  value: IdentityContext | Partial<IdentityUser> | undefined,
  permissions?: readonly Permission[],
) {
  if (value && 'isAuthenticated' in value && (!value.isAuthenticated || !permissions)) return value;
  if (!value && !permissions) return anonymousIdentity;
  const user =
    value && 'isAuthenticated' in value ? (value.isAuthenticated ? value.user : {}) : (value ?? {});
  return {
    isAuthenticated: true,
    user: {
      id: 'user_test',
      displayName: 'Test User',
      roles: [],
      permissions: [],
      tenants: [],
      ...user,
      ...(permissions ? { permissions } : {}),
    },
    session: { expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
  } satisfies IdentityContext;
}

/**
 * A {@link RemoteContext} without a shell, for a remote's unit tests: the real API client over fake handlers
 * (so 401/403/404 map exactly as in the app), the real event bus (tokens refused), the real policy behind
 * `can`, and records of what the remote did.
 *
 * @example
 * const context = createTestContext({
 *   permissions: ['orders:view'],
 *   api: { 'GET /api/orders/:id': ({ params }) => ({ id: params.id, total: 42 }) },
 * });
 * await remote.mount(element, context);
 * expect(context.requests.map((r) => r.path)).toEqual(['/api/orders/order_123']);
 */
export function createTestContext(options: TestContextOptions = {}): TestContext {
  const requests: TestApiRequest[] = [];
  const emitted: { type: string; payload: unknown }[] = [];
  const logins: string[] = [];
  const navigations: string[] = [];
  const listeners = new Set<(identity: IdentityContext) => void>();
  const bus = createEventBus();
  const record = bus.emit as (type: EventType, payload?: unknown) => void;
  const recordingBus: typeof bus = {
    on: bus.on,
    emit(type: EventType, payload?: unknown) {
      record(type, payload);
      emitted.push({ type, payload });
    },
  };
  const scoped = scopeEventBus(recordingBus).bus;
  const route: RouteInfo = { path: '/', search: '', params: {}, ...options.route };

  const fakeFetch = async (input: string, init: RequestInit): Promise<Response> => {
    const url = new URL(input, 'http://test.invalid');
    const method = init.method ?? 'GET';
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    for (const [key, handler] of Object.entries(options.api ?? {})) {
      const [want, pattern = ''] = key.split(' ');
      const parts = pathSegments(url.pathname);
      const params = want === method && parts ? matchRoutePattern(pattern, parts) : undefined;
      if (!params) continue;
      const request = { method, path: url.pathname, params, query: url.searchParams, body };
      requests.push(request);
      const answer = typeof handler === 'function' ? await handler(request) : handler;
      if (answer instanceof Response) return answer;
      return answer === undefined
        ? new Response(null, { status: 204 })
        : new Response(JSON.stringify(answer), { headers: { 'content-type': 'application/json' } });
    }
    requests.push({ method, path: url.pathname, params: {}, query: url.searchParams, body });
    return problem(404, 'not_found', `no test handler for ${method} ${url.pathname}`);
  };
  const api = createApiClient({ fetch: fakeFetch });

  /** Tells the bus and the `onAuthChange` listeners that `changed`'s identity is the current one. */
  const tell = (changed: TestContext): TestContext => {
    recordingBus.emit('auth:identity-changed', { identity: changed.identity });
    for (const listener of [...listeners]) listener(changed.identity);
    return changed;
  };
  const make = (identity: IdentityContext): TestContext => {
    const context = createRemoteContext({
      name: options.name ?? 'test-remote',
      identity,
      route,
      api,
      events: scoped,
      onAuthChange(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      login: (returnTo = route.path + route.search) => logins.push(returnTo),
      navigate: (path) => navigations.push(path),
    });
    return Object.freeze({
      ...context,
      requests,
      emitted,
      logins,
      navigations,
      setIdentity(next: IdentityContext | Partial<IdentityUser>, reason: LogoutReason = 'user_action') {
        const changed = make(toIdentity(next));
        if (!changed.identity.isAuthenticated) recordingBus.emit('auth:logged-out', { reason });
        return tell(changed);
      },
      expire() {
        recordingBus.emit('auth:session-expired', {});
        return tell(make(anonymousIdentity));
      },
    });
  };
  return make(toIdentity(options.identity, options.permissions));
}
