// `npm run bench`: issue 7's benchmark suite, in one run (see bench/README.md):
//   proxy    the authenticated proxied GET through the BFF beside a bare reply-from proxy, the floor
//            (node:http + undici), Apache mod_auth_openidc and a direct call (proxy/);
//   storm    1000 concurrent requests at access-token expiry over 4 BFF instances (store/storm.ts);
//   store    the Redis session store: latency per lookup and per proxied request, bytes per session beside
//            the layouts it replaced (store/session-store.ts);
//   browser  in Chromium: requests before the auth state is known, time to first remote mounted, cross-tab
//            logout, back-channel logout to an open tab (browser/);
//   long-lived  sign-ins per second through one BFF process, an idle WebSocket's memory in the BFF
//            (long-lived/).
//   hybrid      a proxied GET over the WebKitGTK host's native bridge against fetch from Chromium (hybrid/).
//   federation  in Chromium: first mount of a Module Federation remote with @gatehouse/federation's guard
//            plugin beside plain MF, and the plugin's gzip bytes (federation/).
//   first-start  last: a fresh clone's `npm ci && npm start` until the shop answers (first-start.ts).
// Prints every table with its goals and writes .bench-results/results.md; `--record` (a full run only) also
// writes the committed bench/results.md. `--quick` shortens every measurement (a check, not a record).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { redisUrl } from '@gatehouse/testing';
import { type BrowserSettings, browserFigures } from './browser/suite.js';
import { type FederationSettings, federationFigures } from './federation/suite.js';
import { type HybridSettings, hybridFigures } from './hybrid/suite.js';
import { MachineLoad } from './lib/machine-load.js';
import { writeReport } from './lib/output.js';
import { killAllNow, stopAll } from './lib/processes.js';
import { deleteByPrefix, messageOf, probeRedis } from './lib/redis.js';
import { envList, envNumber, parseFlags } from './lib/settings.js';
import type { NotMeasured, SuiteContext } from './lib/suite.js';
import { type LongLivedSettings, longLivedFigures } from './long-lived/suite.js';
import { pickLoadGenerator } from './proxy/load-generator.js';
import { goalLines, textTable } from './proxy/report.js';
import { allScenarios, selectScenarios } from './proxy/scenarios.js';
import { type ProxyRun, type ProxySettings, proxySuite } from './proxy/suite.js';
import { resultsMarkdown, runMachine, type SuiteResults, suitesMarkdown, suitesText } from './report.js';
import { type StoreSettings, sessionStoreFigures } from './store/session-store.js';
import { refreshStorm, type StormSettings } from './store/storm.js';

const USAGE = 'npm run bench -- [--quick] [--record]';
const flags = parseFlags(USAGE);
/** A setting from the environment; `--quick` changes the default. */
const setting = (name: string, full: number, quick: number, min = 1) =>
  envNumber(name, flags.quick ? quick : full, min);

const settings: ProxySettings = {
  durationS: setting('BENCH_DURATION', 10, 2),
  warmupS: setting('BENCH_WARMUP', 3, 1),
  connections: setting('BENCH_CONNECTIONS', 32, 32),
  threads: setting('BENCH_THREADS', 2, 2),
  timeoutS: setting('BENCH_TIMEOUT', 2, 2),
  repeat: setting('BENCH_REPEAT', 3, 1),
  retries: setting('BENCH_RETRIES', 2, 0, 0),
  quietWaitS: setting('BENCH_QUIET_WAIT', 120, 10, 0),
};
const stormSettings: StormSettings = {
  instances: setting('BENCH_STORM_INSTANCES', 4, 4),
  requests: setting('BENCH_STORM_REQUESTS', 1000, 200),
  rounds: setting('BENCH_STORM_ROUNDS', 5, 2),
  ttlS: setting('BENCH_STORM_TTL', 3, 3),
};
const storeSettings: StoreSettings = {
  lookups: setting('BENCH_STORE_LOOKUPS', 20_000, 2_000),
  requests: setting('BENCH_STORE_REQUESTS', 5_000, 500),
  audiences: {
    lifeS: setting('BENCH_AUDIENCE_TTL', 4, 3),
    lives: setting('BENCH_AUDIENCE_LIVES', 3, 2),
    rounds: setting('BENCH_AUDIENCE_ROUNDS', 25, 5),
  },
};
const browserSettings: BrowserSettings = {
  loads: setting('BENCH_PAGE_LOADS', 20, 3),
  tabRuns: setting('BENCH_TAB_RUNS', 30, 5),
  backchannelRuns: setting('BENCH_BACKCHANNEL_RUNS', 20, 3),
};
const longLivedSettings: LongLivedSettings = {
  signInS: setting('BENCH_SIGNIN_SECONDS', 10, 2),
  signInConcurrency: setting('BENCH_SIGNIN_CONCURRENCY', 8, 4),
  sockets: setting('BENCH_IDLE_SOCKETS', 2000, 200),
};
const federationSettings: FederationSettings = { loads: setting('BENCH_MF_LOADS', 20, 3) };
const hybridSettings: HybridSettings = { calls: setting('BENCH_HYBRID_CALLS', 200, 20) };
const suiteTimeoutS = envNumber('BENCH_SUITE_TIMEOUT', 900);
const profile = process.env.BENCH_PROFILE === '1';
const { scenarios, subset } = selectScenarios(allScenarios(envNumber('BENCH_WORKERS', 2)));

/** The suites of one run: the proxied GET table, then the rest of issue 7 (BENCH_SUITES to pick some). */
const SUITES = [
  'proxy',
  'storm',
  'store',
  'browser',
  'long-lived',
  'federation',
  'hybrid',
  'first-start',
] as const;
type SuiteId = (typeof SUITES)[number];
const suites = (envList('BENCH_SUITES') ?? [...SUITES]) as SuiteId[];
for (const id of suites) {
  if (!SUITES.includes(id))
    throw new Error(`BENCH_SUITES: unknown suite ${id} (known: ${SUITES.join(', ')})`);
}

// bench/results.md records full runs only: refused before anything runs, not after ten minutes.
const partial = [
  ...(flags.quick ? ['--quick'] : []),
  ...(profile ? ['BENCH_PROFILE=1 (profiled figures are not the record)'] : []),
  ...(subset ? ['BENCH_SCENARIOS'] : []),
  ...(suites.length < SUITES.length ? ['BENCH_SUITES'] : []),
];
if (flags.record && partial.length > 0) {
  console.error(`--record writes bench/results.md from a full run only, not with ${partial.join(', ')}.`);
  process.exit(2);
}

const generator = pickLoadGenerator();
const secret = randomBytes(36).toString('base64url');
const prefix = `ghbench:${process.pid}-${randomBytes(3).toString('hex')}:`;
const log = (line: string) => console.log(line);
const load = new MachineLoad(settings.quietWaitS, log);

/** Resources to release, newest first, on success, failure and Ctrl-C alike. */
const cleanups: Array<() => unknown> = [];
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        console.error(`clean-up: ${messageOf(error)}`);
      }
    }
    await stopAll();
  })();
  return cleaning;
}
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping every server…`);
    void cleanUp().finally(() => process.exit(130));
  });
}
process.on('exit', killAllNow);

/** Runs one of the suites after the proxied GET, failing it alone when it throws or hangs. */
async function runSuite<T extends object>(
  title: string,
  run: () => Promise<T | NotMeasured>,
): Promise<T | NotMeasured> {
  log(`\n▸ ${title}`);
  let timer: NodeJS.Timeout | undefined;
  try {
    // A suite that hangs (a browser that never answers) fails alone; stopAll() ends its processes at exit.
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`did not finish within ${suiteTimeoutS} s (BENCH_SUITE_TIMEOUT)`)),
        suiteTimeoutS * 1000,
      );
    });
    const pending = run();
    pending.catch(() => {}); // a late failure after the time limit is not news
    return await Promise.race([pending, limit]);
  } catch (error) {
    const reason = messageOf(error).split('\n')[0] ?? '';
    log(`  failed: ${reason}`);
    if (process.env.BENCH_DEBUG === '1') console.error(error);
    return { failed: reason };
  } finally {
    clearTimeout(timer);
  }
}

/** The whole run; answers whether anything failed. */
async function main(): Promise<boolean> {
  log(
    `Gatehouse bench: ${generator.name} ${generator.version}, ${settings.connections} connections, ` +
      `${settings.threads} ${generator.name === 'wrk' ? 'threads' : 'workers'}, warm-up ${settings.warmupS}s, ` +
      `measure ${settings.durationS}s per target${profile ? ', BFF under --cpu-prof (figures are not comparable)' : ''}` +
      (flags.quick ? ' (--quick: a check, not a record)' : ''),
  );
  if (generator.name !== 'wrk')
    log('wrk not found on the PATH: using autocannon instead (apt-get install -y wrk for wrk).');

  const proxyScenarios = suites.includes('proxy') ? scenarios : [];
  const otherSuites = suites.filter((id) => id !== 'proxy' && id !== 'first-start');
  const needsRedis =
    proxyScenarios.some((scenario) => scenario.bff?.redis) || otherSuites.some((id) => id !== 'long-lived');
  const redis = needsRedis ? await probeRedis(redisUrl) : ({ ok: false, reason: 'not needed' } as const);
  if (redis.ok) {
    load.redisPid = redis.pid;
    cleanups.push(async () => {
      const deleted = await deleteByPrefix(redisUrl, prefix);
      log(`Redis: deleted ${deleted} key(s) under ${prefix}`);
    });
  } else if (needsRedis) {
    log(`Redis scenarios and suites skipped: ${redis.reason}`);
  }

  const proxy: ProxyRun =
    proxyScenarios.length > 0
      ? await proxySuite({
          scenarios: proxyScenarios,
          settings,
          generator,
          redis,
          redisUrl,
          prefix,
          secret,
          load,
          profile,
          interrupted: () => interrupted,
          log,
        })
      : { rows: [], notes: [] };
  if (interrupted) return true;

  // The rest of issue 7's suite, each with processes of its own, after the proxied GET (nothing else runs).
  const ctx: SuiteContext = {
    redisUrl,
    prefix,
    secret,
    log,
    quiet: (maxWaitMs) => load.waitForQuiet(maxWaitMs),
    meter: () => load.meter(),
  };
  const results: SuiteResults = {};
  const titles = {
    storm: 'Refresh storm',
    store: 'Redis session store',
    browser: 'In Chromium',
    'long-lived': 'Sign-ins and idle WebSockets',
    federation: 'Module Federation',
    hybrid: 'Hybrid app (WebKitGTK host)',
  } as const;
  for (const id of otherSuites as Array<Exclude<SuiteId, 'proxy' | 'first-start'>>) {
    if (interrupted) return true;
    // The long-lived suite runs on the memory store: it needs no Redis.
    if (id === 'long-lived') {
      results.longLived = await runSuite(titles[id], () => longLivedFigures(ctx, longLivedSettings));
      continue;
    }
    if (id === 'hybrid') {
      // Needs the WebKitGTK host and Chromium, not Redis (the shop runs on its memory store).
      results.hybrid = await runSuite(titles.hybrid, () => hybridFigures(ctx, hybridSettings));
      continue;
    }
    if (id === 'federation') {
      // Needs Chromium only, not Redis.
      results.federation = await runSuite(titles.federation, () =>
        federationFigures(ctx, federationSettings),
      );
      continue;
    }
    if (!redis.ok) {
      log(`\n▸ ${titles[id]}\n  skipped: ${redis.reason}`);
      results[id] = { skipped: redis.reason };
      continue;
    }
    if (id === 'storm') results.storm = await runSuite(titles.storm, () => refreshStorm(ctx, stormSettings));
    if (id === 'store')
      results.store = await runSuite(titles.store, () => sessionStoreFigures(ctx, storeSettings));
    if (id === 'browser')
      results.browser = await runSuite(titles.browser, () => browserFigures(ctx, browserSettings));
  }
  if (interrupted) return true;
  report(proxy, results, redis.ok ? redis.version : undefined, partial);
  return (
    proxy.rows.some((row) => row.skipped?.startsWith('failed')) ||
    Object.values(results).some((result) => 'failed' in result)
  );
}

/** Prints the tables and goals, and writes the reports. */
function report(proxy: ProxyRun, results: SuiteResults, redisVersion: string | undefined, partial: string[]) {
  const browser = results.browser && 'chromium' in results.browser ? results.browser : undefined;
  const description = runMachine({
    generator,
    settings,
    redisVersion,
    apacheVersion: proxy.apacheVersion,
    chromium: browser?.chromium,
  });
  if (proxy.rows.length > 0) {
    log(`\n${textTable(proxy.rows)}\n`);
    for (const line of goalLines(proxy.rows, proxy.signatureUs)) log(line);
    for (const note of proxy.notes) log(`note: ${note}`);
  }
  const suiteText = suitesText(results);
  if (suiteText) log(`\n${suiteText}`);
  log(
    `\n${description.cpu}, ${description.cores} cores, Node ${description.node}, ${description.loadSettings}, ${description.date}`,
  );
  // Everything measured, for a closer look.
  writeReport('last-run.json', JSON.stringify({ rows: proxy.rows, results }, null, 1), false);
  const markdown = resultsMarkdown({
    rows: proxy.rows,
    machine: description,
    notes: proxy.notes,
    ...(proxy.signatureUs === undefined ? {} : { signatureUs: proxy.signatureUs }),
    extra: suitesMarkdown(results),
  });
  const written = writeReport('results.md', markdown, flags.record);
  log(`\nWrote ${written.join(' and ')}`);
  if (!flags.record && partial.length === 0)
    log('(npm run bench -- --record writes bench/results.md, the committed record.)');
}

let failed = true;
try {
  failed = await main();
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
} finally {
  await cleanUp();
}
// Last, on a machine the other suites have left: a fresh clone's `npm ci && npm start` (bench/first-start.ts,
// its own table and record), the newcomer's wait.
if (!failed && suites.includes('first-start')) {
  const args = ['tsx', 'bench/first-start.ts', ...(flags.record ? ['--record'] : [])];
  failed = spawnSync('npx', args, { stdio: 'inherit' }).status !== 0;
}
process.exit(failed ? 1 : 0);
