import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { API_HEADERS, demoRoleMaps, freePort, NAVIGATION_HEADERS, TestBrowser } from '@gatehouse/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, gatehouseBff, resolveConfig } from '../src/index.js';
import { SECRET, type Stack, signIn, startStack } from './support/stack.js';

interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * Sends one HTTP/1.1 request whose request-target is exactly `target`, as written on the wire
 * (`GET http://evil.example/auth/session HTTP/1.1` for the absolute-form): node:http puts `path` in the
 * request line unchanged.
 */
function rawRequest(
  url: string,
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** What a page of another site sends when it reads a URL with `fetch(url, { mode: 'no-cors' })`. */
const CROSS_SITE_READ = {
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': 'no-cors',
  'sec-fetch-dest': 'empty',
};

function expectRefusedTarget(answer: RawAnswer): void {
  expect(answer.status, answer.body).toBe(400);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(answer.headers['cache-control']).toBe('no-store');
  expect(JSON.parse(answer.body)).toMatchObject({ code: 'bad_request' });
  expect(answer.body).not.toMatch(/isAuthenticated|user_alice/);
}

describe('request-targets other than a path (absolute-form) in the standalone server', () => {
  let stack: Stack;
  let cookie: string;
  beforeAll(async () => {
    stack = await startStack();
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    cookie = await browser.jar.getCookieString(stack.bffUrl);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses GET http://evil.example/auth/session with 400 and no-store, where it used to skip the Fetch Metadata check', async () => {
    const absolute = `http://evil.example/auth/session`;
    expectRefusedTarget(await rawRequest(stack.bffUrl, absolute, { ...CROSS_SITE_READ, cookie }));
    expectRefusedTarget(await rawRequest(stack.bffUrl, absolute, { cookie }));
    // The same origin's absolute-form is no different.
    expectRefusedTarget(await rawRequest(stack.bffUrl, `${stack.bffUrl}/auth/session`, { cookie }));
    // In origin-form the session reads as before, and another site still cannot read it.
    const own = await rawRequest(stack.bffUrl, '/auth/session', { ...API_HEADERS, cookie });
    expect(JSON.parse(own.body)).toMatchObject({ isAuthenticated: true });
    expect(own.headers['cache-control']).toBe('no-store');
    expect((await rawRequest(stack.bffUrl, '/auth/session', { ...CROSS_SITE_READ, cookie })).status).toBe(
      403,
    );
  });

  it('refuses an absolute-form protected page with 400, where it used to answer the page (200) instead of 302', async () => {
    for (const target of ['http://evil.example/checkout', `${stack.bffUrl}/orders/1?tab=items`]) {
      expectRefusedTarget(await rawRequest(stack.bffUrl, target, { ...NAVIGATION_HEADERS }));
    }
    const own = await rawRequest(stack.bffUrl, '/checkout', { ...NAVIGATION_HEADERS });
    expect(own.status).toBe(302);
    expect(own.headers.location).toBe('/auth/login?returnTo=%2Fcheckout');
  });

  it('refuses absolute-form /api/* with 400 and forwards nothing', async () => {
    const seen = stack.echo.seen.length;
    for (const target of ['http://evil.example/api/echo/x', `${stack.bffUrl}/api/open/y`]) {
      expectRefusedTarget(await rawRequest(stack.bffUrl, target, { ...API_HEADERS, cookie }));
    }
    expect(stack.echo.seen.length).toBe(seen);
    const own = await rawRequest(stack.bffUrl, '/api/echo/x', { ...API_HEADERS, cookie });
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body)).toMatchObject({ url: '/x', authorized: true });
  });

  it('refuses the asterisk-form with 400', async () => {
    expectRefusedTarget(await rawRequest(stack.bffUrl, '*', {}, 'OPTIONS'));
  });

  it('checks /auth/* on the path the router serves: a percent-encoded /auth/session is cross-site-refused and no-store', async () => {
    const refused = await rawRequest(stack.bffUrl, '/%61uth/session', { ...CROSS_SITE_READ, cookie });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'csrf_failed' });
    const own = await rawRequest(stack.bffUrl, '/%61uth/session', { ...API_HEADERS, cookie });
    expect(JSON.parse(own.body)).toMatchObject({ isAuthenticated: true });
    expect(own.headers['cache-control']).toBe('no-store');
    // A percent-encoded protected page is still protected.
    const page = await rawRequest(stack.bffUrl, '/%63heckout', { ...NAVIGATION_HEADERS });
    expect(page.status).toBe(302);
  });
});

describe('request-targets other than a path when the BFF is a plugin in another Fastify app', () => {
  let stack: Stack;
  let app: FastifyInstance;
  let url: string;
  beforeAll(async () => {
    stack = await startStack();
    const port = await freePort();
    url = `http://localhost:${port}`;
    app = Fastify();
    await app.register(gatehouseBff, {
      config: resolveConfig({
        publicUrl: url,
        port,
        issuer: stack.idp.issuer,
        ...demoRoleMaps,
        sessionSecrets: [SECRET],
        upstreams: {
          echo: { url: stack.echo.url },
          open: { url: `${stack.echo.url}/open`, access: 'public' },
        },
        routes: [{ path: '/checkout', auth: 'required' }],
      }),
      logger: createLogger('silent'),
    });
    await app.listen({ port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await stack?.close();
  });

  it('refuses absolute-form /auth/*, pages and /api/* with 400, and serves their origin-form', async () => {
    const seen = stack.echo.seen.length;
    expectRefusedTarget(await rawRequest(url, 'http://evil.example/auth/session', CROSS_SITE_READ));
    expectRefusedTarget(await rawRequest(url, 'http://evil.example/checkout', { ...NAVIGATION_HEADERS }));
    expectRefusedTarget(await rawRequest(url, 'http://evil.example/api/open/y', { ...API_HEADERS }));
    expect(stack.echo.seen.length).toBe(seen);

    expect((await rawRequest(url, '/auth/session', CROSS_SITE_READ)).status).toBe(403);
    expect((await rawRequest(url, '/%61uth/session', CROSS_SITE_READ)).status).toBe(403);
    expect((await rawRequest(url, '/checkout', { ...NAVIGATION_HEADERS })).status).toBe(302);
    const api = await rawRequest(url, '/api/open/y', { ...API_HEADERS });
    expect(api.status).toBe(200);
    expect(JSON.parse(api.body)).toMatchObject({ url: '/open/y', authorized: false });
    expect((await rawRequest(url, '/api/echo/x', { ...API_HEADERS })).status).toBe(401);
  });
});
