import { API_HEADERS, findJwts, NAVIGATION_HEADERS, TestBrowser } from '@gatehouse/testing';
import { aliceUser } from '@gatehouse/testing/roles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, signIn, startStack } from './support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('the authorization code flow against the real dev IdP', () => {
  it('SECURITY C19: no token in any answer the browser gets from the BFF, across login, API, refresh, errors and logout', async () => {
    // Access tokens of 4 s: an API call in the traffic makes the BFF refresh them.
    const short = await startStack({ ttl: { AccessToken: 4 } });
    try {
      const browser = new TestBrowser();
      const seen: string[] = [];
      const original = browser.request.bind(browser);
      browser.request = async (url, init) => {
        const answer = await original(url, init);
        if (url.startsWith(short.bffUrl))
          seen.push(`${answer.status} ${JSON.stringify(answer.headers)}\n${answer.text}`);
        return answer;
      };
      await signIn(browser, short, 'erin', '/admin');
      await browser.get(`${short.bffUrl}/`, NAVIGATION_HEADERS);
      await browser.get(`${short.bffUrl}/auth/session`, API_HEADERS);
      await browser.get(`${short.bffUrl}/api/echo/x`, API_HEADERS);
      const cookie = (await browser.jar.getCookies(short.bffUrl)).find(
        (entry) => entry.key === '__Host-Http-gatehouse',
      );
      const id = cookie?.value.split('.')[0] ?? '';
      const record = await short.bff.runtime.store.get(id);
      const refreshAt = record?.tokens.refreshAt ?? Number.POSITIVE_INFINITY;
      expect(refreshAt - Date.now()).toBeLessThan(4000);
      const grants = short.refreshGrants();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, refreshAt - Date.now()) + 100));
      const refreshed = await browser.get(`${short.bffUrl}/api/echo/refreshed`, API_HEADERS);
      expect(refreshed.status).toBe(200);
      expect(short.refreshGrants()).toBe(grants + 1);
      const after = await short.bff.runtime.store.get(id);
      expect(after?.tokens.accessToken).not.toBe(record?.tokens.accessToken);
      await browser.get(`${short.bffUrl}/auth/session`, API_HEADERS);
      await browser.get(`${short.bffUrl}/`, NAVIGATION_HEADERS);
      await browser.get(`${short.bffUrl}/api/echo/x?status=401`, API_HEADERS);
      await browser.get(`${short.bffUrl}/api/echo/x`, { 'sec-fetch-site': 'cross-site' });
      await browser.get(`${short.bffUrl}/api/nope/x`, API_HEADERS);
      await browser.get(`${short.bffUrl}/auth/callback?state=x&code=y`, NAVIGATION_HEADERS);
      await browser.request(`${short.bffUrl}/auth/logout`, {
        method: 'POST',
        headers: { ...API_HEADERS, origin: short.bffUrl },
      });
      await browser.get(`${short.bffUrl}/api/echo/x`, API_HEADERS);
      expect(seen.length).toBeGreaterThan(10);
      const har = seen.join('\n');
      expect(findJwts(har)).toEqual([]);
      expect(har).not.toMatch(/access_token|refresh_token|id_token|Bearer /);
      for (const token of [record?.tokens, after?.tokens].flatMap((tokens) => [
        tokens?.accessToken,
        tokens?.refreshToken,
      ])) {
        expect(token).toBeTruthy();
        expect(har.includes(token ?? '')).toBe(false);
      }
    } finally {
      await short.close();
    }
  });

  it('signs alice in, returns to the original route and serves the contract identity', async () => {
    const browser = new TestBrowser();
    const landed = await signIn(browser, stack, 'alice', '/orders/order_123?tab=items');
    expect(`${landed.pathname}${landed.search}`).toBe('/orders/order_123?tab=items');
    const session = await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS);
    expect(session.status).toBe(200);
    expect(session.header('cache-control')).toBe('no-store');
    const identity = session.json<Record<string, unknown>>();
    expect(identity).toEqual({
      isAuthenticated: true,
      user: aliceUser,
      session: {
        expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        // How she signed in (the ID token's acr and auth_time): a password alone.
        acr: 'urn:gatehouse:loa:1',
        authTime: expect.any(Number),
      },
    });
    expect(session.text).not.toMatch(/eyJ|access_token|refresh_token|id_token/);
  });

  it('forwards the access token to the upstream, never the cookie', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'bob');
    const before = stack.echo.seen.length;
    const answer = await browser.get(`${stack.bffUrl}/api/echo/things?x=1`, API_HEADERS);
    expect(answer.status).toBe(200);
    const seen = stack.echo.seen.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe('/things?x=1');
    expect(seen[0]?.headers.authorization).toMatch(/^Bearer eyJ/);
    expect(seen[0]?.headers.cookie).toBeUndefined();
    expect(answer.header('set-cookie')).toBeUndefined();
  });

  it('answers anonymous navigations to protected routes with a redirect to the login', async () => {
    const browser = new TestBrowser();
    const answer = await browser.get(`${stack.bffUrl}/orders/order_123?tab=items`, NAVIGATION_HEADERS);
    expect(answer.status).toBe(302);
    expect(answer.header('location')).toBe('/auth/login?returnTo=%2Forders%2Forder_123%3Ftab%3Ditems');
  });
});
