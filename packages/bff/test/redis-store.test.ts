import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import {
  describeWith,
  freePort,
  type RedisServer,
  redisUrl,
  startRedisServer,
  TestBrowser,
} from '@gatehouse/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BffError, StoreUnavailableError } from '../src/errors.js';
import { newOpaqueToken, newSessionId, RedisSessionStore, type SessionStore } from '../src/session/index.js';
import { indexHash } from '../src/session/redis-codec.js';
import { sessionRecord, sessionStoreContract, tokensFor } from './session-store.contract.js';
import { legacyIndexKeys, writeLegacySession } from './support/legacy-redis-layout.js';
import { signIn, startStack } from './support/stack.js';

/** One prefix per run of this file: nothing here touches keys of other tests sharing the server. */
const keyPrefix = `gh-test:${newOpaqueToken(16)}:`;
const iss = 'https://idp.example';
const T0 = 1_750_000_000_000;
const sorted = (ids: string[]): string[] => [...ids].sort();

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** Every method of the contract, called once, with the time each took to settle. */
function callEverything(
  store: SessionStore,
): Promise<{ outcome: PromiseSettledResult<unknown>; ms: number }[]> {
  const id = newSessionId();
  const calls: (() => Promise<unknown>)[] = [
    () => store.create(id, sessionRecord({ iss, sub: 'alice', sid: 's' }), 60_000),
    () => store.get(id),
    () => store.updateTokens(id, tokensFor(1)),
    () => store.touch(id, 1, 60_000),
    () => store.delete(id),
    () => store.deleteBySid(iss, 's'),
    () => store.deleteBySub(iss, 'alice'),
    () =>
      store.putTransaction(
        'st',
        { binding: 'b', codeVerifier: 'v', nonce: 'n', returnTo: '/', createdAt: 0 },
        60_000,
      ),
    () => store.takeTransaction('st', 'b'),
    () => store.acquireLock('k', 'o', 60_000),
    () => store.releaseLock('k', 'o'),
    () => store.markOnce('k', 60_000),
    () => store.countHit('k', 60_000),
  ];
  return Promise.all(
    calls.map(async (call) => {
      const started = performance.now();
      const [outcome] = await Promise.allSettled([call()]);
      return { outcome: outcome!, ms: performance.now() - started };
    }),
  );
}

function expectAllUnavailable(results: { outcome: PromiseSettledResult<unknown>; ms: number }[], ms: number) {
  for (const { outcome, ms: took } of results) {
    expect(outcome.status).toBe('rejected');
    const reason = (outcome as PromiseRejectedResult).reason as StoreUnavailableError;
    expect(reason).toBeInstanceOf(StoreUnavailableError);
    expect(reason.code).toBe('GH_BFF_STORE_UNAVAILABLE');
    expect(reason.cause).toBeInstanceOf(Error);
    expect(took).toBeLessThan(ms);
  }
}

/** A TCP proxy in front of Redis that can be cut and restored, to play an outage. */
async function redisProxy(port: number) {
  const target = new URL(redisUrl);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = tcpConnect(Number(target.port || 6379), target.hostname || '127.0.0.1');
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('error', () => {});
          socket.on('close', () => {
            sockets.delete(socket);
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server?.close(() => resolve());
    });
  await start();
  return { start, stop };
}

/** A server that accepts connections and never answers: a hung Redis. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

await describeWith(['redis'], 'RedisSessionStore', () => {
  let admin: Redis;

  beforeAll(async () => {
    admin = new Redis(redisUrl);
  });
  afterAll(async () => {
    await deleteKeys(admin, keyPrefix);
    await admin.quit();
  });

  sessionStoreContract('RedisSessionStore', async () => new RedisSessionStore({ url: redisUrl, keyPrefix }));

  it('lays a session out as one string, with index keys that live at least as long', async () => {
    const store = new RedisSessionStore({ url: redisUrl, keyPrefix });
    const id = newSessionId();
    const issuer = `https://${newOpaqueToken(16).toLowerCase()}.example`;
    await store.create(id, sessionRecord({ iss: issuer, sub: 'alice', sid: 's1', lastSeenAt: 42 }), 10_000);
    const sessionKey = `${keyPrefix}s:${id}`;
    const userKey = `${keyPrefix}u:${indexHash(issuer, 'alice').toString('base64url')}`;
    const opKey = `${keyPrefix}o:${indexHash(issuer, 's1').toString('base64url')}`;
    expect(await admin.type(sessionKey)).toBe('string');
    const value = (await admin.getBuffer(sessionKey)) as Buffer;
    expect(value[0]).toBe(0x11);
    expect(value.readDoubleBE(1)).toBe(42);
    // Each index entry is the id after its length in one byte.
    expect(await admin.get(userKey)).toBe(`\x2b${id}`);
    expect(await admin.get(opKey)).toBe(`\x2b${id}`);
    expect(await admin.pttl(sessionKey)).toBeGreaterThan(9_000);

    await store.touch(id, 43, 100_000);
    expect(((await admin.getBuffer(sessionKey)) as Buffer).readDoubleBE(1)).toBe(43);
    expect(await admin.pttl(sessionKey)).toBeGreaterThan(99_000);
    expect(await admin.pttl(userKey)).toBeGreaterThan(99_000);
    expect(await admin.pttl(opKey)).toBeGreaterThan(99_000);

    // updateTokens rewrites the value and keeps the TTL and lastSeenAt.
    await store.updateTokens(id, tokensFor(5));
    expect(await admin.pttl(sessionKey)).toBeGreaterThan(99_000);
    expect((await store.get(id))?.lastSeenAt).toBe(43);

    await store.delete(id);
    expect(await admin.exists(userKey, opKey, sessionKey)).toBe(0);
    await store.close();
  });

  it('drops index entries of sessions that expired when it lists a new one', async () => {
    const store = new RedisSessionStore({ url: redisUrl, keyPrefix });
    const issuer = `https://${newOpaqueToken(16).toLowerCase()}.example`;
    const userKey = `${keyPrefix}u:${indexHash(issuer, 'alice').toString('base64url')}`;
    const gone = newSessionId();
    await store.create(gone, sessionRecord({ iss: issuer, sub: 'alice' }), 200);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // The index key itself lived exactly as long as its only session.
    expect(await admin.exists(userKey)).toBe(0);
    const [one, two] = [newSessionId(), newSessionId()];
    await store.create(one, sessionRecord({ iss: issuer, sub: 'alice' }), 200);
    await store.create(two, sessionRecord({ iss: issuer, sub: 'alice' }), 60_000);
    expect(await admin.pttl(userKey)).toBeGreaterThan(59_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const three = newSessionId();
    await store.create(three, sessionRecord({ iss: issuer, sub: 'alice' }), 60_000);
    expect(await admin.get(userKey)).toBe(`\x2b${two}\x2b${three}`);
    expect(sorted(await store.deleteBySub(issuer, 'alice'))).toEqual(sorted([two, three]));
    expect(await admin.exists(userKey)).toBe(0);
    await store.close();
  });

  it('fits each index key’s TTL to the sessions it lists: never shorter, never longer', async () => {
    const store = new RedisSessionStore({ url: redisUrl, keyPrefix });
    const issuer = `https://${newOpaqueToken(16).toLowerCase()}.example`;
    const userKey = `${keyPrefix}u:${indexHash(issuer, 'alice').toString('base64url')}`;
    const opKey = `${keyPrefix}o:${indexHash(issuer, 's1').toString('base64url')}`;
    const between = async (key: string, low: number, high: number) => {
      const left = await admin.pttl(key);
      expect(left, key).toBeGreaterThan(low);
      expect(left, key).toBeLessThanOrEqual(high);
    };
    const [short, long] = [newSessionId(), newSessionId()];
    await store.create(short, sessionRecord({ iss: issuer, sub: 'alice', sid: 's1' }), 10_000);
    await store.create(long, sessionRecord({ iss: issuer, sub: 'alice', sid: 's1' }), 60_000);
    await between(userKey, 59_000, 60_000);
    await between(opKey, 59_000, 60_000);
    // The longest-lived session leaves: its indexes now live as long as the one left, no longer.
    await store.delete(long);
    await between(userKey, 9_000, 10_000);
    await between(opKey, 9_000, 10_000);
    await store.touch(short, T0, 30_000);
    await between(userKey, 29_000, 30_000);
    // A touch that shortens the session shortens its indexes too.
    await store.touch(short, T0, 5_000);
    await between(userKey, 4_000, 5_000);
    await between(opKey, 4_000, 5_000);
    // A session ended by the per-user limit leaves its indexes with the session that replaced it.
    const next = newSessionId();
    const ended = await store.create(next, sessionRecord({ iss: issuer, sub: 'alice' }), 20_000, {
      maxPerUser: 1,
    });
    expect(ended.map((session) => session.id)).toEqual([short]);
    expect(await admin.get(userKey)).toBe(`\x2b${next}`);
    await between(userKey, 19_000, 20_000);
    expect(await admin.exists(opKey, `${keyPrefix}s:${short}`)).toBe(0);
    await store.close();
  });

  it('lets every key it writes expire, none later than what it serves', async () => {
    const prefix = `gh-test:${newOpaqueToken(16)}:`;
    const store = new RedisSessionStore({ url: redisUrl, keyPrefix: prefix });
    try {
      const issuer = `https://${newOpaqueToken(16).toLowerCase()}.example`;
      for (const n of [1, 2, 3]) {
        await store.create(
          newSessionId(),
          sessionRecord({ iss: issuer, sub: 'alice', sid: `s${n}` }),
          20_000,
          {
            maxPerUser: 2,
          },
        );
      }
      const binding = newOpaqueToken();
      const states = [newOpaqueToken(), newOpaqueToken()];
      for (const state of states) {
        await store.putTransaction(
          state,
          { binding, codeVerifier: 'v', nonce: 'n', returnTo: '/', createdAt: 0 },
          30_000,
        );
      }
      await store.acquireLock('refresh:x', 'owner', 15_000);
      await store.markOnce('jti:x', 25_000);
      await store.countHit('GET /auth/login 203.0.113.7', 10_000);
      const keys = (await admin.keys(`${prefix}*`)).map((key) => key.slice(prefix.length)).sort();
      expect(keys.map((key) => key.replace(/:.*/, ':'))).toEqual([
        'hits:',
        'lock:',
        'login:',
        'logins',
        'o:',
        'o:',
        'once:',
        's:',
        's:',
        'u:',
      ]);
      for (const key of keys) {
        const left = await admin.pttl(`${prefix}${key}`);
        expect(left, key).toBeGreaterThan(0);
        expect(left, key).toBeLessThanOrEqual(key.startsWith('login') ? 30_000 : 25_000);
      }
      // Taken, the last login of a browser takes its key with it.
      for (const state of states) expect(await store.takeTransaction(state, binding)).toBeDefined();
      expect(await admin.exists(`${prefix}login:${binding}`)).toBe(0);
      expect(await admin.zcard(`${prefix}logins`)).toBe(0);
    } finally {
      await store.close();
      await deleteKeys(admin, prefix);
    }
  });

  it('applies updateTokens to the session that replaced the one it read', async () => {
    const store = new RedisSessionStore({ url: redisUrl, keyPrefix });
    const issuer = `https://${newOpaqueToken(16).toLowerCase()}.example`;
    const id = newSessionId();
    await store.create(id, sessionRecord({ iss: issuer, sub: 'alice', sid: 's1' }), 60_000);
    // One connection keeps commands in order: updateTokens reads alice's session, then create replaces it
    // with bob's, then updateTokens' write finds another session than it read and starts over.
    const replaced = sessionRecord({ iss: issuer, sub: 'bob', sid: 's2', createdAt: 7 });
    const [updated] = await Promise.all([
      store.updateTokens(id, tokensFor(9)),
      store.create(id, replaced, 60_000),
    ]);
    expect(updated).toBe(true);
    expect(await store.get(id)).toEqual({ ...replaced, tokens: tokensFor(9) });
    expect(await store.deleteBySub(issuer, 'alice')).toEqual([]);
    expect(await store.deleteBySid(issuer, 's2')).toEqual([id]);
    await store.close();
  });

  it('treats a corrupt or malformed session as missing and deletes it', async () => {
    const store = new RedisSessionStore({ url: redisUrl, keyPrefix });
    const issuer = `https://${newOpaqueToken(16).toLowerCase()}.example`;
    const corrupt: ((value: Buffer) => Buffer | string)[] = [
      () => 'not a session',
      () => '',
      (value) => value.subarray(0, 30),
      (value) => value.subarray(0, value.length - 3),
      (value) => Buffer.concat([Buffer.of(0x20), value.subarray(1)]),
      (value) => Buffer.concat([value.subarray(0, 60), Buffer.alloc(20, 0xff), value.subarray(80)]),
    ];
    for (const damage of corrupt) {
      const id = newSessionId();
      await store.create(id, sessionRecord({ iss: issuer, sub: 'alice', sid: 's1' }), 60_000);
      const key = `${keyPrefix}s:${id}`;
      await admin.set(key, damage((await admin.getBuffer(key)) as Buffer), 'KEEPTTL');
      await expect(store.get(id), damage.toString()).resolves.toBeUndefined();
      expect(await admin.exists(key)).toBe(0);
      expect(await store.updateTokens(id, tokensFor(1))).toBe(false);
    }
    // The same for the layout before, field by field.
    for (const [field, value] of [
      ['r', '{"iss":'],
      ['k', 'not json'],
      ['k', '{"accessToken":5}'],
      ['r', '{"iss":"x"}'],
      ['t', 'yesterday'],
      ['t', ''],
    ] as const) {
      const id = newSessionId();
      await writeLegacySession(
        admin,
        keyPrefix,
        id,
        sessionRecord({ iss: issuer, sub: 'alice', sid: 's1' }),
        60_000,
      );
      await admin.hset(`${keyPrefix}s:${id}`, field, value);
      await expect(store.get(id), `${field}=${value}`).resolves.toBeUndefined();
      expect(await admin.exists(`${keyPrefix}s:${id}`)).toBe(0);
    }
    expect(await store.deleteBySub(issuer, 'alice')).toEqual([]);
    await store.close();
  });

  it('reads, touches, updates and deletes sessions written in the layout before (rolling deploys)', async () => {
    const store = new RedisSessionStore({ url: redisUrl, keyPrefix });
    const issuer = `https://${newOpaqueToken(16).toLowerCase()}.example`;
    const [old1, old2, old3, fresh] = [newSessionId(), newSessionId(), newSessionId(), newSessionId()];
    const record = sessionRecord({ iss: issuer, sub: 'alice', sid: 's1' });
    await writeLegacySession(admin, keyPrefix, old1, record, 10_000);
    await writeLegacySession(
      admin,
      keyPrefix,
      old2,
      sessionRecord({ iss: issuer, sub: 'alice', sid: 's2' }),
      10_000,
    );
    await writeLegacySession(
      admin,
      keyPrefix,
      old3,
      sessionRecord({ iss: issuer, sub: 'bob', sid: 's3' }),
      10_000,
    );
    await store.create(fresh, sessionRecord({ iss: issuer, sub: 'alice', sid: 's1' }), 10_000);
    expect(await admin.type(`${keyPrefix}s:${old1}`)).toBe('hash');

    expect(await store.get(old1)).toEqual(record);
    expect(await store.touch(old1, T0 + 5, 100_000)).toBe(true);
    expect(await store.updateTokens(old1, tokensFor(3))).toBe(true);
    expect(await store.get(old1)).toEqual({ ...record, lastSeenAt: T0 + 5, tokens: tokensFor(3) });
    // touch kept the old index sets alive with the session.
    for (const key of legacyIndexKeys(keyPrefix, record))
      expect(await admin.pttl(key)).toBeGreaterThan(99_000);

    // Back-channel logout finds sessions of both layouts.
    expect(sorted(await store.deleteBySid(issuer, 's1'))).toEqual(sorted([old1, fresh]));
    expect(await store.get(old1)).toBeUndefined();
    expect(sorted(await store.deleteBySub(issuer, 'alice'))).toEqual([old2]);
    expect(await store.delete(old3)).toBe(true);
    expect(await store.delete(old3)).toBe(false);
    expect(await store.updateTokens(old3, tokensFor(1))).toBe(false);
    expect(await store.touch(old3, T0, 1_000)).toBe(false);
    for (const key of [
      ...legacyIndexKeys(keyPrefix, record),
      ...legacyIndexKeys(keyPrefix, sessionRecord({ iss: issuer, sub: 'bob', sid: 's3' })),
    ]) {
      expect(await admin.exists(key), key).toBe(0);
    }
    await store.close();
  });

  it.each([
    // 1 KB until access tokens carried `acr` and `auth_time` (step-up, RFC 9470): about 65 B more in the token.
    ['without the logout hint, at or under 1.125 KB', false, 1_152],
    ['with the ID token kept for the logout hint (the default), at or under 1.5 KB', true, 1_536],
  ] as const)(
    'keeps a session made by a real login %s of Redis memory, index keys included',
    async (_label, idTokenHint, limit) => {
      // A prefix as short as the default `gh:` (six characters cost the same: allocator size classes).
      const shortPrefix = `g${newOpaqueToken(16).slice(0, 4)}:`;
      const store = new RedisSessionStore({ url: redisUrl, keyPrefix: shortPrefix });
      const stack = await startStack({ store, bff: { idTokenHint } });
      try {
        await signIn(new TestBrowser(), stack, 'alice');
        // The session's keys only, not the rate limits' counts of the login.
        const keys = (await admin.keys(`${shortPrefix}*`))
          .filter((key) => !key.startsWith(`${shortPrefix}hits:`))
          .sort();
        expect(keys.map((key) => key.slice(shortPrefix.length, shortPrefix.length + 2))).toEqual([
          'o:',
          's:',
          'u:',
        ]);
        let bytes = 0;
        for (const key of keys) bytes += Number(await admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
        console.log(`a Redis session, idTokenHint ${idTokenHint}: ${bytes} B`);
        expect(bytes).toBeLessThanOrEqual(limit);
      } finally {
        await stack.close();
        await store.close();
        await deleteKeys(admin, shortPrefix);
      }
    },
  );

  it('treats a corrupt transaction as missing, and takes it out', async () => {
    const store = new RedisSessionStore({ url: redisUrl, keyPrefix });
    const binding = newOpaqueToken();
    const key = `${keyPrefix}login:${binding}`;
    const later = Date.now() + 60_000;
    await admin.hset(key, {
      broken: `${later}:1:{"binding":`,
      wrong: `${later}:2:{"binding":1}`,
      other: `${later}:3:${JSON.stringify({ binding: 'another', codeVerifier: 'v', nonce: 'n', returnTo: '/', createdAt: 0 })}`,
      nodate: 'x:4:{}',
      '#': '4',
    });
    for (const state of ['broken', 'wrong', 'other', 'nodate', '#'])
      expect(await store.takeTransaction(state, binding), state).toBeUndefined();
    expect(await admin.exists(key)).toBe(0);
    await store.close();
  });

  it('rejects every call within 2 s with StoreUnavailableError when nothing listens', async () => {
    const port = await freePort();
    const store = new RedisSessionStore({ url: `redis://127.0.0.1:${port}`, keyPrefix });
    expectAllUnavailable(await callEverything(store), 2_000);
    // Later calls, during reconnection attempts, fail at least as fast.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expectAllUnavailable(await callEverything(store), 2_000);
    await store.close();
  });

  it('rejects within 2 s when Redis accepts connections but never answers', async () => {
    const silent = await silentServer();
    const store = new RedisSessionStore({ url: `redis://127.0.0.1:${silent.port}`, keyPrefix });
    expectAllUnavailable(await callEverything(store), 2_000);
    expectAllUnavailable(await callEverything(store), 2_000);
    await store.close();
    await silent.close();
  });

  it('fails fast during an outage and recovers by itself when Redis returns', async () => {
    const port = await freePort();
    const proxy = await redisProxy(port);
    const store = new RedisSessionStore({ url: `redis://127.0.0.1:${port}`, keyPrefix });
    const id = newSessionId();
    await store.create(id, sessionRecord({ iss, sub: 'alice' }), 60_000);

    await proxy.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expectAllUnavailable(await callEverything(store), 1_500);

    await proxy.start();
    const deadline = Date.now() + 8_000;
    let record: unknown;
    while (Date.now() < deadline) {
      record = await store.get(id).catch(() => undefined);
      if (record) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(record).toMatchObject({ sub: 'alice' });
    await store.close();
    await proxy.stop();
  });

  it('uses a client it is given and leaves it open on close', async () => {
    const client = new Redis(redisUrl);
    const store = new RedisSessionStore({ client, keyPrefix });
    const id = newSessionId();
    await store.create(id, sessionRecord({ iss, sub: 'alice' }), 60_000);
    expect(await store.get(id)).toBeDefined();
    await store.close();
    expect(await client.exists(`${keyPrefix}s:${id}`)).toBe(1);
    await client.quit();
  });

  it('refuses bad options, listing every problem in one coded error', () => {
    let thrown: unknown;
    try {
      new RedisSessionStore({ url: 'http://x', keyPrefix: '', commandTimeoutMs: 0, extra: 1 } as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BffError);
    expect((thrown as BffError).code).toBe('GH_BFF_CONFIG_INVALID');
    expect((thrown as BffError).message).toMatch(/extra.*url.*keyPrefix.*commandTimeoutMs/s);
    expect(() => new RedisSessionStore({} as never)).toThrow(
      /exactly one of "url", "cluster", "sentinel" and "client"/,
    );
    expect(() => new RedisSessionStore({ url: redisUrl, cluster: [redisUrl] })).toThrow(/exactly one/);
    expect(() => new RedisSessionStore({ cluster: ['http://x'] })).toThrow(/"cluster" must list/);
    expect(() => new RedisSessionStore({ sentinel: { name: '', sentinels: [] } })).toThrow(
      /"sentinel.name" must name the primary.*"sentinel.sentinels" must list/s,
    );
  });
});

await describeWith(['redis-server'], 'RedisSessionStore waiting for replicas', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('stops waiting for a while once WAIT finds too few replicas (WAIT blocks the store’s one connection)', async () => {
    // A primary with no replica, as one just promoted: every WAIT would run out its 100 ms.
    const store = new RedisSessionStore({ url: server.url, keyPrefix: 'wait:', waitReplicas: 1 });
    try {
      const waits = async () =>
        Number(/cmdstat_wait:calls=(\d+)/.exec(await server.cli('INFO', 'commandstats'))?.[1] ?? 0);
      const before = await waits();
      for (let i = 0; i < 20; i++) {
        const id = newSessionId();
        await store.create(id, sessionRecord({ iss: 'https://issuer.example', sub: `wait-${i}` }), 60_000);
        expect(await store.acquireLock(`wait-${i}`, 'owner', 1_000)).toBe(true);
      }
      // One WAIT found no replica; the 39 writes after it did not wait (each would have held the connection).
      expect((await waits()) - before).toBe(1);
    } finally {
      await store.close();
    }
  });
});
