// `npm run load`: issue 7's load test. 1000 sessions, each a real login of its own user through the dev IdP's
// form, for 60 s over 2 BFF instances (separate processes, one Redis; the client alternates instances, as a
// round-robin load balancer would), with 30-second access tokens, so every session refreshes during the run.
// Prints errors (goal 0), refreshes per session (from the IdP's grant count and from the BFF metrics) and
// latency percentiles, and writes bench/load.md. Settings in the environment (see bench/README.md).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { cpuMs, machineBusyMs } from './lib/cpu.mjs';
import { scrape, total } from './lib/metrics.mjs';
import { ask, killAllNow, startServer, stopAll } from './lib/processes.mjs';
import { deleteByPrefix, probeRedis } from './lib/redis.mjs';
import { machine } from './lib/report.mjs';
import { signInSession } from './lib/sign-in.mjs';
import { envNumber, freePort, int, ms, sleep, summary, verdict } from './lib/util.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const settings = {
  sessions: envNumber('LOAD_SESSIONS', 1000),
  durationS: envNumber('LOAD_DURATION', 60),
  instances: envNumber('LOAD_INSTANCES', 2),
  tokenTtlS: envNumber('LOAD_TOKEN_TTL', 30),
  refreshLeewayS: envNumber('LOAD_REFRESH_LEEWAY', 5, 0),
  ratePerSession: Number(process.env.LOAD_RATE ?? 1),
  connections: envNumber('LOAD_CONNECTIONS', 128),
  loginConcurrency: envNumber('LOAD_LOGIN_CONCURRENCY', 8),
  timeoutS: envNumber('LOAD_TIMEOUT', 10),
};
if (!(settings.ratePerSession > 0))
  throw new Error('LOAD_RATE must be a positive number of requests per second');
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
/** The leeway the BFF applies: `refreshLeeway`, at most half the token's lifetime. */
function effectiveLeewayS() {
  return Math.min(settings.refreshLeewayS, settings.tokenTtlS / 2);
}

// Unique to the run, and short like the default `gh:`: keys under a prefix of up to 10 characters cost what
// they cost under `gh:` (longer ones move each key up an allocator size class, 16 B).
const PREFIX = `gl${randomBytes(3).toString('hex')}:`;
const API_HEADERS = { accept: 'application/json', 'x-csrf': '1', 'sec-fetch-site': 'same-origin' };
const log = (line) => console.log(line);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopping = true;
    console.error(`\n${signal}: stopping…`);
    Promise.allSettled([stopAll(), deleteByPrefix(redisUrl, PREFIX)]).finally(() => process.exit(130));
  });
}
process.on('exit', killAllNow);

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` at once. */
async function pool(n, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n && !stopping) await fn(next++);
    }),
  );
}

async function main() {
  log(
    `Gatehouse load test: ${settings.sessions} sessions for ${settings.durationS}s over ${settings.instances} BFF ` +
      `instances, ${settings.tokenTtlS}-second access tokens (refreshLeeway ${settings.refreshLeewayS}s), ` +
      `${settings.ratePerSession} request/s per session`,
  );
  const redis = await probeRedis(redisUrl);
  if (!redis.ok) throw new Error(`the load test needs Redis: ${redis.reason}`);

  const ports = await Promise.all(Array.from({ length: settings.instances }, freePort));
  const metricsPorts = await Promise.all(Array.from({ length: settings.instances }, freePort));
  const publicUrl = `http://localhost:${ports[0]}`;
  const upstream = await startServer('upstream', here('./servers/upstream.mjs'));
  const idp = await startServer('dev IdP', here('./servers/idp.mjs'), {
    env: {
      BENCH_IDP_OPTIONS: JSON.stringify({
        bffBaseUrl: publicUrl,
        ttl: { AccessToken: settings.tokenTtlS },
        extraUsers: settings.sessions,
      }),
    },
  });
  const secret = randomBytes(36).toString('base64url');
  const bffs = await Promise.all(
    ports.map((port, i) =>
      startServer(`BFF instance ${i + 1}`, here('./servers/bff.mjs'), {
        env: {
          BENCH_BFF_OPTIONS: JSON.stringify({
            publicUrl,
            port,
            host: '127.0.0.1',
            issuer: idp.url,
            resource: 'urn:gatehouse:shop',
            sessionSecrets: [secret],
            upstreams: { bench: { url: upstream.url } },
            logLevel: 'warn',
            redisUrl,
            redisKeyPrefix: PREFIX,
            refreshLeeway: settings.refreshLeewayS,
            metricsPort: metricsPorts[i],
          }),
        },
      }),
    ),
  );

  // 1. Real logins: one user per session (load0001…), each through the IdP's form.
  log(`\nSigning in ${settings.sessions} users through the IdP's login form…`);
  const sessions = new Array(settings.sessions);
  const loginStarted = performance.now();
  const loginTimes = [];
  let loginErrors = 0;
  await pool(settings.sessions, settings.loginConcurrency, async (i) => {
    const user = `load${String(i + 1).padStart(4, '0')}`;
    const at = performance.now();
    try {
      const session = await signInSession(publicUrl, { user });
      await session.close();
      sessions[i] = { cookie: session.cookie, since: Date.now() };
      loginTimes.push(performance.now() - at);
    } catch (error) {
      loginErrors++;
      if (loginErrors <= 3) log(`  login of ${user} failed: ${error?.message ?? error}`);
    }
  });
  const loginWallS = (performance.now() - loginStarted) / 1000;
  const signedIn = sessions.filter(Boolean);
  const logins = summary(loginTimes);
  log(
    `  ${signedIn.length} sessions in ${loginWallS.toFixed(1)} s (${(signedIn.length / loginWallS).toFixed(1)} logins/s, ` +
      `p50 ${ms(logins.p50)} ms, p99 ${ms(logins.p99)} ms), ${loginErrors} failed`,
  );
  if (signedIn.length === 0) throw new Error('no session could sign in');

  // 2. The load: every session sends `rate` requests per second (from a random phase), alternating instances.
  const agents = ports.map(
    () =>
      new Agent({ connections: settings.connections, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 }),
  );
  const grantsBefore = await ask(idp.child, 'stats');
  const metricsBefore = await Promise.all(metricsPorts.map(scrape));
  const cpuBefore = [bffs.map((bff) => cpuMs(bff.child.pid)), cpuMs(idp.child.pid), machineBusyMs()];
  log(`\nLoad: ${settings.durationS}s…`);
  const latencies = [];
  const errors = new Map();
  let answered = 0;
  const startedAt = performance.now();
  const endAt = startedAt + settings.durationS * 1000;
  const intervalMs = 1000 / settings.ratePerSession;
  const progress = setInterval(() => {
    const s = (performance.now() - startedAt) / 1000;
    log(
      `  ${s.toFixed(0)}s: ${int(answered)} answered, ${int([...errors.values()].reduce((a, b) => a + b, 0))} errors`,
    );
  }, 10_000);
  await Promise.all(
    sessions.map(async (session, s) => {
      if (!session) return;
      let next = startedAt + Math.random() * intervalMs;
      for (let k = 0; !stopping; k++) {
        await sleep(next - performance.now());
        if (performance.now() >= endAt) return;
        const instance = (s + k) % settings.instances;
        const at = performance.now();
        try {
          const answer = await request(`http://127.0.0.1:${ports[instance]}/api/bench/item`, {
            headers: { ...API_HEADERS, cookie: session.cookie },
            dispatcher: agents[instance],
            headersTimeout: settings.timeoutS * 1000,
            bodyTimeout: settings.timeoutS * 1000,
          });
          await answer.body.dump();
          if (answer.statusCode !== 200) {
            const key = `HTTP ${answer.statusCode}`;
            errors.set(key, (errors.get(key) ?? 0) + 1);
          }
        } catch (error) {
          const key = error?.code ?? error?.name ?? 'error';
          errors.set(key, (errors.get(key) ?? 0) + 1);
        }
        latencies.push(performance.now() - at);
        answered++;
        next += intervalMs;
      }
    }),
  );
  clearInterval(progress);
  const elapsedS = (performance.now() - startedAt) / 1000;
  const endedAt = Date.now();
  const cpuAfter = [bffs.map((bff) => cpuMs(bff.child.pid)), cpuMs(idp.child.pid), machineBusyMs()];
  const grantsAfter = await ask(idp.child, 'stats');
  const metricsAfter = await Promise.all(metricsPorts.map(scrape));
  await Promise.all(agents.map((agent) => agent.close()));

  // What the run left in Redis, by kind of key: sessions, index sets, refresh marks, locks, logins in flight.
  const memory = await redisMemory();

  // 3. Figures.
  const delta = (name, labels) =>
    metricsAfter.map((samples, i) => total(samples, name, labels) - total(metricsBefore[i], name, labels));
  const refreshGrants = (grantsAfter.grants.refresh_token ?? 0) - (grantsBefore.grants.refresh_token ?? 0);
  const refusedGrants = Object.entries(grantsAfter.grantErrors).filter(([key]) =>
    key.startsWith('refresh_token'),
  );
  const bffRefreshes = delta('gatehouse_refreshes_total', { outcome: 'success' });
  const bffRefreshFailures =
    delta('gatehouse_refreshes_total', {}).reduce((sum, value) => sum + value, 0) -
    bffRefreshes.reduce((sum, value) => sum + value, 0);
  const sessionEnds = delta('gatehouse_session_ends_total', {});
  const proxied = delta('gatehouse_proxy_requests_total', {});
  // The fewest refreshes a session can need: one each (TTL − effective leeway) of its life until the end of
  // the run, counted from its login (its first token). The BFF refreshes `refreshLeeway` before expiry but
  // never before half the token's life.
  const period = (settings.tokenTtlS - effectiveLeewayS()) * 1000;
  const ideal = signedIn.reduce((sum, session) => sum + Math.floor((endedAt - session.since) / period), 0);
  const errorCount = [...errors.values()].reduce((sum, value) => sum + value, 0) + loginErrors;
  const latency = summary(latencies);
  const bffCores = cpuAfter[0].map((value, i) => (value - cpuBefore[0][i]) / 1000 / elapsedS);
  const idpCores = (cpuAfter[1] - cpuBefore[1]) / 1000 / elapsedS;
  const machineCores = (cpuAfter[2] - cpuBefore[2]) / 1000 / elapsedS;
  const result = {
    signedIn: signedIn.length,
    loginWallS,
    logins,
    loginErrors,
    answered,
    elapsedS,
    rps: answered / elapsedS,
    errors: Object.fromEntries(errors),
    errorCount,
    latency,
    refreshGrants,
    refusedGrants,
    bffRefreshes,
    bffRefreshFailures,
    sessionEnds,
    proxied,
    ideal,
    bffCores,
    idpCores,
    machineCores,
    memory,
  };
  const description = machine({
    generator: { name: 'undici', version: 'bench/load.mjs' },
    settings: {
      threads: 0,
      connections: settings.connections,
      durationS: settings.durationS,
      timeoutS: settings.timeoutS,
      warmupS: 0,
      repeat: 1,
    },
    redisVersion: redis.version,
  });
  const { text, markdown } = report(result, description);
  log(`\n${text}`);
  writeFileSync(here('./load.md'), markdown);
  log('\nWrote bench/load.md');
  for (const bff of bffs) await bff.stop();
  await idp.stop();
  await upstream.stop();
  return result;
}

/** Keys and `MEMORY USAGE` bytes under the run's prefix, by kind (`s:`, `u:`, `o:`, `lock:refresh-sent:`…). */
async function redisMemory() {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  const kinds = {};
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      const pipeline = client.pipeline();
      for (const key of keys) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
      const sizes = keys.length ? await pipeline.exec() : [];
      keys.forEach((key, i) => {
        const rest = key.slice(PREFIX.length);
        const kind = rest.startsWith('lock:refresh-sent:')
          ? 'lock:refresh-sent'
          : rest.startsWith('lock:')
            ? 'lock'
            : rest.slice(0, rest.indexOf(':') + 1 || rest.length).replace(/:$/, '');
        kinds[kind] ??= { keys: 0, bytes: 0 };
        kinds[kind].keys++;
        kinds[kind].bytes += Number(sizes[i]?.[1] ?? 0);
      });
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return kinds;
}

/** The figures with their goals, for the terminal and for bench/load.md. */
function report(r, m) {
  const perSession = r.refreshGrants / r.signedIn;
  const bffTotal = r.bffRefreshes.reduce((sum, value) => sum + value, 0);
  const rows = [
    [
      'errors (non-200 answers, socket errors, timeouts, failed logins)',
      `${int(r.errorCount)}${
        r.errorCount
          ? ` (${Object.entries(r.errors)
              .map(([key, value]) => `${key}: ${value}`)
              .join(', ')}${r.loginErrors ? `, failed logins: ${r.loginErrors}` : ''})`
          : ''
      }`,
      '0',
      verdict(r.errorCount === 0),
    ],
    [
      'refreshes per session, at the IdP (refresh grants ÷ sessions)',
      `${perSession.toFixed(2)} (${int(r.refreshGrants)} grants for ${int(r.signedIn)} sessions)`,
      `no more than needed: ≤ ${(r.ideal / r.signedIn).toFixed(2)} (${int(r.ideal)}: one per ${settings.tokenTtlS - effectiveLeewayS()} s of each session's life)`,
      verdict(r.refreshGrants <= r.ideal),
    ],
    [
      'refreshes per session, from the BFF metrics (`gatehouse_refreshes_total{outcome="success"}`, per instance)',
      `${(bffTotal / r.signedIn).toFixed(2)} (${r.bffRefreshes.map(int).join(' + ')})`,
      'the same as the IdP counted',
      verdict(bffTotal === r.refreshGrants),
    ],
    [
      'refreshes refused or failed (IdP grant errors; BFF refresh failures)',
      `${r.refusedGrants.length ? r.refusedGrants.map(([key, value]) => `${key}: ${value}`).join(', ') : '0'}; ${int(r.bffRefreshFailures)}`,
      '0',
      verdict(r.refusedGrants.length === 0 && r.bffRefreshFailures === 0),
    ],
    [
      'sessions ended during the run (`gatehouse_session_ends_total`)',
      int(r.sessionEnds.reduce((sum, value) => sum + value, 0)),
      '0',
      verdict(r.sessionEnds.every((value) => value === 0)),
    ],
    [
      'latency of the proxied GETs',
      `p50 ${ms(r.latency.p50)} ms, p90 ${ms(r.latency.p90)} ms, p99 ${ms(r.latency.p99)} ms, max ${ms(r.latency.max)} ms`,
      '–',
      '–',
    ],
    [
      'requests',
      `${int(r.answered)} in ${r.elapsedS.toFixed(1)} s (${int(r.rps)}/s), per instance ${r.proxied.map(int).join(' + ')}`,
      '–',
      '–',
    ],
    [
      "Redis memory left at the end, per session (`MEMORY USAGE` of every key under the run's prefix)",
      `${int(Object.values(r.memory).reduce((sum, kind) => sum + kind.bytes, 0) / r.signedIn)} B: ${Object.entries(
        r.memory,
      )
        .sort((a, b) => b[1].bytes - a[1].bytes)
        .map(([kind, { keys, bytes }]) => `${kind} ${int(bytes / r.signedIn)} B (${int(keys)} keys)`)
        .join(', ')}`,
      '≤ 1,024 B (issue 7, bytes per session)',
      verdict(Object.values(r.memory).reduce((sum, kind) => sum + kind.bytes, 0) / r.signedIn <= 1024),
    ],
    [
      'CPU (from /proc)',
      `BFF instances ${r.bffCores.map((value) => value.toFixed(2)).join(' + ')} cores, IdP ${r.idpCores.toFixed(2)}, whole machine ${r.machineCores.toFixed(2)} of ${m.cores}`,
      '–',
      '–',
    ],
    [
      'logins before the load',
      `${int(r.signedIn)} in ${r.loginWallS.toFixed(1)} s (p50 ${ms(r.logins.p50)} ms, p99 ${ms(r.logins.p99)} ms each, ${settings.loginConcurrency} at a time)`,
      '–',
      '–',
    ],
  ];
  const text = rows
    .map(([label, value, goal, ok]) => `${label}: ${value}${goal !== '–' ? `; goal ${goal}: ${ok}` : ''}`)
    .join('\n');
  const cell = (value) => String(value).replaceAll('|', '\\|');
  const markdown = `# Gatehouse load test

Written by \`npm run load\` (bench/load.mjs); see bench/README.md.

${int(r.signedIn)} sessions, each a real login of its own user (load0001…) through the dev IdP's form, for ${settings.durationS} s over ${settings.instances} BFF instances (separate processes, \`startBff\`, one Redis), with ${settings.tokenTtlS}-second access tokens and \`refreshLeeway: ${settings.refreshLeewayS}\`. Every session sends ${settings.ratePerSession} GET/s of a small JSON answer through the BFF's API proxy (starting at a random phase; the next request waits for the answer), alternating instances as a round-robin load balancer would; ${settings.connections} keep-alive connections per instance. Refreshes are counted at the IdP (\`provider.on('grant.success')\`, \`grant_type=refresh_token\`, in its own process) and in each instance's Prometheus metrics.

| figure | measured | goal | verdict |
| --- | ---: | ---: | ---: |
${rows.map((row) => `| ${row.map(cell).join(' | ')} |`).join('\n')}

Latency is as the client saw it (no correction for coordinated omission). The BFF refreshes a token \`refreshLeeway\` before it expires, but never before half its life (with the default 60 s and 30-second tokens: 15 s before); the load test sets ${settings.refreshLeewayS} s (\`LOAD_REFRESH_LEEWAY\`), so a session refreshes every ${settings.tokenTtlS - effectiveLeewayS()} s.

## Machine

| | |
| --- | --- |
| CPU | ${m.cpu} |
| cores | ${m.cores} |
| memory | ${m.memory} |
| OS | ${m.os} |
| Node | ${m.node} |
| Redis | ${m.redis} |
| commit | ${m.commit} |
| date | ${m.date} |
`;
  return { text, markdown };
}

let exitCode = 0;
try {
  const result = await main();
  if (result.errorCount > 0) exitCode = 1;
} catch (error) {
  console.error(error?.stack ?? error);
  exitCode = 1;
} finally {
  await stopAll();
  const deleted = await deleteByPrefix(redisUrl, PREFIX).catch(() => 0);
  log(`Redis: deleted ${deleted} key(s) under ${PREFIX}`);
}
process.exit(exitCode);
