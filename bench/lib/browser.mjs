// The Chromium figures of issue 7, in the system Chromium (`launchChromium()` of @gatehouse/testing), against
// the real dev IdP and two real BFF instances on one Redis:
// - requests made before the auth state is known, and time to first remote mounted, on a shell page with the
//   identity inlined (`identityScript`), beside the same page without it (the runtime then asks
//   GET /auth/session: the baseline);
// - cross-tab logout: tab A calls `shell.logout()`, how long until tab B's runtime says `logged-out`;
// - back-channel logout: the IdP's end-session (RP-initiated logout confirmed at the IdP) POSTs a logout token
//   to instance B; how long until the open tab, whose push stream is on instance A, says `logged-out`.
// The page is a minimal fixture: the real @gatehouse/shell runtime (bench/browser/app.mjs) and one remote
// (bench/browser/remote.mjs) from a remotes origin, pinned by integrity.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { bundleForBrowser, loadTesting } from './chromium.mjs';
import { ask, startServer } from './processes.mjs';
import { signInSession } from './sign-in.mjs';
import { freePort, sleep, summary } from './util.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const sha384 = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
const COOKIE = '__Host-Http-gatehouse';

/** A static origin serving the remote's module with CORS for the shell's origin. */
async function startRemotesOrigin(files, allowOrigin) {
  const port = await freePort();
  const server = createServer((req, res) => {
    const file = files.get(new URL(req.url ?? '/', 'http://x').pathname);
    res.setHeader('access-control-allow-origin', allowOrigin);
    res.setHeader('vary', 'origin');
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-cache' }).end(file);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Polls `check` every 10 ms until it answers something truthy, or throws after `timeoutMs`. */
async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * @param {object} ctx
 * @param {string} ctx.redisUrl
 * @param {string} ctx.prefix
 * @param {string} ctx.secret
 * @param {(line: string) => void} ctx.log
 * @param {() => Promise<void>} ctx.quiet
 * @param {() => () => number} ctx.meter
 * @param {{ loads: number, tabRuns: number, backchannelRuns: number }} settings
 */
export async function browserFigures(ctx, settings) {
  const { launchChromium, chromiumPath } = await loadTesting();
  if (!chromiumPath())
    return { skipped: 'Chromium is not installed (apt-get install -y chromium, or CHROMIUM_PATH)' };
  const servers = [];
  const closers = [];
  try {
    const [portA, portB] = await Promise.all([freePort(), freePort()]);
    const publicUrl = `http://localhost:${portA}`;

    // The page's runtime in the BFF's assets; the remote on its own origin, pinned by integrity.
    const assets = here('../.tmp/browser-assets');
    mkdirSync(assets, { recursive: true });
    const app = await bundleForBrowser(here('../browser/app.mjs'));
    writeFileSync(`${assets}/app.js`, app);
    const remote = await bundleForBrowser(here('../browser/remote.mjs'));
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

    const idp = await startServer('dev IdP', here('../servers/idp.mjs'), {
      env: {
        BENCH_IDP_OPTIONS: JSON.stringify({
          bffBaseUrl: publicUrl,
          backchannelUrl: `http://localhost:${portB}/auth/backchannel-logout`,
        }),
      },
    });
    servers.push(idp);
    const bffOptions = (port) => ({
      publicUrl,
      port,
      host: '127.0.0.1',
      issuer: idp.url,
      resource: 'urn:gatehouse:shop',
      sessionSecrets: [ctx.secret],
      logLevel: 'warn',
      redisUrl: ctx.redisUrl,
      redisKeyPrefix: ctx.prefix,
      remoteOrigins: [remotes.origin],
      assets: [{ prefix: '/assets/', dir: assets, access: 'public' }],
    });
    const [bffA, bffB] = await Promise.all(
      [portA, portB].map((port, i) =>
        startServer(`BFF instance ${i ? 'B' : 'A'}`, here('../servers/bff-page.mjs'), {
          env: {
            BENCH_BFF_OPTIONS: JSON.stringify(bffOptions(port)),
            BENCH_PAGE_CONFIG: JSON.stringify(pageConfig),
          },
        }),
      ),
    );
    servers.push(bffA, bffB);

    const browser = await launchChromium();
    closers.push(() => browser.close());
    const version = browser.version();

    // The BFF's session cookie as the browser would store it from the callback: host-only (no Domain), Secure
    // (Chromium keeps Secure cookies on http://localhost), HttpOnly, Lax.
    const sessionCookie = (header) => ({
      name: COOKIE,
      value: header.slice(COOKIE.length + 1),
      domain: 'localhost',
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: 'Lax',
    });
    /** A fresh browser profile holding the session cookie of a new real login (and the login, to end it). */
    const signedInContext = async (user) => {
      const session = await signInSession(publicUrl, { user });
      const context = await browser.newContext();
      await context.addCookies([sessionCookie(session.cookie)]);
      return { context, session };
    };
    const openPage = async (context, path) => {
      const page = await context.newPage();
      await page.goto(`${publicUrl}${path}`);
      await page.waitForFunction(() => window.__bench?.mountedAt !== undefined, undefined, {
        timeout: 10_000,
      });
      return page;
    };

    // 1. Page loads, identity inlined and not, interleaved: a first visit (a fresh profile: nothing cached)
    //    and a repeat visit (the same profile: the runtime and the remote revalidated from the HTTP cache).
    const loads = { inline: [], noinline: [], 'inline-repeat': [], 'noinline-repeat': [] };
    const shared = await signInSession(publicUrl, { user: 'alice' });
    await shared.close();
    /** One load of `path` in `context`: when the auth state was known, when the remote mounted, requests. */
    const measureLoad = async (context, path) => {
      const page = await openPage(context, path);
      const seen = await page.evaluate(() => ({
        authKnownAt: window.__bench.authKnownAt,
        mountedAt: window.__bench.mountedAt,
        appStartedAt: window.__bench.appStartedAt,
        text: document.getElementById('outlet')?.textContent,
        resources: performance
          .getEntriesByType('resource')
          .map((entry) => ({ name: entry.name, start: entry.startTime })),
      }));
      await page.close();
      if (!seen.text?.includes('Alice')) throw new Error(`the remote did not greet Alice: ${seen.text}`);
      // Requests that started before the auth state was known: the page's own script (the runtime's code),
      // and any the runtime made once it ran (what the goal counts).
      const before = seen.resources.filter((entry) => entry.start < seen.authKnownAt);
      const byRuntime = before.filter((entry) => entry.start >= seen.appStartedAt);
      return {
        authKnownMs: seen.authKnownAt,
        mountedMs: seen.mountedAt,
        requestsBeforeAuth: byRuntime.length,
        requestsBeforeAuthNames: byRuntime.map((entry) => new URL(entry.name).pathname),
        pageRequestsBeforeAuth: before.length - byRuntime.length,
      };
    };
    await ctx.quiet();
    let meter = ctx.meter();
    for (let i = 0; i < settings.loads; i++) {
      for (const variant of ['inline', 'noinline']) {
        const context = await browser.newContext();
        try {
          await context.addCookies([sessionCookie(shared.cookie)]);
          const path = variant === 'inline' ? '/account' : '/noinline/account';
          loads[variant].push(await measureLoad(context, path));
          loads[`${variant}-repeat`].push(await measureLoad(context, path));
        } finally {
          await context.close();
        }
      }
    }
    const loadOtherCores = meter();
    const pageLoads = Object.fromEntries(
      Object.entries(loads).map(([variant, runs]) => [
        variant,
        {
          runs: runs.length,
          requestsBeforeAuthMax: Math.max(...runs.map((run) => run.requestsBeforeAuth)),
          requestsBeforeAuthNames: [...new Set(runs.flatMap((run) => run.requestsBeforeAuthNames))],
          pageRequestsBeforeAuthMax: Math.max(...runs.map((run) => run.pageRequestsBeforeAuth)),
          authKnown: summary(runs.map((run) => run.authKnownMs)),
          mounted: summary(runs.map((run) => run.mountedMs)),
        },
      ]),
    );
    pageLoads.otherCores = loadOtherCores;
    ctx.log(
      `  page loads (${settings.loads} each, first visit): identity inlined: ${pageLoads.inline.requestsBeforeAuthMax} ` +
        `request(s) before the auth state, first remote mounted p50 ${pageLoads.inline.mounted.p50.toFixed(1)} ms; ` +
        `not inlined: ${pageLoads.noinline.requestsBeforeAuthMax} (${pageLoads.noinline.requestsBeforeAuthNames.join(', ')}), ` +
        `p50 ${pageLoads.noinline.mounted.p50.toFixed(1)} ms`,
    );

    // 2. Cross-tab logout: two tabs of one profile; A logs out, B hears (BroadcastChannel or the push relay).
    const tabRuns = [];
    await ctx.quiet();
    meter = ctx.meter();
    for (let run = 0; run < settings.tabRuns; run++) {
      const { context, session } = await signedInContext('carol');
      await session.close();
      const reports = [];
      try {
        await context.exposeBinding('benchReport', (source, entry) => {
          reports.push({ page: source.page, ...entry });
        });
        const a = await openPage(context, '/account');
        const b = await openPage(context, '/account');
        await a.evaluate(() => {
          void window.__bench.logout();
        });
        const find = (page, type) => reports.find((entry) => entry.page === page && entry.type === type);
        await until(
          () => find(b, 'state:logged-out') && find(a, 'state:logged-out'),
          5000,
          'tab B to log out',
        );
        const called = find(a, 'logout-called').at;
        const outA = find(a, 'state:logged-out').at;
        const outB = find(b, 'state:logged-out');
        tabRuns.push({ fromCall: outB.at - called, fromTabA: outB.at - outA, reason: outB.reason });
      } finally {
        await context.close();
      }
    }
    const crossTab = {
      runs: tabRuns.length,
      fromCall: summary(tabRuns.map((run) => run.fromCall)),
      fromTabA: summary(tabRuns.map((run) => run.fromTabA)),
      reasons: [...new Set(tabRuns.map((run) => run.reason))],
      otherCores: meter(),
    };
    ctx.log(
      `  cross-tab logout (${tabRuns.length} runs): from A's logout() to B logged out p50 ` +
        `${crossTab.fromCall.p50.toFixed(1)} ms, p95 ${crossTab.fromCall.p95.toFixed(1)} ms; from A's own state ` +
        `change p95 ${crossTab.fromTabA.p95.toFixed(1)} ms`,
    );

    // 3. Back-channel logout: the IdP ends the session; the logout token goes to instance B; the tab's push
    //    stream is on instance A.
    const bcRuns = [];
    const backchannelBefore = (await ask(idp.child, 'stats')).backchannel;
    await ctx.quiet();
    meter = ctx.meter();
    for (let run = 0; run < settings.backchannelRuns; run++) {
      const { context, session } = await signedInContext('dave');
      const reports = [];
      try {
        await context.exposeBinding('benchReport', (source, entry) => {
          reports.push({ page: source.page, ...entry });
        });
        // The tab's push stream is open (the BFF registers it before its answer's headers leave).
        await context.addInitScript(() => {
          const Native = window.EventSource;
          window.EventSource = class extends Native {
            constructor(...args) {
              super(...args);
              this.addEventListener('open', () => {
                window.__benchPushOpen = (window.__benchPushOpen ?? 0) + 1;
              });
            }
          };
        });
        const page = await openPage(context, '/account');
        await page.waitForFunction(() => window.__benchPushOpen >= 1, undefined, { timeout: 10_000 });
        const sentAt = await session.endAtIdp(idp.url);
        const heard = await until(
          () => reports.find((entry) => entry.page === page && entry.type === 'state:logged-out'),
          5000,
          'the tab to hear the back-channel logout',
        );
        bcRuns.push({ ms: heard.at - sentAt, reason: heard.reason });
      } finally {
        await session.close();
        await context.close();
      }
    }
    const backchannelAfter = (await ask(idp.child, 'stats')).backchannel;
    const backchannel = {
      runs: bcRuns.length,
      latency: summary(bcRuns.map((run) => run.ms)),
      reasons: [...new Set(bcRuns.map((run) => run.reason))],
      deliveries: backchannelAfter.success - backchannelBefore.success,
      failedDeliveries: backchannelAfter.error - backchannelBefore.error,
      otherCores: meter(),
    };
    ctx.log(
      `  back-channel logout to an open tab (${bcRuns.length} runs): p50 ${backchannel.latency.p50.toFixed(1)} ms, ` +
        `max ${backchannel.latency.max.toFixed(1)} ms (${backchannel.deliveries} logout tokens delivered to instance B)`,
    );
    const shop = await shopFigures(ctx, browser, settings);
    return { chromium: version, appBytes: app.length, pageLoads, crossTab, backchannel, shop };
  } finally {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
    for (const server of servers.reverse()) await server.stop();
  }
}

/**
 * Instruments any page that uses @gatehouse/shell: the first time the runtime reads the inlined identity
 * (`getElementById('gatehouse-identity')`, which is how it learns the auth state without a request) and the
 * first time a mounted remote (`[data-gatehouse-remote]`) has content.
 */
const INSTRUMENT = () => {
  const marks = { authKnownAt: undefined, mountedAt: undefined };
  window.__benchMarks = marks;
  const byId = Document.prototype.getElementById;
  Document.prototype.getElementById = function (id) {
    const found = byId.call(this, id);
    if (id === 'gatehouse-identity' && marks.authKnownAt === undefined) marks.authKnownAt = performance.now();
    return found;
  };
  new MutationObserver((_, observer) => {
    if (document.querySelector('[data-gatehouse-remote] *')) {
      marks.mountedAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
};

/**
 * The reference shop (`startShop` of examples/shop, when it is built): signed in as alice, the home route, a
 * first visit and a repeat visit each time, with the same counts as the fixture page. Skipped with the reason
 * when the shop cannot start (not built, or not there).
 */
async function shopFigures(ctx, browser, settings) {
  let shop;
  try {
    const module = await import('@gatehouse/example-shop').catch((error) => {
      throw new Error(`examples/shop is not importable (${error?.message?.split('\n')[0]}); npm run build`);
    });
    if (typeof module.startShop !== 'function') throw new Error('examples/shop exports no startShop');
    const ports = {
      bff: 0,
      idp: 0,
      remotes: 0,
      catalog: 0,
      cart: 0,
      checkout: 0,
      orders: 0,
      profile: 0,
      org: 0,
    };
    shop = await module.startShop({ ports, memory: true, logLevel: 'silent' });
  } catch (error) {
    const reason = error?.message?.split('\n')[0] ?? String(error);
    ctx.log(`  the reference shop: skipped (${reason})`);
    return { skipped: reason };
  }
  try {
    const session = await signInSession(shop.urls.shop, { user: 'alice' });
    await session.close();
    const runs = { first: [], repeat: [] };
    await ctx.quiet();
    const meter = ctx.meter();
    for (let i = 0; i < settings.loads; i++) {
      const context = await browser.newContext();
      try {
        await context.addInitScript(INSTRUMENT);
        await context.addCookies([
          {
            name: COOKIE,
            value: session.cookie.slice(COOKIE.length + 1),
            domain: 'localhost',
            path: '/',
            secure: true,
            httpOnly: true,
            sameSite: 'Lax',
          },
        ]);
        for (const visit of ['first', 'repeat']) {
          const page = await context.newPage();
          await page.goto(`${shop.urls.shop}/`);
          await page.waitForFunction(() => window.__benchMarks?.mountedAt !== undefined, undefined, {
            timeout: 15_000,
          });
          const seen = await page.evaluate(() => ({
            ...window.__benchMarks,
            name: document.querySelector('[data-testid=user-name]')?.textContent,
            resources: performance.getEntriesByType('resource').map((entry) => ({
              name: entry.name,
              start: entry.startTime,
              initiator: entry.initiatorType,
            })),
          }));
          await page.close();
          const before = seen.resources.filter((entry) => entry.start < seen.authKnownAt);
          // Code and styles the page itself loads (scripts, module preloads, CSS) vs requests made by script.
          const code = new Set(['script', 'link', 'css', 'img']);
          const byRuntime = before.filter((entry) => !code.has(entry.initiator));
          runs[visit].push({
            authKnownMs: seen.authKnownAt,
            mountedMs: seen.mountedAt,
            requestsBeforeAuth: byRuntime.length,
            names: byRuntime.map((entry) => new URL(entry.name).pathname),
            codeBeforeAuth: before.length - byRuntime.length,
          });
        }
      } finally {
        await context.close();
      }
    }
    const otherCores = meter();
    const sum = (list) => ({
      runs: list.length,
      requestsBeforeAuthMax: Math.max(...list.map((run) => run.requestsBeforeAuth)),
      requestsBeforeAuthNames: [...new Set(list.flatMap((run) => run.names))],
      codeBeforeAuthMax: Math.max(...list.map((run) => run.codeBeforeAuth)),
      authKnown: summary(list.map((run) => run.authKnownMs)),
      mounted: summary(list.map((run) => run.mountedMs)),
    });
    const result = { first: sum(runs.first), repeat: sum(runs.repeat), otherCores };
    ctx.log(
      `  the reference shop (home, signed in, ${settings.loads} first visits): ${result.first.requestsBeforeAuthMax} ` +
        `request(s) before the auth state (${result.first.codeBeforeAuthMax} page code), first remote mounted ` +
        `p50 ${result.first.mounted.p50.toFixed(1)} ms (repeat visit ${result.repeat.mounted.p50.toFixed(1)} ms)`,
    );
    return result;
  } catch (error) {
    const reason = error?.message?.split('\n')[0] ?? String(error);
    ctx.log(`  the reference shop: failed (${reason})`);
    return { failed: reason };
  } finally {
    await shop.close();
  }
}
