// Redis faults under a steady load of signed-in users spread over two BFF instances, on Redis servers this
// file starts for itself: a cluster primary killed (its replica promoted), a Sentinel primary killed (the
// sentinels promote its replica), a Redis restarted empty, and a Redis that stops answering (SIGSTOP) for
// longer than the command timeout.
import {
  API_HEADERS,
  describeWith,
  freePort,
  type RedisCluster,
  type RedisSentinelSetup,
  type RedisServer,
  startRedisCluster,
  startRedisSentinel,
  startRedisServer,
  TestBrowser,
} from '@gatehouse/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BffOptions } from '../src/index.js';
import { type Stack, signIn, startStack } from './support/stack.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];

/** One answer the load saw. */
interface Seen {
  readonly user: string;
  readonly at: number;
  readonly ms: number;
  readonly status: number;
  readonly code: unknown;
  readonly type: string;
  readonly detail?: string;
}

/** Two BFF instances on one public URL and one Redis, with every demo user signed in (on A). */
async function twoInstances(redis: Partial<BffOptions>) {
  // Access tokens live 4 s and are refreshed 2 s before they expire: refreshes run all through the faults.
  const options = (echo: string): Partial<BffOptions> => ({
    refreshLeeway: 2,
    upstreams: { echo: { url: echo } },
    redisKeyPrefix: 'faults:',
    ...redis,
  });
  const a = await startStack({ ttl: { AccessToken: 4 }, bff: options });
  const portB = await freePort();
  const b = await startStack({
    idp: a.idp,
    bffPort: portB,
    bff: (echo) => ({ ...options(echo), publicUrl: a.bffUrl }),
  });
  await storeReady(a);
  await storeReady(b);
  const users = await Promise.all(
    USERS.map(async (user) => {
      const browser = new TestBrowser();
      await signIn(browser, a, user);
      return { user, browser, cookie: await browser.jar.getCookieString(a.bffUrl) };
    }),
  );
  return { a, b, urls: [a.bffUrl, `http://localhost:${portB}`], users };
}

/** Waits until the instance's store answers (a cluster client needs a moment to learn the slots). */
async function storeReady(stack: Stack): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await stack.bff.runtime.store.countHit('ready', 1_000);
      return;
    } catch (error) {
      if (attempt > 50) throw error;
      await sleep(200);
    }
  }
}

type Instances = Awaited<ReturnType<typeof twoInstances>>;

/** Every user asks an API through both instances in turn, one request at a time, until `stop()`. */
function load(instances: Instances) {
  const seen: Seen[] = [];
  let running = true;
  const loops = instances.users.map(async ({ user, browser, cookie }, n) => {
    for (let i = n; running; i++) {
      const started = Date.now();
      const answer = await browser.get(`${instances.urls[i % 2]}/api/echo/${i}`, { ...API_HEADERS, cookie });
      const type = answer.header('content-type') ?? '';
      const code =
        type.includes('json') && answer.status !== 200
          ? (answer.json() as { code?: unknown }).code
          : undefined;
      seen.push({ user, at: started, ms: Date.now() - started, status: answer.status, code, type });
      await sleep(answer.status === 200 ? 40 : 100);
    }
  });
  return {
    seen,
    /**
     * Resolves once every user got `count` 200s in a row after `since` (answering how long that took), or
     * after `timeoutMs` with `undefined`. A busy machine may still time out a call now and then (503).
     */
    async allFine(since: number, timeoutMs: number, count = 3): Promise<number | undefined> {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const fine = USERS.every((user) => {
          const statuses = seen
            .filter((entry) => entry.user === user && entry.at > since)
            .map((entry) => entry.status);
          return statuses.join(',').includes(Array(count).fill(200).join(','));
        });
        if (fine) return Date.now() - since;
        await sleep(100);
      }
      return undefined;
    },
    async stop(): Promise<Seen[]> {
      running = false;
      await Promise.all(loops);
      return seen;
    },
  };
}

/** What the load saw, second by second from `from`: `+3s 200×12 503×4`…, for failure messages. */
function timeline(seen: readonly Seen[], from: number): string {
  const seconds = new Map<number, Map<string, number>>();
  for (const entry of seen) {
    const second = Math.floor((entry.at - from) / 1000);
    const counts = seconds.get(second) ?? new Map<string, number>();
    const key = `${entry.status}${entry.code ? ` ${String(entry.code)}` : ''}${entry.detail ? ` (${entry.detail})` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    seconds.set(second, counts);
  }
  return [...seconds]
    .sort(([a], [b]) => a - b)
    .map(([second, counts]) => `${second}s ${[...counts].map(([key, n]) => `${key}×${n}`).join(' ')}`)
    .join('; ');
}

/** Refreshes that an instance gave up on or that the issuer refused (a reused refresh token). */
const refreshTrouble = (stack: Stack) =>
  stack.logs
    .events('refresh_failure')
    .filter((entry) => entry.error === 'invalid_grant' || entry.error === 'abandoned_refresh');

await describeWith(['redis-server'], 'sessions through Redis faults, two BFF instances under load', () => {
  const stacks: Stack[] = [];
  afterEach(async () => {
    for (const stack of stacks.splice(0).reverse()) await stack.close();
  });

  describe('on a Redis Cluster (3 primaries, 3 replicas)', () => {
    let cluster: RedisCluster;
    beforeAll(async () => {
      cluster = await startRedisCluster({ nodeTimeoutMs: 1_000 });
    }, 60_000);
    afterAll(async () => {
      await cluster?.stop();
    });

    it('a primary killed: no session lost, no refresh token reused, 503 store_unavailable meanwhile, recovery by itself', async () => {
      const instances = await twoInstances({ redisUrl: cluster.urls.join(','), redisCluster: true });
      stacks.push(instances.a, instances.b);
      const traffic = load(instances);
      await sleep(3_000);
      // The primary holding every session (the session family's hash slot).
      const primary = await cluster.primaryOf('{faults:}');
      const killedAt = Date.now();
      await primary.kill();
      const recoveredIn = await traffic.allFine(killedAt, 45_000);
      await sleep(3_000);
      const seen = await traffic.stop();

      for (const stack of [instances.a, instances.b]) {
        const troubles = stack.logs.lines.filter((line) =>
          /refresh_failure|session_end|"level":50|warn/.test(line),
        );
        if (troubles.length) console.info(troubles.slice(0, 12).join('\n'));
      }
      expect(
        recoveredIn,
        `every user served again after the failover: ${timeline(seen, killedAt)}`,
      ).toBeDefined();
      const failed = seen.filter((entry) => entry.status !== 200);
      for (const entry of failed) {
        expect(entry.status, JSON.stringify(entry)).toBe(503);
        expect(entry.type).toMatch(/^application\/problem\+json/);
        expect(entry.code).toBe('store_unavailable');
      }
      // Not one sign-out: every user's session lives on, on both instances.
      for (const { cookie } of instances.users) {
        for (const url of instances.urls) {
          const session = await new TestBrowser().get(`${url}/auth/session`, { ...API_HEADERS, cookie });
          expect(session.json()).toMatchObject({ isAuthenticated: true });
        }
      }
      expect([...refreshTrouble(instances.a), ...refreshTrouble(instances.b)]).toEqual([]);
      expect(instances.a.refreshGrants()).toBeGreaterThan(USERS.length);
      expect(Math.max(...seen.map((entry) => entry.ms)), 'slowest answer (ms)').toBeLessThan(10_000);
      console.info(
        `cluster failover: ${seen.length} requests, ${failed.length} answered 503, all served again ${recoveredIn} ms after the kill, ${instances.a.refreshGrants()} refreshes`,
      );
    }, 120_000);
  });

  describe('behind Sentinel (a primary, its replica, three sentinels)', () => {
    let setup: RedisSentinelSetup;
    beforeAll(async () => {
      setup = await startRedisSentinel({ downAfterMs: 1_000 });
    }, 60_000);
    afterAll(async () => {
      await setup?.stop();
    });

    it('the primary killed: the sentinels promote the replica, no session lost, no refresh token reused, recovery by itself', async () => {
      const instances = await twoInstances({
        redisUrl: setup.sentinelUrls.join(','),
        redisSentinel: setup.name,
      });
      stacks.push(instances.a, instances.b);
      const traffic = load(instances);
      await sleep(3_000);
      const primary = await setup.primary();
      const killedAt = Date.now();
      await primary.kill();
      const promoted = await setup.failedOver(primary);
      const recoveredIn = await traffic.allFine(killedAt, 45_000);
      await sleep(3_000);
      const seen = await traffic.stop();

      expect(promoted).not.toBe(primary);
      expect(
        recoveredIn,
        `every user served again after the failover: ${timeline(seen, killedAt)}`,
      ).toBeDefined();
      const failed = seen.filter((entry) => entry.status !== 200);
      for (const entry of failed) {
        expect(entry.status, JSON.stringify(entry)).toBe(503);
        expect(entry.code).toBe('store_unavailable');
      }
      // Every write waited for the replica (WAIT 1, the default behind Sentinel): not one session was lost.
      for (const { cookie } of instances.users) {
        for (const url of instances.urls) {
          const session = await new TestBrowser().get(`${url}/auth/session`, { ...API_HEADERS, cookie });
          expect(session.json()).toMatchObject({ isAuthenticated: true });
        }
      }
      expect([...refreshTrouble(instances.a), ...refreshTrouble(instances.b)]).toEqual([]);
      expect(instances.a.refreshGrants()).toBeGreaterThan(USERS.length);
      console.info(
        `sentinel failover: ${seen.length} requests, ${failed.length} answered 503, all served again ${recoveredIn} ms after the kill, ${instances.a.refreshGrants()} refreshes`,
      );
    }, 120_000);
  });

  describe('on one Redis of its own', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedisServer();
    }, 30_000);
    afterAll(async () => {
      await redis?.stop();
    });

    it('restarted empty: users are asked to sign in again (401), nothing hangs, sign-in works again', async () => {
      const instances = await twoInstances({ redisUrl: redis.url });
      stacks.push(instances.a, instances.b);
      const traffic = load(instances);
      await sleep(2_000);
      const restartedAt = Date.now();
      await redis.restart();
      await sleep(4_000);
      const seen = await traffic.stop();

      for (const entry of seen) expect([200, 401, 503], JSON.stringify(entry)).toContain(entry.status);
      for (const entry of seen.filter((one) => one.status !== 200)) {
        expect(entry.type).toMatch(/^application\/problem\+json/);
      }
      // After the restart, every user's session is gone: a clean 401, on both instances.
      for (const { user } of instances.users) {
        const last = seen.filter((entry) => entry.user === user && entry.at > restartedAt + 1_500).at(-1);
        expect(last?.status, user).toBe(401);
      }
      expect(Math.max(...seen.map((entry) => entry.ms)), 'slowest answer (ms)').toBeLessThan(5_000);
      const again = new TestBrowser();
      await signIn(again, instances.a, 'alice');
      expect((await again.get(`${instances.urls[1]}/api/echo/x`, API_HEADERS)).status).toBe(200);
    }, 60_000);

    it('paused just as the issuer rotated a refresh token: the callers get 503 at once, the rotated token is stored once it answers, the session goes on', async () => {
      const stack = await startStack({
        ttl: { AccessToken: 4 },
        bff: (echo) => ({
          refreshLeeway: 2,
          upstreams: { echo: { url: echo } },
          redisUrl: redis.url,
          redisKeyPrefix: 'faults-rotated:',
        }),
      });
      stacks.push(stack);
      await storeReady(stack);
      const browser = new TestBrowser();
      await signIn(browser, stack, 'alice');
      const cookie = await browser.jar.getCookieString(stack.bffUrl);
      // The moment the issuer has answered the refresh (the old refresh token is spent), Redis stops answering.
      let pausedAt = 0;
      stack.idp.provider.on('grant.success', (ctx: { oidc: { params?: { grant_type?: unknown } } }) => {
        if (ctx.oidc.params?.grant_type !== 'refresh_token' || pausedAt) return;
        pausedAt = Date.now();
        redis.pause();
      });
      await sleep(2_300);
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          browser.get(`${stack.bffUrl}/api/echo/${i}`, { ...API_HEADERS, cookie }),
        ),
      );
      const took = Date.now() - started;
      setTimeout(() => redis.resume(), 3_000 - (Date.now() - pausedAt));
      expect(pausedAt).toBeGreaterThan(0);
      // Within the store's command timeout (1 s) and a little, not the 20 s the store write is retried for.
      expect(answers.map((answer) => answer.status)).toEqual([503, 503, 503, 503, 503]);
      expect(took, 'the callers waited (ms)').toBeLessThan(2_500);
      await sleep(Math.max(0, pausedAt + 3_500 - Date.now()));
      // Redis answers again: the rotated token was stored in the background; no second refresh, no sign-out.
      let after = await browser.get(`${stack.bffUrl}/api/echo/after`, { ...API_HEADERS, cookie });
      for (let tries = 0; after.status === 503 && tries < 20; tries++) {
        await sleep(250);
        after = await browser.get(`${stack.bffUrl}/api/echo/after`, { ...API_HEADERS, cookie });
      }
      expect(after.status).toBe(200);
      // Had the rotated token been lost, the next refresh would have found its write-ahead mark (the session
      // ended: abandoned_refresh) or sent the spent token (the issuer refuses: refresh_failure).
      expect(stack.logs.events('refresh_failure')).toEqual([]);
      expect(stack.logs.events('session_end')).toEqual([]);
      expect(stack.logs.events('refresh_success')).toHaveLength(stack.refreshGrants());
    }, 60_000);

    it('paused (SIGSTOP) beyond the command timeout: answers within bounded time, then recovers', async () => {
      const instances = await twoInstances({ redisUrl: redis.url });
      stacks.push(instances.a, instances.b);
      const traffic = load(instances);
      await sleep(1_500);
      const pausedAt = Date.now();
      redis.pause();
      await sleep(4_000);
      redis.resume();
      const recoveredIn = await traffic.allFine(Date.now(), 20_000);
      const seen = await traffic.stop();

      expect(recoveredIn, 'every user served again after SIGCONT').toBeDefined();
      const during = seen.filter((entry) => entry.at > pausedAt + 1_200 && entry.at < pausedAt + 3_500);
      expect(during.some((entry) => entry.status === 503)).toBe(true);
      for (const entry of seen.filter((one) => one.status !== 200)) {
        expect(entry.status, JSON.stringify(entry)).toBe(503);
        expect(entry.code).toBe('store_unavailable');
      }
      // Each call has its command timeout (1 s); a request makes a few calls at most.
      expect(Math.max(...seen.map((entry) => entry.ms)), 'slowest answer (ms)').toBeLessThan(4_000);
      for (const { cookie } of instances.users) {
        const session = await new TestBrowser().get(`${instances.urls[0]}/auth/session`, {
          ...API_HEADERS,
          cookie,
        });
        expect(session.json()).toMatchObject({ isAuthenticated: true });
      }
    }, 60_000);
  });
});
