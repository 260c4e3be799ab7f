// Gatehouse issue 16, item 2: one account signing in again and again (three GETs while the IdP remembers
// it) must not push other users' sessions out, nor take the push channel's streams from them. Against the
// real dev IdP and BFF, on the memory store and on Redis.
import { randomBytes } from 'node:crypto';
import { API_HEADERS, describeWith, redisUrl, TestBrowser } from '@gatehouse/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BffOptions, MemorySessionStore, RedisSessionStore, type SessionStore } from '../src/index.js';
import { type EventReader, openEvents } from './support/events.js';
import { type Stack, signIn, startStack } from './support/stack.js';

const SIGN_INS = 400;
const LIMITS: Partial<BffOptions> = {
  maxSessionsPerUser: 50,
  maxPushStreamsPerUser: 20,
  maxPushStreams: 60,
  // The flood signs in from one address far faster than any person: the rate limit is not what is tested.
  loginRateLimit: 100_000,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sessionIdOf = (cookie: string): string => /__Host-Http-gatehouse=([^.;]+)/.exec(cookie)?.[1] ?? '';

/** Whether the server has ended `reader`'s stream (within a short look). */
async function stillOpen(reader: EventReader): Promise<boolean> {
  return Promise.race([reader.ended.then(() => false), sleep(100).then(() => true)]);
}

/** Signs `user` in with a browser of their own, and opens one push stream for that session. */
async function signedInAndStreaming(stack: Stack, user: string) {
  const browser = new TestBrowser();
  await signIn(browser, stack, user);
  const cookie = await browser.jar.getCookieString(stack.bffUrl);
  const stream = await openEvents(`${stack.bffUrl}/auth/events`, { ...API_HEADERS, cookie });
  expect(stream.status).toBe(200);
  return { browser, cookie, stream };
}

/** Is the refresh token still active at the IdP (RFC 7662 introspection, as the BFF's client)? */
async function active(stack: Stack, refreshToken: string): Promise<boolean> {
  const answer = await fetch(`${stack.idp.issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('gatehouse-bff:gatehouse-dev-secret').toString('base64')}`,
    },
    body: new URLSearchParams({ token: refreshToken }),
  });
  return ((await answer.json()) as { active: boolean }).active;
}

/** The flood scenario on one store. */
function floodSuite(name: string, makeStore: () => SessionStore) {
  describe(`${name}: one account signing in ${SIGN_INS} times`, () => {
    let stack: Stack;
    let store: SessionStore;
    const readers: EventReader[] = [];
    beforeAll(async () => {
      store = makeStore();
      stack = await startStack({ store, bff: LIMITS });
    });
    afterAll(async () => {
      for (const reader of readers) reader.close();
      await stack?.close();
      await store?.close();
    });

    it('leaves every other user signed in and streaming, and keeps the account within its limits', async () => {
      const bob = await signedInAndStreaming(stack, 'bob');
      const carol = await signedInAndStreaming(stack, 'carol');
      readers.push(bob.stream, carol.stream);

      // The flood: sign in again while the IdP remembers alice, drop the BFF's cookie, keep two tabs open.
      const alice = new TestBrowser();
      const ids: string[] = [];
      let firstRefreshToken: string | undefined;
      for (let n = 0; n < SIGN_INS; n++) {
        await signIn(alice, stack, 'alice');
        const cookie = await alice.jar.getCookieString(stack.bffUrl);
        ids.push(sessionIdOf(cookie));
        if (n === 0) firstRefreshToken = (await store.get(ids[0] as string))?.tokens.refreshToken;
        for (let tab = 0; tab < 2; tab++) {
          readers.push(await openEvents(`${stack.bffUrl}/auth/events`, { ...API_HEADERS, cookie }));
        }
        await alice.jar.setCookie(stack.bff.runtime.cookies.clearSession(), stack.bffUrl, {
          ignoreError: true,
        });
      }
      expect(new Set(ids).size).toBe(SIGN_INS);

      // alice keeps her newest 50 sessions; the others ended as sessions end: their tabs were told.
      const live: boolean[] = [];
      for (const id of ids) live.push((await store.get(id)) !== undefined);
      expect(live.indexOf(true)).toBe(SIGN_INS - 50);
      expect(live.filter(Boolean)).toHaveLength(50);
      const limited = stack.logs.events('session_end').filter((line) => line.cause === 'session_limit');
      expect(limited).toHaveLength(SIGN_INS - 50);
      expect(limited.every((line) => line.reason === 'logout' && line.sub === 'user_alice')).toBe(true);
      expect(stack.bff.runtime.push.streamsOf(JSON.stringify([stack.idp.issuer, 'user_alice']))).toBe(20);
      // Every sign-in came from one IdP session, so every session held a token of one grant: the ended ones'
      // were not revoked (revoking one revokes the grant, and would have ended the 50 that stay).
      await sleep(300);
      const newest = (await store.get(ids.at(-1) as string))?.tokens.refreshToken;
      expect(await active(stack, newest as string)).toBe(true);
      expect(await active(stack, firstRefreshToken as string)).toBe(true);

      // bob and carol: still signed in, their streams still open and told nothing, new tabs welcome.
      for (const other of [bob, carol]) {
        expect(await stillOpen(other.stream)).toBe(true);
        const session = await other.browser.get(`${stack.bffUrl}/auth/session`, API_HEADERS);
        expect(session.json()).toMatchObject({ isAuthenticated: true });
        const tab = await openEvents(`${stack.bffUrl}/auth/events`, { ...API_HEADERS, cookie: other.cookie });
        readers.push(tab);
        expect(tab.status).toBe(200);
      }
      await expect(bob.stream.next(50)).rejects.toThrow('no event in time');
      // Someone signing in after the flood streams too.
      const dave = await signedInAndStreaming(stack, 'dave');
      readers.push(dave.stream);
    }, 120_000);
  });
}

floodSuite('memory store (300 sessions at most)', () => new MemorySessionStore({ maxSessions: 300 }));

await describeWith(['redis'], 'Redis store', () => {
  const keyPrefix = `gh-test-${randomBytes(4).toString('hex')}:`;
  afterAll(async () => {
    const admin = new Redis(redisUrl);
    const keys = await admin.keys(`${keyPrefix}*`);
    if (keys.length) await admin.del(...keys);
    await admin.quit();
  });
  floodSuite('Redis', () => new RedisSessionStore({ url: redisUrl, keyPrefix }));
});
