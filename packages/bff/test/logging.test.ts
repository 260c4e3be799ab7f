import { API_HEADERS, endIdpSession, NAVIGATION_HEADERS, TestBrowser } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionRef } from '../src/index.js';
import { type LogCapture, SECRET, type Stack, signIn, startStack } from './support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    ttl: { AccessToken: 3 },
    bff: (echo) => ({ refreshLeeway: 1, upstreams: { echo: { url: echo } } }),
  });
});
afterAll(async () => {
  await stack?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The raw log lines of `event` written since line `from`. */
const linesSince = (logs: LogCapture, from: number, event: string) =>
  logs.lines.slice(from).filter((line) => (JSON.parse(line) as { event?: unknown }).event === event);

/** A signed-in browser's session: its id, its cookie and every value that must never be logged. */
async function sessionOf(target: Stack, browser: TestBrowser) {
  const cookie = (await browser.jar.getCookies(target.bffUrl)).find(
    (entry) => entry.key === '__Host-Http-gatehouse',
  );
  const id = cookie?.value.split('.')[0] ?? '';
  const record = await target.bff.runtime.store.get(id);
  expect(record, 'a live session').toBeDefined();
  const secrets = [
    cookie?.value ?? '',
    id,
    record?.tokens.accessToken ?? '',
    record?.tokens.refreshToken ?? '',
  ];
  expect(secrets.every((secret) => secret.length > 0)).toBe(true);
  return {
    id,
    header: `__Host-Http-gatehouse=${cookie?.value}`,
    lastSeenAt: record?.lastSeenAt ?? 0,
    secrets,
  };
}

describe('logs (docs/security-requirements.md#i48 to #i50)', () => {
  it('I48: after every flow, no token, session id, cookie or secret appears in any log line', async () => {
    const canaries = new Set<string>([SECRET, 'gatehouse-dev-secret']);
    const collect = async (browser: TestBrowser) => {
      for (const cookie of await browser.jar.getCookies(stack.bffUrl)) {
        if (!cookie.key.startsWith('__Host-Http-gatehouse')) continue;
        canaries.add(cookie.value);
        const id = cookie.value.split('.')[0] ?? '';
        canaries.add(id);
        const record = await stack.bff.runtime.store.get(id);
        if (record?.tokens.accessToken) canaries.add(record.tokens.accessToken);
        if (record?.tokens.refreshToken) canaries.add(record.tokens.refreshToken);
      }
    };
    // Login, API calls, a refresh, an API error, a CSRF refusal, a bad callback, logout, back-channel logout.
    const alice = new TestBrowser();
    await signIn(alice, stack, 'alice');
    await collect(alice);
    await alice.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS);
    await alice.get(`${stack.bffUrl}/api/echo/x?status=403`, API_HEADERS);
    await sleep(2200);
    await alice.get(`${stack.bffUrl}/api/echo/refreshed`, API_HEADERS);
    await collect(alice);
    await alice.get(`${stack.bffUrl}/api/echo/x`, { 'sec-fetch-site': 'cross-site' });
    await alice.get(`${stack.bffUrl}/auth/callback?state=forged&code=x`, NAVIGATION_HEADERS);
    await alice.request(`${stack.bffUrl}/auth/logout`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: stack.bffUrl },
    });
    const bob = new TestBrowser();
    await signIn(bob, stack, 'bob');
    await collect(bob);
    const delivered = new Promise((resolve) => stack.idp.provider.once('backchannel.success', resolve));
    await endIdpSession(bob, stack.idp.issuer);
    await delivered;

    expect(canaries.size).toBeGreaterThan(6);
    const text = stack.logs.lines.join('\n');
    for (const canary of canaries) expect(text.includes(canary), `a secret value is in the logs`).toBe(false);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
    expect(text).not.toMatch(/Bearer /);
    // Every event the standards ask for is there, with a UTC timestamp.
    for (const event of [
      'login_success',
      'login_failure',
      'refresh_success',
      'session_end',
      'csrf_refused',
      'access_denied',
      'backchannel_logout',
    ]) {
      const entries = stack.logs.events(event);
      expect(entries.length, event).toBeGreaterThan(0);
      expect(entries[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });

  it('I50: CR/LF in request data never splits a log line', async () => {
    const forged = 'x\r\n{"event":"forged"}';
    /** Sends one request and answers the log lines it wrote, each of which must be JSON. */
    const logged = async (send: () => Promise<unknown>) => {
      const from = stack.logs.lines.length;
      await send();
      const lines = stack.logs.lines.slice(from);
      for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
      return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    };
    const browser = new TestBrowser();
    // Browser security reports: their directive is logged.
    for (const [type, body] of [
      [
        'application/reports+json',
        [{ type: 'csp-violation', url: `${stack.bffUrl}/`, body: { effectiveDirective: forged } }],
      ],
      ['application/csp-report', { 'csp-report': { 'effective-directive': forged } }],
      // WebKit's: one Reporting API report, not in a list, labelled csp-report (it was refused with 400).
      [
        'application/csp-report',
        { type: 'csp-violation', url: `${stack.bffUrl}/`, body: { effectiveDirective: forged } },
      ],
    ] as const) {
      const entries = await logged(async () => {
        const answer = await browser.request(`${stack.bffUrl}/reports`, {
          method: 'POST',
          headers: { 'content-type': type },
          body: JSON.stringify(body),
        });
        expect(answer.status).toBe(204);
      });
      expect(entries).toEqual([expect.objectContaining({ event: 'security_report', directive: forged })]);
    }
    // The IdP's error answer to a live login: its error and description are logged.
    const start = await browser.get(`${stack.bffUrl}/auth/login?returnTo=%2F`, NAVIGATION_HEADERS);
    const state = new URL(start.header('location') ?? '').searchParams.get('state') ?? '';
    expect(state).not.toBe('');
    const callback = new URL(`${stack.bffUrl}/auth/callback`);
    callback.search = new URLSearchParams({
      state,
      iss: stack.idp.issuer,
      error: 'access_denied',
      error_description: forged,
    }).toString();
    const entries = await logged(async () => {
      expect((await browser.get(callback.href, NAVIGATION_HEADERS)).status).toBe(400);
    });
    expect(entries).toEqual([
      expect.objectContaining({
        event: 'login_failure',
        reason: 'access_denied',
        err: expect.objectContaining({ error_description: forged }),
      }),
    ]);
    // Paths and parameters that are not logged must not split lines either.
    const refused = await logged(() =>
      browser.get(`${stack.bffUrl}/api/echo/x%0d%0a{"event":"forged"}`, { 'sec-fetch-site': 'cross-site' }),
    );
    expect(refused).toEqual([expect.objectContaining({ event: 'csrf_refused' })]);
    const unknown = await logged(() =>
      browser.get(`${stack.bffUrl}/auth/callback?state=a%0d%0ab&code=%0a`, NAVIGATION_HEADERS),
    );
    expect(unknown).toEqual([expect.objectContaining({ event: 'login_failure', reason: 'state_mismatch' })]);
    expect(stack.logs.events('forged')).toEqual([]);
  });
});

describe('auth-failure log lines', () => {
  it('a navigation to a protected route without a live session logs protected_route_redirect: the path, no query, no session id or token', async () => {
    const from = stack.logs.lines.length;
    const anonymous = await new TestBrowser().get(
      `${stack.bffUrl}/checkout?coupon=c4n4ry`,
      NAVIGATION_HEADERS,
    );
    expect(anonymous.status).toBe(302);
    expect(anonymous.header('location')).toMatch(/^\/auth\/login\?returnTo=%2Fcheckout%3Fcoupon%3Dc4n4ry$/);
    // A signed-out session whose cookie the browser still sends.
    const alice = new TestBrowser();
    await signIn(alice, stack, 'alice');
    const session = await sessionOf(stack, alice);
    const out = await alice.request(`${stack.bffUrl}/auth/logout`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: stack.bffUrl },
    });
    expect(out.status).toBe(200);
    const stale = await new TestBrowser().get(`${stack.bffUrl}/orders/42?tab=items`, {
      ...NAVIGATION_HEADERS,
      cookie: session.header,
    });
    expect(stale.status).toBe(302);
    // A public route needs no session: no line.
    expect((await new TestBrowser().get(`${stack.bffUrl}/`, NAVIGATION_HEADERS)).status).toBe(200);

    const lines = linesSince(stack.logs, from, 'protected_route_redirect');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toEqual([
      expect.objectContaining({ level: 'info', path: '/checkout', msg: 'navigation needs a session' }),
      expect.objectContaining({ level: 'info', path: '/orders/42', msg: 'navigation needs a session' }),
    ]);
    for (const entry of entries) {
      expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Object.keys(entry).sort()).toEqual(['event', 'level', 'msg', 'path', 'service', 'time']);
    }
    const text = lines.join('\n');
    for (const secret of [...session.secrets, 'c4n4ry', 'items']) {
      expect(text.includes(secret), 'a secret or the query is in protected_route_redirect').toBe(false);
    }
  });

  it('an API call with an idle-expired session logs unauthorized: the reason and a session reference, never the id or a token', async () => {
    const short = await startStack({
      bff: (echo) => ({ idleTimeout: 2, absoluteTimeout: 60, upstreams: { echo: { url: echo } } }),
    });
    try {
      const browser = new TestBrowser();
      await signIn(browser, short, 'carol');
      const session = await sessionOf(short, browser);
      // The session is idle from its creation on: wait out its idle limit.
      await sleep(Math.max(0, session.lastSeenAt + 2000 - Date.now()) + 100);
      const from = short.logs.lines.length;
      const expired = await browser.get(`${short.bffUrl}/api/echo/x`, API_HEADERS);
      expect(expired.status).toBe(401);
      expect(expired.json()).toMatchObject({ code: 'session_expired' });
      // The same cookie again: the session is gone now.
      const gone = await new TestBrowser().get(`${short.bffUrl}/api/echo/y`, {
        ...API_HEADERS,
        cookie: session.header,
      });
      expect(gone.status).toBe(401);

      const lines = linesSince(short.logs, from, 'unauthorized');
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const common = { level: 'info', session: sessionRef(session.id), msg: 'session ended' };
      expect(entries).toEqual([
        expect.objectContaining({ ...common, reason: 'idle_timeout' }),
        expect.objectContaining({ ...common, reason: 'missing' }),
      ]);
      for (const entry of entries) {
        expect(Object.keys(entry).sort()).toEqual([
          'event',
          'level',
          'msg',
          'reason',
          'service',
          'session',
          'time',
        ]);
      }
      expect(short.logs.events('session_end')).toEqual([
        expect.objectContaining({ reason: 'idle_timeout', session: sessionRef(session.id) }),
      ]);
      const text = lines.join('\n');
      for (const secret of session.secrets) {
        expect(text.includes(secret), 'a secret is in unauthorized').toBe(false);
      }
    } finally {
      await short.close();
    }
  });
});
