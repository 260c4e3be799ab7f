// The Redis session store figures of issue 7: latency per lookup, the cost per proxied request, and bytes per
// session (goal ≤ 1 KB), all on a session made by a real login (the dev IdP's real JWT access token).
//
// - Lookups: `RedisSessionStore.get` from the built @gatehouse/bff, sequentially, many times, in this process;
//   `MemorySessionStore.get` of the same record beside it.
// - Per proxied request: sequential GETs over one keep-alive connection through a BFF with the memory store,
//   with Redis (default session cache) and with Redis and `sessionCacheMs: 0`, with the Redis commands each
//   request cost (INFO commandstats of a private redis-server under bench/.tmp, so no other client counts).
// - Bytes: `MEMORY USAGE … SAMPLES 0` of the session and its two index keys in the run's Redis (under the run's
//   prefix); then, on the private redis-server under the default prefix `gh:`, the same record written by
//   RedisSessionStore itself and, for comparison, laid out as the BFF stored it before and as other proposals
//   would (each measured on its own, the server flushed before each).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { MemorySessionStore, RedisSessionStore } from '@gatehouse/bff';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
// The store's codec is internal to the package (not exported); the bench times the built module directly.
import { decodeSession, encodeSession } from '../../packages/bff/dist/session/redis-codec.js';
import { startServer } from './processes.mjs';
import { signInSession } from './sign-in.mjs';
import { freePort, sleep, summary } from './util.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const API_HEADERS = { accept: 'application/json', 'x-csrf': '1', 'sec-fetch-site': 'same-origin' };
const usage = async (client, key) => Number(await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));

/**
 * The parts of a session value of format version 1 (packages/bff/src/session/redis-codec.ts): header (format,
 * lastSeenAt, createdAt, index hashes), the DEFLATE part and the binary area (signature, token and id bytes).
 */
function valueParts(value) {
  const header = value[0] & 1 ? 41 : 29;
  let deflated = 0;
  let at = header;
  for (let scale = 1; ; scale *= 128) {
    const byte = value[at++];
    deflated += (byte & 0x7f) * scale;
    if (byte < 0x80) break;
  }
  const indexHashes = [value.subarray(17, 29).toString('base64url')];
  if (value[0] & 1) indexHashes.push(value.subarray(29, 41).toString('base64url'));
  return {
    total: value.length,
    header,
    length: at - header,
    deflated,
    binary: value.length - at - deflated,
    indexHashes,
  };
}

/** A redis-server of the bench's own (bench/.tmp/redis-<port>), so its statistics and settings are ours alone. */
async function startPrivateRedis() {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error) return undefined;
  const port = await freePort();
  const dir = here(`../.tmp/redis-${port}`);
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => {});
  for (let waited = 0; ; waited += 50) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch {
      if (waited > 5000) throw new Error('the private redis-server did not start');
      client.disconnect();
      await sleep(50);
    }
  }
  return {
    url,
    client,
    version: /redis_version:(\S+)/.exec(await client.info('server'))?.[1],
    async stop() {
      client.disconnect();
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sum of `calls` over every command in INFO commandstats, except the ones the bench itself sends. */
async function commandCalls(client) {
  const text = await client.info('commandstats');
  let calls = 0;
  const byCommand = {};
  for (const match of text.matchAll(/^cmdstat_([\w|-]+):calls=(\d+)/gm)) {
    if (['info', 'ping', 'config|set', 'config', 'flushall', 'hello', 'client|setinfo'].includes(match[1]))
      continue;
    calls += Number(match[2]);
    byCommand[match[1]] = Number(match[2]);
  }
  return { calls, byCommand };
}

/** `n` sequential GETs over one connection: latency of each, in ms. */
async function sequential(url, headers, n) {
  const dispatcher = new Agent({ connections: 1, keepAliveTimeout: 60_000 });
  const times = new Float64Array(n);
  try {
    for (let i = 0; i < n; i++) {
      const at = performance.now();
      const answer = await request(url, { headers, dispatcher });
      await answer.body.dump();
      if (answer.statusCode !== 200) throw new Error(`GET ${url} answered ${answer.statusCode}`);
      times[i] = performance.now() - at;
    }
  } finally {
    await dispatcher.close();
  }
  return times;
}

/**
 * µs per call of `fn`: the median of 10 batches of `n / 10` calls (after `n` warm-up calls), so a burst of other
 * work on the machine (or a GC) spoils one batch, not the figure.
 */
function microseconds(fn, n) {
  for (let i = 0; i < n; i++) fn();
  const batch = Math.max(1, Math.floor(n / 10));
  const perCall = [];
  for (let b = 0; b < 10; b++) {
    const at = performance.now();
    for (let i = 0; i < batch; i++) fn();
    perCall.push(((performance.now() - at) * 1000) / batch);
  }
  return perCall.sort((x, y) => x - y)[5];
}

// ——— The same record in other layouts (the one before, and proposals), measured on the private redis-server ———

const sha = (text) => createHash('sha256').update(text).digest();

/**
 * Writes `record` under id `id` in one of the layouts and answers its bytes (session key + index keys).
 * The Redis is private and flushed first, so every layout starts from nothing.
 */
async function layoutBytes(client, url, layout, id, realRecord, ttlMs) {
  await client.flushall();
  // An opaque access token as an IdP can issue instead of a JWT (the APIs then introspect it).
  const record = layout.opaque
    ? { ...realRecord, tokens: { ...realRecord.tokens, accessToken: 'o'.repeat(43) } }
    : realRecord;
  const prefix = 'gh:';
  const issHex = sha(record.iss).toString('hex');
  const issShort = sha(record.iss).subarray(0, 12).toString('base64url');
  const { tokens, lastSeenAt, ...body } = record;
  const indexKeys = (short) => {
    const iss = short ? issShort : issHex;
    return [
      ...(record.sid ? [`${prefix}sid:${iss}:${record.sid}`] : []),
      `${prefix}sub:${iss}:${record.sub}`,
    ];
  };
  const session = `${prefix}s:${id}`;
  const writeIndexes = async (keys, sorted) => {
    for (const key of keys) {
      if (sorted) await client.zadd(key, Date.now() + ttlMs, id);
      else await client.sadd(key, id);
      await client.pexpire(key, ttlMs);
    }
  };
  if (layout.store === 'bff') {
    // RedisSessionStore itself: its keys are whatever it wrote (the server was flushed).
    const store = new RedisSessionStore({ url, keyPrefix: prefix });
    try {
      await store.create(id, record, ttlMs);
    } finally {
      await store.close();
    }
    const written = await client.keys(`${prefix}*`);
    const keys = [session, ...written.filter((key) => key !== session).sort()];
    const bytes = [];
    for (const key of keys) bytes.push(await usage(client, key));
    return {
      total: bytes.reduce((sum, value) => sum + value, 0),
      session: bytes[0],
      indexes: bytes.slice(1),
    };
  }
  switch (layout.store) {
    case 'hash': {
      const keys = indexKeys(layout.shortKeys);
      const fields = ['r', JSON.stringify(body), 'k', JSON.stringify(tokens), 't', String(lastSeenAt)];
      if (!layout.noIndexField) fields.push('i', JSON.stringify(keys));
      await client.hset(session, ...fields);
      await client.pexpire(session, ttlMs);
      await writeIndexes(keys, layout.sortedIndexes);
      break;
    }
    case 'json': {
      const keys = indexKeys(layout.shortKeys);
      await client.set(session, JSON.stringify(record), 'PX', ttlMs);
      await writeIndexes(keys, layout.sortedIndexes);
      break;
    }
    default:
      throw new Error(`unknown layout ${layout.store}`);
  }
  const keys = [session, ...indexKeys(layout.shortKeys)];
  const bytes = [];
  for (const key of keys) bytes.push(await usage(client, key));
  return { total: bytes.reduce((sum, value) => sum + value, 0), session: bytes[0], indexes: bytes.slice(1) };
}

/** The layouts, in the order the report lists them; `change` says what it takes from the layout before. */
export const LAYOUTS = [
  {
    id: 'before',
    label: 'the layout before (still read): hash r/k/t/i + 2 index sets under SHA-256-hex keys',
    change: '–',
    store: 'hash',
    redis: {},
  },
  {
    id: 'listpack',
    label: 'the same with Redis `hash-max-listpack-value 1024`',
    change: 'a Redis setting',
    store: 'hash',
    redis: { 'hash-max-listpack-value': '1024' },
  },
  {
    id: 'keys',
    label: 'hash without `i` (index keys derived from iss/sid/sub), 12-byte issuer hash in index keys',
    change: 'redis-store.ts, redis-scripts.ts',
    store: 'hash',
    noIndexField: true,
    shortKeys: true,
    redis: {},
  },
  {
    id: 'zset',
    label: 'index sets as sorted sets (score = expiry: listpack-encoded, and prunable by score)',
    change: 'redis-store.ts, redis-scripts.ts',
    store: 'hash',
    sortedIndexes: true,
    redis: {},
  },
  {
    id: 'hash-all',
    label: 'the three above together (still a hash)',
    change: 'a Redis setting + redis-store.ts, redis-scripts.ts',
    store: 'hash',
    noIndexField: true,
    shortKeys: true,
    sortedIndexes: true,
    redis: { 'hash-max-listpack-value': '1024' },
  },
  {
    id: 'json-all',
    label: 'one string key (the record as JSON) + short index keys + sorted-set indexes',
    change: 'redis-store.ts, redis-scripts.ts (touch/updateTokens rewrite the value)',
    store: 'json',
    shortKeys: true,
    sortedIndexes: true,
    redis: {},
  },
  {
    id: 'now',
    label:
      'as the BFF stores it now: one compact string (format 1: JWT parts as bytes, DEFLATE with a preset dictionary) + 2 index strings `u:`/`o:`',
    change: 'redis-codec.ts, redis-store.ts, redis-scripts.ts (done)',
    store: 'bff',
    redis: {},
  },
  {
    id: 'opaque-before',
    label: 'for scale: the layout before, with a 43-character opaque access token instead of the JWT',
    change: 'the IdP issuing reference tokens (every API then introspects each one)',
    store: 'hash',
    opaque: true,
    redis: {},
  },
  {
    id: 'opaque-now',
    label: 'for scale: as the BFF stores it now, with a 43-character opaque access token',
    change: 'reference tokens',
    store: 'bff',
    opaque: true,
    redis: {},
  },
];

/**
 * @param {object} ctx
 * @param {string} ctx.redisUrl
 * @param {string} ctx.prefix
 * @param {string} ctx.secret
 * @param {(line: string) => void} ctx.log
 * @param {() => Promise<void>} ctx.quiet
 * @param {{ lookups: number, requests: number }} settings
 */
export async function sessionStoreFigures(ctx, settings) {
  const servers = [];
  const closers = [];
  const result = { settings, notes: [] };
  try {
    const port = await freePort();
    const publicUrl = `http://localhost:${port}`;
    const upstream = await startServer('upstream', here('../servers/upstream.mjs'));
    servers.push(upstream);
    const idp = await startServer('dev IdP', here('../servers/idp.mjs'), {
      env: { BENCH_IDP_OPTIONS: JSON.stringify({ bffBaseUrl: publicUrl }) },
    });
    servers.push(idp);
    const bffOptions = (extra) => ({
      publicUrl,
      port,
      host: '127.0.0.1',
      issuer: idp.url,
      resource: 'urn:gatehouse:shop',
      sessionSecrets: [ctx.secret],
      upstreams: { bench: { url: upstream.url } },
      logLevel: 'warn',
      ...extra,
    });
    const startBff = (label, extra) =>
      startServer(label, here('../servers/bff.mjs'), {
        env: { BENCH_BFF_OPTIONS: JSON.stringify(bffOptions(extra)) },
      });

    // 1. A real session in the run's Redis; its bytes; RedisSessionStore.get over and over.
    let bff = await startBff('BFF (Redis)', { redisUrl: ctx.redisUrl, redisKeyPrefix: ctx.prefix });
    const session = await signInSession(publicUrl, { user: 'alice' });
    await session.close();
    await bff.stop();
    const shared = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 1 });
    closers.push(() => shared.disconnect());
    const sessionKey = `${ctx.prefix}s:${session.sessionId}`;
    const redisStore = new RedisSessionStore({ url: ctx.redisUrl, keyPrefix: ctx.prefix });
    closers.push(() => redisStore.close());
    const record = await redisStore.get(session.sessionId);
    if (!record) throw new Error('the signed-in session is not in Redis');
    const value = await shared.getBuffer(sessionKey);
    const parts = valueParts(value);
    const indexKeys = parts.indexHashes.map((hash, n) => `${ctx.prefix}${n === 0 ? 'u:' : 'o:'}${hash}`);
    const bytes = {
      session: await usage(shared, sessionKey),
      indexes: await Promise.all(indexKeys.map((key) => usage(shared, key))),
      encoding: await shared.object('ENCODING', sessionKey),
      indexEncoding: await shared.object('ENCODING', indexKeys[0]),
      value: parts,
      json: Buffer.byteLength(JSON.stringify(record)),
      accessToken: record.tokens.accessToken.length,
      refreshToken: record.tokens.refreshToken?.length ?? 0,
      prefix: ctx.prefix,
      keyLengths: [sessionKey, ...indexKeys].map((key) => key.length),
    };
    bytes.total = bytes.session + bytes.indexes.reduce((sum, value) => sum + value, 0);
    result.bytes = bytes;
    ctx.log(
      `  bytes per session: ${bytes.total} B under the run's prefix (session ${bytes.session} B, ${bytes.encoding}; ` +
        `index keys ${bytes.indexes.join(' + ')} B); access token ${bytes.accessToken} characters`,
    );

    const memoryStore = new MemorySessionStore();
    closers.push(() => memoryStore.close());
    await memoryStore.create(session.sessionId, record, 3_600_000);
    const lookups = async (store) => {
      for (let i = 0; i < Math.min(2000, settings.lookups); i++) await store.get(session.sessionId);
      const times = new Float64Array(settings.lookups);
      for (let i = 0; i < settings.lookups; i++) {
        const at = performance.now();
        await store.get(session.sessionId);
        times[i] = performance.now() - at;
      }
      return summary(times);
    };
    await ctx.quiet();
    let load = ctx.meter();
    result.lookup = {
      redis: await lookups(redisStore),
      memory: await lookups(memoryStore),
      otherCores: load(),
    };
    ctx.log(
      `  RedisSessionStore.get: p50 ${result.lookup.redis.p50.toFixed(3)} ms, p99 ${result.lookup.redis.p99.toFixed(3)} ms ` +
        `over ${settings.lookups} lookups (MemorySessionStore.get p50 ${(result.lookup.memory.p50 * 1000).toFixed(1)} µs)`,
    );

    // 2. Per proxied request, with a private Redis whose command statistics are this run's alone.
    const mine = await startPrivateRedis();
    if (!mine) {
      result.notes.push(
        'redis-server is not on the PATH: per-request Redis commands and the proposals were not measured',
      );
      return result;
    }
    closers.push(() => mine.stop());
    result.privateRedisVersion = mine.version;
    const perRequest = [];
    for (const target of [
      { id: 'memory', label: 'BFF, memory store', extra: {} },
      {
        id: 'redis',
        label: 'BFF, Redis store (session cache 1 s, the default)',
        extra: { redisUrl: mine.url },
      },
      {
        id: 'redis-nocache',
        label: 'BFF, Redis store, sessionCacheMs 0 (every request reads Redis)',
        extra: { redisUrl: mine.url, sessionCacheMs: 0 },
      },
    ]) {
      bff = await startBff(target.label, target.extra);
      try {
        const cookie = await (async () => {
          const signed = await signInSession(publicUrl, { user: 'alice' });
          await signed.close();
          return signed.cookie;
        })();
        const url = `http://127.0.0.1:${port}/api/bench/item`;
        const headers = { ...API_HEADERS, cookie };
        await sequential(url, headers, Math.min(2000, settings.requests));
        await ctx.quiet();
        load = ctx.meter();
        const before = await commandCalls(mine.client);
        const times = await sequential(url, headers, settings.requests);
        const after = await commandCalls(mine.client);
        const commands = Object.fromEntries(
          Object.entries(after.byCommand)
            .map(([name, calls]) => [name, calls - (before.byCommand[name] ?? 0)])
            .filter(([, calls]) => calls > 0),
        );
        const row = {
          ...target,
          latency: summary(times),
          redisCommandsPerRequest: target.extra.redisUrl
            ? (after.calls - before.calls) / settings.requests
            : 0,
          commands,
          otherCores: load(),
        };
        perRequest.push(row);
        ctx.log(
          `  ${target.label}: p50 ${row.latency.p50.toFixed(3)} ms, p99 ${row.latency.p99.toFixed(3)} ms, ` +
            `${row.redisCommandsPerRequest.toFixed(3)} Redis commands per request`,
        );
      } finally {
        await bff.stop();
      }
    }
    result.perRequest = perRequest;

    // 3. The same record in other layouts, on the private Redis (flushed before each).
    const layouts = [];
    for (const layout of LAYOUTS) {
      await mine.client.config(
        'SET',
        'hash-max-listpack-value',
        layout.redis['hash-max-listpack-value'] ?? '64',
      );
      const measured = await layoutBytes(mine.client, mine.url, layout, session.sessionId, record, 3_600_000);
      layouts.push({ ...layout, ...measured });
    }
    await mine.client.config('SET', 'hash-max-listpack-value', '64');
    await mine.client.flushall();
    result.layouts = layouts;
    const encoded = encodeSession(record);
    if (!isDeepStrictEqual(decodeSession(encoded), record)) {
      result.notes.push('the session codec did not round-trip this record: its figures are not valid');
    }
    result.codec = {
      compactBytes: encoded.length,
      jsonBytes: Buffer.byteLength(JSON.stringify(record)),
      encodeUs: microseconds(() => encodeSession(record), 5000),
      decodeUs: microseconds(() => decodeSession(encoded), 5000),
      jsonParseUs: microseconds(() => JSON.parse(JSON.stringify(record)), 5000),
    };
    for (const layout of layouts) ctx.log(`  layout ${layout.id}: ${layout.total} B`);
    return result;
  } finally {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
    for (const server of servers.reverse()) await server.stop();
  }
}
