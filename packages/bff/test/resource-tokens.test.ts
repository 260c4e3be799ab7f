import { randomBytes } from 'node:crypto';
import { shopServiceAudiences } from '@gatehouse/dev-idp';
import { API_HEADERS, describeWith, freePort, redisUrl, TestBrowser } from '@gatehouse/testing';
import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import type { BffOptions } from '../src/index.js';
import { type Stack, signIn, startStack } from './support/stack.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ORDERS = shopServiceAudiences.orders;
const CATALOG = shopServiceAudiences.catalog;

/**
 * Echo upstreams of three kinds: `echo` with no resource (the session's main token, `urn:gatehouse:shop`),
 * `orders` and the public `catalog` each with a resource of its own.
 */
const upstreams = (echo: string): Partial<BffOptions> => ({
  refreshLeeway: 1,
  upstreams: {
    echo: { url: echo },
    orders: { url: `${echo}/orders`, resource: ORDERS },
    catalog: { url: `${echo}/catalog`, access: 'public', resource: CATALOG },
  },
});

/** The `aud` and the token of the last request the echo upstream saw under `path`. */
function lastToken(stack: Stack, path: string): { token: string | undefined; aud: unknown } {
  const seen = stack.echo.seen.filter((entry) => entry.url.startsWith(path)).at(-1);
  const header = seen?.headers.authorization;
  if (header === undefined) return { token: undefined, aud: undefined };
  const token = header.slice('Bearer '.length);
  return { token, aud: decodeJwt(token).aud };
}

async function sessionId(stack: Stack, browser: TestBrowser): Promise<string> {
  const cookie = (await browser.jar.getCookies(stack.bffUrl)).find(
    (entry) => entry.key === '__Host-Http-gatehouse',
  );
  return cookie?.value.split('.')[0] ?? '';
}

describe('one audience per upstream (RFC 8707 resource indicators)', () => {
  const stacks: Stack[] = [];
  afterAll(async () => {
    for (const stack of stacks) await stack.close();
  });

  it('attaches to each upstream a token for its own audience, obtained once with the refresh token and cached', async () => {
    const stack = await startStack({ ttl: { AccessToken: 6 }, bff: upstreams });
    stacks.push(stack);
    const anonymous = new TestBrowser();
    // A public upstream gets no token at all without a session.
    expect((await anonymous.get(`${stack.bffUrl}/api/catalog/p`, API_HEADERS)).status).toBe(200);
    expect(lastToken(stack, '/catalog/p').token).toBeUndefined();

    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const before = await stack.bff.runtime.store.get(await sessionId(stack, browser));
    for (const path of ['echo/a', 'orders/a', 'catalog/a', 'orders/b', 'catalog/b', 'echo/b']) {
      expect((await browser.get(`${stack.bffUrl}/api/${path}`, API_HEADERS)).status).toBe(200);
    }
    expect(lastToken(stack, '/a').aud).toBe('urn:gatehouse:shop');
    expect(lastToken(stack, '/orders/a').aud).toBe(ORDERS);
    expect(lastToken(stack, '/catalog/a').aud).toBe(CATALOG);
    // Cached: the second request of each upstream carries the same token, and one grant per audience.
    expect(lastToken(stack, '/orders/b').token).toBe(lastToken(stack, '/orders/a').token);
    expect(lastToken(stack, '/catalog/b').token).toBe(lastToken(stack, '/catalog/a').token);
    expect(stack.refreshGrants()).toBe(2);
    const record = await stack.bff.runtime.store.get(await sessionId(stack, browser));
    expect(Object.keys(record?.tokens.resources ?? {}).sort()).toEqual([CATALOG, ORDERS].sort());
    // The issuer rotates: the session keeps the newest refresh token, the main token is untouched.
    expect(record?.tokens.refreshToken).not.toBe(before?.tokens.refreshToken);
    expect(record?.tokens.accessToken).toBe(before?.tokens.accessToken);
  });

  it('100 concurrent requests over two audiences cost one grant each, and the rotated refresh token is never reused', async () => {
    const stack = await startStack({ ttl: { AccessToken: 6 }, bff: upstreams });
    stacks.push(stack);
    const browser = new TestBrowser();
    await signIn(browser, stack, 'bob');
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        browser.get(`${stack.bffUrl}/api/${i % 2 ? 'orders' : 'catalog'}/${i}`, API_HEADERS),
      ),
    );
    expect(answers.map((answer) => answer.status).filter((status) => status !== 200)).toEqual([]);
    expect(stack.refreshGrants()).toBe(2);
    // A reused refresh token would have revoked the grant: the session would end at its next refresh.
    await sleep(5200);
    for (const path of ['orders/late', 'catalog/late', 'echo/late']) {
      expect((await browser.get(`${stack.bffUrl}/api/${path}`, API_HEADERS)).status).toBe(200);
    }
    // One refresh per audience used per token life.
    expect(stack.refreshGrants()).toBe(5);
    expect(stack.logs.events('refresh_failure')).toEqual([]);
  });
});

await describeWith(['redis'], 'tokens per resource across two BFF instances on one Redis', () => {
  const prefix = `gh-test-${randomBytes(4).toString('hex')}:`;
  const stacks: Stack[] = [];
  afterAll(async () => {
    for (const stack of stacks.reverse()) await stack.close();
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('200 concurrent requests over both instances and two audiences: exactly one grant per audience', async () => {
    const shared = { redisUrl, redisKeyPrefix: prefix };
    const a = await startStack({
      ttl: { AccessToken: 6 },
      bff: (echo) => ({ ...upstreams(echo), ...shared }),
    });
    stacks.push(a);
    const portB = await freePort();
    const b = await startStack({
      idp: a.idp,
      bffPort: portB,
      bff: (echo) => ({ ...upstreams(echo), ...shared, publicUrl: a.bffUrl }),
    });
    stacks.push(b);
    const browser = new TestBrowser();
    await signIn(browser, a, 'erin');
    const cookie = await browser.jar.getCookieString(a.bffUrl);
    const urls = Array.from(
      { length: 200 },
      (_, i) =>
        `${i % 2 ? a.bffUrl : `http://localhost:${portB}`}/api/${i % 4 < 2 ? 'orders' : 'catalog'}/${i}`,
    );
    const answers = await Promise.all(urls.map((url) => browser.get(url, { ...API_HEADERS, cookie })));
    expect(answers.map((answer) => answer.status).filter((status) => status !== 200)).toEqual([]);
    expect(a.refreshGrants()).toBe(2);
    expect(a.bff.runtime.sessions.refreshCount + b.bff.runtime.sessions.refreshCount).toBe(2);
    // Both instances attached the same token per audience: the one stored in Redis.
    const seen = [...a.echo.seen, ...b.echo.seen];
    const tokens = (prefixPath: string) =>
      new Set(
        seen.filter((entry) => entry.url.startsWith(prefixPath)).map((entry) => entry.headers.authorization),
      );
    expect(tokens('/orders/').size).toBe(1);
    expect(tokens('/catalog/').size).toBe(1);
  });
});
