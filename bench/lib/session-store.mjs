// The Redis session store figures of issue 7: latency per lookup, the cost per proxied request, and bytes per
// session (goal ≤ 1 KB), all on a session made by a real login (the dev IdP's real JWT access token).
//
// - Lookups: `RedisSessionStore.get` from the built @gatehouse/bff, sequentially, many times, in this process;
//   `MemorySessionStore.get` of the same record beside it.
// - Per proxied request: sequential GETs over one keep-alive connection through a BFF with the memory store,
//   with Redis (default session cache) and with Redis and `sessionCacheMs: 0`, with the Redis commands each
//   request cost (INFO commandstats of a private redis-server under bench/.tmp, so no other client counts).
// - Bytes: `MEMORY USAGE … SAMPLES 0` of the session hash and its index sets in the run's Redis; then, on the
//   private redis-server, the same record laid out as the BFF could store it instead (each proposal measured,
//   nothing in packages/bff changed).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { MemorySessionStore, RedisSessionStore } from '@gatehouse/bff';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { startServer } from './processes.mjs';
import { signInSession } from './sign-in.mjs';
import { freePort, sleep, summary } from './util.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const API_HEADERS = { accept: 'application/json', 'x-csrf': '1', 'sec-fetch-site': 'same-origin' };
const usage = async (client, key) => Number(await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));

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

/** µs per call of `fn`, over `n` calls (after as many warm-up calls). */
function microseconds(fn, n) {
  for (let i = 0; i < n; i++) fn();
  const at = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - at) * 1000) / n;
}

// ——— The layouts the BFF could use instead (proposals, measured on the private redis-server) ———

/**
 * A compact binary form of a session: the access token's three base64url segments as bytes (a JWT is base64url
 * text: 4 characters carry 3 bytes) and everything else as deflated JSON. Answers the Buffer; `decode` inverts.
 */
export function encodeCompact(record) {
  const { accessToken, ...tokens } = record.tokens;
  const parts = accessToken.split('.');
  const jwt = parts.length === 3;
  const [header, payload, signature] = jwt
    ? parts.map((part) => Buffer.from(part, 'base64url'))
    : [undefined, undefined, Buffer.alloc(0)];
  // Header and payload are JSON that repeats the record's own strings (iss, sub, roles…): deflated together.
  const json = Buffer.from(
    JSON.stringify(
      jwt
        ? { ...record, tokens, h: header.toString('latin1'), p: payload.toString('latin1') }
        : { ...record, tokens, a: accessToken },
    ),
  );
  const packed = deflateRawSync(json, { level: 6 });
  const out = Buffer.allocUnsafe(4 + packed.length + signature.length);
  out.writeUInt16BE(packed.length, 0);
  out.writeUInt16BE(signature.length, 2);
  packed.copy(out, 4);
  signature.copy(out, 4 + packed.length);
  return out;
}

export function decodeCompact(buffer) {
  const packedLength = buffer.readUInt16BE(0);
  const signature = buffer.subarray(4 + packedLength);
  const { h, p, a, tokens, ...rest } = JSON.parse(
    inflateRawSync(buffer.subarray(4, 4 + packedLength)).toString(),
  );
  const accessToken =
    a ??
    [
      Buffer.from(h, 'latin1').toString('base64url'),
      Buffer.from(p, 'latin1').toString('base64url'),
      signature.toString('base64url'),
    ].join('.');
  return { ...rest, tokens: { accessToken, ...tokens } };
}

const sha = (text) => createHash('sha256').update(text).digest();

/**
 * Writes `record` under id `id` in one of the layouts and answers its bytes (session key + index keys).
 * The Redis is private and flushed first, so every layout starts from nothing.
 */
async function layoutBytes(client, layout, id, realRecord, ttlMs) {
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
    case 'compact': {
      const keys = indexKeys(layout.shortKeys);
      await client.set(session, encodeCompact(record), 'PX', ttlMs);
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

/** The proposals, in the order the report lists them; `change` says what it would take. */
export const LAYOUTS = [
  {
    id: 'now',
    label: 'as the BFF stores it now: hash r/k/t/i + 2 index sets',
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
    label: 'hash without `i` (index keys derived from iss/sid/sub), 16-byte issuer hash in index keys',
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
    id: 'compact-all',
    label:
      'one compact string (JWT segments as bytes, the rest deflated) + short index keys + sorted-set indexes',
    change: 'the same + a codec on each store read and write',
    store: 'compact',
    shortKeys: true,
    sortedIndexes: true,
    redis: {},
  },
  {
    id: 'opaque-hash',
    label: 'for scale: as now, but with a 43-character opaque access token instead of the JWT',
    change: 'the IdP issuing reference tokens (every API then introspects each one)',
    store: 'hash',
    opaque: true,
    redis: {},
  },
  {
    id: 'opaque-compact',
    label: 'for scale: the compact layout with a 43-character opaque access token',
    change: 'reference tokens + the compact layout',
    store: 'compact',
    shortKeys: true,
    sortedIndexes: true,
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
    const fields = await shared.hgetall(sessionKey);
    const indexKeys = JSON.parse(fields.i);
    const tokens = JSON.parse(fields.k);
    const bytes = {
      session: await usage(shared, sessionKey),
      indexes: await Promise.all(indexKeys.map((key) => usage(shared, key))),
      encoding: await shared.object('ENCODING', sessionKey),
      indexEncoding: await shared.object('ENCODING', indexKeys[0]),
      fields: Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, value.length])),
      accessToken: tokens.accessToken.length,
      refreshToken: tokens.refreshToken?.length ?? 0,
      prefix: ctx.prefix,
      keyLengths: [sessionKey, ...indexKeys].map((key) => key.length),
    };
    bytes.total = bytes.session + bytes.indexes.reduce((sum, value) => sum + value, 0);
    result.bytes = bytes;
    ctx.log(
      `  bytes per session: ${bytes.total} B (hash ${bytes.session} B, ${bytes.encoding}; index sets ` +
        `${bytes.indexes.join(' + ')} B); access token ${bytes.accessToken} characters`,
    );

    const redisStore = new RedisSessionStore({ url: ctx.redisUrl, keyPrefix: ctx.prefix });
    closers.push(() => redisStore.close());
    const record = await redisStore.get(session.sessionId);
    if (!record) throw new Error('the signed-in session is not in Redis');
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
      const measured = await layoutBytes(mine.client, layout, session.sessionId, record, 3_600_000);
      layouts.push({ ...layout, ...measured });
    }
    await mine.client.config('SET', 'hash-max-listpack-value', '64');
    await mine.client.flushall();
    result.layouts = layouts;
    const compact = encodeCompact(record);
    const check = decodeCompact(compact);
    if (!isDeepStrictEqual(check, { ...record })) {
      result.notes.push('the compact encoding did not round-trip: its figures are not valid');
    }
    result.codec = {
      compactBytes: compact.length,
      jsonBytes: Buffer.byteLength(JSON.stringify(record)),
      encodeUs: microseconds(() => encodeCompact(record), 5000),
      decodeUs: microseconds(() => decodeCompact(compact), 5000),
      jsonParseUs: microseconds(() => JSON.parse(JSON.stringify(record)), 5000),
    };
    for (const layout of layouts) ctx.log(`  layout ${layout.id}: ${layout.total} B`);
    return result;
  } finally {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
    for (const server of servers.reverse()) await server.stop();
  }
}
