import { createHash, randomBytes } from 'node:crypto';
import type { DevIdpTtl } from '@gatehouse/dev-idp';
import {
  API_HEADERS,
  describeWith,
  freePort,
  type RedisCluster,
  redisUrl,
  startRedisCluster,
  TestBrowser,
} from '@gatehouse/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BffOptions } from '../src/index.js';
import { revokeRefreshToken, type Stack, signIn, startStack } from './support/stack.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stack whose access tokens live 3 s and are refreshed 1 s before they expire. */
const shortLived = (extra: Parameters<typeof startStack>[0] = {}) =>
  startStack({
    ttl: { AccessToken: 3 },
    ...extra,
    bff: (echo) => ({
      refreshLeeway: 1,
      upstreams: { echo: { url: echo } },
      ...(typeof extra.bff === 'function' ? extra.bff(echo) : extra.bff),
    }),
  });

async function sessionRecord(stack: Stack, browser: TestBrowser) {
  const cookie = (await browser.jar.getCookies(stack.bffUrl)).find(
    (entry) => entry.key === '__Host-Http-gatehouse',
  );
  const id = cookie?.value.split('.')[0] ?? '';
  return { id, record: await stack.bff.runtime.store.get(id) };
}

describe('token refresh', () => {
  const stacks: Stack[] = [];
  afterAll(async () => {
    for (const stack of stacks) await stack.close();
  });

  it('refreshes shortly before expiry, forwards the new token and keeps the rotated refresh token', async () => {
    const stack = await shortLived();
    stacks.push(stack);
    const browser = new TestBrowser();
    await signIn(browser, stack, 'alice');
    const before = await sessionRecord(stack, browser);
    await browser.get(`${stack.bffUrl}/api/echo/a`, API_HEADERS);
    const firstToken = stack.echo.seen.at(-1)?.headers.authorization;
    await sleep(2200);
    const answer = await browser.get(`${stack.bffUrl}/api/echo/b`, API_HEADERS);
    expect(answer.status).toBe(200);
    const secondToken = stack.echo.seen.at(-1)?.headers.authorization;
    expect(secondToken).toMatch(/^Bearer eyJ/);
    expect(secondToken).not.toBe(firstToken);
    expect(stack.refreshGrants()).toBe(1);
    const after = await sessionRecord(stack, browser);
    expect(after.record?.tokens.refreshToken).toBeTruthy();
    expect(after.record?.tokens.refreshToken).not.toBe(before.record?.tokens.refreshToken);
    expect(after.record?.tokens.accessTokenExpiresAt).toBeGreaterThan(
      before.record?.tokens.accessTokenExpiresAt ?? 0,
    );
    expect(stack.logs.events('refresh_success')).toHaveLength(1);
  });

  it('tokens shorter than twice the leeway are refreshed halfway through their life, not on every request', async () => {
    // 4-second tokens and the default 60 s leeway: due after 2 s, not at once.
    const stack = await startStack({
      ttl: { AccessToken: 4 },
      bff: (echo) => ({ upstreams: { echo: { url: echo } } }),
    });
    stacks.push(stack);
    const browser = new TestBrowser();
    await signIn(browser, stack, 'erin');
    for (let i = 0; i < 5; i++) {
      expect((await browser.get(`${stack.bffUrl}/api/echo/early-${i}`, API_HEADERS)).status).toBe(200);
    }
    expect(stack.refreshGrants()).toBe(0);
    await sleep(2200);
    for (let i = 0; i < 5; i++) {
      expect((await browser.get(`${stack.bffUrl}/api/echo/late-${i}`, API_HEADERS)).status).toBe(200);
    }
    expect(stack.refreshGrants()).toBe(1);
    const { record } = await sessionRecord(stack, browser);
    const tokens = record?.tokens;
    expect((tokens?.accessTokenExpiresAt ?? 0) - (tokens?.refreshAt ?? 0)).toBeGreaterThanOrEqual(1900);
    expect((tokens?.accessTokenExpiresAt ?? 0) - (tokens?.refreshAt ?? 0)).toBeLessThanOrEqual(2000);
  });

  it('an issuer that does not rotate: the same refresh token serves every refresh, and the session lives on', async () => {
    const stack = await shortLived({ rotateRefreshTokens: false });
    stacks.push(stack);
    const browser = new TestBrowser();
    await signIn(browser, stack, 'dave');
    const before = await sessionRecord(stack, browser);
    for (let refresh = 1; refresh <= 3; refresh++) {
      await sleep(2200);
      expect((await browser.get(`${stack.bffUrl}/api/echo/${refresh}`, API_HEADERS)).status).toBe(200);
      expect(stack.refreshGrants()).toBe(refresh);
    }
    const after = await sessionRecord(stack, browser);
    expect(after.record?.tokens.refreshToken).toBe(before.record?.tokens.refreshToken);
    expect(stack.logs.events('refresh_success')).toHaveLength(3);
    expect(stack.logs.events('refresh_failure')).toHaveLength(0);
  });

  it('200 concurrent requests at expiry cause exactly one refresh at the IdP', async () => {
    // 6-second tokens due 1 s early: the refreshed token stays fresh for 5 s, long enough for 200
    // requests on a busy machine (with 3-second tokens a slow batch would rightly refresh again).
    const stack = await shortLived({ ttl: { AccessToken: 6 } });
    stacks.push(stack);
    const browser = new TestBrowser();
    await signIn(browser, stack, 'bob');
    await sleep(5200);
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => browser.get(`${stack.bffUrl}/api/echo/${i}`, API_HEADERS)),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(stack.refreshGrants()).toBe(1);
    const tokens = new Set(stack.echo.seen.slice(-200).map((seen) => seen.headers.authorization));
    expect(tokens.size).toBe(1);
  });

  it('SECURITY A8: a refresh token revoked at the IdP ends the session at the next refresh (401 session_expired)', async () => {
    const stack = await shortLived();
    stacks.push(stack);
    const browser = new TestBrowser();
    await signIn(browser, stack, 'carol');
    const { id, record } = await sessionRecord(stack, browser);
    expect(await revokeRefreshToken(stack, record?.tokens.refreshToken ?? '')).toBe(200);
    await sleep(2200);
    const answer = await browser.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS);
    expect(answer.status).toBe(401);
    expect(answer.json()).toMatchObject({ code: 'session_expired' });
    expect((await browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS)).json()).toEqual({
      isAuthenticated: false,
    });
    expect(stack.logs.events('session_end').at(-1)).toMatchObject({ reason: 'refresh_failed' });
    // The 401 is in the audit trail like any other of an ended session: a reference, never the id.
    const unauthorized = stack.logs.events('unauthorized').at(-1);
    expect(unauthorized).toMatchObject({ reason: 'refresh_failed', session: expect.any(String) });
    expect(JSON.stringify(unauthorized)).not.toContain(id);
  });

  it('SECURITY C23: a stolen refresh token is useless without the client secret, and its reuse ends the session', async () => {
    const stack = await shortLived();
    stacks.push(stack);
    const browser = new TestBrowser();
    await signIn(browser, stack, 'dave');
    const stolen = (await sessionRecord(stack, browser)).record?.tokens.refreshToken ?? '';
    const withoutSecret = await fetch(`${stack.idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: stolen,
        client_id: 'gatehouse-bff',
      }),
    });
    expect((await withoutSecret.json()) as object).toMatchObject({ error: 'invalid_client' });
    // The BFF refreshes (rotating the token); then the thief replays the old one with the stolen secret too.
    await sleep(2200);
    expect((await browser.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS)).status).toBe(200);
    const reuse = await fetch(`${stack.idp.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('gatehouse-bff:gatehouse-dev-secret').toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: stolen }),
    });
    expect((await reuse.json()) as object).toMatchObject({ error: 'invalid_grant' });
    await sleep(2200);
    const answer = await browser.get(`${stack.bffUrl}/api/echo/x`, API_HEADERS);
    expect(answer.status).toBe(401);
    expect(answer.json()).toMatchObject({ code: 'session_expired' });
  });
});

/**
 * Two BFF instances (A, and B on another port) sharing one public URL and one Redis under `prefix`, signed in
 * as `user` on A. `ttl` and `rotateRefreshTokens` go to the dev IdP, `bff` to both instances.
 */
async function twoInstances(
  prefix: string,
  stacks: Stack[],
  user: string,
  options: { ttl?: DevIdpTtl; rotateRefreshTokens?: boolean; bff?: Partial<BffOptions> } = {},
) {
  // The shared Redis unless `options.bff` names another (a cluster of the test's own).
  const shared = { redisUrl, redisKeyPrefix: prefix, ...options.bff };
  const a = await shortLived({
    ...(options.ttl ? { ttl: options.ttl } : {}),
    ...(options.rotateRefreshTokens !== undefined
      ? { rotateRefreshTokens: options.rotateRefreshTokens }
      : {}),
    bff: shared,
  });
  stacks.push(a);
  const portB = await freePort();
  const b = await shortLived({ idp: a.idp, bffPort: portB, bff: { ...shared, publicUrl: a.bffUrl } });
  stacks.push(b);
  // On a loaded machine a store's first connection can outlast its 1 s command timeout (the login would then
  // answer 503, as it should): the test waits until both instances' stores answer.
  for (const stack of [a, b]) {
    for (let tries = 0; ; tries++) {
      const answered = await stack.bff.runtime.store.countHit(`ready:${prefix}`, 1000).then(
        () => true,
        (error: unknown) => (tries < 50 ? false : Promise.reject(error)),
      );
      if (answered) break;
      await sleep(200);
    }
  }
  const browser = new TestBrowser();
  await signIn(browser, a, user);
  const cookie = await browser.jar.getCookieString(a.bffUrl);
  const id =
    (await browser.jar.getCookies(a.bffUrl))
      .find((entry) => entry.key === '__Host-Http-gatehouse')
      ?.value.split('.')[0] ?? '';
  return { a, b, browser, cookie, id, bUrl: `http://localhost:${portB}` };
}

/** The stacks of a Redis suite: closed after it, with every key under its prefix deleted. */
function redisSuite(prefix: string): Stack[] {
  const stacks: Stack[] = [];
  afterAll(async () => {
    for (const stack of stacks.reverse()) await stack.close();
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });
  return stacks;
}

await describeWith(['redis'], 'token refresh across two BFF instances on one Redis', () => {
  const prefix = `gh-test-${randomBytes(4).toString('hex')}:`;
  const stacks = redisSuite(prefix);

  it('200 concurrent requests over both instances at expiry cause exactly one refresh', async () => {
    const { a, b, browser, cookie, bUrl } = await twoInstances(prefix, stacks, 'erin', {
      ttl: { AccessToken: 6 },
    });
    await sleep(5200);
    const urls = Array.from({ length: 200 }, (_, i) => `${i % 2 ? a.bffUrl : bUrl}/api/echo/${i}`);
    const answers = await Promise.all(urls.map((url) => browser.get(url, { ...API_HEADERS, cookie })));
    expect(answers.map((answer) => answer.status).filter((status) => status !== 200)).toEqual([]);
    expect(a.refreshGrants()).toBe(1);
    expect(a.bff.runtime.sessions.refreshCount + b.bff.runtime.sessions.refreshCount).toBe(1);
    // A session made on one instance works on the other, and logout on one ends it on both.
    const out = await browser.request(`${bUrl}/auth/logout`, {
      method: 'POST',
      headers: { ...API_HEADERS, origin: a.bffUrl, cookie },
    });
    expect(out.status).toBe(200);
    expect((await browser.get(`${a.bffUrl}/api/echo/x`, { ...API_HEADERS, cookie })).status).toBe(401);
  });

  it('an issuer that does not rotate: refreshes take turns between instances, and no write-ahead mark stays behind', async () => {
    const { a, browser, cookie, bUrl } = await twoInstances(prefix, stacks, 'frank', {
      rotateRefreshTokens: false,
    });
    for (const [refresh, url] of [a.bffUrl, bUrl, a.bffUrl].entries()) {
      await sleep(2200);
      expect((await browser.get(`${url}/api/echo/x`, { ...API_HEADERS, cookie })).status).toBe(200);
      expect(a.refreshGrants()).toBe(refresh + 1);
    }
    const redis = new Redis(redisUrl);
    try {
      expect(await redis.keys(`${prefix}*refresh-sent:*`)).toEqual([]);
    } finally {
      await redis.quit();
    }
  });
});

/**
 * An instance dying in the middle of a refresh, with the other instance of the pair going on: what it left
 * (a lock, or the write-ahead mark of a refresh token it sent) is honoured by the survivors. `store` gives the
 * pair's Redis (the shared one, or a cluster of the test's own).
 */
function deadInstanceSuite(prefix: string, stacks: Stack[], store: () => Partial<BffOptions>) {
  const pair = () =>
    twoInstances(prefix, stacks, 'bob', { bff: { refreshLockMs: 1500, refreshWaitMs: 6000, ...store() } });

  it('a lock left by a dead instance before it sent anything: the others wait, then exactly one refreshes', async () => {
    const { a, b, browser, cookie, id, bUrl } = await pair();
    await sleep(2200);
    // The "dead" instance took the lock and vanished without sending the refresh.
    expect(await a.bff.runtime.store.acquireLock(`refresh:${id}`, 'dead-instance', 1500)).toBe(true);
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        browser.get(`${i % 2 ? a.bffUrl : bUrl}/api/echo/${i}`, { ...API_HEADERS, cookie }),
      ),
    );
    expect(answers.map((answer) => answer.status).filter((status) => status !== 200)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(a.refreshGrants()).toBe(1);
    expect(a.bff.runtime.sessions.refreshCount + b.bff.runtime.sessions.refreshCount).toBe(1);
  });

  it('a dead instance that had sent the refresh token: nobody sends it again; the session ends cleanly', async () => {
    const { a, browser, cookie, id } = await pair();
    const record = await a.bff.runtime.store.get(id);
    await sleep(2200);
    // The write-ahead mark the dead instance left before sending its refresh token.
    const sent = `refresh-sent:${createHash('sha256')
      .update(record?.tokens.refreshToken ?? '')
      .digest('base64url')}`;
    expect(await a.bff.runtime.store.acquireLock(sent, 'dead-instance', 60_000)).toBe(true);
    const answer = await browser.get(`${a.bffUrl}/api/echo/x`, { ...API_HEADERS, cookie });
    expect(answer.status).toBe(401);
    expect(answer.json()).toMatchObject({ code: 'session_expired' });
    expect(a.refreshGrants()).toBe(0);
    expect(a.logs.events('refresh_failure').at(-1)).toMatchObject({ error: 'abandoned_refresh' });
  });
}

await describeWith(['redis'], 'an instance dying mid-refresh (two instances on one Redis)', () => {
  const prefix = `gh-test-${randomBytes(4).toString('hex')}:`;
  deadInstanceSuite(prefix, redisSuite(prefix), () => ({}));
});

await describeWith(
  ['redis-server'],
  'an instance dying mid-refresh (two instances on a Redis Cluster)',
  () => {
    let cluster: RedisCluster;
    const stacks: Stack[] = [];
    beforeAll(async () => {
      cluster = await startRedisCluster();
    }, 60_000);
    afterAll(async () => {
      for (const stack of stacks.reverse()) await stack.close();
      await cluster?.stop();
    });
    deadInstanceSuite('dying:', stacks, () => ({ redisUrl: cluster.urls.join(','), redisCluster: true }));
  },
);
