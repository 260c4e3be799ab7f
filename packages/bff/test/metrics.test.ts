import { API_HEADERS, freePort, NAVIGATION_HEADERS, readForm, TestBrowser } from '@gatehouse/testing';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeRefreshToken, SECRET, type Stack, signIn, startStack } from './support/stack.js';

let stack: Stack;
let metricsUrl: string;
beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  stack = await startStack({
    ttl: { AccessToken: 3 },
    bff: (echo) => ({ metricsPort: port, refreshLeeway: 1, upstreams: { echo: { url: echo } } }),
  });
});
afterAll(async () => {
  await stack?.close();
});

const scrape = async (url = metricsUrl) => (await request(url)).body.text();
const value = (text: string, series: string) => {
  const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
};
/** How much each series grew between two scrapes. */
const growth = (before: string, after: string, series: readonly string[]) =>
  Object.fromEntries(series.map((name) => [name, value(after, name) - value(before, name)]));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The issuer's authorization URL for a login `browser` starts (its login transaction is then live). */
async function startLogin(browser: TestBrowser): Promise<URL> {
  const idp = new URL(stack.idp.issuer).origin;
  const start = await browser.follow(`${stack.bffUrl}/auth/login`, {}, (location) => location.origin === idp);
  if (!start.stoppedAt) throw new Error(`no redirect to the issuer: ${start.response.status}`);
  return start.stoppedAt;
}

/** Signs `user` in at the issuer and answers the callback URL it sends the browser to, without loading it. */
async function callbackOf(browser: TestBrowser, user: string): Promise<URL> {
  const atCallback = (location: URL) => location.pathname === '/auth/callback';
  const login = await browser.follow((await startLogin(browser)).href, {}, atCallback);
  if (login.stoppedAt) return login.stoppedAt;
  const form = readForm(login.response.text, login.response.url);
  const done = await browser.follow(
    form.action,
    { form: { ...form.fields, login: user, password: user }, headers: { 'sec-fetch-site': 'same-origin' } },
    atCallback,
  );
  if (!done.stoppedAt) throw new Error(`no callback: ${done.response.status}`);
  return done.stoppedAt;
}

/** A callback for `browser`'s live login transaction that the issuer did not send, with these parameters. */
async function forgedCallback(browser: TestBrowser, params: Record<string, string>): Promise<string> {
  const state = (await startLogin(browser)).searchParams.get('state') ?? '';
  const callback = new URL(`${stack.bffUrl}/auth/callback`);
  for (const [key, entry] of Object.entries({ state, ...params, iss: stack.idp.issuer })) {
    callback.searchParams.set(key, entry);
  }
  return callback.href;
}

describe('Prometheus metrics on their own port', () => {
  it('count logins, proxied requests by status, refreshes, denials and session ends — and leak no secret', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    await browser.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS);
    await browser.get(`${stack.bffUrl}/api/echo/x?status=404`, API_HEADERS);
    await browser.get(`${stack.bffUrl}/api/echo/x`, { 'sec-fetch-site': 'cross-site' });
    await new TestBrowser().get(`${stack.bffUrl}/api/echo/x`, API_HEADERS);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    await browser.get(`${stack.bffUrl}/api/echo/after-refresh`, API_HEADERS);
    const secrets: string[] = [SECRET];
    let sessions = 0;
    for (const cookie of await browser.jar.getCookies(stack.bffUrl)) {
      if (!cookie.key.startsWith('__Host-Http-gatehouse')) continue;
      secrets.push(cookie.value);
      const record = await stack.bff.runtime.store.get(cookie.value.split('.')[0] ?? '');
      if (!record) continue;
      sessions++;
      secrets.push(record.tokens.accessToken, record.tokens.refreshToken ?? 'none');
    }
    // The session's live record was found: the leak check below looks for its tokens too.
    expect(sessions).toBe(1);
    await browser.request(`${stack.bffUrl}/auth/logout`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: stack.bffUrl },
    });

    const text = await scrape();
    expect(value(text, 'gatehouse_logins_total{outcome="success"}')).toBe(1);
    expect(value(text, 'gatehouse_proxy_requests_total{upstream="echo",status="2xx"}')).toBe(2);
    expect(value(text, 'gatehouse_proxy_requests_total{upstream="echo",status="4xx"}')).toBe(1);
    expect(value(text, 'gatehouse_denials_total{code="csrf_failed"}')).toBe(1);
    expect(value(text, 'gatehouse_denials_total{code="unauthenticated"}')).toBe(1);
    expect(value(text, 'gatehouse_refreshes_total{outcome="success"}')).toBe(1);
    expect(value(text, 'gatehouse_refresh_duration_seconds_count')).toBe(1);
    expect(value(text, 'gatehouse_session_ends_total{reason="logout"}')).toBe(1);
    expect(value(text, 'gatehouse_proxy_duration_seconds_count{upstream="echo"}')).toBe(3);
    expect(text).toMatch(/^gatehouse_active_sessions \d+/m);
    expect(text).toMatch(/^gatehouse_process_cpu_user_seconds_total/m);
    for (const secret of secrets) expect(text.includes(secret)).toBe(false);
    expect(text).not.toMatch(/user_alice|eyJ/);
  });

  it('are not served on the public port', async () => {
    const answer = await new TestBrowser().get(`${stack.bffUrl}/metrics`, API_HEADERS);
    expect(answer.status).toBe(404);
  });
});

describe('Prometheus metrics of auth failures', () => {
  it('count failed logins by outcome: a forged state, a replayed callback, a code the issuer refuses, a cancelled login', async () => {
    const series = ['success', 'state_mismatch', 'rejected', 'cancelled'].map(
      (outcome) => `gatehouse_logins_total{outcome="${outcome}"}`,
    );
    const before = await scrape();
    const browser = new TestBrowser();
    const forgedState = await browser.get(
      `${stack.bffUrl}/auth/callback?state=forged&code=x`,
      NAVIGATION_HEADERS,
    );
    expect(forgedState.status).toBe(400);
    // A real login whose callback is then replayed: its login transaction is used up.
    const callback = await callbackOf(browser, 'bob');
    expect((await browser.get(callback.href, NAVIGATION_HEADERS)).status).toBe(302);
    expect((await browser.get(callback.href, NAVIGATION_HEADERS)).status).toBe(400);
    // Live login transactions, answered with a code the issuer never issued, and with the user's refusal.
    const forgedCode = await forgedCallback(browser, { code: 'not-a-code-the-issuer-issued' });
    expect((await browser.get(forgedCode, NAVIGATION_HEADERS)).status).toBe(400);
    const refused = await forgedCallback(browser, { error: 'access_denied' });
    expect((await browser.get(refused, NAVIGATION_HEADERS)).status).toBe(400);

    expect(growth(before, await scrape(), series)).toEqual({
      'gatehouse_logins_total{outcome="success"}': 1,
      'gatehouse_logins_total{outcome="state_mismatch"}': 2,
      'gatehouse_logins_total{outcome="rejected"}': 1,
      'gatehouse_logins_total{outcome="cancelled"}': 1,
    });
  });

  it('count a refresh the issuer rejects (its refresh token revoked) and the session it ends', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'carol');
    const id =
      (await browser.jar.getCookies(stack.bffUrl))
        .find((entry) => entry.key === '__Host-Http-gatehouse')
        ?.value.split('.')[0] ?? '';
    const record = await stack.bff.runtime.store.get(id);
    expect(await revokeRefreshToken(stack, record?.tokens.refreshToken ?? '')).toBe(200);
    const before = await scrape();
    // Wait until the access token is due for a refresh.
    await sleep(Math.max(0, (record?.tokens.refreshAt ?? 0) - Date.now()) + 100);
    const answer = await browser.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS);
    expect(answer.status).toBe(401);
    expect(answer.json()).toMatchObject({ code: 'session_expired' });

    expect(
      growth(before, await scrape(), [
        'gatehouse_refreshes_total{outcome="rejected"}',
        'gatehouse_refreshes_total{outcome="success"}',
        'gatehouse_refresh_duration_seconds_count',
        'gatehouse_session_ends_total{reason="refresh_failed"}',
        'gatehouse_denials_total{code="session_expired"}',
      ]),
    ).toEqual({
      'gatehouse_refreshes_total{outcome="rejected"}': 1,
      'gatehouse_refreshes_total{outcome="success"}': 0,
      gatehouse_refresh_duration_seconds_count: 1,
      'gatehouse_session_ends_total{reason="refresh_failed"}': 1,
      'gatehouse_denials_total{code="session_expired"}': 1,
    });
  });

  it('count a session ended by its idle timeout', async () => {
    const port = await freePort();
    const short = await startStack({
      bff: (echo) => ({
        metricsPort: port,
        idleTimeout: 2,
        absoluteTimeout: 60,
        upstreams: { echo: { url: echo } },
      }),
    });
    try {
      const url = `http://127.0.0.1:${port}/metrics`;
      const browser = new TestBrowser();
      await signIn(browser, short, 'dave');
      const id =
        (await browser.jar.getCookies(short.bffUrl))
          .find((entry) => entry.key === '__Host-Http-gatehouse')
          ?.value.split('.')[0] ?? '';
      const record = await short.bff.runtime.store.get(id);
      expect(record).toBeDefined();
      // The session is idle from its creation on: wait out its idle limit.
      await sleep(Math.max(0, (record?.lastSeenAt ?? 0) + 2000 - Date.now()) + 100);
      const answer = await browser.get(`${short.bffUrl}/api/echo/x`, API_HEADERS);
      expect(answer.status).toBe(401);
      expect(answer.json()).toMatchObject({ code: 'session_expired' });

      const text = await scrape(url);
      expect(value(text, 'gatehouse_session_ends_total{reason="idle_timeout"}')).toBe(1);
      expect(value(text, 'gatehouse_denials_total{code="session_expired"}')).toBe(1);
      expect(value(text, 'gatehouse_session_ends_total{reason="logout"}')).toBe(0);
    } finally {
      await short.close();
    }
  });
});
