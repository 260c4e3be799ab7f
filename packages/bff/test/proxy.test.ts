import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { API_HEADERS, freePort, NAVIGATION_HEADERS, TestBrowser } from '@gatehouse/testing';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, signIn, startStack } from './support/stack.js';

let stack: Stack;
let browser: TestBrowser;
let canary: { hits: number; server: Server; url: string };

beforeAll(async () => {
  const port = await freePort();
  canary = { hits: 0, server: createServer((_req, res) => res.end()), url: `http://127.0.0.1:${port}` };
  canary.server.on('request', () => canary.hits++);
  await new Promise<void>((resolve) => canary.server.listen(port, '127.0.0.1', resolve));
  const deadPort = await freePort();
  stack = await startStack({
    bff: (echo) => ({
      upstreams: {
        echo: { url: `${echo}/base` },
        open: { url: `${echo}/open`, access: 'public' },
        down: { url: `http://127.0.0.1:${deadPort}` },
        readonly: { url: echo, methods: ['GET'] },
        versioned: { url: echo, forwardHeaders: ['X-Api-Version', 'baggage'] },
      },
    }),
  });
  browser = new TestBrowser();
  await signIn(browser, stack, 'alice');
});
afterAll(async () => {
  await stack?.close();
  canary?.server.close();
});

const last = () => stack.echo.seen.at(-1);
const call = (path: string, init: Parameters<TestBrowser['request']>[1] = {}) =>
  browser.request(`${stack.bffUrl}${path}`, {
    ...init,
    headers: { ...API_HEADERS, origin: stack.bffUrl, ...init.headers },
  });

describe('API proxy: what reaches the upstream (docs/security-requirements.md#c19 to #c22)', () => {
  it('C20: the upstream sees the bearer token and no cookie; the query is kept; the path maps under the base', async () => {
    const answer = await call('/api/echo/orders/order_123?expand=items&x=%2F');
    expect(answer.status).toBe(200);
    expect(last()?.url).toBe('/base/orders/order_123?expand=items&x=%2F');
    expect(last()?.headers.authorization).toMatch(/^Bearer eyJ/);
    expect(last()?.headers.cookie).toBeUndefined();
    expect(last()?.headers['x-csrf']).toBeUndefined();
  });

  it('maps /api/<service> and /api/<service>?query to the upstream base path', async () => {
    await call('/api/echo?limit=5');
    expect(last()?.url).toBe('/base/?limit=5');
    await call('/api/echo');
    expect(last()?.url).toBe('/base/');
    await call('/api/readonly?limit=5');
    expect(last()?.url).toBe('/?limit=5');
  });

  it('continues the caller’s W3C trace with a span of its own, or starts one; logs carry the trace id', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await call('/api/echo/x?status=403', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    const forwarded = String(last()?.headers.traceparent);
    expect(forwarded).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(forwarded).not.toContain('00f067aa0ba902b7');
    expect(stack.logs.events('access_denied').at(-1)).toMatchObject({ traceId });
    for (const bad of [
      undefined,
      'garbage',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `ff-${traceId}-00f067aa0ba902b7-01`,
    ]) {
      await call('/api/echo/x', bad ? { headers: { traceparent: bad } } : {});
      const started = String(last()?.headers.traceparent);
      expect(started).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(started).not.toContain(traceId);
    }
  });

  it('C19: no token reaches the browser in the answer; upstream cookies are not passed on', async () => {
    const answer = await call('/api/echo/things');
    expect(answer.text).not.toMatch(/eyJ/);
    expect(JSON.stringify(answer.headers)).not.toMatch(/eyJ|Bearer/);
    expect(answer.header('set-cookie')).toBeUndefined();
    expect(answer.header('x-upstream')).toBe('echo');
  });

  it('C22: identity and forwarding headers from the client are replaced by the BFF’s own', async () => {
    await call('/api/echo/whoami', {
      headers: {
        authorization: 'Bearer attacker',
        'x-user-id': 'user_admin',
        'x-tenant-id': 'acme',
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
        forwarded: 'for=6.6.6.6;host=evil.example',
        'x-real-ip': '6.6.6.6',
        host: 'evil.example',
      },
    });
    const headers = last()?.headers ?? {};
    expect(headers.authorization).not.toBe('Bearer attacker');
    expect(headers['x-user-id']).toBeUndefined();
    expect(headers['x-tenant-id']).toBeUndefined();
    expect(headers.forwarded).toBeUndefined();
    expect(headers['x-real-ip']).toBeUndefined();
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-host']).toBe(new URL(stack.bffUrl).host);
    expect(headers.host).toBe(new URL(stack.echo.url).host);
  });

  // Headers some upstream, gateway or framework trusts for routing, method or identity (the hardening
  // issue's list): none has a place in a browser's request.
  const forged = {
    'x-http-method-override': 'DELETE',
    'x-original-url': '/admin',
    'x-rewrite-url': '/admin',
    'x-envoy-original-path': '/admin',
    'remote-user': 'admin',
    'x-amzn-oidc-identity': 'admin',
    'x-ms-client-principal-name': 'admin',
    'x-consumer-id': 'admin',
    'x-jwt-assertion': 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.',
    'client-ip': '6.6.6.6',
    'x-api-key': 'stolen',
    'x-anything-new': 'yes',
    baggage: 'userId=admin',
  };
  const allowed = {
    accept: 'application/json',
    'accept-language': 'fr',
    'content-language': 'fr',
    'cache-control': 'no-cache',
    'if-none-match': '"v1"',
    'if-match': '"v1"',
    'if-modified-since': 'Wed, 21 Oct 2015 07:28:00 GMT',
    'if-unmodified-since': 'Wed, 21 Oct 2015 07:28:00 GMT',
    range: 'bytes=0-1',
    'if-range': '"v1"',
    prefer: 'return=minimal',
    tracestate: 'vendor=1',
    'user-agent': 'gatehouse-test',
    'idempotency-key': 'k-1',
    'x-request-id': 'req-1',
  };

  it('C22: only allow-listed request headers reach the upstream; method overrides, rewrites and gateway identities are dropped', async () => {
    await call('/api/echo/whoami', { headers: { ...forged, ...allowed } });
    const headers = last()?.headers ?? {};
    for (const name of [...Object.keys(forged), 'origin', 'sec-fetch-site'])
      expect(headers[name], name).toBeUndefined();
    for (const [name, value] of Object.entries(allowed)) expect(headers[name], name).toBe(value);
  });

  it('C22: an upstream’s forwardHeaders add to the allow-list for that upstream only', async () => {
    const extra = { 'x-api-version': '2', baggage: 'tier=gold' };
    await call('/api/versioned/x', { headers: { ...extra, 'x-api-key': 'stolen' } });
    expect(last()?.headers).toMatchObject(extra);
    expect(last()?.headers['x-api-key']).toBeUndefined();
    await call('/api/echo/x', { headers: extra });
    expect(last()?.headers['x-api-version']).toBeUndefined();
    expect(last()?.headers.baggage).toBeUndefined();
  });

  it('C22: an allow-listed header named by Connection is hop-by-hop and dropped', async () => {
    await rawRequest('/api/echo/x', { connection: 'close, x-request-id', 'x-request-id': 'r' });
    expect(last()?.url).toBe('/base/x');
    expect(last()?.headers['x-request-id']).toBeUndefined();
  });

  it.each([
    '/api/echo/%2e%2e%2fadmin',
    '/api/echo/..%2fadmin',
    '/api/echo/a/../../admin',
    '/api/echo/%2E%2E/x',
    '/api/echo/a%2fb',
    '/api/echo/a%5cb',
    '/api/echo/a\\b',
    '/api/echo//evil.example/x',
    '/api/echo/http://evil.example/x',
    '/api/echo/a%00b',
  ])('C21: %s is refused with 400 and nothing is forwarded', async (path) => {
    const before = stack.echo.seen.length;
    const answer = await rawRequest(path);
    expect(answer.status).toBe(400);
    expect(stack.echo.seen.length).toBe(before);
  });

  it('C21: a forged Host or an absolute request target never sends a token anywhere else', async () => {
    const before = canary.hits;
    const cookie = await browser.jar.getCookieString(stack.bffUrl);
    for (const target of [`${canary.url}/api/echo/x`, `/api/${canary.url}/x`, '/api/unknown/x']) {
      await rawRequest(target, {
        host: new URL(canary.url).host,
        'x-forwarded-host': new URL(canary.url).host,
        cookie,
      });
    }
    expect(canary.hits).toBe(before);
  });

  it('C21: methods are restricted per upstream', async () => {
    const answer = await call('/api/readonly/x', { method: 'DELETE' });
    expect(answer.status).toBe(405);
    expect(answer.header('allow')).toBe('GET');
    expect((await call('/api/echo/x', { method: 'TRACE' })).status).toBe(405);
  });

  it('streams a large answer with backpressure', async () => {
    const answer = await call('/api/echo/blob?size=5000000');
    expect(answer.status).toBe(200);
    expect(answer.text.length).toBe(5_000_000);
  });

  it('a client that goes away mid-answer aborts the upstream request, and is not an upstream error', async () => {
    const errorsBefore = stack.bff.runtime.proxy.stats.upstreamErrors;
    const cookie = await browser.jar.getCookieString(stack.bffUrl);
    const controller = new AbortController();
    const answer = await request(`${stack.bffUrl}/api/echo/stream?slow=1`, {
      headers: { ...API_HEADERS, cookie },
      signal: controller.signal,
    });
    expect(answer.statusCode).toBe(200);
    for await (const _chunk of answer.body) break;
    controller.abort();
    await expect
      .poll(() => stack.echo.aborted.some((url) => url.includes('slow=1')), { timeout: 2000 })
      .toBe(true);
    expect(stack.bff.runtime.proxy.stats.upstreamErrors).toBe(errorsBefore);
    expect(stack.logs.events('upstream_error').filter((event) => event.upstream === 'echo')).toEqual([]);
  });

  it('streams request and answer bodies', async () => {
    const big = 'x'.repeat(300_000);
    const answer = await call('/api/echo/upload', { method: 'POST', json: { big } });
    expect(answer.status).toBe(200);
    expect(last()?.body.length).toBe(JSON.stringify({ big }).length);
  });
});

describe('API proxy: answers (docs/http-contract.md#api-proxy, #errors)', () => {
  it('adds Cookie to Vary: the answer depends on the session the BFF attached', async () => {
    expect((await call('/api/open/x')).header('vary')).toBe('Cookie');
    const echoed = await call('/api/echo/x?vary=Accept-Language');
    expect(echoed.header('vary')).toMatch(/Cookie/);
  });

  it('an upstream 403 (or any status) passes through unchanged', async () => {
    const answer = await call('/api/echo/x?status=403');
    expect(answer.status).toBe(403);
  });

  it('a required service without a session answers 401 unauthenticated as problem+json, never a redirect', async () => {
    const anonymous = new TestBrowser();
    for (const headers of [API_HEADERS, { ...NAVIGATION_HEADERS, 'x-csrf': '1' }]) {
      const answer = await anonymous.get(`${stack.bffUrl}/api/echo/x`, headers);
      expect(answer.status).toBe(401);
      expect(answer.header('content-type')).toBe('application/problem+json');
      expect(answer.json()).toMatchObject({
        status: 401,
        code: 'unauthenticated',
        type: expect.any(String),
        title: expect.any(String),
      });
      expect(answer.header('location')).toBeUndefined();
    }
  });

  it('a public service is forwarded without a token when anonymous, with one when signed in', async () => {
    await new TestBrowser().get(`${stack.bffUrl}/api/open/products`, API_HEADERS);
    expect(last()?.url).toBe('/open/products');
    expect(last()?.headers.authorization).toBeUndefined();
    await call('/api/open/products');
    expect(last()?.headers.authorization).toMatch(/^Bearer /);
  });

  it('an unreachable upstream answers 503 upstream_unavailable', async () => {
    const answer = await call('/api/down/x');
    expect(answer.status).toBe(503);
    expect(answer.json()).toMatchObject({ code: 'upstream_unavailable' });
    expect(answer.text).not.toMatch(/ECONNREFUSED|at .*\.ts/);
  });

  it('an unknown service answers 404 not_found', async () => {
    const answer = await call('/api/nope/x');
    expect(answer.status).toBe(404);
    expect(answer.json()).toMatchObject({ code: 'not_found' });
  });
});

describe('CSRF and Fetch Metadata on /api/* (docs/security-requirements.md#d26 to #d29)', () => {
  it.each([
    ['no x-csrf header', { 'x-csrf': '' }, 'GET'],
    ['cross-site fetch', { 'sec-fetch-site': 'cross-site' }, 'GET'],
    ['cross-site navigation', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' }, 'GET'],
    ['same-site write', { 'sec-fetch-site': 'same-site' }, 'POST'],
    [
      'spoofed origin suffix without metadata',
      { 'sec-fetch-site': '', origin: 'http://localhost.evil.example' },
      'POST',
    ],
  ])('%s → 403 csrf_failed and nothing forwarded', async (_label, headers, method) => {
    const before = stack.echo.seen.length;
    const merged: Record<string, string> = { ...API_HEADERS, origin: stack.bffUrl, ...headers };
    for (const [key, value] of Object.entries(merged)) if (value === '') delete merged[key];
    const answer = await browser.request(`${stack.bffUrl}/api/echo/x`, {
      method,
      headers: merged,
      ...(method === 'POST' ? { json: {} } : {}),
    });
    expect(answer.status).toBe(403);
    expect(answer.json()).toMatchObject({ code: 'csrf_failed' });
    expect(stack.echo.seen.length).toBe(before);
  });

  it('D28: a JSON API refuses simple content types (415)', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const answer = await call('/api/echo/x', {
        method: 'POST',
        headers: { 'content-type': type },
        body: 'a=1',
      });
      expect(answer.status).toBe(415);
    }
  });

  it('D27: a preflight from any origin gets no CORS allowance', async () => {
    const answer = await browser.request(`${stack.bffUrl}/api/echo/x`, {
      method: 'OPTIONS',
      headers: {
        origin: `${stack.bffUrl}.evil.example`,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-csrf',
      },
    });
    expect(answer.header('access-control-allow-origin')).toBeUndefined();
    expect(answer.header('access-control-allow-credentials')).toBeUndefined();
  });
});

/** Sends a request line exactly as given (no URL normalisation), over a raw socket. */
function rawRequest(
  target: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(stack.bffUrl);
    const socket = connect(Number(port), '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('end', () => resolve({ status: Number(data.split(' ')[1]), text: data }));
    socket.on('error', reject);
    browser.jar.getCookieString(stack.bffUrl).then((cookie) => {
      const all: Record<string, string> = {
        host: `localhost:${port}`,
        cookie,
        'x-csrf': '1',
        'sec-fetch-site': 'same-origin',
        connection: 'close',
        ...headers,
      };
      socket.write(
        `GET ${target} HTTP/1.1\r\n${Object.entries(all)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\r\n')}\r\n\r\n`,
      );
    }, reject);
  });
}
