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
// - Six audiences (issue 15, `audiences.ts`): refresh grants per token life with four of six audiences used, and
//   the bytes of a session holding a token for each of the six; then the same by token exchange.
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  type BffOptions,
  MemorySessionStore,
  RedisSessionStore,
  type SessionRecord,
  type SessionStore,
} from '@gatehouse/bff';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { BENCH_API_HEADERS, bffOptions } from '../lib/http.js';
import { startUpstreamAndIdp } from '../lib/idp-stack.js';
import { benchPath } from '../lib/paths.js';
import { type Server, startServer } from '../lib/processes.js';
import { memoryUsage } from '../lib/redis.js';
import { signInCookie, signInSession } from '../lib/session.js';
import { type Summary, summary } from '../lib/stats.js';
import type { SuiteContext } from '../lib/suite.js';
import { type AudienceResult, type AudienceSettings, audienceFigures } from './audiences.js';
import { LAYOUTS, type Layout, type LayoutBytes, layoutBytes } from './layouts.js';
import { commandCalls, type PrivateRedis, startPrivateRedis } from './private-redis.js';
import { loadCodec, microseconds, type SessionBytes, sessionBytes } from './session-value.js';

/** BENCH_STORE_LOOKUPS, BENCH_STORE_REQUESTS, BENCH_AUDIENCE_*. */
export interface StoreSettings {
  /** Sequential `RedisSessionStore.get` calls. */
  readonly lookups: number;
  /** Sequential proxied GETs per BFF. */
  readonly requests: number;
  /** A session of six audiences: refresh grants per token life, bytes (issue 15). */
  readonly audiences: AudienceSettings;
}

/** Sequential GETs through one kind of BFF. */
export interface PerRequest {
  readonly id: string;
  readonly label: string;
  readonly latency: Summary;
  readonly redisCommandsPerRequest: number;
  /** Calls per command during the measurement. */
  readonly commands: Record<string, number>;
  readonly otherCores: number | undefined;
}

/** What the suite measured. */
export interface StoreResult {
  readonly settings: StoreSettings;
  readonly notes: string[];
  readonly bytes: SessionBytes;
  /** The per-user index (`u:`) that lists a user's sessions (`GET /auth/sessions`, the per-user cap). */
  readonly userIndex?: UserIndexGrowth;
  /** A session of six audiences by resource indicator (issue 15). */
  readonly audiences?: AudienceResult;
  /** The same by token exchange. */
  readonly audiencesByExchange?: AudienceResult;
  readonly lookup: { readonly redis: Summary; readonly memory: Summary; readonly otherCores?: number };
  readonly privateRedisVersion?: string;
  readonly perRequest?: readonly PerRequest[];
  readonly layouts?: ReadonlyArray<Layout & LayoutBytes>;
  readonly codec?: {
    readonly compactBytes: number;
    readonly jsonBytes: number;
    readonly encodeUs: number;
    readonly decodeUs: number;
    readonly jsonParseUs: number;
  };
}

/** A BFF of the suite: same port and IdP each time, its store and options as `extra` says. */
type StartBff = (label: string, extra: BffOptions) => Promise<Server>;

/** Runs the suite; see the file's comment. */
export async function sessionStoreFigures(ctx: SuiteContext, settings: StoreSettings): Promise<StoreResult> {
  const servers: Server[] = [];
  const closers: Array<() => unknown> = [];
  try {
    const { port, publicUrl, upstream, idp } = await startUpstreamAndIdp(servers);
    const bff = { publicUrl, port, issuer: idp.url, secret: ctx.secret, upstream: upstream.url };
    const startBff: StartBff = (label, extra) =>
      startServer(label, benchPath('servers/bff.ts'), {
        env: { BENCH_BFF_OPTIONS: JSON.stringify(bffOptions(bff, extra)) },
      });

    // 1. A real session in the run's Redis; its bytes; RedisSessionStore.get over and over.
    const redisBff = await startBff('BFF (Redis)', { redisUrl: ctx.redisUrl, redisKeyPrefix: ctx.prefix });
    const session = await signInSession(publicUrl, 'alice');
    await session.close();
    await redisBff.stop();
    const shared = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 1 });
    closers.push(() => shared.disconnect());
    const redisStore = new RedisSessionStore({ url: ctx.redisUrl, keyPrefix: ctx.prefix });
    closers.push(() => redisStore.close());
    const record = await redisStore.get(session.sessionId);
    if (!record) throw new Error('the signed-in session is not in Redis');
    const bytes = await sessionBytes(shared, ctx.prefix, session.sessionId, record);
    ctx.log(
      `  bytes per session: ${bytes.total} B under the run's prefix (session ${bytes.session} B, ${bytes.encoding}; ` +
        `index keys ${bytes.indexes.join(' + ')} B); access token ${bytes.accessToken} characters`,
    );
    const userIndex = await userIndexGrowth(shared, redisStore, ctx.prefix, bytes, record);
    ctx.log(
      `  the user's sessions index: ${userIndex.before} B with one session, ${userIndex.after} B with ` +
        `${userIndex.sessions}: ${userIndex.perSession.toFixed(0)} B per session of the same user`,
    );
    const memoryStore = new MemorySessionStore();
    closers.push(() => memoryStore.close());
    await memoryStore.create(session.sessionId, record, 3_600_000);
    const lookups = (store: SessionStore) => timeLookups(store, session.sessionId, settings.lookups);
    await ctx.quiet();
    const load = ctx.meter();
    const lookup = { redis: await lookups(redisStore), memory: await lookups(memoryStore) };
    const otherCores = load();
    ctx.log(
      `  RedisSessionStore.get: p50 ${lookup.redis.p50.toFixed(3)} ms, p99 ${lookup.redis.p99.toFixed(3)} ms ` +
        `over ${settings.lookups} lookups (MemorySessionStore.get p50 ${(lookup.memory.p50 * 1000).toFixed(1)} µs)`,
    );
    const result = {
      settings,
      bytes,
      userIndex,
      lookup: { ...lookup, ...(otherCores === undefined ? {} : { otherCores }) },
      // With `notes`: the six-audience figures' own, then the suite's.
      ...(await sixAudienceFigures(ctx, settings)),
    };

    // 2. Per proxied request, with a private Redis whose command statistics are this run's alone.
    const mine = await startPrivateRedis();
    if (!mine) {
      result.notes.push(
        'redis-server is not on the PATH: per-request Redis commands and the proposals were not measured',
      );
      return result;
    }
    closers.push(() => mine.stop());
    const perRequest = await perProxiedRequest(ctx, settings, startBff, mine, bff);

    // 3. The same record in other layouts, on the private Redis (flushed before each); the codec's cost.
    const { layouts, codec, notes } = await layoutFigures(mine, session.sessionId, record);
    for (const layout of layouts) ctx.log(`  layout ${layout.id}: ${layout.total} B`);
    return {
      ...result,
      notes: [...result.notes, ...notes],
      ...(mine.version ? { privateRedisVersion: mine.version } : {}),
      perRequest,
      layouts,
      codec,
    };
  } finally {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
    for (const server of servers.reverse()) await server.stop();
  }
}

/**
 * The record in every layout of {@link LAYOUTS} on the private Redis (its listpack setting as the layout
 * needs), and the built codec's size and time on it.
 */
async function layoutFigures(
  mine: PrivateRedis,
  sessionId: string,
  record: SessionRecord,
): Promise<Required<Pick<StoreResult, 'layouts' | 'codec'>> & { notes: string[] }> {
  const layouts: Array<Layout & LayoutBytes> = [];
  for (const layout of LAYOUTS) {
    const listpack = layout.redis['hash-max-listpack-value'] ?? '64';
    await mine.client.config('SET', 'hash-max-listpack-value', listpack);
    const measured = await layoutBytes(mine.client, mine.url, layout, sessionId, record, 3_600_000);
    layouts.push({ ...layout, ...measured });
  }
  await mine.client.config('SET', 'hash-max-listpack-value', '64');
  await mine.client.flushall();
  const notes: string[] = [];
  const { encodeSession, decodeSession } = await loadCodec();
  const encoded = encodeSession(record);
  if (!isDeepStrictEqual(decodeSession(encoded), record)) {
    notes.push('the session codec did not round-trip this record: its figures are not valid');
  }
  const codec = {
    compactBytes: encoded.length,
    jsonBytes: Buffer.byteLength(JSON.stringify(record)),
    encodeUs: microseconds(() => encodeSession(record), 5000),
    decodeUs: microseconds(() => decodeSession(encoded), 5000),
    jsonParseUs: microseconds(() => JSON.parse(JSON.stringify(record)), 5000),
  };
  return { layouts, codec, notes };
}

/** The six-audience figures, or a note saying why they are missing (the rest of the suite stands). */
async function sixAudienceFigures(
  ctx: SuiteContext,
  settings: StoreSettings,
): Promise<{ audiences?: AudienceResult; audiencesByExchange?: AudienceResult; notes: string[] }> {
  const notes: string[] = [];
  const measured = async (by: 'resource' | 'exchange') => {
    try {
      return await audienceFigures(ctx, settings.audiences, by);
    } catch (error) {
      notes.push(
        `six audiences by ${by}: not measured (${error instanceof Error ? error.message : String(error)})`,
      );
      return undefined;
    }
  };
  const audiences = await measured('resource');
  const audiencesByExchange = await measured('exchange');
  return {
    ...(audiences ? { audiences } : {}),
    ...(audiencesByExchange ? { audiencesByExchange } : {}),
    notes,
  };
}

/** How the per-user index grows with the user's sessions. */
export interface UserIndexGrowth {
  readonly sessions: number;
  /** `MEMORY USAGE` of the user's `u:` index with the one signed-in session, and with `sessions`. */
  readonly before: number;
  readonly after: number;
  /** (after − before) / (sessions − 1). */
  readonly perSession: number;
}

/**
 * The user's `u:` index with the signed-in session alone, then with nine more sessions of the same record
 * written through `RedisSessionStore.create` (what a user signed in on ten devices costs the index).
 */
async function userIndexGrowth(
  client: Redis,
  store: RedisSessionStore,
  prefix: string,
  bytes: SessionBytes,
  record: SessionRecord,
): Promise<UserIndexGrowth> {
  const key = `${prefix}u:${bytes.value.indexHashes[0] ?? ''}`;
  const before = await memoryUsage(client, key);
  const sessions = 10;
  for (let n = 1; n < sessions; n++)
    await store.create(randomBytes(32).toString('base64url'), record, 600_000, { maxPerUser: 50 });
  const after = await memoryUsage(client, key);
  return { sessions, before, after, perSession: (after - before) / (sessions - 1) };
}

/** `lookups` sequential `store.get(id)` (after up to 2000 not counted): latency of each, in ms. */
async function timeLookups(store: SessionStore, id: string, lookups: number): Promise<Summary> {
  for (let i = 0; i < Math.min(2000, lookups); i++) await store.get(id);
  const times = new Float64Array(lookups);
  for (let i = 0; i < lookups; i++) {
    const at = performance.now();
    await store.get(id);
    times[i] = performance.now() - at;
  }
  return summary(times);
}

/** The BFFs measured per proxied request: memory store, Redis with its session cache, Redis without. */
const PER_REQUEST_TARGETS = (redisUrl: string) => [
  { id: 'memory', label: 'BFF, memory store', extra: {} },
  { id: 'redis', label: 'BFF, Redis store (session cache 1 s, the default)', extra: { redisUrl } },
  {
    id: 'redis-nocache',
    label: 'BFF, Redis store, sessionCacheMs 0 (every request reads Redis)',
    extra: { redisUrl, sessionCacheMs: 0 },
  },
];

/** Sequential GETs through each BFF of {@link PER_REQUEST_TARGETS}, with the Redis commands they cost. */
async function perProxiedRequest(
  ctx: SuiteContext,
  settings: StoreSettings,
  startBff: StartBff,
  mine: PrivateRedis,
  bff: { readonly publicUrl: string; readonly port: number },
): Promise<PerRequest[]> {
  const perRequest: PerRequest[] = [];
  for (const target of PER_REQUEST_TARGETS(mine.url)) {
    const server = await startBff(target.label, target.extra);
    try {
      const cookie = await signInCookie(bff.publicUrl, 'alice');
      const url = `http://127.0.0.1:${bff.port}/api/bench/item`;
      const headers = { ...BENCH_API_HEADERS, cookie };
      await sequential(url, headers, Math.min(2000, settings.requests));
      await ctx.quiet();
      const load = ctx.meter();
      const before = await commandCalls(mine.client);
      const times = await sequential(url, headers, settings.requests);
      const after = await commandCalls(mine.client);
      const commands = Object.fromEntries(
        Object.entries(after.byCommand)
          .map(([name, calls]) => [name, calls - (before.byCommand[name] ?? 0)] as const)
          .filter(([, calls]) => calls > 0),
      );
      const row: PerRequest = {
        id: target.id,
        label: target.label,
        latency: summary(times),
        redisCommandsPerRequest:
          'redisUrl' in target.extra ? (after.calls - before.calls) / settings.requests : 0,
        commands,
        otherCores: load(),
      };
      perRequest.push(row);
      ctx.log(
        `  ${target.label}: p50 ${row.latency.p50.toFixed(3)} ms, p99 ${row.latency.p99.toFixed(3)} ms, ` +
          `${row.redisCommandsPerRequest.toFixed(3)} Redis commands per request`,
      );
    } finally {
      await server.stop();
    }
  }
  return perRequest;
}

/** `n` sequential GETs over one connection: latency of each, in ms. */
async function sequential(url: string, headers: Record<string, string>, n: number): Promise<Float64Array> {
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
