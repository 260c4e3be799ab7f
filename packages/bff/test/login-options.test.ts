import { devIdpAcr } from '@gatehouse/dev-idp';
import { loginOutcomeParam, readLoginOutcome } from '@gatehouse/policy';
import { API_HEADERS, NAVIGATION_HEADERS, readForm, signIn, TestBrowser } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const back = (origin: string) => (location: URL) =>
  location.origin === origin && !location.pathname.startsWith('/auth/');

/** Starts `/auth/login?<query>` and follows it until it leaves the IdP or the IdP shows a page. */
async function startLogin(browser: TestBrowser, query: string) {
  return browser.follow(`${stack.bffUrl}/auth/login?${query}`, {}, back(stack.bffUrl));
}

/** The session cookie's value in `browser`'s jar, if any. */
async function sessionCookie(browser: TestBrowser): Promise<string | undefined> {
  const cookies = await browser.jar.getCookies(stack.bffUrl);
  return cookies.find((cookie) => cookie.key === '__Host-Http-gatehouse')?.value;
}

describe('/auth/login options against the real dev IdP', () => {
  it.each([
    ['prompt=bogus', 'prompt'],
    ['prompt=login%20consent', 'prompt'],
    ['max_age=-1', 'max_age'],
    ['max_age=1e3', 'max_age'],
    ['max_age=99999999999', 'max_age'],
    ['login_hint=a%0Ab', 'login_hint'],
    [`login_hint=${'a'.repeat(257)}`, 'login_hint'],
    ['ui_locales=en_US', 'ui_locales'],
    ['ui_locales=en%20%20de', 'ui_locales'],
    ['acr_values=a%09b', 'acr_values'],
    [`acr_values=${Array.from({ length: 9 }, (_, n) => `v${n}`).join('%20')}`, 'acr_values'],
  ])('refuses %s with 400 problem+json naming %s, and stores no login', async (query, name) => {
    const browser = new TestBrowser();
    const answer = await browser.get(`${stack.bffUrl}/auth/login?${query}`, NAVIGATION_HEADERS);
    expect(answer.status).toBe(400);
    expect(answer.header('content-type')).toMatch(/^application\/problem\+json/);
    const problem = answer.json<{ code: string; detail: string }>();
    expect(problem.code).toBe('bad_request');
    expect(problem.detail).toContain(name);
    expect(answer.header('set-cookie')).toBeUndefined();
  });

  it('refuses an acr_values value the issuer does not list (GH_BFF_LOGIN_OPTION_REFUSED), with no request to it', async () => {
    const answer = await new TestBrowser().get(
      `${stack.bffUrl}/auth/login?acr_values=urn:example:unvetted`,
      NAVIGATION_HEADERS,
    );
    expect(answer.status).toBe(400);
    expect(answer.json<{ code: string; detail: string }>()).toMatchObject({
      code: 'bad_request',
      detail: 'acr_values: "urn:example:unvetted" is not allowed here.',
    });
    expect(answer.header('set-cookie')).toBeUndefined();
  });

  it('passes prompt, login_hint, max_age, acr_values and ui_locales to the issuer under their own names', async () => {
    const answer = await new TestBrowser().get(
      `${stack.bffUrl}/auth/login?returnTo=/orders&prompt=login&login_hint=bob&max_age=300&acr_values=${encodeURIComponent(
        `${devIdpAcr.securityCode} ${devIdpAcr.password}`,
      )}&ui_locales=de-CH%20en`,
      NAVIGATION_HEADERS,
    );
    expect(answer.status).toBe(302);
    const location = new URL(answer.header('location') ?? '');
    expect(location.origin).toBe(new URL(stack.idp.issuer).origin);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      prompt: 'login',
      login_hint: 'bob',
      max_age: '300',
      acr_values: `${devIdpAcr.securityCode} ${devIdpAcr.password}`,
      ui_locales: 'de-CH en',
      redirect_uri: `${stack.bffUrl}/auth/callback`,
      response_type: 'code',
      code_challenge_method: 'S256',
    });
  });

  it('login_hint reaches the issuer: its form proposes that user', async () => {
    const started = await startLogin(new TestBrowser(), 'login_hint=carol');
    expect(started.response.status).toBe(200);
    expect(started.response.text).toMatch(/<input id="login" name="login"[^>]* value="carol">/);
  });

  it('prompt=none without an issuer session comes back to returnTo with login_required, and no session', async () => {
    const browser = new TestBrowser();
    const done = await startLogin(browser, 'prompt=none&returnTo=%2Fcatalog%3Fq%3Dtea');
    expect(done.stoppedAt).toBeDefined();
    const landed = done.stoppedAt as URL;
    expect(landed.pathname).toBe('/catalog');
    expect(landed.searchParams.get('q')).toBe('tea');
    expect(landed.searchParams.get(loginOutcomeParam)).toBe('login_required');
    expect(readLoginOutcome(landed.search)).toBe('login_required');
    expect(await sessionCookie(browser)).toBeUndefined();
  });

  it('prompt=none with an issuer session signs in silently, with a new session id', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack.bffUrl, 'alice');
    const first = await sessionCookie(browser);
    const done = await startLogin(browser, 'prompt=none&returnTo=/account');
    expect(done.stoppedAt?.pathname).toBe('/account');
    expect(done.stoppedAt?.searchParams.has(loginOutcomeParam)).toBe(false);
    const second = await sessionCookie(browser);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    const session = await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS);
    expect(session.status).toBe(200);
  });

  it('prompt=login and max_age=0 ask again although the issuer has a session', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack.bffUrl, 'alice');
    for (const query of ['prompt=login', 'max_age=0']) {
      const started = await startLogin(browser, query);
      expect(started.stoppedAt, query).toBeUndefined();
      expect(started.response.status).toBe(200);
      expect(started.response.text).toContain('name="password"');
    }
  });

  it('max_age: the new session is accepted only with a recent enough auth_time (openid-client checks it)', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack.bffUrl, 'bob');
    // Within max_age the issuer does not ask; the ID token's auth_time must be present and recent.
    const done = await startLogin(browser, 'max_age=600&returnTo=/done');
    expect(done.stoppedAt?.pathname).toBe('/done');
    expect((await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).status).toBe(200);
  });

  it('acr_values of the stronger class makes the issuer ask again, and the sign-in with the code is accepted', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack.bffUrl, 'erin');
    const stronger = encodeURIComponent(devIdpAcr.securityCode);
    const landed = await signIn(browser, stack.bffUrl, 'erin', {
      startPath: `/auth/login?acr_values=${stronger}&returnTo=/admin`,
      extraFields: { code: '123456' },
    });
    expect(landed.pathname).toBe('/admin');
    const id = (await sessionCookie(browser))?.split('.')[0] ?? '';
    expect((await stack.bff.runtime.store.get(id))?.sub).toBeTruthy();
  });

  it('refuses a sign-in whose acr is not one asked for, and keeps the previous session', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack.bffUrl, 'erin');
    const before = await sessionCookie(browser);
    const stronger = encodeURIComponent(devIdpAcr.securityCode);
    const started = await startLogin(browser, `acr_values=${stronger}`);
    expect(started.response.status).toBe(200);
    const form = readForm(started.response.text, started.response.url);
    // The user signs in with the password alone: the issuer answers acr loa:1.
    const done = await browser.follow(
      form.action,
      {
        form: { ...form.fields, login: 'erin', password: 'erin' },
        headers: { 'sec-fetch-site': 'same-origin' },
      },
      back(stack.bffUrl),
    );
    expect(done.stoppedAt).toBeUndefined();
    expect(done.response.status).toBe(400);
    expect(done.response.text).toContain('Sign-in was not strong enough');
    expect(await sessionCookie(browser)).toBe(before);
    expect((await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).status).toBe(200);
    expect(stack.logs.events('login_failure').some((entry) => entry.reason === 'acr_not_met')).toBe(true);
  });
});

describe('loginAcrValues', () => {
  it('allows only the configured acr_values, whatever the issuer lists', async () => {
    const strict = await startStack({ bff: { loginAcrValues: [devIdpAcr.securityCode] } });
    try {
      const browser = new TestBrowser();
      const refused = await browser.get(
        `${strict.bffUrl}/auth/login?acr_values=${encodeURIComponent(devIdpAcr.password)}`,
        NAVIGATION_HEADERS,
      );
      expect(refused.status).toBe(400);
      const allowed = await browser.get(
        `${strict.bffUrl}/auth/login?acr_values=${encodeURIComponent(devIdpAcr.securityCode)}`,
        NAVIGATION_HEADERS,
      );
      expect(allowed.status).toBe(302);
    } finally {
      await strict.close();
    }
  });
});
