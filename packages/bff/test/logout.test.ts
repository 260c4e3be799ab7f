import {
  API_HEADERS,
  endIdpSession,
  findJwts,
  NAVIGATION_HEADERS,
  readForm,
  TestBrowser,
} from '@gatehouse/testing';
import { request } from 'undici';
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

const isSignedIn = async (browser: TestBrowser, url = stack.bffUrl) =>
  (await browser.get(`${url}/auth/session`, API_HEADERS)).json<{ isAuthenticated: boolean }>()
    .isAuthenticated;

async function cookieValue(browser: TestBrowser): Promise<string> {
  const cookie = (await browser.jar.getCookies(stack.bffUrl)).find(
    (entry) => entry.key === '__Host-Http-gatehouse',
  );
  return cookie?.value ?? '';
}

describe('logout (docs/security-requirements.md#d30, #e32, #f33, #f34)', () => {
  it('F33: POST /auth/logout ends the session, clears the cookie and site data, and names the sign-out page', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const old = await cookieValue(browser);
    const answer = await browser.request(`${stack.bffUrl}/auth/logout?returnTo=https://evil.example`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: stack.bffUrl },
    });
    expect(answer.status).toBe(200);
    expect(answer.header('clear-site-data')).toBe('"cache", "cookies", "storage"');
    expect(answer.header('cache-control')).toBe('no-store');
    expect(answer.setCookies().find((line) => line.startsWith('__Host-Http-gatehouse='))).toMatch(
      /Max-Age=0|Expires=Thu, 01 Jan 1970/,
    );
    // The logout cookie names the sign-out page's handoff: HttpOnly, one minute, host-only.
    const handoff = answer.setCookies().find((line) => line.startsWith('__Host-Http-gatehouse-logout='));
    expect(handoff).toMatch(/Max-Age=60/);
    expect(handoff).toMatch(/HttpOnly/);
    expect(handoff).toMatch(/Secure/);
    const { redirectTo } = answer.json<{ redirectTo: string }>();
    expect(redirectTo).toBe('/auth/logout/end');
    expect(findJwts(answer.text)).toEqual([]);
    // The old cookie is dead.
    const replay = new TestBrowser();
    await replay.jar.setCookie(`__Host-Http-gatehouse=${old}; Path=/; Secure; HttpOnly`, stack.bffUrl);
    expect((await replay.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS)).status).toBe(401);
    expect(await isSignedIn(browser)).toBe(false);
  });

  it('F34: the sign-out page posts id_token_hint and logout_hint: the IdP ends its session without asking', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const answer = await browser.request(`${stack.bffUrl}/auth/logout`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: stack.bffUrl },
    });
    const page = await browser.get(
      `${stack.bffUrl}${answer.json<{ redirectTo: string }>().redirectTo}`,
      NAVIGATION_HEADERS,
    );
    expect(page.status).toBe(200);
    // The page may post its form to the issuer, and to nowhere else; it runs no script but its own.
    expect(page.header('content-security-policy')).toContain(
      `form-action 'self' ${new URL(stack.idp.issuer).origin}`,
    );
    expect(page.header('cache-control')).toBe('no-store');
    const form = readForm(page.text, page.url);
    expect(form.action).toBe(`${stack.idp.issuer}/session/end`);
    expect(Object.keys(form.fields).sort()).toEqual([
      'client_id',
      'id_token_hint',
      'logout_hint',
      'post_logout_redirect_uri',
    ]);
    expect(form.fields.logout_hint).toBe('user_alice');
    // The hint is the session's ID token: issued to this client, for this user.
    const [, payload] = (form.fields.id_token_hint as string).split('.');
    expect(JSON.parse(Buffer.from(payload as string, 'base64url').toString())).toMatchObject({
      aud: 'gatehouse-bff',
      sub: 'user_alice',
      iss: stack.idp.issuer,
    });
    // Served once: the handoff is spent, the cookie cleared.
    expect(page.setCookies().find((line) => line.startsWith('__Host-Http-gatehouse-logout='))).toMatch(
      /Max-Age=0/,
    );
    const again = await browser.get(`${stack.bffUrl}/auth/logout/end`, NAVIGATION_HEADERS);
    expect(again.status).toBe(302);
    expect(findJwts(again.text + (again.header('location') ?? ''))).toEqual([]);
    // The IdP trusts the hint: no question, its page submits itself (a browser runs its script; here the form
    // is posted as that script would), straight back to the BFF, and the next login asks again.
    const posted = await browser.follow(
      form.action,
      { form: form.fields, headers: { 'sec-fetch-site': 'cross-site' } },
      (location) => location.origin === stack.bffUrl,
    );
    expect(posted.response.text).toMatch(/\.submit\(\)/);
    const auto = readForm(posted.response.text, posted.response.url);
    expect(auto.fields.logout).toBe('yes');
    const done = await browser.follow(
      auto.action,
      { form: auto.fields, headers: { 'sec-fetch-site': 'same-origin' } },
      (location) => location.origin === stack.bffUrl,
    );
    expect(done.stoppedAt?.href).toBe(`${stack.bffUrl}/`);
    const prompt = await browser.follow(
      `${stack.bffUrl}/auth/login?returnTo=%2F`,
      {},
      (location) => location.origin === stack.bffUrl && !location.pathname.startsWith('/auth/'),
    );
    expect(prompt.stoppedAt).toBeUndefined();
    expect(prompt.response.text).toMatch(/name="password"/);
  });

  it('the sign-out page is a navigation only, and without a handoff it goes to the end-session URL', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    await browser.request(`${stack.bffUrl}/auth/logout`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: stack.bffUrl },
    });
    // A fetch of the page (a script of the app's own origin) is refused and spends nothing.
    const fetched = await browser.get(`${stack.bffUrl}/auth/logout/end`, {
      ...API_HEADERS,
      'sec-fetch-mode': 'cors',
    });
    expect(fetched.status).toBe(403);
    expect(fetched.json()).toMatchObject({ code: 'csrf_failed' });
    expect(findJwts(fetched.text)).toEqual([]);
    // Another browser (no logout cookie) is sent to the end-session URL with client_id only.
    const stranger = await new TestBrowser().get(`${stack.bffUrl}/auth/logout/end`, NAVIGATION_HEADERS);
    expect(stranger.status).toBe(302);
    const end = new URL(stranger.header('location') as string);
    expect(end.origin).toBe(new URL(stack.idp.issuer).origin);
    expect(end.searchParams.get('client_id')).toBe('gatehouse-bff');
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${stack.bffUrl}/`);
    expect(end.searchParams.has('id_token_hint')).toBe(false);
    // The browser that signed out still gets its page (the refused fetch spent nothing).
    expect((await browser.get(`${stack.bffUrl}/auth/logout/end`, NAVIGATION_HEADERS)).status).toBe(200);
  });

  it('D30, D26: GET, a cross-site form and a POST without the header leave the session intact', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const get = await browser.get(`${stack.bffUrl}/auth/logout`, {
      ...NAVIGATION_HEADERS,
      'sec-fetch-site': 'cross-site',
      'sec-fetch-dest': 'image',
    });
    expect(get.status).toBe(405);
    const form = await browser.request(`${stack.bffUrl}/auth/logout`, {
      method: 'POST',
      headers: {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'navigate',
        origin: 'https://evil.example',
      },
      form: {},
    });
    expect(form.status).toBe(403);
    expect(form.json()).toMatchObject({ code: 'csrf_failed' });
    const noCors = await browser.request(`${stack.bffUrl}/auth/logout`, {
      method: 'POST',
      headers: {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'no-cors',
        'content-type': 'text/plain',
        origin: 'https://evil.example',
      },
      body: 'x',
    });
    expect(noCors.status).toBe(403);
    const plain = await browser.request(`${stack.bffUrl}/auth/logout`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'same-origin', origin: stack.bffUrl },
    });
    expect(plain.status).toBe(403);
    expect(await isSignedIn(browser)).toBe(true);
  });
});

describe('back-channel logout from the real dev IdP (docs/security-requirements.md#f36)', () => {
  it('ending the IdP session elsewhere ends the BFF session at once', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'carol');
    expect(await isSignedIn(browser)).toBe(true);
    const delivered = new Promise<void>((resolve) =>
      stack.idp.provider.once('backchannel.success', () => resolve()),
    );
    // The user signs out at the IdP directly (another application's logout, or the IdP's own page).
    await endIdpSession(browser, stack.idp.issuer);
    await delivered;
    expect(await isSignedIn(browser)).toBe(false);
    const api = await browser.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS);
    expect(api.status).toBe(401);
    expect(stack.logs.events('backchannel_logout').at(-1)).toMatchObject({ sub: 'user_carol', sessions: 1 });
  });
});

describe('logout-token validation (docs/security-requirements.md#f35)', () => {
  let op: MockOp;
  let bffUrl: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ op, bffUrl, close } = await startMockOpStack());
  });
  afterAll(async () => {
    await close?.();
  });

  async function victim(sid: string): Promise<TestBrowser> {
    op.idTokenOverrides = {};
    op.nextSid = sid;
    const browser = new TestBrowser();
    await browser.follow(`${bffUrl}/auth/login?returnTo=%2F`);
    expect(await isSignedIn(browser, bffUrl)).toBe(true);
    return browser;
  }

  const post = async (token: string | undefined, contentType = 'application/x-www-form-urlencoded') => {
    const answer = await request(`${bffUrl}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: token === undefined ? '' : new URLSearchParams({ logout_token: token }).toString(),
    });
    return {
      status: answer.statusCode,
      cacheControl: answer.headers['cache-control'],
      body: await answer.body.text(),
    };
  };

  it.each([
    [
      'unsigned (alg none)',
      async (o: MockOp) => {
        const [, payload] = (await o.logoutToken({ sid: 'sid-a' })).split('.');
        return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'logout+jwt' })).toString('base64url')}.${payload}.`;
      },
    ],
    [
      'signed by another key',
      async (o: MockOp) => {
        const token = await o.logoutToken({ sid: 'sid-a' });
        const [header, payload] = token.split('.');
        return `${header}.${payload}.${Buffer.from('forged-signature-bytes').toString('base64url')}`;
      },
    ],
    ['a wrong audience', (o: MockOp) => o.logoutToken({ sid: 'sid-a', aud: 'other-client' })],
    ['a wrong issuer', (o: MockOp) => o.logoutToken({ sid: 'sid-a', iss: 'https://evil.example' })],
    ['no events claim', (o: MockOp) => o.logoutToken({ sid: 'sid-a', events: undefined })],
    [
      'the wrong event',
      (o: MockOp) => o.logoutToken({ sid: 'sid-a', events: { 'http://schemas.openid.net/event/other': {} } }),
    ],
    ['a nonce', (o: MockOp) => o.logoutToken({ sid: 'sid-a', nonce: 'n' })],
    ['neither sub nor sid', (o: MockOp) => o.logoutToken({})],
    ['no iat', (o: MockOp) => o.logoutToken({ sid: 'sid-a', iat: undefined })],
    // Back-Channel Logout 1.0 §2.4 requires both: without a jti a token could be replayed later.
    ['no jti', (o: MockOp) => o.logoutToken({ sid: 'sid-a', jti: undefined })],
    ['no exp', (o: MockOp) => o.logoutToken({ sid: 'sid-a', exp: undefined })],
    [
      'the back-channel event as null',
      (o: MockOp) =>
        o.logoutToken({
          sid: 'sid-a',
          events: { 'http://schemas.openid.net/event/backchannel-logout': null },
        }),
    ],
    [
      'the back-channel event as an array',
      (o: MockOp) =>
        o.logoutToken({ sid: 'sid-a', events: { 'http://schemas.openid.net/event/backchannel-logout': [] } }),
    ],
    [
      'an expiry in the past',
      (o: MockOp) =>
        o.logoutToken({
          sid: 'sid-a',
          iat: Math.floor(Date.now() / 1000) - 3600,
          exp: Math.floor(Date.now() / 1000) - 3000,
        }),
    ],
    ['typ JWT (an ID token shape)', (o: MockOp) => o.logoutToken({ sid: 'sid-a' }, { typ: 'JWT' })],
    [
      'an ID token',
      (o: MockOp) =>
        o.sign({
          iss: o.issuer,
          aud: o.clientId,
          sub: 'user_mock',
          sid: 'sid-a',
          nonce: 'n',
          iat: Math.floor(Date.now() / 1000),
          exp: Math.floor(Date.now() / 1000) + 60,
        }),
    ],
  ])('a logout token with %s gets 400 and the session survives', async (_label, make) => {
    const browser = await victim('sid-a');
    const answer = await post(await make(op));
    expect(answer.status).toBe(400);
    expect(answer.cacheControl).toBe('no-cache, no-store');
    expect(await isSignedIn(browser, bffUrl)).toBe(true);
  });

  it('a missing token, a JSON body or a repeated token gets 400 invalid_request in OAuth form', async () => {
    const oauth = { error: 'invalid_request', error_description: 'logout_token is required' };
    for (const answer of [
      await post(undefined),
      await post('x', 'application/json'),
      await post('x', 'text/plain'),
    ]) {
      expect(answer.status).toBe(400);
      expect(answer.cacheControl).toBe('no-cache, no-store');
      expect(JSON.parse(answer.body)).toEqual(oauth);
    }
    const json = await request(`${bffUrl}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ logout_token: await op.logoutToken({ sid: 'sid-a' }) }),
    });
    expect(json.statusCode).toBe(400);
    expect(await json.body.json()).toEqual(oauth);
    const twice = await request(`${bffUrl}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'logout_token=a&logout_token=b',
    });
    expect(twice.statusCode).toBe(400);
    expect(await twice.body.json()).toEqual(oauth);
  });

  it('F36: a valid token ends exactly the sessions of its sid, and a replay is refused', async () => {
    const target = await victim('sid-b');
    const bystander = await victim('sid-c');
    const token = await op.logoutToken({ sid: 'sid-b', sub: 'user_mock' });
    const first = await post(token);
    expect(first.status).toBe(200);
    expect(first.cacheControl).toBe('no-cache, no-store');
    expect(await isSignedIn(target, bffUrl)).toBe(false);
    expect(await isSignedIn(bystander, bffUrl)).toBe(true);
    const again = await victim('sid-b');
    expect((await post(token)).status).toBe(400);
    expect(await isSignedIn(again, bffUrl)).toBe(true);
  });

  it('F36: a token with only sub ends every session of that user at this issuer', async () => {
    const one = await victim('sid-d');
    const two = await victim('sid-e');
    expect((await post(await op.logoutToken({ sub: 'user_mock' }))).status).toBe(200);
    expect(await isSignedIn(one, bffUrl)).toBe(false);
    expect(await isSignedIn(two, bffUrl)).toBe(false);
  });
});

describe('bodiless POSTs that still say JSON', () => {
  it('POST /auth/logout and /auth/session/extend with content-type JSON and no body work (no 400)', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const headers = { ...API_HEADERS, origin: stack.bffUrl, 'content-type': 'application/json' };
    expect(
      (await browser.request(`${stack.bffUrl}/auth/session/extend`, { method: 'POST', headers })).status,
    ).toBe(200);
    expect((await browser.request(`${stack.bffUrl}/auth/logout`, { method: 'POST', headers })).status).toBe(
      200,
    );
    expect(await isSignedIn(browser)).toBe(false);
    const broken = await browser.request(`${stack.bffUrl}/telemetry`, {
      method: 'POST',
      headers,
      body: '{"events": [',
    });
    expect(broken.status).toBe(400);
    expect(broken.header('content-type')).toMatch(/^application\/problem\+json/);
    const poisoned = await browser.request(`${stack.bffUrl}/telemetry`, {
      method: 'POST',
      headers,
      body: '{"__proto__": {"x": 1}, "events": []}',
    });
    expect(poisoned.status).toBe(400);
  });
});
