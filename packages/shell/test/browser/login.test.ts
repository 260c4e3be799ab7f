/// <reference types="node" />
import { describeWith } from '@gatehouse/testing';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { expect, it } from 'vitest';
import { openShell, text, useShellBrowser, viewIn } from './harness.js';

/** Every request the pages of `context` make from now on (remotes' fetches included). */
const recordRequests = (context: BrowserContext) => {
  const requests: Request[] = [];
  context.on('request', (request) => requests.push(request));
  return requests;
};
/** What a request was: who asked for what, and how. */
const describeRequest = (request: Request) => ({
  method: request.method(),
  url: request.url(),
  resourceType: request.resourceType(),
  navigation: request.isNavigationRequest(),
  mainFrame: request.frame().parentFrame() === null,
});
/** Whether a request has anything to do with signing in. */
const loginRelated = (request: Request) => /login|signin|sign-in|authorize|oauth|token/i.test(request.url());

/** `expect.poll` with room for a loaded two-core machine (its default gives up after 1 s). */
const poll = <T>(actual: () => T) => expect.poll(actual, { timeout: 10_000 });

/**
 * Remotes have no login flow of their own: `context.login()` and the shell's signed-out view both send the
 * browser to the BFF's `/auth/login?returnTo=<path and query, URL-encoded>`, a top-level navigation the shell
 * makes; the remote fetches nothing for it.
 */
await describeWith(['chromium'], 'shell: remotes sign in through the shell in Chromium', () => {
  const env = useShellBrowser();
  const { newContext, streamsOf } = env;

  it('a remote’s context.login() navigates to /auth/login with the current path and query, encoded; the remote fetches nothing login-related', async () => {
    // The remote's code holds no login URL: whatever the browser goes to, the shell built it.
    expect(new TextDecoder().decode(env.servers.cdn.files.get('/account.js'))).not.toMatch(
      /\/auth\/|login\?/,
    );
    const context = await newContext();
    const requests = recordRequests(context);
    const page = await openShell(context, env.servers.bff.origin, '/');
    await poll(() => text(page)).toBe('home: guest');
    // Moved there without a reload: the current route is the address bar's, not the one the page loaded with.
    const current = '/account/order_123?tab=items&note=a%2Fb%20c';
    await page.evaluate((to) => window.gatehouseTest.shell.navigate(to), current);
    await poll(() => text(page)).toContain('account: guest');
    // An anonymous visitor's 401 only reaches the remote: no redirect, the remote offers its sign-in button.
    await page.click('[data-action="load"]');
    await poll(() => text(page, '[data-gatehouse-remote="account"] output')).toBe('401 unauthenticated');
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe(current);
    const loginsBefore = env.servers.bff.loginUrls.length;

    await page.click('[data-action="login"]');
    const login = `/auth/login?returnTo=${encodeURIComponent(current)}`;
    expect(login).toBe('/auth/login?returnTo=%2Faccount%2Forder_123%3Ftab%3Ditems%26note%3Da%252Fb%2520c');
    await poll(() => env.servers.bff.loginUrls.slice(loginsBefore)).toEqual([login]);
    await poll(() => page.url()).toBe(`${env.servers.bff.origin}${login}`);
    expect(env.servers.bff.logins.at(-1)).toBe(current);
    // The only login-related request of the whole visit, and the only one to /auth/ (the identity was inlined,
    // no push channel for a visitor): one top-level navigation, no fetch, no frame.
    const toAuth = (request: Request) => new URL(request.url()).pathname.startsWith('/auth/');
    expect(requests.filter((r) => loginRelated(r) || toAuth(r)).map(describeRequest)).toEqual([
      {
        method: 'GET',
        url: `${env.servers.bff.origin}${login}`,
        resourceType: 'document',
        navigation: true,
        mainFrame: true,
      },
    ]);
    // What the page fetched: the remote's one API call, and the shell's telemetry.
    const fetched = requests
      .filter((request) => ['fetch', 'xhr', 'eventsource'].includes(request.resourceType()))
      .map((request) => request.url())
      .filter((url) => url !== `${env.servers.bff.origin}/telemetry`);
    expect(fetched).toEqual([`${env.servers.bff.origin}/api/orders/order_123`]);
  });

  it('the shell’s signed-out view’s Sign in, after the session ended, navigates to /auth/login with the path and query', async () => {
    const context = await newContext();
    const sid = await env.servers.bff.signIn(context, 'alice');
    const requests = recordRequests(context);
    const current = '/orders/order_123?tab=items&from=mail';
    const page = await openShell(context, env.servers.bff.origin, current);
    await poll(() => text(page)).toContain('Order order_123');
    await poll(() => [...env.servers.bff.streams.values()].filter((owner) => owner === sid).length).toBe(1);
    env.servers.bff.endSession(sid, false);
    expect(env.servers.bff.push(sid, { type: 'session-expired' })).toBe(1);
    await poll(() => viewIn(page)).toBe('signed-out');
    const loginsBefore = env.servers.bff.loginUrls.length;

    await page.click('[data-gatehouse-view="signed-out"] button');
    const login = `/auth/login?returnTo=${encodeURIComponent(current)}`;
    await poll(() => env.servers.bff.loginUrls.slice(loginsBefore)).toEqual([login]);
    await poll(() => page.url()).toBe(`${env.servers.bff.origin}${login}`);
    // The one login-related request, also when the push channel ended the session: the shell's navigation.
    expect(requests.filter(loginRelated).map(describeRequest)).toEqual([
      {
        method: 'GET',
        url: `${env.servers.bff.origin}${login}`,
        resourceType: 'document',
        navigation: true,
        mainFrame: true,
      },
    ]);
  });

  it('login(returnTo, options) sends the issuer options under their OpenID Connect names, encoded, nothing else', async () => {
    const context = await newContext();
    const page = await openShell(context, env.servers.bff.origin, '/');
    await poll(() => text(page)).toBe('home: guest');
    const loginsBefore = env.servers.bff.loginUrls.length;
    await page.evaluate(() =>
      window.gatehouseTest.shell.login('/account?x=1', {
        prompt: 'none',
        login_hint: 'a b+c@example.com',
        max_age: 0,
        acr_values: 'urn:gatehouse:loa:2 urn:gatehouse:loa:1',
        ui_locales: 'de-CH en',
      }),
    );
    await poll(() => env.servers.bff.loginUrls.slice(loginsBefore).length).toBe(1);
    const sent = new URL(env.servers.bff.loginUrls.at(-1) ?? '', env.servers.bff.origin);
    expect(sent.pathname).toBe('/auth/login');
    expect([...sent.searchParams]).toEqual([
      ['returnTo', '/account?x=1'],
      ['prompt', 'none'],
      ['login_hint', 'a b+c@example.com'],
      ['max_age', '0'],
      ['acr_values', 'urn:gatehouse:loa:2 urn:gatehouse:loa:1'],
      ['ui_locales', 'de-CH en'],
    ]);
    // Let the navigation finish before the context closes: closing a context mid-navigation can hang Chromium.
    await poll(() => page.url()).toBe(sent.href);
  });

  it('a call made while signed in whose 401 comes after the push of the session’s end still runs the 401 flow; a call made after the end does not', async () => {
    const context = await newContext();
    const notices = (page: Page) => page.locator('[data-gatehouse-view="expired-notice"]').count();

    // After the end (idle, say): the page shows it; a later call's 401 stays with the remote (a public route).
    const idle = await env.servers.bff.signIn(context, 'alice');
    const before = await openShell(context, env.servers.bff.origin, '/account/order_123');
    await poll(() => text(before)).toContain('account: Alice');
    await poll(() => streamsOf(idle)).toBe(1);
    env.servers.bff.endSession(idle, false);
    expect(env.servers.bff.push(idle, { type: 'session-expired' })).toBe(1);
    await poll(() => text(before)).toContain('account: guest');
    await before.click('[data-action="load"]');
    await poll(() => text(before, '[data-gatehouse-remote="account"] output')).toBe('401 session_expired');
    await before.waitForTimeout(500);
    expect(await notices(before)).toBe(0);
    expect(new URL(before.url()).pathname).toBe('/account/order_123');
    await before.close();

    // During the call: the session ends under it (a refresh the IdP refused), and the push says so first.
    const sid = await env.servers.bff.signIn(context, 'alice');
    const page = await openShell(context, env.servers.bff.origin, '/account/order_123');
    await poll(() => text(page)).toContain('account: Alice');
    await poll(() => streamsOf(sid)).toBe(1);
    let answer = () => {};
    env.servers.bff.holds.set('/api/orders/order_123', new Promise<void>((resolve) => (answer = resolve)));
    try {
      const asked = env.servers.bff.requests.length;
      await page.click('[data-action="load"]');
      await poll(() => env.servers.bff.requests.slice(asked)).toContain('GET /api/orders/order_123');
      env.servers.bff.endSession(sid, false);
      expect(env.servers.bff.push(sid, { type: 'session-expired' })).toBe(1);
      await poll(() => text(page)).toContain('account: guest');
      expect(await notices(page)).toBe(0);
      answer();
      await poll(() => notices(page)).toBe(1);
      const login = `/auth/login?returnTo=${encodeURIComponent('/account/order_123')}`;
      await poll(() => page.url()).toBe(`${env.servers.bff.origin}${login}`);
    } finally {
      env.servers.bff.holds.clear();
    }
  });
});
