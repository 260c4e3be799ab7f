// The Chromium figures of issue 7, in the system Chromium (`launchChromium()` of @gatehouse/testing), against
// the real dev IdP and two real BFF instances on one Redis:
// - requests made before the auth state is known, and time to first remote mounted, on a shell page with the
//   identity inlined (`identityScript`), beside the same page without it (the runtime then asks
//   GET /auth/session: the baseline);
// - cross-tab logout: tab A calls `shell.logout()`, how long until tab B's runtime says `logged-out`;
// - back-channel logout: the IdP's end-session (RP-initiated logout confirmed at the IdP) POSTs a logout token
//   to instance B; how long until the open tab, whose push stream is on instance A, says `logged-out`.
// The page is a minimal fixture: the real @gatehouse/shell runtime (browser/page/app.ts) and one remote
// (browser/page/remote.ts) from a remotes origin, pinned by integrity. The reference shop: browser/shop.ts.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumPath, freePort, launchChromium } from '@gatehouse/testing';
import type { Browser, Page } from 'playwright-core';
import { bffOptions } from '../lib/http.js';
import { benchPath, TMP_DIR } from '../lib/paths.js';
import { ask, askWith, type Server, startServer } from '../lib/processes.js';
import { signInCookie, signInSession } from '../lib/session.js';
import { type Summary, summary } from '../lib/stats.js';
import type { NotMeasured, SuiteContext } from '../lib/suite.js';
import type { IdpStats, SsfPushAnswer } from '../servers/idp.js';
import { bundleForBrowser, startRemotesOrigin } from './bundle.js';
import type { BenchEntry } from './page/window.js';
import { openPage, sessionCookie, until } from './pages.js';
import { type ShopFigures, shopFigures } from './shop.js';

/** BENCH_PAGE_LOADS, BENCH_TAB_RUNS, BENCH_BACKCHANNEL_RUNS. */
export interface BrowserSettings {
  /** Page loads per variant. */
  readonly loads: number;
  /** Cross-tab logouts. */
  readonly tabRuns: number;
  /** Back-channel logouts. */
  readonly backchannelRuns: number;
}

/** Page loads of one variant. */
export interface PageLoads {
  readonly runs: number;
  /** The most requests the runtime made before the auth state was known. */
  readonly requestsBeforeAuthMax: number;
  readonly requestsBeforeAuthNames: readonly string[];
  /** The most the page itself loaded before (the runtime's own script). */
  readonly pageRequestsBeforeAuthMax: number;
  readonly authKnown: Summary;
  readonly mounted: Summary;
}

/** What the suite measured. */
export interface BrowserResult {
  readonly settings: BrowserSettings;
  /** Chromium's version. */
  readonly chromium: string;
  /** The page runtime's minified bytes. */
  readonly appBytes: number;
  readonly pageLoads: Record<Variant, PageLoads> & { otherCores?: number | undefined };
  readonly crossTab: {
    readonly runs: number;
    /** From tab A's `logout()` call. */
    readonly fromCall: Summary;
    /** From tab A's own `logged-out`. */
    readonly fromTabA: Summary;
    readonly reasons: readonly string[];
    readonly otherCores: number | undefined;
  };
  readonly backchannel: {
    readonly runs: number;
    readonly latency: Summary;
    readonly reasons: readonly string[];
    readonly deliveries: number;
    readonly failedDeliveries: number;
    readonly otherCores: number | undefined;
  };
  /** A CAEP `session-revoked` SET pushed to instance B, to the tab on instance A. */
  readonly sharedSignals: {
    readonly runs: number;
    readonly latency: Summary;
    readonly reasons: readonly string[];
    /** Pushes the receiver did not accept (202). */
    readonly refused: number;
    readonly otherCores: number | undefined;
  };
  readonly shop: ShopFigures;
}

/** First and repeat visits, the identity inlined and not. */
export type Variant = 'inline' | 'noinline' | 'inline-repeat' | 'noinline-repeat';

/** The page's stack: two BFF instances (A, B) on one Redis serving the fixture page, the IdP. */
interface PageStack {
  readonly publicUrl: string;
  readonly idp: Server;
  /** Instance B's own URL (the public URL is instance A's). */
  readonly instanceB: string;
  readonly browser: Browser;
}

/** Runs the suite; see the file's comment. */
export async function browserFigures(
  ctx: SuiteContext,
  settings: BrowserSettings,
): Promise<BrowserResult | NotMeasured> {
  if (!chromiumPath())
    return { skipped: 'Chromium is not installed (apt-get install -y chromium, or CHROMIUM_PATH)' };
  const servers: Server[] = [];
  const closers: Array<() => unknown> = [];
  try {
    const { publicUrl, idp, appBytes, instanceB } = await startPageStack(ctx, servers, closers);
    const browser = await launchChromium();
    closers.push(() => browser.close());
    const stack: PageStack = { publicUrl, idp, browser, instanceB };
    const pageLoads = await measurePageLoads(ctx, stack, settings);
    const crossTab = await crossTabLogout(ctx, stack, settings);
    const backchannel = await backchannelLogout(ctx, stack, settings);
    const sharedSignals = await sharedSignalsLogout(ctx, stack, settings);
    const shop = await shopFigures(ctx, browser, settings);
    const chromium = browser.version();
    return { settings, chromium, appBytes, pageLoads, crossTab, backchannel, sharedSignals, shop };
  } finally {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
    for (const server of servers.reverse()) await server.stop();
  }
}

/**
 * The fixture page's runtime bundled into the BFF's assets, the remote on its own origin (pinned by
 * integrity), the dev IdP (its logout tokens to instance B) and the two BFF instances serving the page. Every
 * process goes to `servers` and everything else to `closers` as it starts, so the caller stops what started.
 */
async function startPageStack(
  ctx: SuiteContext,
  servers: Server[],
  closers: Array<() => unknown>,
): Promise<{ publicUrl: string; idp: Server; appBytes: number; instanceB: string }> {
  const [portA, portB] = [await freePort(), await freePort()];
  const publicUrl = `http://localhost:${portA}`;
  const assets = join(TMP_DIR, 'browser-assets');
  mkdirSync(assets, { recursive: true });
  const app = await bundleForBrowser(benchPath('browser/page/app.ts'));
  writeFileSync(join(assets, 'app.js'), app);
  const remote = await bundleForBrowser(benchPath('browser/page/remote.ts'));
  const remotes = await startRemotesOrigin(new Map([['/home.js', remote]]), publicUrl);
  closers.push(() => remotes.close());
  const pageConfig = {
    remotes: [
      { name: 'home', version: '1.0.0', entry: `${remotes.origin}/home.js`, integrity: sha384(remote) },
    ],
    allowedOrigins: [remotes.origin],
    routes: [
      { path: '/', remote: 'home' },
      { path: '/account', remote: 'home', auth: 'required' },
      { path: '/noinline/account', remote: 'home', auth: 'required' },
    ],
  };
  const idp = await startServer('dev IdP', benchPath('servers/idp.ts'), {
    env: {
      BENCH_IDP_OPTIONS: JSON.stringify({
        bffBaseUrl: publicUrl,
        backchannelUrl: `http://localhost:${portB}/auth/backchannel-logout`,
      }),
    },
  });
  servers.push(idp);
  const extra = {
    redisUrl: ctx.redisUrl,
    redisKeyPrefix: ctx.prefix,
    remoteOrigins: [remotes.origin],
    assets: [{ prefix: '/assets/', dir: assets, access: 'public' as const }],
    // The Shared Signals receiver, for the dev IdP's CAEP events (the transmitter is the issuer).
    sharedSignals: {},
    // The bench signs in a hundred times from one address: the login rate limit is not what it measures.
    loginRateLimit: 0,
  };
  for (const [i, port] of [portA, portB].entries()) {
    const options = bffOptions({ publicUrl, port, issuer: idp.url, secret: ctx.secret }, extra);
    const bff = startServer(`BFF instance ${i ? 'B' : 'A'}`, benchPath('browser/bff-page.ts'), {
      env: { BENCH_BFF_OPTIONS: JSON.stringify(options), BENCH_PAGE_CONFIG: JSON.stringify(pageConfig) },
    });
    servers.push(await bff);
  }
  return { publicUrl, idp, appBytes: app.length, instanceB: `http://localhost:${portB}` };
}

const sha384 = (bytes: Uint8Array) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

/** One load of the fixture page, as measured. */
interface Load {
  readonly authKnownMs: number;
  readonly mountedMs: number;
  readonly requestsBeforeAuth: number;
  readonly requestsBeforeAuthNames: string[];
  readonly pageRequestsBeforeAuth: number;
}

/**
 * Page loads, identity inlined and not, interleaved: a first visit (a fresh profile: nothing cached) and a
 * repeat visit (the same profile: the runtime and the remote revalidated from the HTTP cache).
 */
async function measurePageLoads(
  ctx: SuiteContext,
  stack: PageStack,
  settings: BrowserSettings,
): Promise<BrowserResult['pageLoads']> {
  const { browser, publicUrl } = stack;
  const loads: Record<Variant, Load[]> = {
    inline: [],
    noinline: [],
    'inline-repeat': [],
    'noinline-repeat': [],
  };
  const cookie = await signInCookie(publicUrl, 'alice');
  await ctx.quiet();
  const meter = ctx.meter();
  for (let i = 0; i < settings.loads; i++) {
    for (const variant of ['inline', 'noinline'] as const) {
      const context = await browser.newContext();
      try {
        await context.addCookies([sessionCookie(cookie)]);
        const url = `${publicUrl}${variant === 'inline' ? '/account' : '/noinline/account'}`;
        loads[variant].push(await measureLoad(await openPage(context, url)));
        loads[`${variant}-repeat`].push(await measureLoad(await openPage(context, url)));
      } finally {
        await context.close();
      }
    }
  }
  const otherCores = meter();
  const variants = Object.keys(loads) as Variant[];
  const pageLoads = Object.fromEntries(
    variants.map((variant) => {
      const runs = loads[variant];
      const figures: PageLoads = {
        runs: runs.length,
        requestsBeforeAuthMax: Math.max(...runs.map((run) => run.requestsBeforeAuth)),
        requestsBeforeAuthNames: [...new Set(runs.flatMap((run) => run.requestsBeforeAuthNames))],
        pageRequestsBeforeAuthMax: Math.max(...runs.map((run) => run.pageRequestsBeforeAuth)),
        authKnown: summary(runs.map((run) => run.authKnownMs)),
        mounted: summary(runs.map((run) => run.mountedMs)),
      };
      return [variant, figures];
    }),
  ) as Record<Variant, PageLoads>;
  ctx.log(
    `  page loads (${settings.loads} each, first visit): identity inlined: ${pageLoads.inline.requestsBeforeAuthMax} ` +
      `request(s) before the auth state, first remote mounted p50 ${pageLoads.inline.mounted.p50.toFixed(1)} ms; ` +
      `not inlined: ${pageLoads.noinline.requestsBeforeAuthMax} (${pageLoads.noinline.requestsBeforeAuthNames.join(', ')}), ` +
      `p50 ${pageLoads.noinline.mounted.p50.toFixed(1)} ms`,
  );
  return { ...pageLoads, otherCores };
}

/** When the auth state was known, when the remote mounted, and the requests before; closes the page. */
async function measureLoad(page: Page): Promise<Load> {
  const seen = await page.evaluate(() => ({
    authKnownAt: window.__bench?.authKnownAt ?? Number.NaN,
    mountedAt: window.__bench?.mountedAt ?? Number.NaN,
    appStartedAt: window.__bench?.appStartedAt ?? Number.NaN,
    text: document.getElementById('outlet')?.textContent,
    resources: performance
      .getEntriesByType('resource')
      .map((entry) => ({ name: entry.name, start: entry.startTime })),
  }));
  await page.close();
  if (!seen.text?.includes('Alice')) throw new Error(`the remote did not greet Alice: ${seen.text}`);
  // Requests that started before the auth state was known: the page's own script (the runtime's code), and
  // any the runtime made once it ran (what the goal counts).
  const before = seen.resources.filter((entry) => entry.start < seen.authKnownAt);
  const byRuntime = before.filter((entry) => entry.start >= seen.appStartedAt);
  return {
    authKnownMs: seen.authKnownAt,
    mountedMs: seen.mountedAt,
    requestsBeforeAuth: byRuntime.length,
    requestsBeforeAuthNames: byRuntime.map((entry) => new URL(entry.name).pathname),
    pageRequestsBeforeAuth: before.length - byRuntime.length,
  };
}

/** A report of the fixture page, with the page it came from. */
type Report = BenchEntry & { readonly page: Page };

/** Cross-tab logout: two tabs of one profile; A logs out, B hears (BroadcastChannel or the push relay). */
async function crossTabLogout(
  ctx: SuiteContext,
  stack: PageStack,
  settings: BrowserSettings,
): Promise<BrowserResult['crossTab']> {
  const runs: Array<{ fromCall: number; fromTabA: number; reason: string | undefined }> = [];
  await ctx.quiet();
  const meter = ctx.meter();
  for (let run = 0; run < settings.tabRuns; run++) {
    const cookie = await signInCookie(stack.publicUrl, 'carol');
    const context = await stack.browser.newContext();
    const reports: Report[] = [];
    try {
      await context.addCookies([sessionCookie(cookie)]);
      await context.exposeBinding('benchReport', (source, entry: BenchEntry) => {
        reports.push({ page: source.page, ...entry });
      });
      const a = await openPage(context, `${stack.publicUrl}/account`);
      const b = await openPage(context, `${stack.publicUrl}/account`);
      await a.evaluate(() => {
        void window.__bench?.logout?.();
      });
      const find = (page: Report['page'], type: string) =>
        reports.find((entry) => entry.page === page && entry.type === type);
      const [outA, outB] = await until(
        () => {
          const both = [find(a, 'state:logged-out'), find(b, 'state:logged-out')] as const;
          return both[0] && both[1] ? [both[0], both[1]] : undefined;
        },
        5000,
        'tab B to log out',
      );
      const called = find(a, 'logout-called')?.at ?? Number.NaN;
      runs.push({ fromCall: outB.at - called, fromTabA: outB.at - outA.at, reason: outB.reason });
    } finally {
      await context.close();
    }
  }
  const crossTab = {
    runs: runs.length,
    fromCall: summary(runs.map((run) => run.fromCall)),
    fromTabA: summary(runs.map((run) => run.fromTabA)),
    reasons: [...new Set(runs.map((run) => run.reason ?? ''))],
    otherCores: meter(),
  };
  ctx.log(
    `  cross-tab logout (${runs.length} runs): from A's logout() to B logged out p50 ` +
      `${crossTab.fromCall.p50.toFixed(1)} ms, p95 ${crossTab.fromCall.p95.toFixed(1)} ms; from A's own state ` +
      `change p95 ${crossTab.fromTabA.p95.toFixed(1)} ms`,
  );
  return crossTab;
}

/** One way the issuer's side ends a session: does it, and answers when it sent the ending (epoch ms). */
type EndAtIssuer = (session: Awaited<ReturnType<typeof signInSession>>) => Promise<number>;

/**
 * A session of dave's open in a tab streaming from instance A, ended by the issuer's side through instance B
 * (`end`), `runs` times: from the sending to the tab's `logged-out`.
 */
async function issuerEndsToTab(
  stack: PageStack,
  runs: number,
  what: string,
  end: EndAtIssuer,
): Promise<Array<{ ms: number; reason: string | undefined }>> {
  const heardAfter: Array<{ ms: number; reason: string | undefined }> = [];
  for (let run = 0; run < runs; run++) {
    const session = await signInSession(stack.publicUrl, 'dave');
    const context = await stack.browser.newContext();
    const reports: Report[] = [];
    try {
      await context.addCookies([sessionCookie(session.cookie)]);
      await context.exposeBinding('benchReport', (source, entry: BenchEntry) => {
        reports.push({ page: source.page, ...entry });
      });
      // The tab's push stream is open (the BFF registers it before its answer's headers leave).
      await context.addInitScript(() => {
        const Native = window.EventSource;
        window.EventSource = class extends Native {
          constructor(...args: ConstructorParameters<typeof EventSource>) {
            super(...args);
            this.addEventListener('open', () => {
              window.__benchPushOpen = (window.__benchPushOpen ?? 0) + 1;
            });
          }
        };
      });
      const page = await openPage(context, `${stack.publicUrl}/account`);
      await page.waitForFunction(() => (window.__benchPushOpen ?? 0) >= 1, undefined, { timeout: 10_000 });
      const sentAt = await end(session);
      const heard = await until(
        () => reports.find((entry) => entry.page === page && entry.type === 'state:logged-out'),
        5000,
        `the tab to hear the ${what}`,
      );
      heardAfter.push({ ms: heard.at - sentAt, reason: heard.reason });
    } finally {
      await session.close();
      await context.close();
    }
  }
  return heardAfter;
}

/**
 * Back-channel logout: the IdP ends the session; the logout token goes to instance B; the tab's push stream is
 * on instance A.
 */
async function backchannelLogout(
  ctx: SuiteContext,
  stack: PageStack,
  settings: BrowserSettings,
): Promise<BrowserResult['backchannel']> {
  const before = (await ask<IdpStats>(stack.idp.child, 'stats')).backchannel;
  await ctx.quiet();
  const meter = ctx.meter();
  const runs = await issuerEndsToTab(stack, settings.backchannelRuns, 'back-channel logout', (session) =>
    session.endAtIdp(stack.idp.url),
  );
  const after = (await ask<IdpStats>(stack.idp.child, 'stats')).backchannel;
  const backchannel = {
    runs: runs.length,
    latency: summary(runs.map((run) => run.ms)),
    reasons: [...new Set(runs.map((run) => run.reason ?? ''))],
    deliveries: after.success - before.success,
    failedDeliveries: after.error - before.error,
    otherCores: meter(),
  };
  ctx.log(
    `  back-channel logout to an open tab (${runs.length} runs): p50 ${backchannel.latency.p50.toFixed(1)} ms, ` +
      `max ${backchannel.latency.max.toFixed(1)} ms (${backchannel.deliveries} logout tokens delivered to instance B)`,
  );
  return backchannel;
}

/**
 * Shared Signals: the dev IdP's transmitter pushes a CAEP `session-revoked` SET about dave to instance B's
 * receiver; B verifies it, ends his sessions and publishes on Redis; instance A's push stream tells the tab.
 */
async function sharedSignalsLogout(
  ctx: SuiteContext,
  stack: PageStack,
  settings: BrowserSettings,
): Promise<BrowserResult['sharedSignals']> {
  await ctx.quiet();
  const meter = ctx.meter();
  const refused: number[] = [];
  const runs = await issuerEndsToTab(stack, settings.backchannelRuns, 'session-revoked SET', async () => {
    const pushed = await askWith<SsfPushAnswer>(stack.idp.child, 'ssf', {
      endpoint: `${stack.instanceB}/auth/ssf/events`,
      sub: 'user_dave',
    });
    if (pushed.status !== 202) refused.push(pushed.status);
    return pushed.sentAt;
  });
  const sharedSignals = {
    runs: runs.length,
    latency: summary(runs.map((run) => run.ms)),
    reasons: [...new Set(runs.map((run) => run.reason ?? ''))],
    refused: refused.length,
    otherCores: meter(),
  };
  ctx.log(
    `  CAEP session-revoked to an open tab (${runs.length} runs): p50 ${sharedSignals.latency.p50.toFixed(1)} ms, ` +
      `p99 ${sharedSignals.latency.p99.toFixed(1)} ms, max ${sharedSignals.latency.max.toFixed(1)} ms`,
  );
  return sharedSignals;
}
