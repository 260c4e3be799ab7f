import { describe, expect, it, vi } from 'vitest';
import {
  ApiError,
  createApiClient,
  ForbiddenError,
  NotFoundError,
  problemError,
  RemoteError,
  UnauthenticatedError,
} from '../src/index.js';

const problem = (status: number, code?: string, detail?: string) =>
  new Response(JSON.stringify({ type: 'about:blank', title: 'Nope', status, code, detail }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

describe('createApiClient', () => {
  it('calls the same origin with x-csrf and JSON, and returns the parsed body', async () => {
    const fetch = vi.fn(async (_input: string, _init: RequestInit) => Response.json({ id: 'order_123' }));
    const api = createApiClient({ fetch });
    expect(await api.post('/api/cart/items?x=1', { productId: 'p1' })).toEqual({ id: 'order_123' });
    const [input, init] = fetch.mock.calls[0]!;
    expect(input).toBe('/api/cart/items?x=1');
    expect(init.method).toBe('POST');
    expect(init.headers).toMatchObject({ 'x-csrf': '1', 'content-type': 'application/json' });
    expect(init.body).toBe('{"productId":"p1"}');
  });

  it('sends a W3C traceparent: the current action’s trace id when given, a new trace otherwise, a new span each call', async () => {
    const fetch = vi.fn(async (_input: string, _init: RequestInit) => new Response(null, { status: 204 }));
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const traced = createApiClient({ fetch, traceId: () => traceId });
    await traced.get('/api/a');
    await traced.get('/api/b');
    const [first, second] = fetch.mock.calls.map(
      ([, init]) => (init.headers as Record<string, string>).traceparent,
    );
    expect(first).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(second).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(second).not.toBe(first);
    await createApiClient({ fetch }).get('/api/c');
    const own = (fetch.mock.calls[2]![1].headers as Record<string, string>).traceparent;
    expect(own).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(own).not.toContain(traceId);
  });

  it('keeps x-csrf even when the caller tries to override it', async () => {
    const fetch = vi.fn(async (_input: string, _init: RequestInit) => new Response(null, { status: 204 }));
    await createApiClient({ fetch }).get('/api/x', { headers: { 'x-csrf': '0' } });
    expect(fetch.mock.calls[0]![1].headers).toMatchObject({ 'x-csrf': '1' });
  });

  it('answers undefined for 204 and text for a non-JSON body', async () => {
    const api204 = createApiClient({ fetch: async () => new Response(null, { status: 204 }) });
    expect(await api204.delete('/api/cart/items/p1')).toBeUndefined();
    const apiText = createApiClient({ fetch: async () => new Response('plain') });
    expect(await apiText.get('/api/x')).toBe('plain');
  });

  it('resolves paths against the origin root, with dot segments removed first', async () => {
    const fetch = vi.fn(async (_input: string, _init: RequestInit) => Response.json(1));
    const api = createApiClient({ fetch });
    await api.get('api/orders');
    await api.get('/api/catalog/../orders?tab=open');
    expect(fetch.mock.calls.map(([input]) => input)).toEqual(['/api/orders', '/api/orders?tab=open']);
  });

  it.each([
    'https://evil.example/api/x',
    '//evil.example/api/x',
    '/auth/logout',
    '/api/../auth/logout',
    '/apix',
  ])('refuses %s before any request', async (path) => {
    const fetch = vi.fn();
    await expect(createApiClient({ fetch }).get(path)).rejects.toMatchObject({
      code: 'GH_REMOTE_BAD_API_PATH',
    });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('maps the BFF’s 401 session_expired to UnauthenticatedError after calling the central flow once per answer', async () => {
    const onUnauthenticated = vi.fn();
    let answered = 0;
    const api = createApiClient({
      fetch: async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        answered = Date.now();
        return problem(401, 'session_expired');
      },
      onUnauthenticated,
    });
    const before = Date.now();
    const error = await api.get('/api/orders').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error).toMatchObject({ status: 401, code: 'session_expired' });
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);
    // With when the request left: before the answer came, not when it came.
    const [passed, sentAt] = onUnauthenticated.mock.calls[0]!;
    expect(passed).toBe(error);
    expect(sentAt).toBeGreaterThanOrEqual(before);
    expect(sentAt).toBeLessThan(answered);
  });

  it.each([
    ['an upstream’s own 401 (@gatehouse/api refusing the token)', () => problem(401, 'unauthenticated')],
    ['a plain 401', () => new Response('nope', { status: 401, headers: { 'www-authenticate': 'Basic' } })],
    [
      'the BFF’s 401 without any session cookie',
      () => problem(401, 'unauthenticated', 'Sign in to use this API.'),
    ],
    ['session_expired on another status', () => problem(403, 'session_expired')],
  ])('%s is thrown to the caller and never starts the session flow', async (_name, answer) => {
    const onUnauthenticated = vi.fn();
    const onError = vi.fn();
    const error = await createApiClient({ fetch: async () => answer(), onUnauthenticated, onError })
      .get('/api/orders')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(onError).toHaveBeenCalledWith(error, '/api/orders');
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });

  it('maps 403 to ForbiddenError and 404 to NotFoundError, never to the 401 flow', async () => {
    const onUnauthenticated = vi.fn();
    const onError = vi.fn();
    const forbidden = await createApiClient({
      fetch: async () => problem(403, 'forbidden', 'not yours'),
      onUnauthenticated,
      onError,
    })
      .get('/api/orders/order_456')
      .catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(ForbiddenError);
    expect(forbidden).not.toBeInstanceOf(UnauthenticatedError);
    expect(forbidden).toMatchObject({ code: 'forbidden', problem: { detail: 'not yours' } });
    const missing = await createApiClient({ fetch: async () => problem(404, 'not_found') })
      .get('/api/orders/none')
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(onUnauthenticated).not.toHaveBeenCalled();
    expect(onError).toHaveBeenCalledWith(forbidden, '/api/orders/order_456');
  });

  it('turns the BFF’s 503 store_unavailable (its session store in a failover) into an ApiError to retry, never the 401 flow', async () => {
    const onUnauthenticated = vi.fn();
    const onError = vi.fn();
    const error = await createApiClient({
      fetch: async () => problem(503, 'store_unavailable', 'Redis session store: get failed'),
      onUnauthenticated,
      onError,
    })
      .get('/api/orders')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).not.toBeInstanceOf(UnauthenticatedError);
    expect(error).toMatchObject({
      status: 503,
      code: 'store_unavailable',
      problem: { code: 'store_unavailable', detail: 'Redis session store: get failed' },
    });
    expect(onError).toHaveBeenCalledWith(error, '/api/orders');
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });

  it('turns a failed fetch into network_error with the cause kept, and lets an abort through', async () => {
    const cause = new TypeError('Failed to fetch');
    const error = await createApiClient({
      fetch: async () => {
        throw cause;
      },
    })
      .get('/api/x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 0, code: 'network_error', cause });
    const abort = new DOMException('aborted', 'AbortError');
    await expect(
      createApiClient({
        fetch: async () => {
          throw abort;
        },
      }).get('/api/x'),
    ).rejects.toBe(abort);
  });
});

describe('problemError', () => {
  it.each([
    [400, undefined, ApiError, 'bad_request'],
    [401, undefined, UnauthenticatedError, 'unauthenticated'],
    [403, 'csrf_failed', ForbiddenError, 'csrf_failed'],
    [404, undefined, NotFoundError, 'not_found'],
    [409, 'conflict', ApiError, 'conflict'],
    [502, undefined, ApiError, 'upstream_unavailable'],
    [503, 'store_unavailable', ApiError, 'store_unavailable'],
    [503, undefined, ApiError, 'upstream_unavailable'],
    [500, 'made_up_code', ApiError, 'internal'],
  ] as const)('%i %s → %o with code %s', (status, code, Class, expected) => {
    const error = problemError(status, { title: 'x', code });
    expect(error).toBeInstanceOf(Class);
    expect(error.code).toBe(expected);
    expect(error.status).toBe(status);
  });

  it('copes with a body that is not a problem (HTML, null, a string)', () => {
    for (const body of ['<html>', null, undefined, 42]) {
      const error = problemError(503, body);
      expect(error.problem).toEqual({
        type: 'about:blank',
        title: 'HTTP 503',
        status: 503,
        code: 'upstream_unavailable',
      });
    }
  });
});

describe('errors', () => {
  it('have stable names and codes, and instanceof works across copies of the package', async () => {
    const error = problemError(403, {});
    expect(error.name).toBe('ForbiddenError');
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toBeInstanceOf(Error);
    // A second copy of the module, as a remote that bundles its own @gatehouse/remote would have.
    const copy = (await import(
      /* @vite-ignore */ `../src/errors.ts?copy=${Date.now()}`
    )) as typeof import('../src/errors.js');
    expect(copy.ForbiddenError).not.toBe(ForbiddenError);
    expect(error).toBeInstanceOf(copy.ForbiddenError);
    expect(error).toBeInstanceOf(copy.ApiError);
    expect(error).not.toBeInstanceOf(copy.NotFoundError);
    expect(new copy.NotFoundError({ type: 'x', title: 'x', status: 404, code: 'not_found' })).toBeInstanceOf(
      NotFoundError,
    );
    expect({ code: 'forbidden', status: 403 }).not.toBeInstanceOf(ForbiddenError);
  });
});
