// `npm run bench`'s hybrid-app figure (issue 18): a proxied GET from a WebView over the native host's bridge
// against the same GET by `fetch` from Chromium to the BFF, same run, same shop, same user. The host is the
// reference WebKitGTK host (examples/shop/hybrid/gjs) under xvfb-run, signed in through Chromium standing in
// for the system browser; each side times `GET /api/profile` in the page, one call at a time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, webkitMissing } from '@gatehouse/testing';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { startWebKitHost, type WebKitHost } from '../../e2e/hybrid/webkit-host.js';
import { sessionCookie } from '../browser/pages.js';
import { messageOf } from '../lib/redis.js';
import { signInCookie } from '../lib/session.js';
import { type Summary, summary } from '../lib/stats.js';
import type { NotMeasured, SuiteContext } from '../lib/suite.js';

/** BENCH_HYBRID_CALLS. */
export interface HybridSettings {
  /** Timed calls on each side (after 20 not counted). */
  readonly calls: number;
}

/** What the suite measured, ms per call. */
export interface HybridResult {
  readonly settings: HybridSettings;
  readonly bridge: Summary;
  readonly fetch: Summary;
  readonly otherCores: number | undefined;
}

/** The part of examples/shop the suite uses (imported by name at run time, as built). */
interface Shop {
  readonly urls: { readonly shop: string };
  close(): Promise<void>;
}
type StartShop = (options: Record<string, unknown>) => Promise<Shop>;

const SHOP_PACKAGE: string = '@gatehouse/example-shop';
const APP_ENTRY = fileURLToPath(new URL('../../e2e/hybrid/app/main.ts', import.meta.url));
const APP = '/local/app.html';
const REDIRECT = 'http://127.0.0.1/signed-in';
const WARM = 20;

/** The loop each side runs in its page: `calls` timed GETs of the profile after `WARM` untimed. */
const loop = (call: string, calls: number) => `
  const times = [];
  for (let i = 0; i < ${WARM + calls}; i++) {
    const at = performance.now();
    ${call};
    if (i >= ${WARM}) times.push(performance.now() - at);
  }
  return times;`;

/** The app the host serves at its local origin: the shell over the bridge (e2e/hybrid/app). */
async function appFiles(): Promise<string> {
  const files = mkdtempSync(join(tmpdir(), 'gatehouse-bench-app-'));
  writeFileSync(
    join(files, 'app.html'),
    '<!doctype html><title>app</title><script type="module" src="/local/app.js"></script>',
  );
  await build({
    entryPoints: [APP_ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['gatehouse-source'],
    outfile: join(files, 'app.js'),
    logLevel: 'silent',
  });
  return files;
}

/** Signs alice in to the app: the host opens the login, Chromium plays the system browser. */
async function signInToApp(host: WebKitHost, browser: Browser): Promise<void> {
  const since = host.events.length;
  await host.evaluate(
    `location.assign('/auth/login?returnTo=' + encodeURIComponent('${APP}')); return null;`,
  );
  const opened = await host.waitFor((event) => event.event === 'open-browser', since);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(String(opened.url));
    await page.fill('input[name=login]', 'alice');
    await page.fill('input[name=password]', 'alice');
    await page.click('[type=submit]');
    await page.waitForURL(/127\.0\.0\.1:\d+\/signed-in/);
  } finally {
    await context.close();
  }
  await host.waitFor((event) => event.event === 'loaded' && String(event.uri).endsWith(APP), since);
  await host.evaluate(
    `for (let i = 0; i < 200 && !document.title.startsWith('ready'); i++) await new Promise((r) => setTimeout(r, 50)); return document.title;`,
  );
}

/** Runs the suite; see the file's comment. */
export async function hybridFigures(
  ctx: SuiteContext,
  settings: HybridSettings,
): Promise<HybridResult | NotMeasured> {
  const missing = webkitMissing();
  if (missing) return { skipped: missing };
  let startShop: StartShop;
  try {
    startShop = ((await import(SHOP_PACKAGE)) as { startShop: StartShop }).startShop;
  } catch (error) {
    return { skipped: `examples/shop is not importable (${messageOf(error).split('\n')[0]}); npm run build` };
  }
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
  const closers: Array<() => unknown> = [];
  try {
    const shop = await startShop({
      ports,
      memory: true,
      logLevel: 'silent',
      bff: { nativeRedirectUris: [REDIRECT], loginRateLimit: 0 },
    });
    closers.push(() => shop.close());
    const files = await appFiles();
    closers.push(() => rmSync(files, { recursive: true, force: true }));
    const browser = await launchChromium();
    closers.push(() => browser.close());
    const host = await startWebKitHost(shop.urls.shop, { GATEHOUSE_APP_FILES: files });
    closers.push(() => host.close());
    await host.waitFor((event) => event.event === 'loaded', 0);
    await signInToApp(host, browser);
    ctx.log('  the WebKitGTK host is signed in as alice; Chromium signs in as alice too');

    // Chromium: a page of the shop's origin with alice's session cookie, plain `fetch` as the API client sends it.
    const context = await browser.newContext();
    closers.push(() => context.close());
    await context.addCookies([sessionCookie(await signInCookie(shop.urls.shop, 'alice'))]);
    const page = await context.newPage();
    await page.goto(`${shop.urls.shop}/auth/session`);
    const fetchCall = `const answer = await fetch('/api/profile', { headers: { accept: 'application/json', 'x-csrf': '1' } }); if (!answer.ok) throw new Error('GET /api/profile: ' + answer.status); await answer.json()`;
    const bridgeCall = `await window.hybridApp.shell.api.get('/api/profile')`;

    await ctx.quiet();
    const meter = ctx.meter();
    // Interleaved halves, so a drift of the machine falls on both sides alike.
    const bridgeTimes: number[] = [];
    const fetchTimes: number[] = [];
    for (let half = 0; half < 2; half++) {
      bridgeTimes.push(...(await host.evaluate<number[]>(loop(bridgeCall, settings.calls / 2), 120_000)));
      fetchTimes.push(
        ...((await page.evaluate(`(async () => {${loop(fetchCall, settings.calls / 2)}})()`)) as number[]),
      );
    }
    const result: HybridResult = {
      settings,
      bridge: summary(bridgeTimes),
      fetch: summary(fetchTimes),
      otherCores: meter(),
    };
    ctx.log(
      `  GET /api/profile over the bridge p50 ${result.bridge.p50.toFixed(2)} ms (p99 ${result.bridge.p99.toFixed(2)}), ` +
        `by fetch from Chromium p50 ${result.fetch.p50.toFixed(2)} ms (p99 ${result.fetch.p99.toFixed(2)}): ` +
        `+${(result.bridge.p50 - result.fetch.p50).toFixed(2)} ms at p50`,
    );
    return result;
  } finally {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
  }
}
