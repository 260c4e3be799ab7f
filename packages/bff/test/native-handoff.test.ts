import { nativePaths } from '@gatehouse/policy';
import { API_HEADERS, endIdpSession, findJwts, readForm, TestBrowser } from '@gatehouse/testing';
import { calculatePKCECodeChallenge, randomPKCECodeVerifier } from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack.js';

const LOOPBACK = 'http://127.0.0.1/signed-in';
const SCHEME = 'com.example.shop:/signed-in';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ bff: { nativeRedirectUris: [LOOPBACK, SCHEME], maxSessionsPerUser: 3 } });
});
afterAll(async () => {
  await stack?.close();
});

/** What a native host holds while it signs in: its PKCE pair, its state and the redirect it listens on. */
interface Pending {
  readonly verifier: string;
  readonly state: string;
  readonly redirectUri: string;
}

async function authorizeUrl(redirectUri: string): Promise<{ url: string; pending: Pending }> {
  const verifier = randomPKCECodeVerifier();
  const state = randomPKCECodeVerifier().slice(0, 20);
  const query = new URLSearchParams({
    redirect_uri: redirectUri,
    state,
    code_challenge: await calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  return {
    url: `${stack.bffUrl}${nativePaths.authorize}?${query}`,
    pending: { verifier, state, redirectUri },
  };
}

/**
 * The system browser's part: opens the authorize URL, fills the dev IdP's form, follows the redirects until
 * the browser is sent to the app's redirect (another origin, or the app's scheme). Answers that location.
 */
async function signInForApp(browser: TestBrowser, url: string, user: string): Promise<URL> {
  const app = (location: URL) => location.pathname === '/signed-in';
  const start = await browser.follow(url, {}, app);
  if (start.stoppedAt) return start.stoppedAt;
  const form = readForm(start.response.text, start.response.url);
  const done = await browser.follow(
    form.action,
    { form: { ...form.fields, login: user, password: user }, headers: { 'sec-fetch-site': 'same-origin' } },
    app,
  );
  if (!done.stoppedAt)
    throw new Error(`no redirect to the app: ${done.response.status} ${done.response.text.slice(0, 200)}`);
  return done.stoppedAt;
}

async function redeem(pending: Pending, code: string, verifier = pending.verifier, previous?: string) {
  return fetch(`${stack.bffUrl}${nativePaths.token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(previous ? { cookie: previous } : {}) },
    body: JSON.stringify({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: pending.redirectUri,
    }),
  });
}

async function handOff(user: string, port = 49_152) {
  const browser = new TestBrowser();
  const { url, pending } = await authorizeUrl(`http://127.0.0.1:${port}/signed-in`);
  const landed = await signInForApp(browser, url, user);
  const code = landed.searchParams.get('code') ?? '';
  return { browser, pending, landed, code };
}

describe('the native session handoff (RFC 8252) against the real dev IdP', () => {
  it('signs in through the system browser, returns to the loopback redirect with code and state, and the handle is a session', async () => {
    const { browser, pending, landed, code } = await handOff('alice');
    expect(`${landed.origin}${landed.pathname}`).toBe('http://127.0.0.1:49152/signed-in');
    expect(landed.searchParams.get('state')).toBe(pending.state);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The system browser keeps no session: the BFF cleared its cookie when the session moved to the app.
    const inBrowser = await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS);
    expect(inBrowser.json<{ isAuthenticated: boolean }>().isAuthenticated).toBe(false);

    const answer = await redeem(pending, code);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const { handle, expiresAt } = (await answer.json()) as { handle: string; expiresAt: string };
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    expect(findJwts(handle)).toEqual([]);
    const identity = await fetch(`${stack.bffUrl}/auth/session`, { headers: { cookie: handle } });
    expect(((await identity.json()) as { user: { id: string } }).user.id).toBe('user_alice');
    const api = await fetch(`${stack.bffUrl}/api/echo/orders`, {
      headers: { cookie: handle, 'x-csrf': '1' },
    });
    expect(await api.json()).toMatchObject({ authorized: true });
  });

  it('a replayed code is refused (single-use), and so is a code whose PKCE verifier is wrong, which also ends its session', async () => {
    const first = await handOff('bob');
    expect((await redeem(first.pending, first.code)).status).toBe(200);
    const replayed = await redeem(first.pending, first.code);
    expect(replayed.status).toBe(400);
    expect(replayed.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await replayed.json()).toMatchObject({ code: 'bad_request' });

    const second = await handOff('bob');
    const wrong = await redeem(second.pending, second.code, randomPKCECodeVerifier());
    expect(wrong.status).toBe(400);
    expect(stack.logs.events('native_handoff_refused').at(-1)).toMatchObject({ reason: 'pkce_mismatch' });
    // The right verifier after a wrong one finds nothing: the code was spent and its session ended.
    expect((await redeem(second.pending, second.code)).status).toBe(400);
  });

  it('a code is bound to the redirect it was issued for', async () => {
    const { pending, code } = await handOff('carol', 50_001);
    const other = { ...pending, redirectUri: 'http://127.0.0.1:50002/signed-in' };
    expect((await redeem(other, code)).status).toBe(400);
    expect(stack.logs.events('native_handoff_refused').at(-1)).toMatchObject({ reason: 'redirect_mismatch' });
  });

  it.each([
    ['an unregistered path', 'http://127.0.0.1:4000/elsewhere'],
    ['localhost instead of the loopback address', 'http://localhost:4000/signed-in'],
    ['a query on the loopback redirect', 'http://127.0.0.1:4000/signed-in?x=1'],
    ['another scheme', 'com.evil.app:/signed-in'],
    ['a web page', 'https://evil.example/signed-in'],
  ])('refuses %s as redirect_uri with 400 problem+json and sends the browser nowhere', async (_name, uri) => {
    const { url } = await authorizeUrl(uri);
    const answer = await new TestBrowser().get(url);
    expect(answer.status).toBe(400);
    expect(answer.header('content-type')).toMatch(/application\/problem\+json/);
    expect(answer.header('location')).toBeUndefined();
  });

  it('refuses a plain PKCE method, a missing challenge and a malformed token request with 400 problem+json', async () => {
    const { url } = await authorizeUrl(LOOPBACK);
    const plain = await new TestBrowser().get(url.replace('S256', 'plain'));
    expect(plain.status).toBe(400);
    const noChallenge = await new TestBrowser().get(url.replace(/code_challenge=[^&]+&/, ''));
    expect(noChallenge.status).toBe(400);
    for (const body of ['{}', '{"grant_type":"authorization_code","code":"x"}', 'not json']) {
      const answer = await fetch(`${stack.bffUrl}${nativePaths.token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    const form = await fetch(`${stack.bffUrl}${nativePaths.token}`, { method: 'POST', body: 'code=x' });
    expect(form.status).toBe(415);
  });

  it('a private-use scheme redirect works as registered, exactly', async () => {
    const { url, pending } = await authorizeUrl(SCHEME);
    const landed = await signInForApp(new TestBrowser(), url, 'dave');
    expect(landed.protocol).toBe('com.example.shop:');
    expect((await redeem(pending, landed.searchParams.get('code') ?? '')).status).toBe(200);
  });

  it("the handle's session ends with the issuer's back-channel logout, like any other", async () => {
    const { browser, pending, code } = await handOff('erin');
    const { handle } = (await (await redeem(pending, code)).json()) as { handle: string };
    const before = await fetch(`${stack.bffUrl}/auth/session`, { headers: { cookie: handle } });
    expect(((await before.json()) as { isAuthenticated: boolean }).isAuthenticated).toBe(true);
    // The user signs out at the issuer in the system browser: the issuer tells the BFF server to server.
    await endIdpSession(browser, stack.idp.issuer);
    await expect
      .poll(async () => {
        const after = await fetch(`${stack.bffUrl}/auth/session`, { headers: { cookie: handle } });
        return ((await after.json()) as { isAuthenticated: boolean }).isAuthenticated;
      })
      .toBe(false);
  });

  it('handles count in the per-user cap: a fourth sign-in of the same user ends the oldest handle', async () => {
    const handles: string[] = [];
    for (let index = 0; index < 4; index++) {
      const { pending, code } = await handOff('frank', 51_000 + index);
      handles.push(((await (await redeem(pending, code)).json()) as { handle: string }).handle);
    }
    const live = await Promise.all(
      handles.map(async (handle) => {
        const answer = await fetch(`${stack.bffUrl}/auth/session`, { headers: { cookie: handle } });
        return ((await answer.json()) as { isAuthenticated: boolean }).isAuthenticated;
      }),
    );
    expect(live).toEqual([false, true, true, true]);
  });
  it('passes the sign-in a step-up asks for (acr_values, max_age) on to /auth/login, and refuses a malformed one', async () => {
    const { url } = await authorizeUrl(LOOPBACK.replace('127.0.0.1', '127.0.0.1:49153'));
    const asked = await fetch(`${url}&acr_values=urn%3Agatehouse%3Aloa%3A2&max_age=300`, {
      redirect: 'manual',
    });
    expect(asked.status).toBe(302);
    const login = new URL(asked.headers.get('location') ?? '', stack.bffUrl);
    expect(login.pathname).toBe('/auth/login');
    expect(login.searchParams.get('acr_values')).toBe('urn:gatehouse:loa:2');
    expect(login.searchParams.get('max_age')).toBe('300');
    expect(login.searchParams.get('returnTo')).toMatch(/^\/auth\/native\/complete\?request=/);
    expect((await fetch(`${url}&max_age=soon`, { redirect: 'manual' })).status).toBe(400);
  });

  it('a sign-in of an app that holds a handle replaces its session, and a remote’s pending action follows the same user only', async () => {
    const leave = (handle: string) =>
      fetch(`${stack.bffUrl}/auth/pending`, {
        method: 'POST',
        headers: { cookie: handle, 'x-csrf': '1', origin: stack.bffUrl, 'content-type': 'application/json' },
        body: JSON.stringify({ remote: 'checkout', action: 'place-order', data: { total: 25_000 } }),
      });
    const take = (handle: string) =>
      fetch(`${stack.bffUrl}/auth/pending/checkout`, {
        method: 'DELETE',
        headers: { cookie: handle, 'x-csrf': '1', origin: stack.bffUrl },
      });
    const signedIn = async (handle: string) =>
      (
        (await (await fetch(`${stack.bffUrl}/auth/session`, { headers: { cookie: handle } })).json()) as {
          isAuthenticated: boolean;
        }
      ).isAuthenticated;
    const first = await handOff('bob', 49_160);
    const { handle } = (await (await redeem(first.pending, first.code)).json()) as { handle: string };
    expect((await leave(handle)).status).toBe(204);
    // The step-up's sign-in, redeemed with the handle the app held.
    const again = await handOff('bob', 49_161);
    const next = (await (await redeem(again.pending, again.code, undefined, handle)).json()) as {
      handle: string;
    };
    expect(await signedIn(handle)).toBe(false);
    expect(await signedIn(next.handle)).toBe(true);
    const taken = await take(next.handle);
    expect(taken.status).toBe(200);
    expect(await taken.json()).toEqual({
      remote: 'checkout',
      action: 'place-order',
      data: { total: 25_000 },
    });
    expect((await take(next.handle)).status).toBe(204);

    // Another user signing in on the same app gets nothing of it.
    expect((await leave(next.handle)).status).toBe(204);
    const other = await handOff('carol', 49_162);
    const carol = (await (await redeem(other.pending, other.code, undefined, next.handle)).json()) as {
      handle: string;
    };
    expect(await signedIn(next.handle)).toBe(false);
    expect((await take(carol.handle)).status).toBe(204);
  });
});
