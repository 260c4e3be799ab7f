import { randomBytes } from 'node:crypto';
import { API_HEADERS, TestBrowser } from '@gatehouse/testing';
import { parseSetCookie } from 'cookie';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, VERIFIED_CACHE_MAX_BYTES } from '../src/cookies.js';
import { newSessionId, resolveConfig } from '../src/index.js';
import { SECRET, type Stack, signIn, startStack } from './support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

/** A cookie the BFF never set: 11 KB of random text under a name of its own. */
const junkCookie = (n: number): string =>
  `junk${n}=${randomBytes(8 * 1024)
    .toString('base64url')
    .slice(0, 11 * 1024)}`;

describe('verified-cookie cache', () => {
  it('holds one entry per session whatever other cookies a request carries (no memory pinned by junk cookies)', async () => {
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const session = (await browser.jar.getCookies(stack.bffUrl)).find(
      (cookie) => cookie.key === '__Host-Http-gatehouse',
    );
    expect(session).toBeDefined();
    const cookies = stack.bff.runtime.cookies;
    const ask = async (header: string) => {
      const answer = await request(`${stack.bffUrl}/api/echo/x`, {
        headers: { ...API_HEADERS, cookie: header },
      });
      await answer.body.dump();
      return answer.statusCode;
    };
    expect(await ask(`__Host-Http-gatehouse=${session?.value}`)).toBe(200);
    const one = cookies.cacheStats();
    expect(one.entries).toBe(1);
    for (let n = 0; n < 200; n++) {
      const header =
        n % 2 === 0
          ? `${junkCookie(n)}; __Host-Http-gatehouse=${session?.value}`
          : `__Host-Http-gatehouse=${session?.value}; ${junkCookie(n)}`;
      expect(await ask(header)).toBe(200);
    }
    // Keyed on the session cookie's value alone: 200 distinct 11 KB headers cost nothing more.
    expect(cookies.cacheStats()).toEqual(one);
    expect(one.bytes).toBeLessThan(1024);
  });

  it('stays within its byte bound however many valid sessions are presented', () => {
    const jar = new CookieJar(resolveConfig({ sessionSecrets: [SECRET] }));
    for (let n = 0; n < 20_000; n++) {
      const value = parseSetCookie(jar.setSession(newSessionId())).value;
      expect(jar.session(`__Host-Http-gatehouse=${value}`).kind).toBe('id');
    }
    const stats = jar.cacheStats();
    expect(stats.bytes).toBeLessThanOrEqual(VERIFIED_CACHE_MAX_BYTES);
    expect(stats.entries).toBeGreaterThan(1000);
  });

  it('caches only what it signed: forged and tampered values never enter', () => {
    const jar = new CookieJar(resolveConfig({ sessionSecrets: [SECRET] }));
    const value = parseSetCookie(jar.setSession(newSessionId())).value ?? '';
    for (const forged of [`${newSessionId()}.AAAA`, `${value}x`, `x${value}`, newSessionId()]) {
      expect(jar.session(`__Host-Http-gatehouse=${forged}`).kind).toBe('invalid');
    }
    expect(jar.session('other=1').kind).toBe('none');
    expect(jar.cacheStats()).toEqual({ entries: 0, bytes: 0 });
  });
});
