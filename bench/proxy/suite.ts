// The authenticated proxied GET: a small JSON answer through each target in its own process, one at a time,
// in interleaved rounds (see proxy/scenarios.ts for the targets). The BFF and Apache sessions are real: the dev
// IdP runs in the bench process and the bench signs in through its login form.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bffClient, createDevIdp, type DevIdp, type DevIdpClient } from '@gatehouse/dev-idp';
import { freePort } from '@gatehouse/testing';
import { BENCH_API_HEADERS, bffOptions, SESSION_COOKIE, sixAudiences } from '../lib/http.js';
import { type MachineLoad, OTHER_LOAD_LIMIT } from '../lib/machine-load.js';
import { benchPath, TMP_DIR } from '../lib/paths.js';
import { ask, type Server, startServer } from '../lib/processes.js';
import { messageOf, type RedisProbe } from '../lib/redis.js';
import { signInCookie } from '../lib/session.js';
import { median } from '../lib/stats.js';
import type { UpstreamStats } from '../servers/upstream.js';
import {
  APACHE_CALLBACK_PATH,
  APACHE_SESSION_COOKIE,
  type ApacheRp,
  apacheClient,
  findApache,
} from './apache.js';
import { formatSummary, profilesIn, summarize } from './cpuprofile.js';
import type { LoadGenerator, LoadSettings } from './load-generator.js';
import { describe, measure, type ProxyResult, preflight } from './measure.js';
import type { Scenario } from './scenarios.js';
import { es256SignatureUs } from './signature-cost.js';

/** Settings of the proxied GET (BENCH_DURATION, BENCH_WARMUP, … see bench/README.md). */
export interface ProxySettings extends LoadSettings {
  readonly warmupS: number;
  readonly repeat: number;
  readonly retries: number;
  readonly quietWaitS: number;
}

/** One line of the table: a target's median round, or why it was not measured. */
export interface Row extends Scenario {
  readonly result?: ProxyResult;
  readonly skipped?: string;
}

/** What the proxied GET answers. */
export interface ProxyRun {
  readonly rows: Row[];
  /** Disturbed or inconsistent measurements. */
  readonly notes: string[];
  /** Apache's version, when it ran. */
  readonly apacheVersion?: string;
  /** With the DPoP scenario: µs per ES256 proof signature, timed here before the proxies ran. */
  readonly signatureUs?: number;
}

/** What the suite needs from the run. */
export interface ProxyContext {
  readonly scenarios: readonly Scenario[];
  readonly settings: ProxySettings;
  readonly generator: LoadGenerator;
  readonly redis: RedisProbe;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly secret: string;
  readonly load: MachineLoad;
  /** BENCH_PROFILE=1: the proxies run under `node --cpu-prof`. */
  readonly profile: boolean;
  readonly interrupted: () => boolean;
  log(line: string): void;
}

/** A started target: where to send the load, with which headers, and its server (none for `direct`). */
interface Target {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly server?: Server;
  readonly profileDir?: string;
}

/** What the targets share during the suite: the upstream, the dev IdP and where the BFF and Apache listen. */
interface Rig {
  readonly ctx: ProxyContext;
  readonly upstream: Server;
  /** Running when a BFF or Apache scenario is measured. */
  readonly idp: DevIdp | undefined;
  readonly bffPort: number;
  readonly bffUrl: string;
  /** Apache's port, public URL and client secret at the dev IdP, when Apache is installed. */
  readonly apacheRp: Omit<ApacheRp, 'issuer' | 'upstream'> | undefined;
  /**
   * Headers of the targets without a session of their own: a cookie as long as the BFF's real one, so request
   * sizes match, and the BFF's real cookie once a BFF scenario signed in.
   */
  headers: Record<string, string>;
}

/** Measures every scenario in `ctx.settings.repeat` interleaved rounds and answers each one's median round. */
export async function proxySuite(ctx: ProxyContext): Promise<ProxyRun> {
  const { scenarios, settings, log } = ctx;
  const upstream = await startServer('upstream', benchPath('servers/upstream.ts'));
  let rig: Rig | undefined;
  try {
    const apache = scenarios.some((scenario) => scenario.apache) ? findApache() : undefined;
    if (apache?.ok) log(`Apache: ${apache.version} (${apache.binary})`);
    else if (apache) log(`mod_auth_openidc scenario skipped: ${apache.reason}`);
    const failures = new Map<string, string>();
    for (const scenario of scenarios) {
      if (scenario.bff?.redis && !ctx.redis.ok) failures.set(scenario.id, ctx.redis.reason);
      if (scenario.apache && apache && !apache.ok) failures.set(scenario.id, apache.reason);
    }
    // Timed first, while nothing else of the bench runs.
    const signatureUs = scenarios.some((scenario) => scenario.bff?.dpop) ? es256SignatureUs() : undefined;
    if (signatureUs !== undefined)
      log(`An ES256 proof signature alone (node:crypto): ${signatureUs.toFixed(1)} µs`);
    rig = await startRig(ctx, upstream, apache?.ok === true);
    const runs = new Map<string, ProxyResult[]>(scenarios.map((scenario) => [scenario.id, []]));
    // Rounds interleave the scenarios, so a slow phase of the machine touches every target alike.
    for (let round = 1; round <= (scenarios.length > 0 ? settings.repeat : 0); round++) {
      for (const scenario of scenarios) {
        if (ctx.interrupted()) return { rows: [], notes: [] };
        if (failures.has(scenario.id)) continue;
        log(`\n▸ ${scenario.label}${settings.repeat > 1 ? ` (round ${round} of ${settings.repeat})` : ''}`);
        try {
          runs.get(scenario.id)?.push(await measureRound(rig, scenario));
        } catch (error) {
          const reason = messageOf(error).split('\n')[0] ?? '';
          log(`  failed: ${reason}`);
          failures.set(scenario.id, `failed: ${reason}`);
        }
      }
    }
    return {
      ...medians(scenarios, runs, failures, settings),
      ...(apache?.ok ? { apacheVersion: apache.version } : {}),
      ...(signatureUs === undefined ? {} : { signatureUs }),
    };
  } finally {
    await rig?.idp?.close();
    await upstream.stop();
  }
}

/**
 * The dev IdP (in this process) with the BFF's client and, when Apache runs, Apache's, and a 6-hour access
 * token: no refresh happens during the run, so the hot path is what is measured.
 */
async function startRig(ctx: ProxyContext, upstream: Server, withApache: boolean): Promise<Rig> {
  const bffPort = await freePort();
  const bffUrl = `http://localhost:${bffPort}`;
  let apacheRp: Rig['apacheRp'];
  let idp: DevIdp | undefined;
  if (ctx.scenarios.some((scenario) => scenario.bff) || withApache) {
    const clients: DevIdpClient[] = [bffClient({ baseUrl: bffUrl })];
    if (withApache) {
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
    idp = await createDevIdp({ port: 0, clients, ttl: { AccessToken: 6 * 3600, IdToken: 3600 } });
  }
  const headers = {
    ...BENCH_API_HEADERS,
    cookie: `${SESSION_COOKIE}=${randomBytes(64).toString('base64url').slice(0, 87)}`,
  };
  return { ctx, upstream, idp, bffPort, bffUrl, apacheRp, headers };
}

/** Starts one scenario's server and signs in; answers where to send the load. */
async function startTarget(rig: Rig, scenario: Scenario): Promise<Target> {
  const { ctx, upstream } = rig;
  if (scenario.id === 'direct') return { url: `${upstream.url}/item`, headers: rig.headers };
  if (scenario.id === 'reply-from' || scenario.id === 'raw-proxy') {
    const profileDir = profiling(ctx, scenario.id);
    const server = await startServer(scenario.label, benchPath(`proxy/servers/${scenario.id}.ts`), {
      env: { BENCH_UPSTREAM_URL: upstream.url },
      execArgv: profileArgs(profileDir),
    });
    return {
      url: `${server.url}/api/bench/item`,
      headers: rig.headers,
      server,
      ...(profileDir ? { profileDir } : {}),
    };
  }
  if (!rig.idp) throw new Error('the dev IdP is not running');
  if (scenario.apache) {
    if (!rig.apacheRp) throw new Error('Apache is not installed');
    const options: ApacheRp = { ...rig.apacheRp, issuer: rig.idp.issuer, upstream: upstream.url };
    const server = await startServer(scenario.label, benchPath('proxy/servers/apache.ts'), {
      env: { BENCH_APACHE_OPTIONS: JSON.stringify(options) },
    });
    // A browser's first visit to the protected API: mod_auth_openidc redirects it to the IdP, and back.
    const cookie = await signInCookie(rig.apacheRp.publicUrl, 'alice', {
      startPath: '/api/bench/item',
      callbackPrefix: APACHE_CALLBACK_PATH,
      cookieName: APACHE_SESSION_COOKIE,
    });
    ctx.log(`  signed in as alice (session cookie ${cookie.length} bytes)`);
    return { url: `${server.url}/api/bench/item`, headers: { ...BENCH_API_HEADERS, cookie }, server };
  }
  const bff = scenario.bff ?? { redis: false, workers: 1 };
  const options = bffOptions(
    {
      publicUrl: rig.bffUrl,
      port: rig.bffPort,
      issuer: rig.idp.issuer,
      secret: ctx.secret,
      upstream: upstream.url,
    },
    {
      workers: bff.workers,
      ...(bff.redis ? { redisUrl: ctx.redisUrl, redisKeyPrefix: ctx.prefix } : {}),
      ...(bff.audiences ? { upstreams: sixAudiences(upstream.url) } : {}),
      ...(bff.dpop ? { dpop: true } : {}),
    },
  );
  const profileDir = profiling(ctx, scenario.id);
  const server = await startServer(scenario.label, benchPath('servers/bff.ts'), {
    env: { BENCH_BFF_OPTIONS: JSON.stringify(options) },
    execArgv: profileArgs(profileDir),
  });
  const cookie = await signInCookie(rig.bffUrl, 'alice');
  ctx.log(`  signed in as alice (session cookie ${cookie.length} bytes)`);
  rig.headers = { ...BENCH_API_HEADERS, cookie };
  return {
    url: `${server.url}/api/bench/item`,
    headers: rig.headers,
    server,
    ...(profileDir ? { profileDir } : {}),
  };
}

/**
 * One round of one scenario: start its server (and sign in), check one request, warm up, measure (again when
 * other processes disturbed the measurement), stop the server.
 */
async function measureRound(rig: Rig, scenario: Scenario): Promise<ProxyResult> {
  const { ctx, upstream } = rig;
  const { settings } = ctx;
  let target: Target | undefined;
  try {
    target = await startTarget(rig, scenario);
    const { url, headers } = target;
    await preflight(url, headers);
    if (scenario.bff || scenario.apache) {
      const seen = await ask<UpstreamStats>(upstream.child, 'stats');
      if (!seen.bearer || seen.cookie) {
        throw new Error(
          `the upstream got ${seen.bearer ? 'a' : 'no'} bearer token and ${seen.cookie ? 'a' : 'no'} cookie`,
        );
      }
    }
    await ctx.generator.run(url, headers, { ...settings, durationS: settings.warmupS });
    const serverPid = (target.server ?? upstream).child.pid;
    let run: ProxyResult | undefined;
    for (let attempt = 0; attempt <= settings.retries; attempt++) {
      await ctx.load.waitForQuiet();
      const candidate = await measure({
        generator: ctx.generator,
        settings,
        url,
        headers,
        serverPid,
        upstream: upstream.child,
        load: ctx.load,
      });
      const other = candidate.cpu?.otherCores ?? 0;
      if (!run || other < (run.cpu?.otherCores ?? 0)) run = candidate;
      if (other <= OTHER_LOAD_LIMIT) break;
      if (attempt < settings.retries)
        ctx.log(`  disturbed: other processes used ${other.toFixed(2)} cores; measuring again`);
    }
    if (!run) throw new Error('nothing was measured');
    ctx.log(`  ${describe(run)}`);
    return run;
  } finally {
    await target?.server?.stop();
    if (target?.profileDir) printProfile(target.profileDir, ctx.log);
  }
}

/** Each scenario's median round by requests/s, with notes on disturbed or inconsistent figures. */
function medians(
  scenarios: readonly Scenario[],
  runs: ReadonlyMap<string, ProxyResult[]>,
  failures: ReadonlyMap<string, string>,
  settings: ProxySettings,
): { rows: Row[]; notes: string[] } {
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const scenario of scenarios) {
    const measured = runs.get(scenario.id) ?? [];
    const result = median(measured, (run) => run.rps);
    if (failures.has(scenario.id) || !result) {
      rows.push({ ...scenario, skipped: failures.get(scenario.id) ?? 'not measured' });
      continue;
    }
    const other = result.cpu?.otherCores ?? 0;
    if (other > OTHER_LOAD_LIMIT) {
      notes.push(
        `${scenario.label}: other processes used ${other.toFixed(2)} cores during the measurement; its figures are disturbed`,
      );
    }
    // Every completed 2xx answer was served by the upstream; fewer hits means answers that never reached it.
    if (result.upstreamHits + settings.connections < result.requests - result.non2xx) {
      notes.push(
        `${scenario.label}: the upstream served ${result.upstreamHits} requests but ${result.requests - result.non2xx} 2xx answers were counted`,
      );
    }
    if (measured.length > 1) result.rounds = measured.map((run) => Math.round(run.rps)).sort((a, b) => a - b);
    rows.push({ ...scenario, result });
  }
  return { rows, notes };
}

/** With BENCH_PROFILE=1, a fresh folder for the scenario's CPU profiles (node --cpu-prof). */
function profiling(ctx: ProxyContext, id: string): string | undefined {
  if (!ctx.profile) return undefined;
  const dir = join(TMP_DIR, 'profiles', id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

const profileArgs = (dir: string | undefined) => (dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []);

/** Prints the self-time summary of the CPU profiles in `dir`. */
function printProfile(dir: string, log: (line: string) => void): void {
  const files = profilesIn(dir);
  if (files.length === 0) return;
  log(`\n  CPU profile (${files.length} process(es), ${dir}):`);
  log(
    formatSummary(summarize(files), 15)
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  );
}
