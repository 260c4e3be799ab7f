import { createApiClient, ForbiddenError } from '@gatehouse/remote';
import { bridgeFetch, type NativeTransport } from '@gatehouse/shell/native';
import { readForm, TestBrowser } from '@gatehouse/testing';
import { calculatePKCECodeChallenge, randomPKCECodeVerifier } from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appOriginRelays,
  appOriginReport,
  type BridgeHost,
  createBridgeHost,
  type HostHttp,
} from '../../examples/shop/hybrid/bridge-host.js';
import { type Stack, startStack } from '../../packages/bff/test/support/stack.js';

const APP_ORIGIN = 'http://127.0.0.1:45000';

/** The host's HTTP: Node's fetch (the GJS host uses Soup), answering every header in lower case. */
const http: HostHttp = async (request) => {
  const answer = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    redirect: 'manual',
  });
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: answer.status, headers, body: await answer.text() };
};

let stack: Stack;
let handle: string | undefined;
/** The handle of the session that expired last, as the host keeps it. */
let expired: string | undefined;
let host: BridgeHost;
const sentToBff: string[] = [];

/** The native handoff as the host does it, the system browser's part by the test browser. */
async function signIn(user: string, previous?: string): Promise<string> {
  const verifier = randomPKCECodeVerifier();
  const redirectUri = 'http://127.0.0.1:45001/signed-in';
  const query = new URLSearchParams({
    redirect_uri: redirectUri,
    state: 'st',
    code_challenge: await calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const browser = new TestBrowser();
  const app = (location: URL) => location.pathname === '/signed-in';
  const start = await browser.follow(`${stack.bffUrl}/auth/native/authorize?${query}`, {}, app);
  const form = readForm(start.response.text, start.response.url);
  const done = await browser.follow(
    form.action,
    { form: { ...form.fields, login: user, password: user }, headers: { 'sec-fetch-site': 'same-origin' } },
    app,
  );
  const code = done.stoppedAt?.searchParams.get('code') ?? '';
  const answer = await fetch(`${stack.bffUrl}/auth/native/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(previous ? { cookie: previous } : {}) },
    body: JSON.stringify({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: redirectUri,
    }),
  });
  return ((await answer.json()) as { handle: string }).handle;
}

beforeAll(async () => {
  stack = await startStack({ bff: { nativeRedirectUris: ['http://127.0.0.1/signed-in'] } });
  host = createBridgeHost({
    appOrigin: APP_ORIGIN,
    bffUrl: stack.bffUrl,
    http: async (request) => {
      sentToBff.push(`${request.method} ${request.url}`);
      return http(request);
    },
    handle: () => handle,
    expiredHandle: () => expired,
    // As the GJS host does: an expired session's handle is kept until the next sign-in or a logout.
    signedOut: (how) => {
      if (handle === undefined) {
        if (how === 'ended') expired = undefined;
        return;
      }
      expired = how === 'expired' ? handle : undefined;
      handle = undefined;
    },
    waitMs: 500,
  });
  handle = await signIn('alice');
});
afterAll(async () => {
  host?.close();
  await stack?.close();
});

/** The page's transport, as the WebKitGTK relay delivers it: from the app's main frame unless told. */
const transport = (origin = APP_ORIGIN, mainFrame = true): NativeTransport => ({
  kind: 'relay',
  send: (message) => host.receive({ message, origin, mainFrame }),
});

describe('the bridge: the page side (@gatehouse/shell/native) and the host side over the real BFF', () => {
  it("the API client's calls cross the bridge with the handle attached by the host, never by the page", async () => {
    const api = createApiClient({ fetch: bridgeFetch(transport()) });
    const answer = await api.get<{ authorized: boolean; url: string }>('/api/echo/orders?x=1');
    expect(answer).toMatchObject({ authorized: true, url: '/orders?x=1' });
    const seen = stack.echo.seen.at(-1);
    expect(seen?.headers.authorization).toMatch(/^Bearer /);
    expect(seen?.headers.cookie).toBeUndefined();
    const posted = await api.post<{ method: string }>('/api/echo/cart', { productId: 'p1' });
    expect(posted.method).toBe('POST');
  });

  it('hands back only allow-listed response headers: no Set-Cookie reaches the page', async () => {
    const response = await bridgeFetch(transport())('/api/echo/x', {
      headers: { accept: 'application/json' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/json/);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('x-upstream')).toBeNull();
  });

  it('error answers keep their status and problem: a 403 upstream is a ForbiddenError', async () => {
    const api = createApiClient({ fetch: bridgeFetch(transport()) });
    await expect(api.get('/api/echo/x?status=403')).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('the host refuses another frame or origin, a path off the allow-list and an oversized body; the page side refuses them before sending', async () => {
    const before = sentToBff.length;
    const request = { kind: 'request', method: 'GET', path: '/api/echo/x', headers: {}, body: null };
    const iframe = await host.receive({ message: request, origin: 'http://evil.example', mainFrame: false });
    expect(iframe).toMatchObject({ status: 403 });
    const frameOfOurs = await host.receive({ message: request, origin: APP_ORIGIN, mainFrame: false });
    expect(frameOfOurs).toMatchObject({ status: 403 });
    const path = await host.receive({
      message: { ...request, path: '/auth/native/token', method: 'POST' },
      origin: APP_ORIGIN,
      mainFrame: true,
    });
    expect(path).toMatchObject({ status: 403 });
    const big = await host.receive({
      message: { ...request, method: 'POST', body: 'x'.repeat(300_000) },
      origin: APP_ORIGIN,
      mainFrame: true,
    });
    expect(big).toMatchObject({ status: 413 });
    expect(host.refusals.slice(-4)).toEqual(['frame', 'frame', 'path_not_allowed', 'body_too_large']);
    expect(sentToBff.length).toBe(before);
    const send = bridgeFetch(transport());
    await expect(send('/auth/login', {})).rejects.toThrow(/path_not_allowed/);
    await expect(send('/api/x', { method: 'POST', body: 'x'.repeat(300_000) })).rejects.toThrow(
      /body_too_large/,
    );
    await expect(send('/api/x', { headers: { authorization: 'Bearer x' } })).rejects.toThrow(
      /header_not_allowed/,
    );
  });

  it('the app origin relays GET of pages and files to the BFF, never /api or /auth, another method or a path read otherwise', () => {
    for (const path of [
      '/',
      '/admin',
      '/orders/order_123?tab=1',
      '/shell/main-1.js',
      '/remotes/admin/admin-1.js',
    ])
      expect(appOriginRelays('GET', path), path).toBe(true);
    for (const path of [
      '/api/orders',
      '/API/orders',
      '/auth/session',
      '/auth',
      '/remotes/../api/orders',
      '/remotes/%2e%2e/auth/session',
      '/remotes%2fadmin/x.js',
      '//evil.example/x.js',
      '/remotes\\admin/x.js',
      'remotes/admin/x.js',
      '/x y',
    ])
      expect(appOriginRelays('GET', path), path).toBe(false);
    expect(appOriginRelays('POST', '/reports')).toBe(false);
    expect(appOriginRelays('HEAD', '/')).toBe(false);
  });

  it('the app origin relays the browser’s own security reports to the BFF: POST /reports, its types, 64 KiB', () => {
    expect(appOriginReport('POST', '/reports', 'application/reports+json', 800)).toBe(true);
    expect(appOriginReport('POST', '/reports', 'application/csp-report', 64 * 1024)).toBe(true);
    expect(appOriginReport('POST', '/reports', 'application/csp-report', 64 * 1024 + 1)).toBe(false);
    expect(appOriginReport('POST', '/reports', 'application/json', 800)).toBe(false);
    expect(appOriginReport('POST', '/telemetry', 'application/reports+json', 800)).toBe(false);
    expect(appOriginReport('GET', '/reports', 'application/reports+json', 0)).toBe(false);
  });

  it('after an expiry the host sends the dead handle with POST /auth/pending only; the next sign-in takes the action along', async () => {
    const send = bridgeFetch(transport());
    const json = { 'x-csrf': '1', 'content-type': 'application/json' };
    const draft = { remote: 'checkout', action: 'checkout-draft', data: { line1: '9 Idle Road' } };
    const bob = await signIn('bob');
    handle = bob;
    const session = stack.bff.runtime.cookies.session(bob);
    if (session.kind !== 'id') throw new Error('the handle names no session');
    await stack.bff.runtime.sessions.endById(session.id, 'idle_timeout');
    const first = await send('/api/echo/x', {});
    expect(first.status).toBe(401);
    expect(await first.json()).toMatchObject({ code: 'session_expired' });
    expect([handle, expired]).toEqual([undefined, bob]);
    expect(
      (await send('/auth/pending', { method: 'POST', headers: json, body: JSON.stringify(draft) })).status,
    ).toBe(204);
    // Nothing else goes with the dead handle.
    expect((await send('/auth/session', {})).status).toBe(200);
    expect(await (await send('/auth/session', {})).json()).toMatchObject({ isAuthenticated: false });
    // The next sign-in, redeemed with the dead handle as the GJS host does: the draft follows bob.
    handle = await signIn('bob', expired);
    expired = undefined;
    const taken = await send('/auth/pending/checkout', { method: 'DELETE', headers: { 'x-csrf': '1' } });
    expect(taken.status).toBe(200);
    expect(await taken.json()).toEqual(draft);
  });

  it('relays push messages to a waiting page, and a logout over the bridge makes the host forget the handle', async () => {
    const waiting = transport().send({ kind: 'next-event' });
    host.push({ type: 'session-extended', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect(await waiting).toMatchObject({ type: 'session-extended' });
    expect(await transport().send({ kind: 'next-event' })).toBeNull();

    const send = bridgeFetch(transport());
    const logout = await send('/auth/logout', { method: 'POST', headers: { 'x-csrf': '1' } });
    expect(logout.status).toBe(200);
    expect(await logout.json()).toEqual({ redirectTo: '/' });
    expect(handle).toBeUndefined();
    const after = await send('/api/echo/x', {});
    expect(after.status).toBe(401);
  });
});
