// The refresh storm of issue 7: one session, N BFF instances (separate processes) on one Redis, and R
// concurrent API requests spread over them at the moment its access token expires. Only one refresh grant may
// reach the IdP (the goal): single-flight inside each process, the store's lock across processes.
//
// Everything is real and in its own process: the dev IdP (short access-token lifetime, counting its grants with
// provider.on('grant.success')), the BFF instances (`startBff`, Redis store, refreshLeeway 0 so the token is due
// exactly at expiry) and an upstream that counts the distinct bearer tokens it receives.
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisSessionStore } from '@gatehouse/bff';
import { freePort } from '@gatehouse/testing';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { BENCH_API_HEADERS, bffOptions } from '../lib/http.js';
import { scrape, total } from '../lib/metrics.js';
import { benchPath } from '../lib/paths.js';
import { ask, type Server, startServer } from '../lib/processes.js';
import { memoryUsage, scanKeys } from '../lib/redis.js';
import { signInSession } from '../lib/session.js';
import { type Summary, summary } from '../lib/stats.js';
import type { SuiteContext } from '../lib/suite.js';
import type { IdpStats } from '../servers/idp.js';
import type { UpstreamTokens } from '../servers/upstream.js';

/** BENCH_STORM_INSTANCES, _REQUESTS, _ROUNDS, _TTL. */
export interface StormSettings {
  readonly instances: number;
  readonly requests: number;
  readonly rounds: number;
  /** The access token's lifetime at the IdP, s. */
  readonly ttlS: number;
}

/** One storm. */
export interface StormRound {
  readonly round: number;
  /** Refresh grants the IdP answered. */
  readonly grants: number;
  readonly ok: number;
  readonly failed: number;
  /** Distinct failures, e.g. `502` or `0 UND_ERR_SOCKET`. */
  readonly failures: readonly string[];
  /** Distinct bearer tokens the upstream received. */
  readonly tokens: number;
  /** Until every request was answered. */
  readonly wallMs: number;
  readonly latency: Summary;
  readonly grantErrors: Record<string, number>;
}

/** What the storm measured. */
export interface StormResult extends StormSettings {
  readonly runs: readonly StormRound[];
  /** `gatehouse_refreshes_total{outcome="success"}` of each instance. */
  readonly refreshesByInstance: readonly number[];
  readonly grantErrors: Record<string, number>;
  /** The write-ahead marks of sent refresh tokens left in Redis. */
  readonly marks: { keys: number; bytes: number; readonly ttlS: number[] };
}

/** One request's outcome. */
interface Answer {
  readonly status: number;
  readonly error?: string;
  readonly ms: number;
}

/** The storm's processes: the upstream counting tokens, the IdP counting grants, the BFF instances. */
interface StormStack {
  readonly publicUrl: string;
  readonly ports: readonly number[];
  readonly metricsPorts: readonly number[];
  readonly upstream: Server;
  readonly idp: Server;
}

/** Runs the storm; see the file's comment. */
export async function refreshStorm(ctx: SuiteContext, settings: StormSettings): Promise<StormResult> {
  const { instances, requests } = settings;
  const servers: Server[] = [];
  const perInstance = Math.ceil(requests / instances);
  const agents = Array.from(
    { length: instances },
    () => new Agent({ connections: perInstance, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 }),
  );
  const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  // The session as the instances read it (RedisSessionStore of the built package, whatever its layout).
  const store = new RedisSessionStore({ url: ctx.redisUrl, keyPrefix: ctx.prefix });
  try {
    const stack = await startStack(ctx, settings, servers);
    const session = await signInSession(stack.publicUrl, 'alice');
    await session.close();
    const headers = { ...BENCH_API_HEADERS, cookie: session.cookie };
    const expiresAt = async () => {
      const record = await store.get(session.sessionId);
      if (!record) throw new Error('storm: the session is not in Redis');
      return record.tokens.accessTokenExpiresAt;
    };
    /** `requests` requests at once, round-robin over the instances. */
    const storm = () =>
      burst(requests, (i) => ({
        url: `http://127.0.0.1:${stack.ports[i % instances]}/api/bench/item`,
        headers,
        dispatcher: agents[i % instances],
      }));

    // Opens every connection and fills each instance's session cache while the token is still valid.
    const warm = await storm();
    const warmFailures = warm.results.filter((result) => result.status !== 200);
    if (warmFailures.length > 0)
      throw new Error(`storm warm-up: ${warmFailures.length} of ${requests} requests failed`);
    await ask<UpstreamTokens>(stack.upstream.child, 'tokens');

    const runs: StormRound[] = [];
    for (let round = 1; round <= settings.rounds; round++) {
      const expiry = await expiresAt();
      if (expiry - Date.now() > 1500) await ctx.quiet(Math.max(0, expiry - Date.now() - 1500));
      const before = (await ask<IdpStats>(stack.idp.child, 'stats')).grants.refresh_token ?? 0;
      await sleep(Math.max(0, expiry - Date.now() + 20));
      const { results, wallMs } = await storm();
      const after = await ask<IdpStats>(stack.idp.child, 'stats');
      const tokens = (await ask<UpstreamTokens>(stack.upstream.child, 'tokens')).distinct;
      const run = stormRound(round, results, wallMs, tokens, (after.grants.refresh_token ?? 0) - before);
      runs.push({ ...run, grantErrors: after.grantErrors });
      ctx.log(
        `  round ${round}: ${run.grants} refresh grant(s) at the IdP; ${run.ok}/${requests} answered 200; ` +
          `${tokens} distinct token(s) reached the upstream; all answered in ${wallMs.toFixed(0)} ms ` +
          `(p50 ${run.latency.p50.toFixed(0)} ms, p99 ${run.latency.p99.toFixed(0)} ms)`,
      );
    }
    const refreshesByInstance: number[] = [];
    for (const port of stack.metricsPorts) {
      refreshesByInstance.push(
        total(await scrape(port), 'gatehouse_refreshes_total', { outcome: 'success' }),
      );
    }
    const { grantErrors } = await ask<IdpStats>(stack.idp.child, 'stats');
    return {
      ...settings,
      runs,
      refreshesByInstance,
      grantErrors,
      marks: await refreshMarks(redis, ctx.prefix),
    };
  } finally {
    await Promise.all(agents.map((agent) => agent.close().catch(() => {})));
    redis.disconnect();
    await store.close();
    for (const server of servers.reverse()) await server.stop();
  }
}

/**
 * Starts the upstream, the IdP and the BFF instances (Redis store, `refreshLeeway: 0`, metrics ports), each
 * added to `servers` as it starts, so the caller stops whatever started.
 */
async function startStack(
  ctx: SuiteContext,
  settings: StormSettings,
  servers: Server[],
): Promise<StormStack> {
  const ports = await Promise.all(Array.from({ length: settings.instances }, () => freePort()));
  const metricsPorts = await Promise.all(Array.from({ length: settings.instances }, () => freePort()));
  const publicUrl = `http://localhost:${ports[0]}`;
  const upstream = await startServer('storm upstream', benchPath('servers/upstream.ts'), {
    env: { BENCH_UPSTREAM_TOKENS: '1' },
  });
  servers.push(upstream);
  const idp = await startServer('dev IdP', benchPath('servers/idp.ts'), {
    env: {
      BENCH_IDP_OPTIONS: JSON.stringify({ bffBaseUrl: publicUrl, ttl: { AccessToken: settings.ttlS } }),
    },
  });
  servers.push(idp);
  const bffs = await Promise.all(
    ports.map((port, i) =>
      startServer(`BFF instance ${i + 1}`, benchPath('servers/bff.ts'), {
        env: {
          BENCH_BFF_OPTIONS: JSON.stringify(
            bffOptions(
              { publicUrl, port, issuer: idp.url, secret: ctx.secret, upstream: upstream.url },
              {
                redisUrl: ctx.redisUrl,
                redisKeyPrefix: ctx.prefix,
                refreshLeeway: 0,
                ...(metricsPorts[i] === undefined ? {} : { metricsPort: metricsPorts[i] }),
              },
            ),
          ),
        },
      }),
    ),
  );
  servers.push(...bffs);
  return { publicUrl, ports, metricsPorts, upstream, idp };
}

/** `n` requests at once (`target(i)` says where); every outcome and the time until the last answer. */
async function burst(
  n: number,
  target: (i: number) => { url: string; headers: Record<string, string>; dispatcher: Agent | undefined },
): Promise<{ results: Answer[]; wallMs: number }> {
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: n }, async (_, i): Promise<Answer> => {
      const { url, headers, dispatcher } = target(i);
      const at = performance.now();
      try {
        const answer = await request(url, {
          headers,
          ...(dispatcher ? { dispatcher } : {}),
          headersTimeout: 30_000,
          bodyTimeout: 30_000,
        });
        await answer.body.dump();
        return { status: answer.statusCode, ms: performance.now() - at };
      } catch (error) {
        const { code, message } = (error ?? {}) as { code?: string; message?: string };
        return { status: 0, error: code ?? message ?? String(error), ms: performance.now() - at };
      }
    }),
  );
  return { results, wallMs: performance.now() - started };
}

/** One storm's figures from its answers. */
function stormRound(
  round: number,
  results: readonly Answer[],
  wallMs: number,
  tokens: number,
  grants: number,
): Omit<StormRound, 'grantErrors'> {
  const failed = results.filter((result) => result.status !== 200);
  return {
    round,
    grants,
    ok: results.length - failed.length,
    failed: failed.length,
    failures: [
      ...new Set(failed.map((result) => `${result.status}${result.error ? ` ${result.error}` : ''}`)),
    ],
    tokens,
    wallMs,
    latency: summary(results.map((result) => result.ms)),
  };
}

/** What the refreshes left in Redis besides the session: the write-ahead marks of sent refresh tokens. */
async function refreshMarks(redis: Redis, prefix: string): Promise<StormResult['marks']> {
  const marks = { keys: 0, bytes: 0, ttlS: [] as number[] };
  await scanKeys(redis, `${prefix}lock:refresh-sent:*`, async (keys) => {
    for (const key of keys) {
      marks.keys++;
      marks.bytes += await memoryUsage(redis, key);
      marks.ttlS.push(Math.round((await redis.pttl(key)) / 1000));
    }
  });
  return marks;
}
