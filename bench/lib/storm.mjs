// The refresh storm of issue 7: one session, N BFF instances (separate processes) on one Redis, and R
// concurrent API requests spread over them at the moment its access token expires. Only one refresh grant may
// reach the IdP (the goal): single-flight inside each process, the store's lock across processes.
//
// Everything is real and in its own process: the dev IdP (short access-token lifetime, counting its grants with
// provider.on('grant.success')), the BFF instances (`startBff`, Redis store, refreshLeeway 0 so the token is due
// exactly at expiry) and an upstream that counts the distinct bearer tokens it receives.
import { fileURLToPath } from 'node:url';
import { RedisSessionStore } from '@gatehouse/bff';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { scrape, total } from './metrics.mjs';
import { ask, startServer } from './processes.mjs';
import { signInSession } from './sign-in.mjs';
import { freePort, sleep, summary } from './util.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const API_HEADERS = { accept: 'application/json', 'x-csrf': '1', 'sec-fetch-site': 'same-origin' };

/**
 * @param {object} ctx
 * @param {string} ctx.redisUrl
 * @param {string} ctx.prefix Redis key prefix of this run
 * @param {string} ctx.secret session secret
 * @param {(line: string) => void} ctx.log
 * @param {() => Promise<void>} ctx.quiet waits for other processes to settle
 * @param {{ instances: number, requests: number, rounds: number, ttlS: number }} settings
 */
export async function refreshStorm(ctx, settings) {
  const { instances, requests, rounds, ttlS } = settings;
  const servers = [];
  const agents = [];
  const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  /** @type {RedisSessionStore | undefined} */
  let store;
  try {
    const ports = await Promise.all(Array.from({ length: instances }, freePort));
    const metricsPorts = await Promise.all(Array.from({ length: instances }, freePort));
    const publicUrl = `http://localhost:${ports[0]}`;
    const upstream = await startServer('storm upstream', here('../servers/upstream.mjs'), {
      env: { BENCH_UPSTREAM_TOKENS: '1' },
    });
    servers.push(upstream);
    const idp = await startServer('dev IdP', here('../servers/idp.mjs'), {
      env: { BENCH_IDP_OPTIONS: JSON.stringify({ bffBaseUrl: publicUrl, ttl: { AccessToken: ttlS } }) },
    });
    servers.push(idp);
    const bffs = await Promise.all(
      ports.map((port, i) =>
        startServer(`BFF instance ${i + 1}`, here('../servers/bff.mjs'), {
          env: {
            BENCH_BFF_OPTIONS: JSON.stringify({
              publicUrl,
              port,
              host: '127.0.0.1',
              issuer: idp.url,
              resource: 'urn:gatehouse:shop',
              sessionSecrets: [ctx.secret],
              upstreams: { bench: { url: upstream.url } },
              logLevel: 'warn',
              redisUrl: ctx.redisUrl,
              redisKeyPrefix: ctx.prefix,
              refreshLeeway: 0,
              metricsPort: metricsPorts[i],
            }),
          },
        }),
      ),
    );
    servers.push(...bffs);
    const perInstance = Math.ceil(requests / instances);
    for (let i = 0; i < instances; i++) {
      agents.push(
        new Agent({ connections: perInstance, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 }),
      );
    }

    const session = await signInSession(publicUrl, { user: 'alice' });
    await session.close();
    const headers = { ...API_HEADERS, cookie: session.cookie };
    // The session as the instances read it (RedisSessionStore of the built package, whatever its layout).
    store = new RedisSessionStore({ url: ctx.redisUrl, keyPrefix: ctx.prefix });
    const sessionStore = store;
    const expiresAt = async () => {
      const record = await sessionStore.get(session.sessionId);
      if (!record) throw new Error('storm: the session is not in Redis');
      return record.tokens.accessTokenExpiresAt;
    };

    /** `requests` requests at once, round-robin over the instances; statuses and latencies. */
    const burst = async () => {
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: requests }, async (_, i) => {
          const at = performance.now();
          try {
            const answer = await request(`http://127.0.0.1:${ports[i % instances]}/api/bench/item`, {
              headers,
              dispatcher: agents[i % instances],
              headersTimeout: 30_000,
              bodyTimeout: 30_000,
            });
            await answer.body.dump();
            return { status: answer.statusCode, ms: performance.now() - at };
          } catch (error) {
            return { status: 0, error: error?.code ?? error?.message, ms: performance.now() - at };
          }
        }),
      );
      return { results, wallMs: performance.now() - started };
    };

    // Opens every connection and fills each instance's session cache while the token is still valid.
    const warm = await burst();
    const warmFailures = warm.results.filter((result) => result.status !== 200);
    if (warmFailures.length > 0)
      throw new Error(`storm warm-up: ${warmFailures.length} of ${requests} requests failed`);
    await ask(upstream.child, 'tokens');

    const runs = [];
    for (let round = 1; round <= rounds; round++) {
      const expiry = await expiresAt();
      if (expiry - Date.now() > 1500) await ctx.quiet(Math.max(0, expiry - Date.now() - 1500));
      const before = (await ask(idp.child, 'stats')).grants.refresh_token ?? 0;
      await sleep(expiry - Date.now() + 20);
      const { results, wallMs } = await burst();
      const after = await ask(idp.child, 'stats');
      const tokens = (await ask(upstream.child, 'tokens')).distinct;
      const failed = results.filter((result) => result.status !== 200);
      const run = {
        round,
        grants: (after.grants.refresh_token ?? 0) - before,
        ok: results.length - failed.length,
        failed: failed.length,
        failures: [
          ...new Set(failed.map((result) => `${result.status}${result.error ? ` ${result.error}` : ''}`)),
        ],
        tokens,
        wallMs,
        latency: summary(results.map((result) => result.ms)),
        grantErrors: after.grantErrors,
      };
      runs.push(run);
      ctx.log(
        `  round ${round}: ${run.grants} refresh grant(s) at the IdP; ${run.ok}/${requests} answered 200; ` +
          `${tokens} distinct token(s) reached the upstream; all answered in ${wallMs.toFixed(0)} ms ` +
          `(p50 ${run.latency.p50.toFixed(0)} ms, p99 ${run.latency.p99.toFixed(0)} ms)`,
      );
    }
    const refreshesByInstance = [];
    for (const port of metricsPorts) {
      refreshesByInstance.push(
        total(await scrape(port), 'gatehouse_refreshes_total', { outcome: 'success' }),
      );
    }
    const stats = await ask(idp.child, 'stats');
    // What the refreshes left in Redis besides the session: the write-ahead marks of sent refresh tokens.
    const marks = { keys: 0, bytes: 0, ttlS: [] };
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${ctx.prefix}lock:refresh-sent:*`,
        'COUNT',
        500,
      );
      cursor = next;
      for (const key of keys) {
        marks.keys++;
        marks.bytes += Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
        marks.ttlS.push(Math.round((await redis.pttl(key)) / 1000));
      }
    } while (cursor !== '0');
    return { instances, requests, ttlS, runs, refreshesByInstance, grantErrors: stats.grantErrors, marks };
  } finally {
    await Promise.all(agents.map((agent) => agent.close().catch(() => {})));
    redis.disconnect();
    await store?.close();
    for (const server of servers.reverse()) await server.stop();
  }
}
