// `npm run load`'s measurement: 1000 sessions, each a real login of its own user through the dev IdP's form,
// for 60 s over 2 BFF instances (separate processes, one Redis; the client alternates instances, as a
// round-robin load balancer would), with 30-second access tokens, so every session refreshes during the run.
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@gatehouse/testing';
import { Agent, request } from 'undici';
import { cpuMs, machineBusyMs } from '../lib/cpu.js';
import { int, ms } from '../lib/format.js';
import { BENCH_API_HEADERS, bffOptions } from '../lib/http.js';
import { loadUser } from '../lib/load-users.js';
import { scrape, total } from '../lib/metrics.js';
import { benchPath } from '../lib/paths.js';
import { ask, type Server, startServer } from '../lib/processes.js';
import { messageOf } from '../lib/redis.js';
import { signInCookie } from '../lib/session.js';
import { type Summary, summary } from '../lib/stats.js';
import type { IdpStats } from '../servers/idp.js';
import { type FailedRequest, type FailoverFigures, type FaultTimes, failoverFigures } from './fault.js';
import { type KeyKind, redisMemory } from './redis-memory.js';
import { effectiveLeewayS, type LoadTestSettings } from './settings.js';

/** What the load test measured. */
export interface LoadFigures {
  readonly signedIn: number;
  readonly loginWallS: number;
  readonly logins: Summary;
  readonly loginErrors: number;
  readonly answered: number;
  readonly elapsedS: number;
  readonly rps: number;
  /** Errors by kind (`HTTP 502`, `UND_ERR_HEADERS_TIMEOUT`…). */
  readonly errors: Record<string, number>;
  /** Every error, failed logins included. */
  readonly errorCount: number;
  readonly latency: Summary;
  /** Refresh grants the IdP answered. */
  readonly refreshGrants: number;
  /** Refresh grants the IdP refused, by `<grant type>:<error>`. */
  readonly refusedGrants: ReadonlyArray<readonly [string, number]>;
  /** `gatehouse_refreshes_total{outcome="success"}` per instance. */
  readonly bffRefreshes: readonly number[];
  readonly bffRefreshFailures: number;
  readonly sessionEnds: readonly number[];
  readonly proxied: readonly number[];
  /** The fewest refreshes the sessions' lifetimes need. */
  readonly ideal: number;
  readonly bffCores: readonly number[];
  readonly idpCores: number;
  readonly machineCores: number;
  readonly memory: Record<string, KeyKind>;
  /** The failover `LOAD_FAULT` caused, when it did. */
  readonly failover?: FailoverFigures;
}

/** The processes of a load run. */
interface LoadStack {
  readonly publicUrl: string;
  readonly ports: readonly number[];
  readonly metricsPorts: readonly number[];
  readonly upstream: Server;
  readonly idp: Server;
  readonly bffs: readonly Server[];
}

/** A signed-in session of the load. */
interface LoadSession {
  readonly cookie: string;
  /** When it signed in (ms since the epoch). */
  readonly since: number;
}

/** Runs the load test against `redisUrl` under `prefix`; `stopping()` ends it early. */
export async function runLoadTest(options: {
  readonly settings: LoadTestSettings;
  readonly redisUrl: string;
  /** A Redis Cluster: `redisUrl` lists its nodes, and `memoryUrl()` the primary of the session keys now. */
  readonly cluster?: { memoryUrl(): Promise<string> };
  /** The fault to cause `settings.faultAtS` into the load (`LOAD_FAULT`). */
  readonly fault?: () => Promise<FaultTimes>;
  readonly prefix: string;
  readonly secret: string;
  readonly stopping: () => boolean;
  log(line: string): void;
}): Promise<LoadFigures> {
  const { settings, log } = options;
  const stack = await startStack(options);

  // 1. Real logins: one user per session (load0001…), each through the IdP's form.
  log(`\nSigning in ${settings.sessions} users through the IdP's login form…`);
  const { sessions, loginWallS, logins, loginErrors } = await signInAll(stack, options);
  log(
    `  ${sessions.length} sessions in ${loginWallS.toFixed(1)} s (${(sessions.length / loginWallS).toFixed(1)} logins/s, ` +
      `p50 ${ms(logins.p50)} ms, p99 ${ms(logins.p99)} ms), ${loginErrors} failed`,
  );
  if (sessions.length === 0) throw new Error('no session could sign in');

  // 2. The load, with the IdP's grants, the BFFs' metrics and the CPU before and after.
  const grantsBefore = await ask<IdpStats>(stack.idp.child, 'stats');
  const metricsBefore = await Promise.all(stack.metricsPorts.map(scrape));
  const cpu = () => ({
    bffs: stack.bffs.map((bff) => cpuMs(bff.child.pid) ?? Number.NaN),
    idp: cpuMs(stack.idp.child.pid) ?? Number.NaN,
    machine: machineBusyMs() ?? Number.NaN,
  });
  const cpuBefore = cpu();
  log(`\nLoad: ${settings.durationS}s…`);
  const driven = await drive(stack, sessions, options);
  if (options.fault && !driven.fault) throw new Error('the load ended before its fault was caused');
  const endedAt = Date.now();
  const cpuAfter = cpu();
  const grantsAfter = await ask<IdpStats>(stack.idp.child, 'stats');
  const metricsAfter = await Promise.all(stack.metricsPorts.map(scrape));
  // What the run left in Redis, by kind of key: sessions, index keys, refresh marks, locks, logins in flight.
  const memory = options.cluster
    ? await redisMemory(await options.cluster.memoryUrl(), `{${options.prefix}}`)
    : await redisMemory(options.redisUrl, options.prefix);
  for (const server of [...stack.bffs, stack.idp, stack.upstream]) await server.stop();

  // 3. Figures.
  const delta = (name: string, labels: Record<string, string>) =>
    metricsAfter.map(
      (samples, i) => total(samples, name, labels) - total(metricsBefore[i] ?? [], name, labels),
    );
  const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
  const bffRefreshes = delta('gatehouse_refreshes_total', { outcome: 'success' });
  // The fewest refreshes a session can need: one each (TTL − effective leeway) of its life until the end of
  // the run, counted from its login (its first token). The BFF refreshes `refreshLeeway` before expiry but
  // never before half the token's life.
  const period = (settings.tokenTtlS - effectiveLeewayS(settings)) * 1000;
  const elapsedS = driven.elapsedS;
  return {
    signedIn: sessions.length,
    loginWallS,
    logins,
    loginErrors,
    answered: driven.answered,
    elapsedS,
    rps: driven.answered / elapsedS,
    errors: Object.fromEntries(driven.errors),
    errorCount: sum([...driven.errors.values()]) + loginErrors,
    latency: summary(driven.latencies),
    refreshGrants: (grantsAfter.grants.refresh_token ?? 0) - (grantsBefore.grants.refresh_token ?? 0),
    refusedGrants: Object.entries(grantsAfter.grantErrors).filter(([key]) => key.startsWith('refresh_token')),
    bffRefreshes,
    bffRefreshFailures: sum(delta('gatehouse_refreshes_total', {})) - sum(bffRefreshes),
    sessionEnds: delta('gatehouse_session_ends_total', {}),
    proxied: delta('gatehouse_proxy_requests_total', {}),
    ideal: sessions.reduce((total, session) => total + Math.floor((endedAt - session.since) / period), 0),
    bffCores: cpuAfter.bffs.map((value, i) => (value - (cpuBefore.bffs[i] ?? Number.NaN)) / 1000 / elapsedS),
    idpCores: (cpuAfter.idp - cpuBefore.idp) / 1000 / elapsedS,
    machineCores: (cpuAfter.machine - cpuBefore.machine) / 1000 / elapsedS,
    memory,
    ...(driven.fault
      ? { failover: failoverFigures(await driven.fault, settings.faultAtS, driven.failures) }
      : {}),
  };
}

/** The upstream, the dev IdP with one user per session, and the BFF instances (each with a metrics port). */
async function startStack(options: {
  readonly settings: LoadTestSettings;
  readonly redisUrl: string;
  readonly cluster?: unknown;
  readonly prefix: string;
  readonly secret: string;
}): Promise<LoadStack> {
  const { settings } = options;
  const ports = await Promise.all(Array.from({ length: settings.instances }, () => freePort()));
  const metricsPorts = await Promise.all(Array.from({ length: settings.instances }, () => freePort()));
  const publicUrl = `http://localhost:${ports[0]}`;
  const upstream = await startServer('upstream', benchPath('servers/upstream.ts'));
  const idp = await startServer('dev IdP', benchPath('servers/idp.ts'), {
    env: {
      BENCH_IDP_OPTIONS: JSON.stringify({
        bffBaseUrl: publicUrl,
        ttl: { AccessToken: settings.tokenTtlS },
        extraUsers: settings.sessions,
      }),
    },
  });
  const bffs = await Promise.all(
    ports.map((port, i) =>
      startServer(`BFF instance ${i + 1}`, benchPath('servers/bff.ts'), {
        env: {
          BENCH_BFF_OPTIONS: JSON.stringify(
            bffOptions(
              { publicUrl, port, issuer: idp.url, secret: options.secret, upstream: upstream.url },
              {
                redisUrl: options.redisUrl,
                ...(options.cluster ? { redisCluster: true } : {}),
                redisKeyPrefix: options.prefix,
                // Every load user signs in from this one address, far past the login rate limit of one client.
                loginRateLimit: 0,
                refreshLeeway: settings.refreshLeewayS,
                ...(metricsPorts[i] === undefined ? {} : { metricsPort: metricsPorts[i] }),
              },
            ),
          ),
        },
      }),
    ),
  );
  return { publicUrl, ports, metricsPorts, upstream, idp, bffs };
}

/** Signs every load user in, `loginConcurrency` at a time. */
async function signInAll(
  stack: LoadStack,
  options: { readonly settings: LoadTestSettings; readonly stopping: () => boolean; log(line: string): void },
): Promise<{ sessions: LoadSession[]; loginWallS: number; logins: Summary; loginErrors: number }> {
  const { settings } = options;
  const sessions: Array<LoadSession | undefined> = new Array(settings.sessions);
  const started = performance.now();
  const times: number[] = [];
  let loginErrors = 0;
  await pool(settings.sessions, settings.loginConcurrency, options.stopping, async (i) => {
    const user = loadUser(i + 1);
    const at = performance.now();
    try {
      sessions[i] = { cookie: await signInCookie(stack.publicUrl, user), since: Date.now() };
      times.push(performance.now() - at);
    } catch (error) {
      loginErrors++;
      if (loginErrors <= 3) options.log(`  login of ${user} failed: ${messageOf(error)}`);
    }
  });
  return {
    sessions: sessions.filter((session): session is LoadSession => session !== undefined),
    loginWallS: (performance.now() - started) / 1000,
    logins: summary(times),
    loginErrors,
  };
}

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` at once, until `stopping()`. */
async function pool(
  n: number,
  concurrency: number,
  stopping: () => boolean,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n && !stopping()) await fn(next++);
    }),
  );
}

/**
 * The load: every session sends `ratePerSession` requests per second (from a random phase; the next request
 * waits for the answer), alternating instances; latencies and errors by kind, and when each error came. The
 * fault, if any, is caused `faultAtS` into it.
 */
async function drive(
  stack: LoadStack,
  sessions: readonly LoadSession[],
  options: {
    readonly settings: LoadTestSettings;
    readonly fault?: () => Promise<FaultTimes>;
    readonly stopping: () => boolean;
    log(line: string): void;
  },
): Promise<{
  answered: number;
  latencies: number[];
  errors: Map<string, number>;
  failures: FailedRequest[];
  fault: Promise<FaultTimes> | undefined;
  elapsedS: number;
}> {
  const { settings } = options;
  const agents = stack.ports.map(
    () =>
      new Agent({ connections: settings.connections, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 }),
  );
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  const failures: FailedRequest[] = [];
  const count = (key: string) => {
    errors.set(key, (errors.get(key) ?? 0) + 1);
    failures.push({ at: Date.now(), kind: key });
  };
  let fault: Promise<FaultTimes> | undefined;
  const { fault: cause } = options;
  const faultTimer = cause
    ? setTimeout(() => {
        options.log(`  ${settings.faultAtS}s: ${settings.fault}`);
        fault = cause();
        fault.then(
          (times) =>
            options.log(
              `  the primary ${times.killed} killed; ${times.promoted ?? 'no replica'} serves the slot ${
                times.promotedAt === undefined
                  ? 'within 60 s'
                  : `${times.promotedAt - times.killedAt} ms later`
              }`,
            ),
          () => {},
        );
      }, settings.faultAtS * 1000)
    : undefined;
  let answered = 0;
  const startedAt = performance.now();
  const endAt = startedAt + settings.durationS * 1000;
  const intervalMs = 1000 / settings.ratePerSession;
  const progress = setInterval(() => {
    const s = (performance.now() - startedAt) / 1000;
    const failed = [...errors.values()].reduce((a, b) => a + b, 0);
    options.log(`  ${s.toFixed(0)}s: ${int(answered)} answered, ${int(failed)} errors`);
  }, 10_000);
  try {
    await Promise.all(
      sessions.map(async (session, s) => {
        let next = startedAt + Math.random() * intervalMs;
        for (let k = 0; !options.stopping(); k++) {
          await sleep(Math.max(0, next - performance.now()));
          if (performance.now() >= endAt) return;
          const instance = (s + k) % settings.instances;
          const at = performance.now();
          try {
            const answer = await request(`http://127.0.0.1:${stack.ports[instance]}/api/bench/item`, {
              headers: { ...BENCH_API_HEADERS, cookie: session.cookie },
              dispatcher: agents[instance],
              headersTimeout: settings.timeoutS * 1000,
              bodyTimeout: settings.timeoutS * 1000,
            });
            if (answer.statusCode === 200) await answer.body.dump();
            else {
              // A problem+json answer names its code: a failover's must be store_unavailable.
              const body = (await answer.body.json().catch(() => undefined)) as
                | { code?: unknown }
                | undefined;
              const code = typeof body?.code === 'string' ? ` ${body.code}` : '';
              count(`HTTP ${answer.statusCode}${code}`);
            }
          } catch (error) {
            const { code, name } = (error ?? {}) as { code?: string; name?: string };
            count(code ?? name ?? 'error');
            if (process.env.LOAD_DEBUG)
              options.log(
                `  debug: ${code ?? name} session ${s} instance ${instance} started ${Math.round(at - startedAt)} ms into the load`,
              );
          }
          latencies.push(performance.now() - at);
          answered++;
          next += intervalMs;
        }
      }),
    );
  } finally {
    clearInterval(progress);
    clearTimeout(faultTimer);
  }
  const elapsedS = (performance.now() - startedAt) / 1000;
  await Promise.all(agents.map((agent) => agent.close()));
  return { answered, latencies, errors, failures, fault, elapsedS };
}
