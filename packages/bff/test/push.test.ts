import {
  API_HEADERS,
  describeWith,
  endIdpSession,
  findJwts,
  NAVIGATION_HEADERS,
  TestBrowser,
} from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEvents } from './support/events.js';
import { useTwoInstances } from './support/instances.js';
import { type Stack, signIn, startStack } from './support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const headersOf = async (browser: TestBrowser, url: string) => ({
  ...API_HEADERS,
  cookie: await browser.jar.getCookieString(url),
});

describe('push channel GET /auth/events', () => {
  it('refuses a request without a session (401 problem+json)', async () => {
    const reader = await openEvents(`${stack.bffUrl}/auth/events`, API_HEADERS);
    expect(reader.status).toBe(401);
    reader.close();
  });

  it('tells an open tab at once when another tab logs out, then ends the stream', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const reader = await openEvents(`${stack.bffUrl}/auth/events`, await headersOf(browser, stack.bffUrl));
    expect(reader.status).toBe(200);
    const started = Date.now();
    await browser.request(`${stack.bffUrl}/auth/logout`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: stack.bffUrl },
    });
    expect(await reader.next()).toEqual({ type: 'logged-out', reason: 'logout' });
    expect(Date.now() - started).toBeLessThan(1000);
    await reader.ended;
  });

  it('tells an open tab when the IdP ends the session (back-channel logout)', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'bob');
    const reader = await openEvents(`${stack.bffUrl}/auth/events`, await headersOf(browser, stack.bffUrl));
    await endIdpSession(browser, stack.idp.issuer);
    expect(await reader.next()).toEqual({ type: 'logged-out', reason: 'backchannel_logout' });
  });

  it('tells an open tab when the idle limit passes with no request at all, without keeping the session alive', async () => {
    const short = await startStack({ bff: { idleTimeout: 2, absoluteTimeout: 60 } });
    try {
      const browser = new TestBrowser();
      await signIn(browser, short, 'carol');
      const started = Date.now();
      const reader = await openEvents(`${short.bffUrl}/auth/events`, await headersOf(browser, short.bffUrl));
      expect(await reader.next(5000)).toEqual({ type: 'session-expired', reason: 'idle_timeout' });
      expect(Date.now() - started).toBeLessThan(3500);
      expect((await browser.get(`${short.bffUrl}/auth/session`, API_HEADERS)).json()).toEqual({
        isAuthenticated: false,
      });
    } finally {
      await short.close();
    }
  });

  it('POST /auth/session/extend moves expiresAt, tells other tabs, and needs the CSRF header', async () => {
    const short = await startStack({ bff: { idleTimeout: 60, absoluteTimeout: 600 } });
    try {
      const browser = new TestBrowser();
      await signIn(browser, short, 'dave');
      const before = (await browser.get(`${short.bffUrl}/auth/session`, API_HEADERS)).json<{
        session: { expiresAt: string };
      }>();
      const reader = await openEvents(`${short.bffUrl}/auth/events`, await headersOf(browser, short.bffUrl));
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const refused = await browser.request(`${short.bffUrl}/auth/session/extend`, {
        method: 'POST',
        headers: { 'sec-fetch-site': 'same-origin', origin: short.bffUrl },
      });
      expect(refused.status).toBe(403);
      const extended = await browser.request(`${short.bffUrl}/auth/session/extend`, {
        method: 'POST',
        headers: { ...API_HEADERS, origin: short.bffUrl },
      });
      expect(extended.status).toBe(200);
      const after = extended.json<{ session: { expiresAt: string } }>();
      expect(Date.parse(after.session.expiresAt)).toBeGreaterThan(Date.parse(before.session.expiresAt));
      expect(await reader.next()).toEqual({ type: 'session-extended', expiresAt: after.session.expiresAt });
      reader.close();
      const anonymous = await new TestBrowser().request(`${short.bffUrl}/auth/session/extend`, {
        method: 'POST',
        headers: { ...API_HEADERS, origin: short.bffUrl },
      });
      expect(anonymous.status).toBe(401);
    } finally {
      await short.close();
    }
  });
});

describe('shell page identity', () => {
  it('inlines the identity context as a JSON block that cannot break out of its element', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'erin');
    const page = await browser.get(`${stack.bffUrl}/`, NAVIGATION_HEADERS);
    const json = /<script type="application\/json" id="gatehouse-identity">([^<]*)<\/script>/.exec(
      page.text,
    )?.[1];
    expect(JSON.parse(json ?? '')).toMatchObject({ isAuthenticated: true, user: { id: 'user_erin' } });
    expect(findJwts(page.text)).toEqual([]);
  });
});

describe('front-channel logout (OpenID Connect Front-Channel Logout 1.0)', () => {
  it('ends the sessions of the named sid when iss is ours; refuses another iss; may be framed by the issuer only', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'frank');
    const cookie = (await browser.jar.getCookies(stack.bffUrl)).find(
      (entry) => entry.key === '__Host-Http-gatehouse',
    );
    const record = await stack.bff.runtime.store.get(cookie?.value.split('.')[0] ?? '');
    expect(record?.sid).toBeTruthy();
    const url = (iss: string) =>
      `${stack.bffUrl}/auth/frontchannel-logout?iss=${encodeURIComponent(iss)}&sid=${encodeURIComponent(record?.sid ?? '')}`;
    const wrong = await new TestBrowser().get(url('https://evil.example'), {
      ...NAVIGATION_HEADERS,
      'sec-fetch-dest': 'iframe',
    });
    expect(wrong.status).toBe(400);
    // A repeated sid is refused with the same page (the query schema), framable by the issuer.
    const repeated = await new TestBrowser().get(`${url(stack.idp.issuer)}&sid=other`, {
      ...NAVIGATION_HEADERS,
      'sec-fetch-dest': 'iframe',
    });
    expect(repeated.status).toBe(400);
    expect(repeated.header('content-type')).toMatch(/^text\/html/);
    expect(repeated.text).toMatch(/Logout request refused/);
    expect(repeated.header('content-security-policy')).toMatch(/frame-ancestors http/);
    expect((await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).json()).toMatchObject({
      isAuthenticated: true,
    });
    const right = await new TestBrowser().get(url(stack.idp.issuer), {
      ...NAVIGATION_HEADERS,
      'sec-fetch-dest': 'iframe',
      'sec-fetch-site': 'same-site',
    });
    expect(right.status).toBe(200);
    expect(right.header('content-security-policy')).toMatch(
      new RegExp(`frame-ancestors ${new URL(stack.idp.issuer).origin}`),
    );
    expect(right.header('cache-control')).toBe('no-store');
    expect((await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).json()).toEqual({
      isAuthenticated: false,
    });
  });
});

describe('front-channel logout needs an iframe (docs/security-requirements.md#d30)', () => {
  /** A signed-in browser and the front-channel logout URL of its session. */
  async function victim(user: string) {
    const browser = new TestBrowser();
    await signIn(browser, stack, user);
    const cookie = (await browser.jar.getCookies(stack.bffUrl)).find(
      (entry) => entry.key === '__Host-Http-gatehouse',
    );
    const record = await stack.bff.runtime.store.get(cookie?.value.split('.')[0] ?? '');
    expect(record?.sid).toBeTruthy();
    const url = `${stack.bffUrl}/auth/frontchannel-logout?iss=${encodeURIComponent(stack.idp.issuer)}&sid=${encodeURIComponent(record?.sid ?? '')}`;
    const signedIn = async () =>
      (await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).json<{ isAuthenticated: boolean }>()
        .isAuthenticated;
    return { url, signedIn };
  }

  it('an <img> (cross-site or same-site) or a fetch naming iss and sid leaves the session intact; the issuer’s iframe ends it', async () => {
    const { url, signedIn } = await victim('dave');
    const image = { 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' };
    for (const headers of [
      { ...image, 'sec-fetch-site': 'cross-site' },
      { ...image, 'sec-fetch-site': 'same-site' },
      { ...API_HEADERS, 'sec-fetch-site': 'same-site' },
      { ...NAVIGATION_HEADERS, 'sec-fetch-site': 'same-site' },
    ]) {
      const answer = await new TestBrowser().get(url, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(answer.json()).toMatchObject({ code: 'csrf_failed' });
      expect(await signedIn()).toBe(true);
    }
    const framed = await new TestBrowser().get(url, {
      ...NAVIGATION_HEADERS,
      'sec-fetch-site': 'cross-site',
      'sec-fetch-dest': 'iframe',
    });
    expect(framed.status).toBe(200);
    expect(await signedIn()).toBe(false);
  });

  it('a frame naming another sid of this issuer does not end the session of the browser that loads it', async () => {
    // The fallback for issuers without a `sid` in their ID tokens (the frame's own browser) never applies to a
    // session that has a sid of its own: that session is another one at the issuer.
    const browser = new TestBrowser();
    await signIn(browser, stack, 'frank');
    const url = `${stack.bffUrl}/auth/frontchannel-logout?iss=${encodeURIComponent(stack.idp.issuer)}&sid=someone-else`;
    const framed = await browser.get(url, {
      ...NAVIGATION_HEADERS,
      'sec-fetch-site': 'same-site',
      'sec-fetch-dest': 'iframe',
    });
    expect(framed.status).toBe(200);
    expect((await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).json()).toMatchObject({
      isAuthenticated: true,
    });
  });

  it('a browser that sends no Fetch Metadata (older browsers) is still served', async () => {
    const { url, signedIn } = await victim('carol');
    expect((await new TestBrowser().get(url, { accept: 'text/html' })).status).toBe(200);
    expect(await signedIn()).toBe(false);
  });
});

describe('telemetry POST /telemetry', () => {
  const post = (browser: TestBrowser, body: unknown, headers: Record<string, string> = {}) =>
    browser.request(`${stack.bffUrl}/telemetry`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: stack.bffUrl, ...headers },
      json: body,
    });
  const event = {
    type: 'auth:route-denied',
    time: '2026-11-22T10:00:00.000Z',
    route: '/admin?email=a@b.example',
    remoteName: 'admin',
    shellVersion: '1.0.0',
    remoteVersion: '2.1.0',
    authState: 'authenticated',
    errorType: 'forbidden',
    permission: 'admin:access',
    userRoleGroup: 'customer',
  };

  it('accepts a batch of contract fields and logs it without the query or any identity', async () => {
    const browser = new TestBrowser();
    const answer = await post(browser, { events: [event] });
    expect(answer.status).toBe(202);
    const logged = stack.logs.events('telemetry').at(-1);
    expect(logged).toMatchObject({
      type: 'auth:route-denied',
      route: '/admin',
      remoteName: 'admin',
      permission: 'admin:access',
    });
    expect(JSON.stringify(logged)).not.toMatch(/email|a@b/);
  });

  it.each([
    ['an unknown field', { events: [{ ...event, userId: 'user_alice' }] }],
    [
      'a token-looking value',
      { events: [{ ...event, errorType: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig' }] },
    ],
    ['a bearer value', { events: [{ ...event, route: '/x Bearer 2YotnFZFEjr1zCsicMWpAA' }] }],
    ['a token parameter', { events: [{ ...event, route: '/cb?access_token=x' }] }],
    ['more than 20 events', { events: Array.from({ length: 21 }, () => event) }],
    ['no events', { events: [] }],
    ['a wrong shape', { events: 'all' }],
    ['a control character', { events: [{ ...event, route: '/a\nb' }] }],
  ])('refuses %s with 400 problem+json', async (_label, body) => {
    const answer = await post(new TestBrowser(), body);
    expect(answer.status).toBe(400);
    expect(answer.json()).toMatchObject({ code: 'bad_request' });
  });

  it('needs the CSRF header and JSON, and caps the size and the rate', async () => {
    const browser = new TestBrowser();
    expect((await post(browser, { events: [event] }, { 'x-csrf': '' })).status).toBe(403);
    const plain = await browser.request(`${stack.bffUrl}/telemetry`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: stack.bffUrl, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(plain.status).toBe(415);
    expect((await post(browser, { events: [{ ...event, route: 'x'.repeat(20_000) }] })).status).toBe(413);
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++) statuses.push((await post(browser, { events: [event] })).status);
    expect(statuses).toContain(429);
    expect(statuses.filter((status) => status === 202).length).toBeLessThanOrEqual(60);
  });
});

await describeWith(['redis'], 'push across instances (Redis pub/sub)', () => {
  const twoInstances = useTwoInstances();

  it('a logout on instance B reaches a tab streaming from instance A within a second', async () => {
    const { a, bUrl } = await twoInstances();
    const browser = new TestBrowser();
    await signIn(browser, a, 'alice');
    const cookie = await browser.jar.getCookieString(a.bffUrl);
    const reader = await openEvents(`${a.bffUrl}/auth/events`, { ...API_HEADERS, cookie });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await browser.request(`${bUrl}/auth/logout`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: a.bffUrl, cookie },
    });
    expect(await reader.next()).toEqual({ type: 'logged-out', reason: 'logout' });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
