// Gatehouse issue 16, item 1: one anonymous client flooding GET /auth/login must not spoil another user's
// login in progress; each client is rate-limited on /auth/login and /auth/callback, across instances too.
// Against the real dev IdP and BFF, on the memory store and on Redis.
import { randomBytes } from 'node:crypto';
import {
  describeWith,
  freePort,
  NAVIGATION_HEADERS,
  readForm,
  redisUrl,
  TestBrowser,
} from '@gatehouse/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BffOptions } from '../src/index.js';
import { type Stack, startStack } from './support/stack.js';

const USER_ADDRESS = '198.51.100.7';
const FLOOD_ADDRESS = '203.0.113.66';

/** Runs a login up to the IdP's redirect back to the callback, without following it: a login pending. */
async function pendingLogin(stack: Stack, browser: TestBrowser, returnTo: string): Promise<URL> {
  const headers = { 'x-forwarded-for': USER_ADDRESS };
  const atCallback = (location: URL) => location.pathname === '/auth/callback';
  const start = await browser.follow(
    `${stack.bffUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`,
    { headers },
    atCallback,
  );
  // The IdP still knows the user: straight back, no form.
  if (start.stoppedAt) return start.stoppedAt;
  const form = readForm(start.response.text, start.response.url);
  const done = await browser.follow(
    form.action,
    { form: { ...form.fields, login: 'alice', password: 'alice' }, headers },
    atCallback,
  );
  if (!done.stoppedAt) throw new Error(`no callback: ${done.response.status}`);
  return done.stoppedAt;
}

/** The pending login comes back from the IdP: it must complete (302 to its path, a session cookie). */
async function completes(browser: TestBrowser, callback: URL, returnTo: string) {
  const answer = await browser.get(callback.href, { ...NAVIGATION_HEADERS, 'x-forwarded-for': USER_ADDRESS });
  expect(answer.status, answer.text.slice(0, 300)).toBe(302);
  expect(answer.header('location')).toBe(returnTo);
  expect(answer.setCookies().some((line) => line.startsWith('__Host-Http-gatehouse='))).toBe(true);
}

/**
 * `count` requests `GET /auth/login` from one client address (Fastify's inject, 50 at a time), with `cookie`
 * on every one when given; answers how many got each status, and every `Retry-After` seen.
 */
async function flood(stack: Stack, count: number, cookie?: string) {
  const statuses = new Map<number, number>();
  const retryAfter = new Set<string>();
  for (let sent = 0; sent < count; sent += 50) {
    const batch = Array.from({ length: Math.min(50, count - sent) }, () =>
      stack.bff.app.inject({
        method: 'GET',
        url: '/auth/login?returnTo=/flood',
        headers: { ...NAVIGATION_HEADERS, 'x-forwarded-for': FLOOD_ADDRESS, ...(cookie ? { cookie } : {}) },
      }),
    );
    for (const answer of await Promise.all(batch)) {
      statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
      const after = answer.headers['retry-after'];
      if (after !== undefined) retryAfter.add(String(after));
    }
  }
  return { statuses: Object.fromEntries(statuses), retryAfter: [...retryAfter] };
}

/** The flood scenarios, run once on the memory store and once on Redis. */
function floodSuite(name: string, storeOptions: () => Partial<BffOptions>) {
  describe(`${name}: a login flood from one client`, () => {
    const stacks: Stack[] = [];
    const start = async (options: Partial<BffOptions>) => {
      const stack = await startStack({ bff: { trustProxy: 1, ...storeOptions(), ...options } });
      stacks.push(stack);
      return stack;
    };
    afterAll(async () => {
      for (const stack of stacks) await stack.close();
    });

    it('is cut off at loginRateLimit with 429, and a pending user’s login survives its 10 000 requests', async () => {
      const stack = await start({});
      const user = new TestBrowser();
      const callback = await pendingLogin(stack, user, '/orders');
      const { statuses, retryAfter } = await flood(stack, 10_000);
      expect(statuses).toEqual({ 302: 60, 429: 9_940 });
      expect(retryAfter.every((value) => Number(value) > 0 && Number(value) <= 60)).toBe(true);
      await completes(user, callback, '/orders');
      // Another client starts a login at once: the limit is the flooder's alone.
      const other = await new TestBrowser().get(`${stack.bffUrl}/auth/login`, {
        ...NAVIGATION_HEADERS,
        'x-forwarded-for': '192.0.2.44',
      });
      expect(other.status).toBe(302);
    }, 60_000);

    it('without a rate limit, 10 050 logins of fresh browsers and 10 000 of one browser evict no pending login', async () => {
      const stack = await start({ loginRateLimit: 0 });
      const user = new TestBrowser();
      const first = await pendingLogin(stack, user, '/orders');

      // One browser that keeps its login cookie: only its own oldest logins make way.
      const own = await stack.bff.app.inject({
        method: 'GET',
        url: '/auth/login',
        headers: { ...NAVIGATION_HEADERS, 'x-forwarded-for': FLOOD_ADDRESS },
      });
      const cookie = String(own.headers['set-cookie']).split(';')[0];
      expect((await flood(stack, 10_000, cookie)).statuses).toEqual({ 302: 10_000 });
      await completes(user, first, '/orders');

      // Fresh browsers, one login each: the store fills up to maxPendingLogins, then refuses (503).
      const second = await pendingLogin(stack, user, '/checkout');
      const fresh = await flood(stack, 10_050);
      // Pending now: 5 of the cookie browser, the user's second login, and the flood's.
      expect(fresh.statuses).toEqual({ 302: 10_000 - 6, 503: 56 });
      expect(fresh.retryAfter).toEqual(['60']);
      expect(stack.logs.events('login_failure').at(-1)).toMatchObject({ reason: 'pending_logins_full' });
      await completes(user, second, '/checkout');
    }, 90_000);

    it('limits /auth/callback per client too, and counts the client past spoofed X-Forwarded-For entries', async () => {
      const stack = await start({ loginRateLimit: 5 });
      const browser = new TestBrowser();
      const statuses: number[] = [];
      for (let n = 0; n < 7; n++) {
        // The client writes its own X-Forwarded-For; the proxy in front (trustProxy: 1) appends the real one.
        const answer = await browser.get(`${stack.bffUrl}/auth/callback?state=s${n}&code=c`, {
          ...NAVIGATION_HEADERS,
          'x-forwarded-for': `10.0.0.${n}, ${FLOOD_ADDRESS}`,
        });
        statuses.push(answer.status);
        if (answer.status === 429) {
          expect(answer.header('content-type')).toMatch(/^application\/problem\+json/);
          expect(answer.json()).toMatchObject({ status: 429, code: 'too_many_requests' });
          expect(Number(answer.header('retry-after'))).toBeGreaterThan(0);
          expect(answer.header('cache-control')).toBe('no-store');
        }
      }
      expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429]);
      // The login endpoint has a count of its own.
      const login = await browser.get(`${stack.bffUrl}/auth/login`, {
        ...NAVIGATION_HEADERS,
        'x-forwarded-for': FLOOD_ADDRESS,
      });
      expect(login.status).toBe(302);
    });
  });
}

floodSuite('memory store', () => ({}));

await describeWith(['redis'], 'Redis store', () => {
  const prefix = `gh-test-${randomBytes(4).toString('hex')}:`;
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(redisUrl);
  });
  afterAll(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length) await admin.del(...keys);
    await admin.quit();
  });

  floodSuite('Redis', () => ({ redisUrl, redisKeyPrefix: `${prefix}${randomBytes(3).toString('hex')}:` }));

  it('keeps every key it wrote under the flood expiring within the login timeout', async () => {
    const keyPrefix = `${prefix}ttl:`;
    const stack = await startStack({
      bff: { redisUrl, redisKeyPrefix: keyPrefix, trustProxy: 1, loginTimeout: 120 },
    });
    try {
      await flood(stack, 500);
      const keys = await admin.keys(`${keyPrefix}*`);
      // 60 browsers' logins, the set of every pending state, and the client's count.
      expect(keys.filter((key) => key.startsWith(`${keyPrefix}login:`))).toHaveLength(60);
      expect(await admin.zcard(`${keyPrefix}logins`)).toBe(60);
      expect(keys.filter((key) => key.startsWith(`${keyPrefix}hits:`))).toHaveLength(1);
      for (const key of keys) {
        const left = await admin.pttl(key);
        expect(left, key).toBeGreaterThan(0);
        expect(left, key).toBeLessThanOrEqual(120_000);
      }
    } finally {
      await stack.close();
    }
  });

  it('holds the rate limit across instances sharing Redis', async () => {
    const shared = { redisUrl, redisKeyPrefix: `${prefix}multi:`, trustProxy: 1, loginRateLimit: 6 };
    const a = await startStack({ bff: shared });
    const b = await startStack({
      idp: a.idp,
      bffPort: await freePort(),
      bff: { ...shared, publicUrl: a.bffUrl },
    });
    try {
      const statuses: number[] = [];
      for (let n = 0; n < 8; n++) {
        const answer = await (n % 2 === 0 ? a : b).bff.app.inject({
          method: 'GET',
          url: '/auth/login',
          headers: { ...NAVIGATION_HEADERS, 'x-forwarded-for': FLOOD_ADDRESS },
        });
        statuses.push(answer.statusCode);
      }
      expect(statuses).toEqual([302, 302, 302, 302, 302, 302, 429, 429]);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
