import { API_HEADERS, findJwts, NAVIGATION_HEADERS, TestBrowser } from '@gatehouse/testing';
import { parseSetCookie } from 'cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSessionId } from '../src/index.js';
import { SECRET, type Stack, signIn, startStack } from './support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

function sessionCookieLine(lines: string[]): string {
  const line = lines.find((entry) => entry.startsWith('__Host-Http-gatehouse='));
  if (!line) throw new Error(`no session cookie in ${JSON.stringify(lines)}`);
  return line;
}

async function signInCapturingCookie(browser: TestBrowser, user: string): Promise<string> {
  await signIn(browser, stack, user);
  const cookies = await browser.jar.getCookies(stack.bffUrl);
  const session = cookies.find((cookie) => cookie.key === '__Host-Http-gatehouse');
  if (!session) throw new Error('no session cookie after sign-in');
  return session.value;
}

describe('session cookie (docs/security-requirements.md#a-cookies-and-session)', () => {
  it('A1–A4: __Host- prefix, HttpOnly, Secure, Path=/, explicit SameSite, no Domain, no token inside', async () => {
    const browser = new TestBrowser();
    const start = await browser.follow(`${stack.bffUrl}/auth/login?returnTo=%2F`);
    expect(start.response.status).toBe(200);

    const lines: string[] = [];
    const original = browser.request.bind(browser);
    browser.request = async (url, init) => {
      const answer = await original(url, init);
      lines.push(...answer.setCookies());
      return answer;
    };
    await signIn(browser, stack, 'alice');
    const line = sessionCookieLine(lines);
    const cookie = parseSetCookie(line);
    expect(cookie.name.startsWith('__Host-')).toBe(true);
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.secure).toBe(true);
    expect(cookie.path).toBe('/');
    expect(cookie.domain).toBeUndefined();
    expect(line).not.toMatch(/domain=/i);
    expect(line).toMatch(/SameSite=Lax/i);
    expect(findJwts(cookie.value ?? '')).toEqual([]);
    expect(line.length).toBeLessThanOrEqual(4096);
    // Login cookies follow the same rules and live minutes.
    const login = parseSetCookie(
      lines.find((entry) => entry.startsWith('__Host-Http-gatehouse-login=')) ?? '',
    );
    expect(login.httpOnly && login.secure && login.path === '/' && login.domain === undefined).toBe(true);
    expect(login.maxAge).toBeLessThanOrEqual(600);
  });

  it('A5: session ids are 256-bit CSPRNG values with no repeats and no visible bias', () => {
    const ids = Array.from({ length: 1000 }, () => newSessionId());
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Each base64url character should appear about equally often: chi-square over 64 symbols.
    const counts = new Map<string, number>();
    for (const id of ids) for (const char of id.slice(0, 42)) counts.set(char, (counts.get(char) ?? 0) + 1);
    const expected = (1000 * 42) / 64;
    let chi = 0;
    for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') {
      chi += ((counts.get(char) ?? 0) - expected) ** 2 / expected;
    }
    expect(chi).toBeLessThan(120); // 63 degrees of freedom: p < 1e-5 above ~120
  });

  it('A5: a forged cookie, a cookie signed with another secret and ?sessionid= all get 401', async () => {
    const forged = new TestBrowser();
    await forged.jar.setCookie(
      `__Host-Http-gatehouse=${newSessionId()}.AAAA; Path=/; Secure; HttpOnly`,
      stack.bffUrl,
    );
    const answer = await forged.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS);
    expect(answer.status).toBe(401);
    expect(answer.json()).toMatchObject({ code: 'unauthenticated' });

    const victim = new TestBrowser();
    const value = await signInCapturingCookie(victim, 'alice');
    const id = value.split('.')[0];
    const viaQuery = await new TestBrowser().get(`${stack.bffUrl}/api/echo/x?sessionid=${id}`, API_HEADERS);
    expect(viaQuery.status).toBe(401);
    const viaHeader = await new TestBrowser().get(`${stack.bffUrl}/api/echo/x`, {
      ...API_HEADERS,
      'x-session-id': id ?? '',
    });
    expect(viaHeader.status).toBe(401);
    const unsigned = new TestBrowser();
    await unsigned.jar.setCookie(`__Host-Http-gatehouse=${id}; Path=/; Secure; HttpOnly`, stack.bffUrl);
    expect((await unsigned.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS)).status).toBe(401);
    expect(SECRET.length).toBeGreaterThanOrEqual(32);
  });

  it('A6: login issues a new id; the pre-login cookie and the previous session die', async () => {
    const browser = new TestBrowser();
    const first = await signInCapturingCookie(browser, 'alice');
    const second = await signInCapturingCookie(browser, 'alice');
    expect(second).not.toBe(first);
    const replay = new TestBrowser();
    await replay.jar.setCookie(`__Host-Http-gatehouse=${first}; Path=/; Secure; HttpOnly`, stack.bffUrl);
    const answer = await replay.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS);
    expect(answer.status).toBe(401);
    expect((await browser.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS)).status).toBe(200);
  });

  it('A6: a cookie planted before login (fixation) is not adopted', async () => {
    const attacker = new TestBrowser();
    const planted = await signInCapturingCookie(attacker, 'bob');
    const victim = new TestBrowser();
    await victim.jar.setCookie(`__Host-Http-gatehouse=${planted}; Path=/; Secure; HttpOnly`, stack.bffUrl);
    const mine = await signInCapturingCookie(victim, 'alice');
    expect(mine).not.toBe(planted);
    const who = await victim.get(`${stack.bffUrl}/auth/session`, API_HEADERS);
    expect(who.json<{ user: { id: string } }>().user.id).toBe('user_alice');
  });

  it('A9: every /auth/* answer carries Cache-Control: no-store', async () => {
    const browser = new TestBrowser();
    const answers = [
      await browser.get(`${stack.bffUrl}/auth/login?returnTo=/`, NAVIGATION_HEADERS),
      await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS),
      await browser.get(`${stack.bffUrl}/auth/callback?state=nope&code=x`, NAVIGATION_HEADERS),
      await browser.request(`${stack.bffUrl}/auth/logout`, { method: 'POST', headers: API_HEADERS }),
      await browser.request(`${stack.bffUrl}/auth/logout`, {
        method: 'POST',
        headers: { accept: 'application/json' },
      }),
      await browser.get(`${stack.bffUrl}/auth/logout`, NAVIGATION_HEADERS),
      await browser.get(`${stack.bffUrl}/auth/frontchannel-logout?iss=x&sid=y`, NAVIGATION_HEADERS),
      await browser.get(`${stack.bffUrl}/auth/nothing-here`, API_HEADERS),
    ];
    for (const answer of answers) expect(answer.header('cache-control'), answer.url).toMatch(/no-store/);
  });
});

describe('timeouts (docs/security-requirements.md#a7)', () => {
  it('ends a session after the idle timeout: anonymous session, 401 session_expired on the API', async () => {
    const short = await startStack({ bff: { idleTimeout: 2, absoluteTimeout: 60 } });
    try {
      const browser = new TestBrowser();
      await signIn(browser, short, 'alice');
      expect((await browser.get(`${short.bffUrl}/api/echo/x`, API_HEADERS)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2300));
      const api = await browser.get(`${short.bffUrl}/api/echo/x`, API_HEADERS);
      expect(api.status).toBe(401);
      expect(api.json()).toMatchObject({ code: 'session_expired' });
      const session = await browser.get(`${short.bffUrl}/auth/session`, API_HEADERS);
      expect(session.json()).toEqual({ isAuthenticated: false });
    } finally {
      await short.close();
    }
  });

  it('reading /auth/session is not activity: a tab that polls it does not keep an idle session alive', async () => {
    const short = await startStack({ bff: { idleTimeout: 2, absoluteTimeout: 60 } });
    try {
      const browser = new TestBrowser();
      await signIn(browser, short, 'alice');
      const answers: boolean[] = [];
      for (let i = 0; i < 6; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        answers.push(
          (await browser.get(`${short.bffUrl}/auth/session`, API_HEADERS)).json<{
            isAuthenticated: boolean;
          }>().isAuthenticated,
        );
      }
      expect(answers.at(-1)).toBe(false);
    } finally {
      await short.close();
    }
  });

  it('ends a session at the absolute timeout even while it is in use', async () => {
    const short = await startStack({ bff: { idleTimeout: 2, absoluteTimeout: 4 } });
    try {
      const browser = new TestBrowser();
      await signIn(browser, short, 'alice');
      const cookie = (await browser.jar.getCookies(short.bffUrl)).find(
        (c) => c.key === '__Host-Http-gatehouse',
      );
      const record = await short.bff.runtime.store.get(cookie?.value.split('.')[0] ?? '');
      const end = record!.absoluteExpiresAt;
      // API calls are activity (reading /auth/session is not), so the idle limit never comes: calls go on past
      // it, up to shortly before the absolute limit, timed from the session's own deadline (a loaded machine
      // only makes fewer calls).
      let calls = 0;
      while (Date.now() + 600 < end - 400) {
        await new Promise((resolve) => setTimeout(resolve, 600));
        expect((await browser.get(`${short.bffUrl}/api/echo/x`, API_HEADERS)).status).toBe(200);
        calls++;
      }
      expect(calls).toBeGreaterThanOrEqual(3);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, end - Date.now()) + 100));
      // The API first: /auth/session clears the cookie of an ended session, and a request without one is
      // `unauthenticated`, not `session_expired`.
      const api = await browser.get(`${short.bffUrl}/api/echo/x`, API_HEADERS);
      expect(api.status).toBe(401);
      expect(api.json()).toMatchObject({ code: 'session_expired' });
      expect(short.logs.events('session_end').map((event) => event.reason)).toContain('absolute_timeout');
      const session = await browser.get(`${short.bffUrl}/auth/session`, API_HEADERS);
      expect(session.json()).toEqual({ isAuthenticated: false });
    } finally {
      await short.close();
    }
  });

  it('A8: the session never outlives the refresh token the issuer granted', async () => {
    const short = await startStack({
      ttl: { RefreshToken: 3, AccessToken: 60 },
      bff: { absoluteTimeout: 3600 },
    });
    try {
      const browser = new TestBrowser();
      await signIn(browser, short, 'alice');
      const identity = (await browser.get(`${short.bffUrl}/auth/session`, API_HEADERS)).json<{
        session: { expiresAt: string };
      }>();
      expect(Date.parse(identity.session.expiresAt) - Date.now()).toBeLessThanOrEqual(3500);
    } finally {
      await short.close();
    }
  });
});
