// `npm run bench`: an authenticated proxied GET of a small JSON answer, measured in one run, one target at a
// time, each server in its own process:
//   1. direct to the upstream (node:http),
//   2. through a bare Fastify + @fastify/reply-from proxy,
//   2b. through the floor: node:http + an undici pool attaching a fixed bearer, with no checks at all,
//   3. through Apache httpd + mod_auth_openidc, the reference of the goals (skipped with a reason when Apache or
//      the module is not installed),
//   4. through the Gatehouse BFF, memory store, one process,
//   5. through the BFF, Redis store, one process (skipped with a reason when Redis is unreachable),
//   6. through the BFF, Redis store, node:cluster workers.
// The BFF and Apache sessions are real: the dev IdP runs here and the bench signs in through its login form.
// Then, in the same run, the rest of issue 7's suite (each in lib/, each with its own processes):
//   - the refresh storm: 1000 concurrent requests at access-token expiry over 4 BFF instances (lib/storm.mjs);
//   - the Redis session store: latency per lookup and per proxied request, bytes per session beside the
//     layouts it replaced (lib/session-store.mjs);
//   - in Chromium: requests before the auth state is known, time to first remote mounted, cross-tab logout,
//     back-channel logout to an open tab (lib/browser.mjs).
// Prints every table with its goals, and writes bench/results.md. See bench/README.md.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bffClient, createDevIdp } from '@gatehouse/dev-idp';
import { Agent, request } from 'undici';
import { APACHE_CALLBACK_PATH, APACHE_SESSION_COOKIE, apacheClient, findApache } from './lib/apache.mjs';
import { browserFigures } from './lib/browser.mjs';
import { benchCpuMs, cpuMs, machineBusyMs } from './lib/cpu.mjs';
import { formatSummary, summarize } from './lib/cpuprofile.mjs';
import { pickLoadGenerator } from './lib/load.mjs';
import { ask, killAllNow, startServer, stopAll } from './lib/processes.mjs';
import { deleteByPrefix, probeRedis } from './lib/redis.mjs';
import { goalLines, machine, resultsMarkdown, textTable } from './lib/report.mjs';
import { sessionStoreFigures } from './lib/session-store.mjs';
import { signIn } from './lib/sign-in.mjs';
import { refreshStorm } from './lib/storm.mjs';
import { suitesMarkdown, suitesText } from './lib/suites-report.mjs';
import { envNumber, freePort } from './lib/util.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

const number = envNumber;

const settings = {
  durationS: number('BENCH_DURATION', 10),
  warmupS: number('BENCH_WARMUP', 3),
  connections: number('BENCH_CONNECTIONS', 32),
  threads: number('BENCH_THREADS', 2),
  timeoutS: number('BENCH_TIMEOUT', 2),
  repeat: number('BENCH_REPEAT', 3),
  retries: number('BENCH_RETRIES', 2, 0),
  quietWaitS: number('BENCH_QUIET_WAIT', 120, 0),
};
const workers = number('BENCH_WORKERS', 2);
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const profile = process.env.BENCH_PROFILE === '1';
const profileRoot = here('./.tmp/profiles');

const SCENARIOS = [
  { id: 'direct', label: 'direct to upstream (node:http)' },
  { id: 'reply-from', label: 'bare @fastify/reply-from proxy' },
  { id: 'raw-proxy', label: 'floor: node:http + undici pool, fixed bearer, no checks' },
  { id: 'mod-auth-openidc', label: 'Apache mod_auth_openidc', apache: true },
  { id: 'bff-memory', label: 'Gatehouse BFF, memory store', bff: { redis: false, workers: 1 } },
  { id: 'bff-redis', label: 'Gatehouse BFF, Redis store', bff: { redis: true, workers: 1 } },
  {
    id: 'bff-workers',
    label: `Gatehouse BFF, Redis store, ${workers} workers`,
    bff: { redis: true, workers },
  },
];
const only = (process.env.BENCH_SCENARIOS ?? '')
  .split(',')
  .map((id) => id.trim())
  .filter(Boolean);
for (const id of only) {
  if (!SCENARIOS.some((scenario) => scenario.id === id)) {
    throw new Error(
      `BENCH_SCENARIOS: unknown scenario ${id} (known: ${SCENARIOS.map((s) => s.id).join(', ')})`,
    );
  }
}
const scenarios = only.length > 0 ? SCENARIOS.filter((scenario) => only.includes(scenario.id)) : SCENARIOS;

/** The suites of one run: the proxied GET table, then the rest of issue 7 (BENCH_SUITES to pick some). */
const SUITES = ['proxy', 'storm', 'store', 'browser'];
const suites = (process.env.BENCH_SUITES ?? SUITES.join(','))
  .split(',')
  .map((id) => id.trim())
  .filter(Boolean);
for (const id of suites) {
  if (!SUITES.includes(id))
    throw new Error(`BENCH_SUITES: unknown suite ${id} (known: ${SUITES.join(', ')})`);
}
const suiteTimeoutS = number('BENCH_SUITE_TIMEOUT', 900);
const suiteSettings = {
  storm: {
    instances: number('BENCH_STORM_INSTANCES', 4),
    requests: number('BENCH_STORM_REQUESTS', 1000),
    rounds: number('BENCH_STORM_ROUNDS', 5),
    ttlS: number('BENCH_STORM_TTL', 3),
  },
  store: { lookups: number('BENCH_STORE_LOOKUPS', 20_000), requests: number('BENCH_STORE_REQUESTS', 5_000) },
  browser: {
    loads: number('BENCH_PAGE_LOADS', 20),
    tabRuns: number('BENCH_TAB_RUNS', 30),
    backchannelRuns: number('BENCH_BACKCHANNEL_RUNS', 20),
  },
};

const generator = pickLoadGenerator();
const SESSION_SECRET = randomBytes(36).toString('base64url');
const REDIS_PREFIX = `ghbench:${process.pid}-${randomBytes(3).toString('hex')}:`;
/** Cores used by processes other than the bench's above which a measurement is called disturbed. */
const OTHER_LOAD_LIMIT = 0.2;
const API_HEADERS = { accept: 'application/json', 'x-csrf': '1', 'sec-fetch-site': 'same-origin' };

/** Resources to release, newest first, on success, failure and Ctrl-C alike. */
const cleanups = [];
let cleaning;
function cleanUp() {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        console.error(`clean-up: ${error?.message ?? error}`);
      }
    }
    await stopAll();
  })();
  return cleaning;
}
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping every server…`);
    cleanUp().finally(() => process.exit(130));
  });
}
process.on('exit', killAllNow);

/** One GET like the load generator's, checked: 200 and the upstream's JSON. */
async function preflight(url, headers) {
  const dispatcher = new Agent();
  try {
    const answer = await request(url, { headers, dispatcher });
    const text = await answer.body.text();
    if (answer.statusCode !== 200)
      throw new Error(`GET ${url} answered ${answer.statusCode}: ${text.slice(0, 300)}`);
    if (JSON.parse(text).id !== 'item-1')
      throw new Error(`GET ${url} answered an unexpected body: ${text.slice(0, 300)}`);
  } finally {
    await dispatcher.close();
  }
}

/** With BENCH_PROFILE=1, a fresh folder for the scenario's CPU profiles (node --cpu-prof). */
function profiling(id) {
  if (!profile) return undefined;
  const dir = join(profileRoot, id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}
const profileArgs = (dir) => (dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []);

/** @type {import('node:child_process').ChildProcess} */
let upstreamChild;
/** The local Redis server's pid, when known: its CPU is the bench's own load, not another process's. */
let redisPid;
/** CPU used by the bench: this process, its children (servers, load generator) and the local Redis. */
const ownCpuMs = () => {
  const bench = benchCpuMs();
  const redis = redisPid ? (cpuMs(redisPid) ?? 0) : 0;
  return bench === undefined ? undefined : bench + redis;
};
const log = (line) => console.log(line);

/** Prints the self-time summary of the CPU profiles in `dir`. */
function printProfile(dir) {
  const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  if (files.length === 0) return;
  log(`\n  CPU profile (${files.length} process(es), ${dir}):`);
  log(
    formatSummary(summarize(files.map((name) => join(dir, name))), 15)
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  );
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Cores used by processes other than this bench's over `ms` (undefined off Linux). */
async function otherLoad(ms) {
  const before = [ownCpuMs(), machineBusyMs()];
  await sleep(ms);
  const after = [ownCpuMs(), machineBusyMs()];
  if (before.concat(after).includes(undefined)) return undefined;
  return Math.max(0, (after[1] - before[1] - (after[0] - before[0])) / ms);
}

/**
 * Waits (up to BENCH_QUIET_WAIT seconds) until other processes use at most OTHER_LOAD_LIMIT cores: on a
 * 2-core machine a concurrent build or test run halves a server's throughput and would pass for a result.
 */
async function waitForQuiet(maxWaitMs = settings.quietWaitS * 1000) {
  const deadline = Date.now() + Math.min(maxWaitMs, settings.quietWaitS * 1000);
  let told = false;
  for (;;) {
    const load = await otherLoad(1000);
    if (load === undefined || load <= OTHER_LOAD_LIMIT) return;
    if (Date.now() > deadline) {
      log(`  still ${load.toFixed(2)} cores busy elsewhere: measuring anyway`);
      return;
    }
    if (!told) log(`  waiting for other processes to settle (${load.toFixed(2)} cores busy elsewhere)…`);
    told = true;
  }
}

/** Starts measuring other processes' load; the function it answers gives their cores since then. */
function meter() {
  const before = [ownCpuMs(), machineBusyMs()];
  const at = Date.now();
  return () => {
    const after = [ownCpuMs(), machineBusyMs()];
    const ms = Date.now() - at;
    if (before.concat(after).includes(undefined) || ms <= 0) return undefined;
    return Math.max(0, (after[1] - before[1] - (after[0] - before[0])) / ms);
  };
}

/** One measurement, with the server's CPU per request, other processes' load, and the upstream's hits. */
async function measure(url, headers, serverPid) {
  const before = await ask(upstreamChild, 'stats');
  const sample = () => [cpuMs(serverPid), ownCpuMs(), machineBusyMs(), redisPid ? cpuMs(redisPid) : 0];
  const cpuBefore = sample();
  const result = await generator.run(url, headers, settings);
  const cpuAfter = sample();
  const after = await ask(upstreamChild, 'stats');
  result.upstreamHits = after.count - before.count;
  if (!cpuBefore.concat(cpuAfter).includes(undefined) && result.requests > 0) {
    const [server, bench, machine, redis] = cpuAfter.map((value, i) => value - cpuBefore[i]);
    result.cpuUsPerRequest = (server * 1000) / result.requests;
    result.cpuCores = server / 1000 / settings.durationS;
    result.redisUsPerRequest = (redis * 1000) / result.requests;
    result.otherCores = Math.max(0, (machine - bench) / 1000 / settings.durationS);
  }
  return result;
}

/** One line about a measurement. */
function describe(result) {
  return (
    `${Math.round(result.rps)} req/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, ` +
    `${result.non2xx} non-2xx, ${result.socketErrors} socket errors` +
    (result.cpuUsPerRequest === undefined
      ? ''
      : `; server CPU ${result.cpuUsPerRequest.toFixed(0)} µs/request (${result.cpuCores.toFixed(2)} cores)` +
        (result.redisUsPerRequest >= 1 ? `, Redis ${result.redisUsPerRequest.toFixed(0)} µs/request` : '') +
        `; other processes ${result.otherCores.toFixed(2)} cores`)
  );
}

async function main() {
  log(
    `Gatehouse bench: ${generator.name} ${generator.version}, ${settings.connections} connections, ` +
      `${settings.threads} ${generator.name === 'wrk' ? 'threads' : 'workers'}, warm-up ${settings.warmupS}s, ` +
      `measure ${settings.durationS}s per target${profile ? ', BFF under --cpu-prof (figures are not comparable)' : ''}`,
  );
  if (generator.name !== 'wrk')
    log('wrk not found on the PATH: using autocannon instead (apt-get install -y wrk for wrk).');

  const upstream = await startServer('upstream', here('./servers/upstream.mjs'));
  upstreamChild = upstream.child;
  cleanups.push(() => upstream.stop());
  const upstreamItem = `${upstream.url}/item`;

  const rows = [];
  const notes = [];
  const proxyScenarios = suites.includes('proxy') ? scenarios : [];
  const bffScenarios = proxyScenarios.filter((scenario) => scenario.bff);
  const apacheScenario = proxyScenarios.find((scenario) => scenario.apache);
  /** Apache httpd and mod_auth_openidc, when the scenario is asked for and both are installed. */
  let apache = { ok: false, reason: 'not needed' };
  if (apacheScenario) {
    apache = findApache();
    if (apache.ok) log(`Apache: ${apache.version} (${apache.binary})`);
    else log(`mod_auth_openidc scenario skipped: ${apache.reason}`);
  }
  const otherSuites = suites.filter((id) => id !== 'proxy');
  const needsRedis = bffScenarios.some((scenario) => scenario.bff.redis) || otherSuites.length > 0;
  let redis = { ok: false, reason: 'not needed' };
  if (needsRedis) {
    redis = await probeRedis(redisUrl);
    if (redis.ok) {
      redisPid = redis.pid;
      cleanups.push(async () => {
        const deleted = await deleteByPrefix(redisUrl, REDIS_PREFIX);
        log(`Redis: deleted ${deleted} key(s) under ${REDIS_PREFIX}`);
      });
    } else {
      log(`Redis scenarios and suites skipped: ${redis.reason}`);
    }
  }

  let idp;
  let bffPort;
  /** Apache's port, public URL and client secret at the dev IdP. */
  let apacheRp;
  if (bffScenarios.length > 0 || apache.ok) {
    bffPort = await freePort();
    const clients = [bffClient({ baseUrl: `http://localhost:${bffPort}` })];
    if (apache.ok) {
      const port = await freePort();
      // 127.0.0.1, the host the load generator uses: mod_auth_openidc refuses a session cookie presented to
      // another host than the one it was issued for (`oidc_check_cookie_domain`).
      apacheRp = {
        port,
        publicUrl: `http://127.0.0.1:${port}`,
        clientSecret: randomBytes(24).toString('base64url'),
      };
      clients.push(apacheClient({ baseUrl: apacheRp.publicUrl, clientSecret: apacheRp.clientSecret }));
    }
    // A long access-token lifetime: no refresh happens during the run, so the hot path is what is measured.
    idp = await createDevIdp({ port: 0, clients, ttl: { AccessToken: 6 * 3600, IdToken: 3600 } });
    cleanups.push(() => idp.close());
  }

  // Same request size everywhere: direct and reply-from get a cookie as long as the real one.
  let headers = {
    ...API_HEADERS,
    cookie: `__Host-Http-gatehouse=${randomBytes(64).toString('base64url').slice(0, 87)}`,
  };

  /**
   * One round of one scenario: start its server (and sign in), check one request, warm up, measure (again when
   * other processes disturbed the measurement), stop the server.
   */
  async function runOnce(scenario) {
    let server;
    let profileDir;
    let requestHeaders = headers;
    try {
      let url;
      if (scenario.id === 'direct') {
        url = upstreamItem;
      } else if (scenario.id === 'reply-from' || scenario.id === 'raw-proxy') {
        profileDir = profiling(scenario.id);
        server = await startServer(scenario.label, here(`./servers/${scenario.id}.mjs`), {
          env: { BENCH_UPSTREAM_URL: upstream.url },
          execArgv: profileArgs(profileDir),
        });
        url = `${server.url}/api/bench/item`;
      } else if (scenario.apache) {
        server = await startServer(scenario.label, here('./servers/apache.mjs'), {
          env: {
            BENCH_APACHE_OPTIONS: JSON.stringify({ ...apacheRp, issuer: idp.issuer, upstream: upstream.url }),
          },
        });
        // A browser's first visit to the protected API: mod_auth_openidc redirects it to the IdP, and back.
        const cookie = await signIn(apacheRp.publicUrl, {
          user: 'alice',
          startPath: '/api/bench/item',
          callbackPrefix: APACHE_CALLBACK_PATH,
          cookieName: APACHE_SESSION_COOKIE,
        });
        requestHeaders = { ...API_HEADERS, cookie };
        url = `${server.url}/api/bench/item`;
        log(`  signed in as alice (session cookie ${cookie.length} bytes)`);
      } else {
        const options = {
          publicUrl: `http://localhost:${bffPort}`,
          port: bffPort,
          host: '127.0.0.1',
          issuer: idp.issuer,
          resource: 'urn:gatehouse:shop',
          sessionSecrets: [SESSION_SECRET],
          upstreams: { bench: { url: upstream.url } },
          logLevel: 'warn',
          workers: scenario.bff.workers,
          ...(scenario.bff.redis ? { redisUrl, redisKeyPrefix: REDIS_PREFIX } : {}),
        };
        profileDir = profiling(scenario.id);
        server = await startServer(scenario.label, here('./servers/bff.mjs'), {
          env: { BENCH_BFF_OPTIONS: JSON.stringify(options) },
          execArgv: profileArgs(profileDir),
        });
        const cookie = await signIn(`http://localhost:${bffPort}`, { user: 'alice' });
        headers = { ...API_HEADERS, cookie };
        requestHeaders = headers;
        url = `${server.url}/api/bench/item`;
        log(`  signed in as alice (session cookie ${cookie.length} bytes)`);
      }
      await preflight(url, requestHeaders);
      if (scenario.bff || scenario.apache) {
        const seen = await ask(upstream.child, 'stats');
        if (!seen.bearer || seen.cookie) {
          throw new Error(
            `the upstream got ${seen.bearer ? 'a' : 'no'} bearer token and ${seen.cookie ? 'a' : 'no'} cookie`,
          );
        }
      }
      await generator.run(url, requestHeaders, { ...settings, durationS: settings.warmupS });
      const serverPid = (server ?? upstream).child.pid;
      let run;
      for (let attempt = 0; attempt <= settings.retries; attempt++) {
        await waitForQuiet();
        const candidate = await measure(url, requestHeaders, serverPid);
        if (!run || (candidate.otherCores ?? 0) < (run.otherCores ?? 0)) run = candidate;
        if ((candidate.otherCores ?? 0) <= OTHER_LOAD_LIMIT) break;
        if (attempt < settings.retries) {
          log(`  disturbed: other processes used ${candidate.otherCores.toFixed(2)} cores; measuring again`);
        }
      }
      log(`  ${describe(run)}`);
      return run;
    } finally {
      await server?.stop();
      if (profileDir) printProfile(profileDir);
    }
  }

  /** @type {Map<string, object[]>} measurements per scenario id; failures per scenario id */
  const runs = new Map(proxyScenarios.map((scenario) => [scenario.id, []]));
  const failures = new Map();
  for (const scenario of proxyScenarios) {
    if (scenario.bff?.redis && !redis.ok) failures.set(scenario.id, redis.reason);
    if (scenario.apache && !apache.ok) failures.set(scenario.id, apache.reason);
  }
  // Rounds interleave the scenarios, so a slow phase of the machine touches every target alike.
  for (let round = 1; round <= (proxyScenarios.length > 0 ? settings.repeat : 0); round++) {
    for (const scenario of proxyScenarios) {
      if (interrupted) return { rows };
      if (failures.has(scenario.id)) continue;
      log(`\n▸ ${scenario.label}${settings.repeat > 1 ? ` (round ${round} of ${settings.repeat})` : ''}`);
      try {
        runs.get(scenario.id).push(await runOnce(scenario));
      } catch (error) {
        const reason = error?.message?.split('\n')[0] ?? String(error);
        log(`  failed: ${reason}`);
        failures.set(scenario.id, `failed: ${reason}`);
      }
    }
  }
  for (const scenario of proxyScenarios) {
    const measured = runs.get(scenario.id);
    if (failures.has(scenario.id)) {
      rows.push({ ...scenario, skipped: failures.get(scenario.id) });
      continue;
    }
    // The median round by requests/s is the scenario's figure.
    const result = measured.sort((a, b) => a.rps - b.rps)[Math.floor((measured.length - 1) / 2)];
    if ((result.otherCores ?? 0) > OTHER_LOAD_LIMIT) {
      notes.push(
        `${scenario.label}: other processes used ${result.otherCores.toFixed(2)} cores during the measurement; its figures are disturbed`,
      );
    }
    // Every completed 2xx answer was served by the upstream; fewer hits means answers that never reached it.
    if (result.upstreamHits + settings.connections < result.requests - result.non2xx) {
      notes.push(
        `${scenario.label}: the upstream served ${result.upstreamHits} requests but ${result.requests - result.non2xx} 2xx answers were counted`,
      );
    }
    if (measured.length > 1) {
      result.rounds = measured.map((run) => Math.round(run.rps));
    }
    rows.push({ ...scenario, result });
  }

  if (interrupted) return { rows };

  // The rest of issue 7's suite, each with processes of its own, after the proxied GET (nothing else runs).
  const ctx = {
    redisUrl,
    prefix: REDIS_PREFIX,
    secret: SESSION_SECRET,
    log,
    quiet: waitForQuiet,
    meter,
  };
  const SUITE_RUNS = {
    storm: ['Refresh storm', () => refreshStorm(ctx, suiteSettings.storm)],
    store: ['Redis session store', () => sessionStoreFigures(ctx, suiteSettings.store)],
    browser: ['In Chromium', () => browserFigures(ctx, suiteSettings.browser)],
  };
  const suiteResults = {};
  for (const id of otherSuites) {
    if (interrupted) return { rows, suiteResults };
    const [title, run] = SUITE_RUNS[id];
    log(`\n▸ ${title}`);
    if (!redis.ok) {
      suiteResults[id] = { skipped: redis.reason };
      log(`  skipped: ${redis.reason}`);
      continue;
    }
    try {
      // A suite that hangs (a browser that never answers) fails alone; stopAll() ends its processes at exit.
      let timer;
      const limit = new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`did not finish within ${suiteTimeoutS} s (BENCH_SUITE_TIMEOUT)`)),
          suiteTimeoutS * 1000,
        );
      });
      const pending = run();
      pending.catch(() => {}); // a late failure after the time limit is not news
      try {
        suiteResults[id] = { settings: suiteSettings[id], ...(await Promise.race([pending, limit])) };
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      const reason = error?.message?.split('\n')[0] ?? String(error);
      log(`  failed: ${reason}`);
      if (process.env.BENCH_DEBUG === '1') console.error(error);
      suiteResults[id] = { failed: reason };
    }
  }

  if (interrupted) return { rows, suiteResults };
  const description = machine({
    generator,
    settings,
    redisVersion: redis.ok ? redis.version : undefined,
    apacheVersion: apache.ok ? apache.version : undefined,
    chromium: suiteResults.browser?.chromium,
  });
  if (rows.length > 0) {
    log(`\n${textTable(rows)}\n`);
    for (const line of goalLines(rows)) log(line);
    for (const note of notes) log(`note: ${note}`);
  }
  // Everything measured, for a closer look (bench/.tmp is not committed).
  mkdirSync(here('./.tmp'), { recursive: true });
  writeFileSync(here('./.tmp/last-run.json'), JSON.stringify({ rows, suiteResults }, null, 1));
  const suiteText = suitesText(suiteResults);
  if (suiteText) log(`\n${suiteText}`);
  log(
    `\n${description.cpu}, ${description.cores} cores, Node ${description.node}, ${description.loadSettings}, ${description.date}`,
  );
  if (profile) {
    log('\nBENCH_PROFILE=1: bench/results.md left as it was (profiled figures are not the record).');
  } else if (only.length > 0) {
    log('\nBENCH_SCENARIOS is set: bench/results.md left as it was (it records full runs only).');
  } else if (suites.length < SUITES.length) {
    log('\nBENCH_SUITES is set: bench/results.md left as it was (it records full runs only).');
  } else {
    writeFileSync(
      here('./results.md'),
      resultsMarkdown({ rows, machine: description, notes, extra: suitesMarkdown(suiteResults) }),
    );
    log('\nWrote bench/results.md');
  }
  return { rows, suiteResults };
}

let exitCode = 0;
try {
  const { rows, suiteResults = {} } = await main();
  if (rows.some((row) => row.skipped?.startsWith('failed'))) exitCode = 1;
  if (Object.values(suiteResults).some((result) => result.failed)) exitCode = 1;
} catch (error) {
  console.error(error?.stack ?? error);
  exitCode = 1;
} finally {
  await cleanUp();
}
process.exit(exitCode);
