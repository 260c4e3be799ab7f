import { API_HEADERS, NAVIGATION_HEADERS, readForm, TestBrowser } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockOp, startMockOpStack } from './support/mock-op.js';
import { type Stack, signIn, startStack } from './support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const loginRedirect = async (browser: TestBrowser, returnTo = '/') => {
  const answer = await browser.get(
    `${stack.bffUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`,
    NAVIGATION_HEADERS,
  );
  expect(answer.status).toBe(302);
  return new URL(answer.header('location') ?? '');
};

/** Runs the login up to the IdP's redirect back to the callback, without following it. */
async function callbackUrl(browser: TestBrowser, user = 'alice'): Promise<URL> {
  const start = await browser.follow(`${stack.bffUrl}/auth/login?returnTo=%2F`);
  const form = readForm(start.response.text, start.response.url);
  const done = await browser.follow(
    form.action,
    { form: { ...form.fields, login: user, password: user } },
    (location) => location.pathname.endsWith('/auth/callback'),
  );
  if (!done.stoppedAt) throw new Error('no callback');
  return done.stoppedAt;
}

describe('login request (docs/security-requirements.md#b11, #b12, #b18)', () => {
  it('asks for the code flow with PKCE S256, state, nonce and the minimal scopes', async () => {
    const url = await loginRedirect(new TestBrowser());
    const params = url.searchParams;
    expect(url.origin).toBe(new URL(stack.idp.issuer).origin);
    expect(params.get('response_type')).toBe('code');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')?.length).toBeGreaterThanOrEqual(22);
    expect(params.get('nonce')?.length).toBeGreaterThanOrEqual(22);
    expect(params.get('scope')?.split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);
    expect(params.get('redirect_uri')).toBe(`${stack.bffUrl}/auth/callback`);
    expect(url.href).not.toMatch(/code_verifier|client_secret/);
  });

  it('uses a fresh challenge, state and nonce for every login', async () => {
    const browser = new TestBrowser();
    const a = (await loginRedirect(browser)).searchParams;
    const b = (await loginRedirect(browser)).searchParams;
    for (const name of ['code_challenge', 'state', 'nonce']) expect(a.get(name)).not.toBe(b.get(name));
  });

  it('redeeming a code without client authentication is refused by the issuer (confidential client)', async () => {
    const browser = new TestBrowser();
    const callback = await callbackUrl(browser);
    const response = await fetch(`${stack.idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code') ?? '',
        redirect_uri: `${stack.bffUrl}/auth/callback`,
        client_id: 'gatehouse-bff',
      }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });
});

describe('callback (docs/security-requirements.md#b13, #b15, #b16)', () => {
  it('B16: the callback sets Referrer-Policy: no-referrer and loads nothing third-party', async () => {
    const browser = new TestBrowser();
    const callback = await callbackUrl(browser);
    const answer = await browser.get(callback.href, NAVIGATION_HEADERS);
    expect(answer.status).toBe(302);
    expect(answer.header('referrer-policy')).toBe('no-referrer');
    const error = await browser.get(`${stack.bffUrl}/auth/callback?state=unknown&code=x`, NAVIGATION_HEADERS);
    expect(error.header('referrer-policy')).toBe('no-referrer');
    expect(error.text).not.toMatch(/<(script|img|link|iframe)[^>]+(src|href)="https?:/i);
  });

  it('B13: a callback replayed after use is refused and makes no session', async () => {
    const browser = new TestBrowser();
    const callback = await callbackUrl(browser);
    expect((await browser.get(callback.href, NAVIGATION_HEADERS)).status).toBe(302);
    const other = new TestBrowser();
    for (const cookie of await browser.jar.getCookies(stack.bffUrl)) {
      if (cookie.key.endsWith('-login')) await other.jar.setCookie(cookie.toString(), stack.bffUrl);
    }
    const replay = await other.get(callback.href, NAVIGATION_HEADERS);
    expect(replay.status).toBe(400);
    expect(replay.setCookies().some((line) => line.startsWith('__Host-Http-gatehouse='))).toBe(false);
    expect(replay.header('content-type')).toMatch(/text\/html/);
  });

  it('B13: a login started in browser A cannot be finished in browser B', async () => {
    const a = new TestBrowser();
    const callback = await callbackUrl(a);
    const b = new TestBrowser();
    const answer = await b.get(callback.href, NAVIGATION_HEADERS);
    expect(answer.status).toBe(400);
    expect(answer.setCookies().some((line) => line.startsWith('__Host-Http-gatehouse='))).toBe(false);
    // B could neither use nor spend A's login: A finishes it, once (single use).
    expect((await a.get(callback.href, NAVIGATION_HEADERS)).status).toBe(302);
    expect((await a.get(callback.href, NAVIGATION_HEADERS)).status).toBe(400);
  });

  it('B13: browser B with a login cookie of its own cannot finish browser A’s login (the binding is compared)', async () => {
    const a = new TestBrowser();
    const callback = await callbackUrl(a);
    const b = new TestBrowser();
    await loginRedirect(b);
    const own = (await b.jar.getCookies(stack.bffUrl)).find((cookie) => cookie.key.endsWith('-login'));
    const theirs = (await a.jar.getCookies(stack.bffUrl)).find((cookie) => cookie.key.endsWith('-login'));
    expect(own?.value).toBeTruthy();
    expect(own?.value).not.toBe(theirs?.value);
    const answer = await b.get(callback.href, NAVIGATION_HEADERS);
    expect(answer.status).toBe(400);
    expect(answer.setCookies().some((line) => line.startsWith('__Host-Http-gatehouse='))).toBe(false);
    expect(
      (await b.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).json<{ isAuthenticated: boolean }>()
        .isAuthenticated,
    ).toBe(false);
    expect(stack.logs.events('login_failure').at(-1)).toMatchObject({ reason: 'state_mismatch' });
    // The transaction is taken only with its own binding: B's attempt left it, and A finishes its login.
    const finished = await a.get(callback.href, NAVIGATION_HEADERS);
    expect(finished.status).toBe(302);
    expect(finished.header('location')).toBe('/');
    expect((await a.get(callback.href, NAVIGATION_HEADERS)).status).toBe(400);
  });

  it('B15: a callback naming another issuer (mix-up) is aborted', async () => {
    const browser = new TestBrowser();
    const callback = await callbackUrl(browser);
    callback.searchParams.set('iss', 'https://evil.example');
    const answer = await browser.get(callback.href, NAVIGATION_HEADERS);
    expect(answer.status).toBe(400);
    expect(answer.setCookies().some((line) => line.startsWith('__Host-Http-gatehouse='))).toBe(false);
  });

  it('an error from the IdP (user cancelled) shows a clear page and no session', async () => {
    const browser = new TestBrowser();
    const start = await browser.follow(`${stack.bffUrl}/auth/login?returnTo=%2F`);
    const page = start.response.text;
    const abort = /action="([^"]*\/abort)"/.exec(page)?.[1];
    expect(abort).toBeTruthy();
    const done = await browser.follow(new URL(abort ?? '', start.response.url).href, { form: {} });
    expect(done.response.status).toBe(400);
    expect(done.response.text).toMatch(/cancelled/);
  });

  it('parallel logins in several tabs keep one login cookie and all complete', async () => {
    const browser = new TestBrowser();
    // Tabs opened one after another (as a person does): each later tab reuses the browser's login cookie.
    const tabs: Array<{ returnTo: string; form: ReturnType<typeof readForm> }> = [];
    for (const returnTo of ['/orders', '/checkout', '/profile']) {
      const start = await browser.follow(
        `${stack.bffUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`,
      );
      tabs.push({ returnTo, form: readForm(start.response.text, start.response.url) });
    }
    const loginCookies = (await browser.jar.getCookies(stack.bffUrl)).filter((cookie) =>
      cookie.key.endsWith('-login'),
    );
    expect(loginCookies).toHaveLength(1);
    for (const tab of tabs.reverse()) {
      const done = await browser.follow(
        tab.form.action,
        { form: { ...tab.form.fields, login: 'alice', password: 'alice' } },
        (location) => location.origin === stack.bffUrl && !location.pathname.startsWith('/auth/'),
      );
      expect(done.stoppedAt?.pathname).toBe(tab.returnTo);
    }
    // Cookies ignore ports: the IdP's own cookies on localhost show up too; count only the BFF's.
    const cookies = (await browser.jar.getCookies(stack.bffUrl))
      .map((cookie) => cookie.key)
      .filter((key) => key.startsWith('__Host-Http-gatehouse'))
      .sort();
    expect(cookies).toEqual(['__Host-Http-gatehouse', '__Host-Http-gatehouse-login']);
  });
});

describe('returnTo attack strings through the real login (docs/security-requirements.md#e31)', () => {
  it.each([
    'https://evil.example',
    '//evil.example',
    '/\\evil.example',
    '/%5Cevil.example',
    '%2F%2Fevil.example',
    '/%2F%2Fevil.example',
    'https:evil.example',
    'javascript:alert(1)',
    '/%0d%0aSet-Cookie:%20x=1',
  ])('%s lands on /', async (attack) => {
    const browser = new TestBrowser();
    const landed = await signIn(browser, stack, 'alice', attack);
    expect(landed.origin).toBe(stack.bffUrl);
    expect(landed.pathname).toBe('/');
    expect(landed.search).toBe('');
  });
});

describe('repeated or malformed login parameters (query schemas)', () => {
  it('a repeated returnTo still starts the login, back to /', async () => {
    const browser = new TestBrowser();
    const answer = await browser.get(
      `${stack.bffUrl}/auth/login?returnTo=%2Forders&returnTo=%2Fcheckout`,
      NAVIGATION_HEADERS,
    );
    expect(answer.status).toBe(302);
    const state = new URL(answer.header('location') ?? '').searchParams.get('state') ?? '';
    const callback = await callbackUrl(browser);
    expect(callback.searchParams.get('state')).not.toBe(state);
  });

  it('a callback with a repeated state or code answers the HTML error page, logs invalid_request, makes no session', async () => {
    const browser = new TestBrowser();
    const callback = await callbackUrl(browser);
    const before = stack.logs.events('login_failure').length;
    for (const name of ['state', 'code']) {
      const repeated = new URL(callback);
      repeated.searchParams.append(name, 'again');
      const answer = await browser.get(repeated.href, NAVIGATION_HEADERS);
      expect(answer.status).toBe(400);
      expect(answer.header('content-type')).toMatch(/^text\/html/);
      expect(answer.header('referrer-policy')).toBe('no-referrer');
      expect(answer.text).toMatch(/Sign-in failed/);
    }
    const failures = stack.logs.events('login_failure').slice(before);
    expect(failures.map((entry) => entry.reason)).toEqual(['invalid_request', 'invalid_request']);
    // The transaction was not consumed by the malformed answers: the real callback still completes.
    const done = await browser.get(callback.href, NAVIGATION_HEADERS);
    expect(done.status).toBe(302);
    expect(
      (await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).json<{ isAuthenticated: boolean }>()
        .isAuthenticated,
    ).toBe(true);
  });
});

describe('ID token checks against a provider that misbehaves (docs/security-requirements.md#b14)', () => {
  let op: MockOp;
  let bffUrl: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ op, bffUrl, close } = await startMockOpStack());
  });
  afterAll(async () => {
    await close?.();
  });

  async function loginWith(overrides: Record<string, unknown>) {
    op.idTokenOverrides = overrides;
    const browser = new TestBrowser();
    const done = await browser.follow(`${bffUrl}/auth/login?returnTo=%2F`);
    const session = await browser.get(`${bffUrl}/auth/session`, API_HEADERS);
    return { done, session: session.json<{ isAuthenticated: boolean }>() };
  }

  it('accepts the well-behaved provider (control)', async () => {
    const { session } = await loginWith({});
    expect(session.isAuthenticated).toBe(true);
  });

  it.each([
    ['a wrong nonce', { nonce: 'not-the-nonce' }],
    ['no nonce', { nonce: undefined }],
    ['a wrong audience', { aud: 'someone-else' }],
    ['a wrong issuer', { iss: 'https://evil.example' }],
    [
      'an expired token',
      { exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200 },
    ],
  ])('refuses an ID token with %s: no cookie, a clear error', async (_label, overrides) => {
    const { done, session } = await loginWith(overrides);
    expect(done.response.status).toBe(400);
    expect(done.response.setCookies().some((line) => line.startsWith('__Host-Http-gatehouse='))).toBe(false);
    expect(session.isAuthenticated).toBe(false);
  });
});
