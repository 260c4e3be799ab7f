import { API_HEADERS, TestBrowser } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, signIn, startStack } from './support/stack.js';

/** Seconds of inactivity after which this file's BFF ends a session (configuration, not a clock trick). */
const IDLE = 2;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ bff: { idleTimeout: IDLE, absoluteTimeout: 60 } });
});
afterAll(async () => {
  await stack?.close();
});

const leave = (browser: TestBrowser, body: unknown) =>
  browser.request(`${stack.bffUrl}/auth/pending`, { method: 'POST', headers: API_HEADERS, json: body });
const take = (browser: TestBrowser, remote: string) =>
  browser.request(`${stack.bffUrl}/auth/pending/${remote}`, { method: 'DELETE', headers: API_HEADERS });
const identity = async (browser: TestBrowser) => {
  const answer = await browser.request(`${stack.bffUrl}/auth/session`);
  return { body: answer.json<{ isAuthenticated: boolean }>(), setCookie: answer.header('set-cookie') };
};
/** The session cookie's value in the jar, or undefined. */
const sessionCookie = async (browser: TestBrowser) =>
  (await browser.jar.getCookies(stack.bffUrl)).find(
    (cookie) => cookie.key === stack.bff.runtime.config.cookieName,
  )?.value;
/** Waits until the session has been idle past the timeout (the BFF notices it at the next request). */
const idleOut = () => new Promise((resolve) => setTimeout(resolve, IDLE * 1000 + 400));

const DRAFT = { remote: 'checkout', action: 'checkout-draft', data: { line1: '9 Idle Road', city: 'Pune' } };

describe('work left by a tab whose session expired follows the user to their next sign-in', () => {
  it('an idle timeout: the expired session may still leave its draft; the dead cookie stays; the next sign-in of the same user takes it once', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice', '/checkout');
    const cookie = await sessionCookie(browser);
    await idleOut();

    // The tab learns of the expiry (this answer ends the session at the BFF); the cookie is not cleared.
    const seen = await identity(browser);
    expect(seen.body).toEqual({ isAuthenticated: false });
    expect(seen.setCookie).toBeUndefined();
    expect(await sessionCookie(browser)).toBe(cookie);
    expect((await leave(browser, DRAFT)).status).toBe(204);
    // Asking again does not clear it either, while the expired session's note lasts (loginTimeout).
    expect((await identity(browser)).setCookie).toBeUndefined();
    // Nothing can be taken back without a live session.
    expect((await take(browser, 'checkout')).status).toBe(401);

    await signIn(browser, stack, 'alice', '/checkout');
    expect(await sessionCookie(browser)).not.toBe(cookie);
    const taken = await take(browser, 'checkout');
    expect(taken.status).toBe(200);
    expect(taken.json()).toEqual(DRAFT);
    expect((await take(browser, 'checkout')).status).toBe(204);
    expect(stack.logs.events('pending_action').at(-1)).toMatchObject({ expired: true, remote: 'checkout' });
  });

  it('another user signing in on that browser gets nothing of it', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice', '/checkout');
    await idleOut();
    await identity(browser);
    expect((await leave(browser, DRAFT)).status).toBe(204);
    // Another user at the issuer too: the browser forgets alice's session there (every cookie but the BFF's).
    for (const cookie of await browser.jar.getCookies(stack.idp.issuer))
      if (cookie.key !== stack.bff.runtime.config.cookieName)
        await browser.jar.store.removeCookie(cookie.domain ?? '', cookie.path ?? '/', cookie.key);
    await signIn(browser, stack, 'bob', '/checkout');
    const now = (await browser.request(`${stack.bffUrl}/auth/session`)).json<{ user: { id: string } }>();
    expect(now.user.id).toBe('user_bob');
    expect((await take(browser, 'checkout')).status).toBe(204);
  });

  it('a session ended on purpose (a logout) leaves no note: its work is refused and its cookie cleared', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice', '/checkout');
    const cookie = await sessionCookie(browser);
    const out = await browser.request(`${stack.bffUrl}/auth/logout`, {
      method: 'POST',
      headers: API_HEADERS,
    });
    expect(out.status).toBeLessThan(400);
    // The cookie the logout cleared, sent again as a stolen copy would be.
    const headers = { ...API_HEADERS, cookie: `${stack.bff.runtime.config.cookieName}=${cookie}` };
    const refused = await fetch(`${stack.bffUrl}/auth/pending`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(DRAFT),
    });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'session_expired' });
    const asked = await fetch(`${stack.bffUrl}/auth/session`, { headers });
    expect(asked.headers.get('set-cookie')).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  });

  it('without any session cookie: 401 unauthenticated, nothing kept', async () => {
    const browser = new TestBrowser();
    const refused = await leave(browser, DRAFT);
    expect(refused.status).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'unauthenticated' });
  });
});
