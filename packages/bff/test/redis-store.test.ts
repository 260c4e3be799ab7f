import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { describeWith, freePort, redisUrl } from '@gatehouse/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BffError, StoreUnavailableError } from '../src/errors.js';
import { newOpaqueToken, newSessionId, RedisSessionStore, type SessionStore } from '../src/session/index.js';
import { sessionRecord, sessionStoreContract, tokensFor } from './session-store.contract.js';

/** One prefix per run of this file: nothing here touches keys of other tests sharing the server. */
const keyPrefix = `gh-test:${newOpaqueToken(16)}:`;
const iss = 'https://idp.example';

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
    () => store.takeTransaction('st'),
    () => store.acquireLock('k', 'o', 60_000),
    () => store.releaseLock('k', 'o'),
    () => store.markOnce('k', 60_000),
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

  it('lays a session out as one hash, with index sets that live at least as long', async () => {
    const store = new RedisSessionStore({ url: redisUrl, keyPrefix });
    const id = newSessionId();
    const issuer = `https://${newOpaqueToken(16).toLowerCase()}.example`;
    const issHash = (await import('node:crypto')).createHash('sha256').update(issuer).digest('hex');
    await store.create(id, sessionRecord({ iss: issuer, sub: 'alice', sid: 's1', lastSeenAt: 42 }), 10_000);
    const hash = await admin.hgetall(`${keyPrefix}s:${id}`);
    expect(Object.keys(hash).sort()).toEqual(['i', 'k', 'r', 't']);
    expect(hash.t).toBe('42');
    expect(JSON.parse(hash.r!)).not.toHaveProperty('tokens');
    expect(JSON.parse(hash.r!)).not.toHaveProperty('lastSeenAt');
    const sidKey = `${keyPrefix}sid:${issHash}:s1`;
    const subKey = `${keyPrefix}sub:${issHash}:alice`;
    expect(await admin.smembers(sidKey)).toEqual([id]);
    expect(await admin.smembers(subKey)).toEqual([id]);
    expect(await admin.pttl(`${keyPrefix}s:${id}`)).toBeGreaterThan(9_000);

    await store.touch(id, 43, 100_000);
    expect(await admin.pttl(`${keyPrefix}s:${id}`)).toBeGreaterThan(99_000);
    expect(await admin.pttl(sidKey)).toBeGreaterThan(99_000);
    expect(await admin.pttl(subKey)).toBeGreaterThan(99_000);

    await store.delete(id);
    expect(await admin.exists(sidKey, subKey, `${keyPrefix}s:${id}`)).toBe(0);
    await store.close();
  });

  it('treats a corrupt or malformed session as missing and deletes it', async () => {
    const store = new RedisSessionStore({ url: redisUrl, keyPrefix });
    const issuer = `https://${newOpaqueToken(16).toLowerCase()}.example`;
    for (const [field, value] of [
      ['r', '{"iss":'],
      ['k', 'not json'],
      ['k', '{"accessToken":5}'],
      ['r', '{"iss":"x"}'],
      ['t', 'yesterday'],
      ['t', ''],
    ] as const) {
      const id = newSessionId();
      await store.create(id, sessionRecord({ iss: issuer, sub: 'alice', sid: 's1' }), 60_000);
      await admin.hset(`${keyPrefix}s:${id}`, field, value);
      await expect(store.get(id), `${field}=${value}`).resolves.toBeUndefined();
      expect(await admin.exists(`${keyPrefix}s:${id}`)).toBe(0);
    }
    expect(await store.deleteBySub(issuer, 'alice')).toEqual([]);
    await store.close();
  });

  it('treats a corrupt transaction as missing', async () => {
    const store = new RedisSessionStore({ url: redisUrl, keyPrefix });
    await admin.set(`${keyPrefix}tx:broken`, '{"binding":');
    await admin.set(`${keyPrefix}tx:wrong`, '{"binding":1}');
    expect(await store.takeTransaction('broken')).toBeUndefined();
    expect(await store.takeTransaction('wrong')).toBeUndefined();
    expect(await admin.exists(`${keyPrefix}tx:broken`, `${keyPrefix}tx:wrong`)).toBe(0);
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
    expect(() => new RedisSessionStore({} as never)).toThrow(/exactly one of "url" and "client"/);
  });
});
